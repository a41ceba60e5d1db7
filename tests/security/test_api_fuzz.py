"""Schemathesis against ``/api/schema/`` for every role's token (issue #8, item 7).

Every operation of the OpenAPI schema is called with generated cases (valid and
hostile query parameters, bodies and uploads) once per role: front desk,
supervisor, manager, engineer, duty manager, general manager, a resident owner
and a decoration contractor. Each answer must not be a 5xx and must match the
schema (documented status code, content type and body).

The data are the demo project (``seed_demo``, built through the services), loaded
once for the module inside a transaction that is rolled back at the end; each
test runs in a savepoint of it, so one role's writes never leak into another's.
Path ids are drawn from the records that exist (and from generated ids), so the
actions reach real permits, complaints, keys and visits rather than only 404s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models, transaction
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from decoration.models import Permit
from servicedesk.core.models import StaffProfile

# role → the demo account that holds it (servicedesk.core.demo, decoration.demo).
ROLES = {
    "front_desk": "frontdesk",
    "supervisor": "supervisor",
    "manager": "manager",
    "engineer": "engineer",
    "duty_manager": "duty",
    "general_manager": "gm",
    "resident": "owner1",
    "contractor": "contractor",
}
# Generated cases per operation (each sent with all 8 tokens): small enough for CI
# (about 2 minutes on SQLite). SERVICEDESK_FUZZ_EXAMPLES=100 digs deeper locally, and
# SERVICEDESK_FUZZ_PHASES=coverage,fuzzing adds schemathesis' boundary-value phase.
EXAMPLES = int(os.environ.get("SERVICEDESK_FUZZ_EXAMPLES", "5"))
PHASES = os.environ.get("SERVICEDESK_FUZZ_PHASES", "examples,fuzzing").split(",")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
# The token travels in the header we set; the schema's security parameters are not fuzzed.
schema.config.generation.update(
    max_examples=EXAMPLES,
    deterministic=True,
    with_security_parameters=False,
)
schema.config.phases.update(phases=PHASES)


@dataclass
class Dataset:
    tokens: dict[str, str]
    # Path parameter values of real records, per operation path and parameter name.
    ids: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


DATA: Dataset | None = None


def _model_of(path: str) -> type[models.Model] | None:
    """The model behind an operation path (its viewset's serializer's model)."""
    sample = path.replace("{permit_id}", "1").replace("{id}", "1")
    sample = sample.replace("{staff_id}", "1").replace("{year}", "2025")
    try:
        match = resolve(sample)
    except Resolver404:
        return None
    view = getattr(match.func, "cls", None)
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def _real_ids() -> dict[tuple[str, str], list[Any]]:
    ids: dict[tuple[str, str], list[Any]] = {}
    permits = list(Permit.objects.order_by("pk").values_list("pk", flat=True))
    staff = list(StaffProfile.objects.order_by("pk").values_list("pk", flat=True)[:10])
    for path in schema.raw_schema["paths"]:
        if "{permit_id}" in path:
            ids[(path, "permit_id")] = permits
        if "{staff_id}" in path:
            ids[(path, "staff_id")] = staff
            ids[(path, "year")] = [2025, 2026]
        if "{id}" in path:
            model = _model_of(path)
            if model is not None:
                pks = model._default_manager.order_by("pk").values_list("pk", flat=True)
                ids[(path, "id")] = list(pks[:10])
    return ids


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the cases address a record that exists (the rest keep the generated id)."""
    if DATA is None or not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    choices = {
        name: DATA.ids[(path, name)] for name in path_parameters if DATA.ids.get((path, name))
    }
    if not choices:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(pool) for name, pool in choices.items()})
    return st.one_of(
        real.map(lambda values: {**path_parameters, **values}),
        st.just(path_parameters),
    )


@pytest.fixture(scope="module")
def keep_connection() -> Iterator[None]:
    """The WSGI app is called directly, not through Django's test client, so each
    request's start and end would run ``close_old_connections`` and close the
    connection holding the test's transaction (on PostgreSQL; SQLite's in-memory
    test database never closes). Detached while fuzzing, as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any, keep_connection: None) -> Iterator[Dataset]:
    global DATA
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=_Null())
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.in_bulk(list(ROLES.values()), field_name="username")
        tokens = {
            role: Token.objects.get_or_create(user=users[username])[0].key
            for role, username in ROLES.items()
        }
        DATA = Dataset(tokens=tokens, ids=_real_ids())
        try:
            yield DATA
        finally:
            DATA = None
            transaction.set_rollback(True)


class _Null:
    def write(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
def test_api(case: schemathesis.Case, demo: Dataset, db: None) -> None:
    """Each generated case is sent once with every role's token."""
    for role, token in demo.tokens.items():
        try:
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
        except Exception as exc:
            exc.add_note(f"as {role} ({ROLES[role]})")
            raise
