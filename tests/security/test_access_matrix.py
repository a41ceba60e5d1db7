"""The access-control matrix (issue 8, item 1): every role × every record type ×
list, detail, action, export and PDF, through the HTML pages and the API.

The URLs are not typed in by hand: they are read from the URL resolver (every
route of complaints/, visitors/, keys/, appraisal/, decoration/, units/ and
/api/v1/ that takes the primary key of a record built here, and every action
name of the HTML action routes and the API viewsets), so a route added later is
checked, or the guard ``test_every_record_route_is_in_the_matrix`` fails until it
is classified.

The record groups (``GROUPS``, built through the services by ``world.build``):
a complaint with a photo; a visit; a spare key with its entrustment and loan;
custody records (an emergency use, a copy request, a lock change, a duty handover,
a monthly report); appraisals; a colleague's suggested deduction and training
result; permits (an uploaded drawing, a pass with its photo, a fine); site records
(an inspection with a photo, a rectification notice, a hot work request, an
application, a drafted construction notice); a unit.

1. **Out of scope** (``test_out_of_scope``, one test per actor × record group,
   each looping over the group's endpoints and listing every bad one):
   staff of project B get exactly 404 on every detail, PDF and action, as if the
   id did not exist; residents of other units, a tenant and another permit's
   contractor get 404, or the 403 of a staff-only page — but only where a
   missing id gets the same 403, so nothing can be learnt from the answer; lists
   and exports answer 200 without the record (or 403 to a role that has no such
   page); the anonymous caller is sent to the login page (HTML) or gets
   401/403 (API). Never 200 for a record, never a redirect after a POST, never
   500.
2. **Forbidden in scope** (``test_forbidden_action``): a role that sees the
   record but may not take the action gets 403, and nothing changes.
3. **Field level**: a resident's views of their own complaint and permit never
   show another resident's phone; a front desk's appraisal pages and API show
   their own scores, never a colleague's; the API's input serializers ignore or
   refuse status, deadlines, money and roles.

Combinations (``COMBINATIONS``, computed from the parametrization below and
pinned by ``test_the_matrix_size_is_what_the_docstring_says``):
1607 combinations — 1554 (actor, record, endpoint) triples out of scope
(6 actors × 259 endpoints), 23 forbidden actions, 30 field-level checks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from appraisal.models import Assessment
from complaints import views as complaint_views
from complaints.models import Complaint
from decoration import views as decoration_views
from decoration.models import LedgerEntry, Permit
from keys import views as key_views
from keys.models import Loan
from servicedesk.core.models import Resident, StaffRole
from tests.security.conftest import (
    COLLEAGUE_REASON,
    EMERGENCY_REASON,
    HANDOVER_ITEMS,
    INSPECTION_FINDINGS,
    LOCK_CHANGE_LOCATION,
    MISSING,
    NEIGHBOUR_DIGITS,
    NOTICE_TITLE,
    OWN_REASON,
    OWNER_PHONE,
    REPORT_NOTE,
    TRAINING_NOTE,
    World,
    api_client,
)
from visitors import views as visitor_views

# --- The endpoints -------------------------------------------------------------------------

GROUPS = (
    "complaint",
    "visit",
    "keys",
    "custody",
    "assessment",
    "suggestion",
    "permit",
    "site",
    "unit",
)


@dataclass(frozen=True)
class Endpoint:
    """One request of the matrix. ``template`` takes the record ids (``{complaint}``)."""

    group: str
    surface: str  # "html" | "api"
    kind: str  # "detail" | "pdf" | "action" | "list" | "export"
    method: str
    template: str
    name: str
    marker: str = ""  # lists: what must not appear (besides the record's id in API lists)
    resource: str = ""  # API lists: the basename, whose record id must not be listed

    @property
    def label(self) -> str:
        return f"{self.surface} {self.method} {self.name}"

    def url(self, ids: dict[str, int]) -> str:
        return self.template.format(**ids)


# HTML routes taking a record's id: url name -> (group, kind, method, {kwarg: id key}).
# Action routes with a ``name`` take every name of the module's action table.
HTML_ROUTES: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "complaints:detail": ("complaint", "detail", "GET", {"pk": "complaint"}),
    "complaints:photo": ("complaint", "detail", "GET", {"pk": "photo"}),
    "complaints:portal-detail": ("complaint", "detail", "GET", {"pk": "complaint"}),
    "complaints:portal-callback": ("complaint", "action", "POST", {"pk": "complaint"}),
    "complaints:action": ("complaint", "action", "POST", {"pk": "complaint"}),
    "complaints:record-pdf": ("complaint", "pdf", "GET", {"pk": "complaint"}),
    "complaints:callback-pdf": ("complaint", "pdf", "GET", {"pk": "complaint"}),
    "visitors:detail": ("visit", "detail", "GET", {"pk": "visit"}),
    "visitors:reveal": ("visit", "action", "POST", {"pk": "visit"}),
    "visitors:action": ("visit", "action", "POST", {"pk": "visit"}),
    "visitors:slip-pdf": ("visit", "pdf", "GET", {"pk": "visit"}),
    "keys:key": ("keys", "detail", "GET", {"pk": "key"}),
    "keys:key_action": ("keys", "action", "POST", {"pk": "key"}),
    "keys:loan": ("keys", "detail", "GET", {"pk": "loan"}),
    "keys:loan_action": ("keys", "action", "POST", {"pk": "loan"}),
    "keys:entrustment": ("keys", "detail", "GET", {"pk": "entrustment"}),
    "keys:entrustment_action": ("keys", "action", "POST", {"pk": "entrustment"}),
    "keys:entrustment_pdf": ("keys", "pdf", "GET", {"pk": "entrustment"}),
    "keys:portal_confirm": ("keys", "action", "POST", {"pk": "entrustment"}),
    "keys:emergency": ("custody", "detail", "GET", {"pk": "emergency"}),
    "keys:emergency_action": ("custody", "action", "POST", {"pk": "emergency"}),
    "keys:emergency_pdf": ("custody", "pdf", "GET", {"pk": "emergency"}),
    "keys:lock_change": ("custody", "detail", "GET", {"pk": "lock_change"}),
    "keys:lock_change_action": ("custody", "action", "POST", {"pk": "lock_change"}),
    "keys:copy_request": ("custody", "detail", "GET", {"pk": "copy_request"}),
    "keys:copy_request_action": ("custody", "action", "POST", {"pk": "copy_request"}),
    "keys:handover": ("custody", "detail", "GET", {"pk": "handover"}),
    "keys:handover_action": ("custody", "action", "POST", {"pk": "handover"}),
    "keys:handover_pdf": ("custody", "pdf", "GET", {"pk": "handover"}),
    "keys:report": ("custody", "detail", "GET", {"pk": "report"}),
    "keys:report_action": ("custody", "action", "POST", {"pk": "report"}),
    "keys:report_pdf": ("custody", "pdf", "GET", {"pk": "report"}),
    "appraisal:assessment": ("assessment", "detail", "GET", {"pk": "assessment"}),
    "appraisal:entry": ("assessment", "detail", "GET", {"pk": "assessment"}),
    "appraisal:penalty": ("assessment", "action", "POST", {"pk": "assessment"}),
    "appraisal:acknowledge": ("assessment", "action", "POST", {"pk": "assessment"}),
    "appraisal:reopen": ("assessment", "action", "POST", {"pk": "assessment"}),
    "appraisal:suggestion": (
        "suggestion",
        "action",
        "POST",
        {"pk": "assessment", "sid": "suggestion"},
    ),
    "appraisal:annual": ("assessment", "detail", "GET", {"staff_pk": "staff", "year": "year"}),
    "appraisal:monthly_record_pdf": ("assessment", "pdf", "GET", {"pk": "assessment"}),
    "appraisal:year_end_record_pdf": ("assessment", "pdf", "GET", {"pk": "assessment"}),
    "appraisal:person_year_pdf": (
        "assessment",
        "pdf",
        "GET",
        {"staff_pk": "staff", "year": "year"},
    ),
    "decoration:permit": ("permit", "detail", "GET", {"pk": "permit"}),
    "decoration:permit_action": ("permit", "action", "POST", {"pk": "permit"}),
    "decoration:pdf_application": ("permit", "pdf", "GET", {"pk": "permit"}),
    "decoration:pdf_review": ("permit", "pdf", "GET", {"pk": "permit"}),
    "decoration:pdf_permit": ("permit", "pdf", "GET", {"pk": "permit"}),
    "decoration:pdf_refund_notice": ("permit", "pdf", "GET", {"pk": "permit"}),
    "decoration:pdf_pass": ("permit", "pdf", "GET", {"pk": "pass"}),
    "decoration:pass_photo": ("permit", "detail", "GET", {"pk": "pass"}),
    "decoration:pdf_fine": ("permit", "pdf", "GET", {"pk": "fine"}),
    "decoration:drawing": ("permit", "detail", "GET", {"pk": "drawing"}),
    "decoration:inspection_photo": ("site", "detail", "GET", {"pk": "inspection_photo"}),
    "decoration:pdf_hot_work": ("site", "pdf", "GET", {"pk": "hot_work"}),
    "decoration:pdf_rectification": ("site", "pdf", "GET", {"pk": "rectification"}),
    "decoration:notice": ("site", "detail", "GET", {"pk": "notice"}),
    "decoration:notice_action": ("site", "action", "POST", {"pk": "notice"}),
    "unit-detail": ("unit", "detail", "GET", {"pk": "unit"}),
    "resident-add": ("unit", "detail", "GET", {"unit_pk": "unit"}),
    "unit-customer-record-pdf": ("unit", "pdf", "GET", {"pk": "unit"}),
}

# Routes with an id but no record of that kind in this world, said plainly.
HTML_NOT_COVERED = {
    "resident-edit": "covered by resident-add (same view, same unit lookup first)",
    "notification-open": "a user's own inbox row, not a record of a module",
}

# Action names of the HTML action routes: (url name) -> the module's table.
HTML_ACTION_NAMES: dict[str, list[str]] = {
    "complaints:action": sorted(complaint_views.ACTIONS),
    "visitors:action": sorted(visitor_views.ACTIONS),
    "keys:key_action": sorted(key_views.KEY_ACTIONS),
    "keys:loan_action": sorted(key_views.LOAN_ACTIONS),
    "keys:entrustment_action": sorted(key_views.ENTRUSTMENT_ACTIONS),
    "decoration:permit_action": sorted(decoration_views.PERMIT_ACTIONS),
    "decoration:notice_action": sorted(decoration_views.NOTICE_ACTIONS),
    "keys:emergency_action": sorted(key_views.EMERGENCY_ACTIONS),
    "keys:lock_change_action": sorted(key_views.LOCK_CHANGE_ACTIONS),
    "keys:copy_request_action": sorted(key_views.COPY_ACTIONS),
    "keys:handover_action": sorted(key_views.HANDOVER_ACTIONS),
    "keys:report_action": sorted(key_views.REPORT_ACTIONS),
}

# HTML lists and exports: (url, group, marker).
HTML_LISTS: list[tuple[str, str, str]] = [
    ("/complaints/", "complaint", "{complaint_number}"),
    ("/complaints/my/", "complaint", "{complaint_number}"),
    ("/visitors/", "visit", "访客张伟"),
    ("/visitors/my/", "visit", "访客张伟"),
    ("/visitors/log/{today}.csv", "visit", "访客张伟"),
    ("/visitors/log/{today}.xlsx", "visit", ""),
    ("/visitors/log/{today}.pdf", "visit", ""),
    ("/keys/", "keys", "Y-101"),
    ("/keys/loans/", "keys", "维修水管"),
    ("/keys/entrustments/", "keys", "Y-101"),
    ("/keys/portal/", "keys", "Y-101"),
    ("/keys/loans/pdf/", "keys", ""),
    ("/keys/emergencies/", "custody", "{emergency_number}"),
    ("/keys/lock-changes/", "custody", LOCK_CHANGE_LOCATION),
    ("/keys/handovers/", "custody", HANDOVER_ITEMS),
    ("/keys/reports/", "custody", '/keys/reports/{report}/"'),
    ("/appraisal/", "assessment", "96.50"),
    ("/appraisal/export/", "assessment", ""),
    ("/appraisal/records/", "assessment", "96.50"),
    ("/appraisal/mine/", "assessment", "96.50"),
    ("/decoration/", "permit", "{permit_number}"),
    ("/decoration/portal/", "permit", "{permit_number}"),
    ("/decoration/notices/", "site", NOTICE_TITLE),
    ("/units/", "unit", "陈静"),
]

# API basenames of the records built here: basename -> (group, {kwarg: id key}).
API_RESOURCES: dict[str, tuple[str, dict[str, str]]] = {
    "complaints": ("complaint", {"pk": "complaint"}),
    "visits": ("visit", {"pk": "visit"}),
    "keys": ("keys", {"pk": "key"}),
    "key-loans": ("keys", {"pk": "loan"}),
    "key-entrustments": ("keys", {"pk": "entrustment"}),
    "appraisal-checks": ("assessment", {"pk": "assessment"}),
    "decoration-permits": ("permit", {"pk": "permit"}),
    "decoration-passes": ("permit", {"permit_id": "permit", "pk": "pass"}),
    "key-emergencies": ("custody", {"pk": "emergency"}),
    "key-lock-changes": ("custody", {"pk": "lock_change"}),
    "key-handovers": ("custody", {"pk": "handover"}),
    "key-reports": ("custody", {"pk": "report"}),
    "appraisal-suggestions": ("suggestion", {"pk": "suggestion"}),
    "appraisal-training": ("suggestion", {}),
    "decoration-hot-works": ("site", {"pk": "hot_work"}),
    "decoration-applications": ("site", {"pk": "application"}),
    "decoration-construction-notices": ("site", {"pk": "notice"}),
    "decoration-inspections": ("site", {"pk": "inspection"}),
    "decoration-rectification-notices": ("site", {"pk": "rectification"}),
    "units": ("unit", {"pk": "unit"}),
    "residents": ("unit", {"pk": "resident"}),
}
API_NOT_COVERED = {
    "appraisal-criteria": "criteria are company-wide reference data, not a person's record",
    "staff": "staff directory: scoped by project, tested in tests/api/test_staff.py",
}
# List markers of the API lists (besides the record's id).
API_LIST_MARKERS = {
    "complaints": "{complaint_number}",
    "visits": "访客张伟",
    "keys": "Y-101",
    "key-loans": "维修水管",
    "key-entrustments": "Y-101",
    "appraisal-checks": COLLEAGUE_REASON,
    "decoration-permits": "{permit_number}",
    "decoration-passes": "王建军",
    "units": "1-101",
    "residents": OWNER_PHONE[3:],
    "key-emergencies": EMERGENCY_REASON,
    "key-lock-changes": LOCK_CHANGE_LOCATION,
    "key-handovers": HANDOVER_ITEMS,
    "key-reports": REPORT_NOTE,
    "appraisal-suggestions": "{suggestion_reason}",
    "appraisal-training": TRAINING_NOTE,
    "decoration-hot-works": "{hot_work_number}",
    "decoration-applications": "{application_number}",
    "decoration-construction-notices": NOTICE_TITLE,
    "decoration-inspections": INSPECTION_FINDINGS,
    "decoration-rectification-notices": "{rectification_number}",
}
# Which id of the world an API list must not contain.
API_LIST_RECORD = {
    "complaints": "complaint",
    "visits": "visit",
    "keys": "key",
    "key-loans": "loan",
    "key-entrustments": "entrustment",
    "appraisal-checks": "assessment",
    "decoration-permits": "permit",
    "decoration-passes": "pass",
    "units": "unit",
    "residents": "resident",
    "key-emergencies": "emergency",
    "key-lock-changes": "lock_change",
    "key-handovers": "handover",
    "key-reports": "report",
    "appraisal-suggestions": "suggestion",
    "appraisal-training": "training",
    "decoration-hot-works": "hot_work",
    "decoration-applications": "application",
    "decoration-construction-notices": "notice",
    "decoration-inspections": "inspection",
    "decoration-rectification-notices": "rectification",
}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """Yield (route text, full url name, pattern) of every route below ``patterns``."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif p.name:
            yield prefix + str(p.pattern), namespace + p.name, p


def _template(route: str, kwargs: dict[str, str]) -> str:
    """Turn a route (``complaints/<int:pk>/`` or a regex) into a URL template."""
    text = route
    for kwarg, key in kwargs.items():
        text = re.sub(rf"\(\?P<{kwarg}>[^)]*\)", f"{{{key}}}", text)
        text = re.sub(rf"<(?:\w+:)?{kwarg}>", f"{{{key}}}", text)
    text = text.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + text


def _html_endpoints() -> list[Endpoint]:
    endpoints = []
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if name not in HTML_ROUTES:
            continue
        group, kind, method, kwargs = HTML_ROUTES[name]
        template = _template(route, kwargs)
        if name in HTML_ACTION_NAMES:
            for action in HTML_ACTION_NAMES[name]:
                url = re.sub(r"\(\?P<name>[^)]*\)|<(?:\w+:)?name>", action, template)
                endpoints.append(Endpoint(group, "html", kind, method, url, f"{name}/{action}"))
        else:
            endpoints.append(Endpoint(group, "html", kind, method, template, name))
            if name == "appraisal:entry":
                endpoints.append(Endpoint(group, "html", "action", "POST", template, name))
    for url, group, marker in HTML_LISTS:
        kind = "export" if re.search(r"\.(csv|xlsx|pdf)$|/pdf/$|/export/$", url) else "list"
        endpoints.append(Endpoint(group, "html", kind, "GET", url, url, marker))
    return endpoints


def _api_endpoints() -> list[Endpoint]:
    endpoints = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "<format>" in route or "(?P<format>" in route:
            continue
        actions: dict[str, str] = getattr(pattern.callback, "actions", {}) or {}
        # The longest basename that prefixes the route name (key-loans, not keys).
        resource = max((b for b in API_RESOURCES if name.startswith(f"{b}-")), key=len, default="")
        if not resource:
            continue
        group, kwargs = API_RESOURCES[resource]
        template = _template(route, kwargs)
        for method, action in actions.items():
            if action in ("create",):
                continue  # creating is not a record's endpoint (field checks below)
            if action == "list":
                marker = API_LIST_MARKERS[resource]
                endpoints.append(
                    Endpoint(group, "api", "list", "GET", template, name, marker, resource)
                )
                continue
            kind = "detail" if method == "get" else "action"
            if action == "pdf":
                kind = "pdf"
            if "{" not in template:
                if method != "get":
                    continue  # a list-level command (suggestions/refresh/): no record's id
                kind = "list"  # a list-level read (complaints/stats/)
            endpoints.append(
                Endpoint(group, "api", kind, method.upper(), template, f"{name}:{action}")
            )
    return endpoints


ENDPOINTS: list[Endpoint] = _html_endpoints() + _api_endpoints()

ACTORS = (
    "anonymous",
    "outsider_frontdesk",
    "outsider_manager",
    "neighbour",
    "tenant",
    "rival_contractor",
)
STAFF_ACTORS = {"outsider_frontdesk", "outsider_manager"}


@pytest.fixture(autouse=True)
def _quiet_refusals(caplog):
    """Hundreds of expected 403/404s: keep django.request to errors (a 500 still logs)."""
    caplog.set_level(logging.ERROR, logger="django.request")


def endpoints_of(group: str) -> list[Endpoint]:
    return [e for e in ENDPOINTS if e.group == group]


# --- Requests ----------------------------------------------------------------------------


def _html_client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _request(client: Any, endpoint: Endpoint, url: str) -> Any:
    if endpoint.method == "GET":
        return client.get(url)
    if endpoint.surface == "api":
        return getattr(client, endpoint.method.lower())(url, {}, format="json")
    return client.post(url, {})


def _ids(world: World) -> dict[str, Any]:
    ids: dict[str, Any] = dict(world.ids)
    for name in (
        "complaint",
        "permit",
        "emergency",
        "hot_work",
        "application",
        "rectification",
    ):
        record = world.records.get(name)
        ids[f"{name}_number"] = getattr(record, "number", "-") if record else "-"
    suggestion = world.records.get("suggestion")
    ids["suggestion_reason"] = suggestion.reason if suggestion else "-"
    ids["resident"] = Resident.objects.filter(user=world.people["owner"]).first().pk
    from django.utils import timezone

    ids["today"] = f"{timezone.localdate():%Y-%m-%d}"
    return ids


def _missing(ids: dict[str, Any]) -> dict[str, Any]:
    return {k: (MISSING if isinstance(v, int) and k != "year" else v) for k, v in ids.items()}


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _api_ids(response: Any) -> set[int]:
    try:
        data = response.json()
    except ValueError:
        return set()
    rows = data.get("results", data) if isinstance(data, dict) else data
    return {row.get("id") for row in rows if isinstance(row, dict)}


def check_out_of_scope(
    actor: str, endpoint: Endpoint, client: Any, ids: dict[str, Any]
) -> str | None:
    """Return why the answer is wrong, or None."""
    url = endpoint.url(ids)
    response = _request(client, endpoint, url)
    status = response.status_code
    where = f"{endpoint.label} {url} -> {status}"
    if status >= 500:
        return f"{where}: server error"
    if actor == "anonymous":
        if endpoint.surface == "api":
            return None if status in (401, 403) else f"{where}: expected 401/403"
        location = response.get("Location", "")
        ok = status == 302 and location.startswith("/login/")
        return None if ok else f"{where}: expected a redirect to the login page"
    if endpoint.kind in ("list", "export"):
        if status in (403, 404) or (status == 302 and endpoint.surface == "html"):
            return None  # a role without this page (or sent to its own), a parent out of scope
        if status != 200:
            return f"{where}: expected 200 without the record, or 403"
        body = _body(response)
        marker = endpoint.marker.format(**ids) if endpoint.marker else ""
        if marker and marker in body:
            return f"{where}: the list shows {marker!r}"
        if endpoint.resource:
            record_id = ids[API_LIST_RECORD[endpoint.resource]]
            if record_id in _api_ids(response):
                return f"{where}: the list contains id {record_id}"
        return None
    # One record: 404, exactly as for an id that does not exist; or the 403 of a page
    # this role never has, which a missing id gets too (nothing to learn from it).
    if status == 404:
        return None
    if status != 403:
        return f"{where}: expected 404"
    probe = _request(client, endpoint, endpoint.url(_missing(ids))).status_code
    if probe != 403:
        return f"{where}: a missing id answers {probe} — the answer tells the record exists"
    return None


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("actor", ACTORS)
def test_out_of_scope(world, actor, group):
    """Every endpoint of the group's records, as someone who must not see them."""
    world.build(group)
    ids = _ids(world)
    user = world.users[actor]
    html, api = _html_client(user), api_client(user)
    failures = [
        problem
        for endpoint in endpoints_of(group)
        if (
            problem := check_out_of_scope(
                actor, endpoint, html if endpoint.surface == "html" else api, ids
            )
        )
    ]
    assert failures == []


def test_every_record_route_is_in_the_matrix():
    """A new route taking a record's id must be added to the matrix (or said uncovered)."""
    unclassified = []
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        takes_id = re.search(r"<(int:)?(pk|staff_pk|unit_pk)>|\(\?P<pk>", route)
        if not takes_id or route.startswith(("admin/", "api/")):
            continue
        if name not in HTML_ROUTES and name not in HTML_NOT_COVERED:
            unclassified.append(name)
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "(?P<pk>" not in route:
            continue
        basename = max(
            (b for b in [*API_RESOURCES, *API_NOT_COVERED] if name.startswith(f"{b}-")),
            key=len,
            default=None,
        )
        if basename is None:
            unclassified.append(name)
    assert unclassified == []


# --- Forbidden in scope: 403, and nothing changes -------------------------------------------


@dataclass(frozen=True)
class Forbidden:
    id: str
    group: str
    actor: str
    surface: str
    url: str
    data: dict[str, Any]
    unchanged: Callable[[World], Any]


def _permit_state(w: World) -> Any:
    p = Permit.objects.get(pk=w.permit.pk)
    return p.status, LedgerEntry.objects.filter(permit=p).count(), p.expelled_at


def _complaint_state(w: World) -> Any:
    c = Complaint.objects.get(pk=w.complaint.pk)
    return c.status, c.first_contact_at if hasattr(c, "first_contact_at") else None


def _loan_state(w: World) -> Any:
    return Loan.objects.get(pk=w.loan.pk).status


def _visit_state(w: World) -> Any:
    from visitors.models import IdReveal, Visit

    v = Visit.objects.get(pk=w.visit.pk)
    return v.status, IdReveal.objects.filter(visit=v).count()


def _assessment_state(w: World) -> Any:
    a = Assessment.objects.get(pk=w.own_assessment.pk)
    return a.status, a.total


def _status_of(record: str) -> Callable[[World], Any]:
    """The state of one of the world's records, read again from the database."""

    def state(w: World) -> Any:
        obj = w.records[record]
        return type(obj).objects.get(pk=obj.pk).status

    return state


FORBIDDEN = [
    # Decoration: drawings are the engineers' (DEC-01), money the desk's, expelling the manager's.
    Forbidden(
        "frontdesk-approves-drawings-html",
        "permit",
        "frontdesk",
        "html",
        "/decoration/permits/{rival_permit}/review/",
        {
            "review-decision": "approve",
            "review-structure_ok": "on",
            "review-water_electric_ok": "on",
            "review-waterproofing_ok": "on",
        },
        lambda w: Permit.objects.get(pk=w.rival_permit.pk).reviews.count(),
    ),
    Forbidden(
        "frontdesk-approves-drawings-api",
        "permit",
        "frontdesk",
        "api",
        "/api/v1/decoration/permits/{rival_permit}/approve/",
        {"structure_ok": True, "water_electric_ok": True, "waterproofing_ok": True},
        lambda w: Permit.objects.get(pk=w.rival_permit.pk).reviews.count(),
    ),
    Forbidden(
        "contractor-refunds-html",
        "permit",
        "contractor",
        "html",
        "/decoration/permits/{permit}/refund/",
        {"refund-receipt_no": "TK-1"},
        _permit_state,
    ),
    Forbidden(
        "contractor-refunds-api",
        "permit",
        "contractor",
        "api",
        "/api/v1/decoration/permits/{permit}/refund/",
        {"receipt_no": "TK-1"},
        _permit_state,
    ),
    Forbidden(
        "contractor-fines-api",
        "permit",
        "contractor",
        "api",
        "/api/v1/decoration/permits/{permit}/fine/",
        {"amount": "1.00", "reason": "x"},
        _permit_state,
    ),
    Forbidden(
        "owner-pays-fine-api",
        "permit",
        "owner",
        "api",
        "/api/v1/decoration/permits/{permit}/pay_fine/",
        {"fine": "{fine}", "receipt_no": "FK-1"},
        _permit_state,
    ),
    Forbidden(
        "frontdesk-expels-contractor-api",
        "permit",
        "frontdesk",
        "api",
        "/api/v1/decoration/permits/{permit}/expel/",
        {"reason": "违规"},
        _permit_state,
    ),
    Forbidden(
        "contractor-issues-pass-api",
        "permit",
        "contractor",
        "api",
        "/api/v1/decoration/permits/{permit}/passes/",
        {"worker_name": "甲", "id_number": "11010519491231002X"},
        _permit_state,
    ),
    # Complaints: the owner sees the record, the desk's actions are not theirs.
    Forbidden(
        "owner-contacts-own-complaint-html",
        "complaint",
        "owner",
        "html",
        "/complaints/{complaint}/contact/",
        {"contact-note": "x"},
        _complaint_state,
    ),
    Forbidden(
        "owner-contacts-own-complaint-api",
        "complaint",
        "owner",
        "api",
        "/api/v1/complaints/{complaint}/contact/",
        {"note": "x"},
        _complaint_state,
    ),
    Forbidden(
        "contractor-files-complaint-api",
        "complaint",
        "contractor",
        "api",
        "/api/v1/complaints/",
        {"description": "x", "category": "facilities"},
        lambda w: Complaint.objects.count(),
    ),
    # Keys: the owner may read their key's loans, not approve them; the front desk
    # does not approve loans (nor their own request, ORG-04).
    Forbidden(
        "owner-approves-loan-of-own-key-api",
        "keys",
        "owner",
        "api",
        "/api/v1/key-loans/{loan}/approve/",
        {},
        _loan_state,
    ),
    Forbidden(
        "frontdesk-approves-own-loan-request-api",
        "keys",
        "frontdesk",
        "api",
        "/api/v1/key-loans/{loan}/approve/",
        {},
        _loan_state,
    ),
    Forbidden(
        "frontdesk-approves-own-loan-request-html",
        "keys",
        "frontdesk",
        "html",
        "/keys/loans/{loan}/approve/",
        {},
        _loan_state,
    ),
    # Visitors: the full ID number is for supervisors, managers and the duty manager.
    Forbidden(
        "frontdesk-reveals-id-number-api",
        "visit",
        "frontdesk",
        "api",
        "/api/v1/visits/{visit}/reveal/",
        {"reason": "核对"},
        _visit_state,
    ),
    Forbidden(
        "owner-signs-out-visitor-api",
        "visit",
        "owner",
        "api",
        "/api/v1/visits/{visit}/sign_out/",
        {},
        _visit_state,
    ),
    # Keys: the duty manager seals a new key (KEY-08), only the incoming person signs
    # a handover (KEY-10), a supervisor or manager reviews the monthly report (KEY-09).
    Forbidden(
        "frontdesk-seals-new-key-api",
        "custody",
        "frontdesk",
        "api",
        "/api/v1/key-lock-changes/{lock_change}/seal/",
        {"seal_number": "F-0001"},
        _status_of("lock_change"),
    ),
    Forbidden(
        "outgoing-person-signs-own-handover-html",
        "custody",
        "frontdesk",
        "html",
        "/keys/handovers/{handover}/sign/",
        {"sign-note": "已核对"},
        _status_of("handover"),
    ),
    Forbidden(
        "frontdesk-reviews-monthly-report-api",
        "custody",
        "frontdesk",
        "api",
        "/api/v1/key-reports/{report}/review/",
        {"note": "已审"},
        _status_of("report"),
    ),
    # Decoration: hot work is approved by engineering or a manager (DEC-08), a
    # construction notice by a supervisor or manager (DEC-13).
    Forbidden(
        "contractor-approves-own-hot-work-api",
        "site",
        "contractor",
        "api",
        "/api/v1/decoration/hot-works/{hot_work}/approve/",
        {},
        _status_of("hot_work"),
    ),
    Forbidden(
        "frontdesk-approves-construction-notice-html",
        "site",
        "frontdesk",
        "html",
        "/decoration/notices/{notice}/approve/",
        {},
        _status_of("notice"),
    ),
    # Appraisal: the person sees their record; only the assessor reopens it.
    Forbidden(
        "frontdesk-reopens-own-appraisal-api",
        "assessment",
        "frontdesk",
        "api",
        "/api/v1/appraisal/checks/{own_assessment}/reopen/",
        {"reason": "改分"},
        _assessment_state,
    ),
    Forbidden(
        "frontdesk-reopens-own-appraisal-html",
        "assessment",
        "frontdesk",
        "html",
        "/appraisal/{own_assessment}/reopen/",
        {"reopen-reason": "改分"},
        _assessment_state,
    ),
]


def _fill(text: Any, ids: dict[str, Any]) -> Any:
    if isinstance(text, str) and "{" in text:
        value = text.format(**ids)
        return int(value) if value.isdigit() and text.startswith("{") else value
    return text


@pytest.mark.parametrize("case", FORBIDDEN, ids=lambda c: c.id)
def test_forbidden_action(world, case):
    world.build(case.group)
    ids = _ids(world)
    ids["rival_permit"] = world.records.get("rival_permit").pk if case.group == "permit" else 0
    ids["own_assessment"] = world.records["own_assessment"].pk if case.group == "assessment" else 0
    user = world.users[case.actor]
    data = {k: _fill(v, ids) for k, v in case.data.items()}
    before = case.unchanged(world)
    url = case.url.format(**ids)
    if case.surface == "api":
        response = api_client(user).post(url, data, format="json")
    else:
        response = _html_client(user).post(url, data)
    assert response.status_code == 403, (url, response.status_code, _body(response)[:300])
    assert case.unchanged(world) == before


# --- Field level: phones and scores ----------------------------------------------------------


def test_an_owner_never_sees_the_neighbours_phone_on_their_own_complaint(world):
    """The neighbour's duplicate is merged into the owner's complaint: the master now
    holds the neighbour as a reporter, with their phone (CMP-14)."""
    world.build("complaint")
    owner = world.users["owner"]
    pk = world.complaint.pk
    html, api = _html_client(owner), api_client(owner)
    pages = {
        "portal list": html.get("/complaints/my/"),
        "portal detail": html.get(f"/complaints/my/{pk}/"),
        "api list": api.get("/api/v1/complaints/"),
        "api detail": api.get(f"/api/v1/complaints/{pk}/"),
        "api residents": api.get("/api/v1/residents/"),
        "api units": api.get("/api/v1/units/"),
    }
    seen = {name: r.status_code for name, r in pages.items()}
    assert seen == dict.fromkeys(pages, 200)
    assert world.complaint.number in _body(pages["portal detail"])  # the page is the record
    leaks = [name for name, r in pages.items() if NEIGHBOUR_DIGITS in _body(r)]
    assert leaks == []


def test_the_neighbour_never_sees_the_owners_phone_on_their_merged_complaint(world):
    world.build("complaint")
    neighbour = world.users["neighbour"]
    pk = world.neighbour_complaint.pk
    html, api = _html_client(neighbour), api_client(neighbour)
    pages = {
        "portal list": html.get("/complaints/my/"),
        "portal detail": html.get(f"/complaints/my/{pk}/"),
        "api list": api.get("/api/v1/complaints/"),
        "api detail": api.get(f"/api/v1/complaints/{pk}/"),
    }
    assert {n: r.status_code for n, r in pages.items()} == dict.fromkeys(pages, 200)
    leaks = [name for name, r in pages.items() if OWNER_PHONE[3:] in _body(r)]
    assert leaks == []


def test_an_owner_never_sees_another_residents_phone_on_their_own_permit(world):
    world.build("permit")
    owner = world.users["owner"]
    pk = world.permit.pk
    html, api = _html_client(owner), api_client(owner)
    pages = {
        "permit page": html.get(f"/decoration/permits/{pk}/"),
        "portal": html.get("/decoration/portal/"),
        "api list": api.get("/api/v1/decoration/permits/"),
        "api detail": api.get(f"/api/v1/decoration/permits/{pk}/"),
        "api passes": api.get(f"/api/v1/decoration/permits/{pk}/passes/"),
    }
    assert {n: r.status_code for n, r in pages.items()} == dict.fromkeys(pages, 200)
    phones = [NEIGHBOUR_DIGITS, "13733334444"]
    leaks = [(n, p) for n, r in pages.items() for p in phones if p in _body(r)]
    assert leaks == []


APPRAISAL_PAGES = [
    ("html", "/appraisal/mine/"),
    ("html", "/appraisal/records/"),
    ("html", "/appraisal/{own}/"),
    ("html", "/appraisal/annual/{me}/2026/"),
    ("api", "/api/v1/appraisal/checks/"),
    ("api", "/api/v1/appraisal/checks/{own}/"),
    ("api", "/api/v1/appraisal/annual/{me}/2026/"),
]


@pytest.mark.parametrize(("surface", "path"), APPRAISAL_PAGES)
def test_a_front_desk_sees_only_their_own_appraisal_scores(world, surface, path):
    world.build("assessment")
    frontdesk = world.users["frontdesk"]
    url = path.format(own=world.own_assessment.pk, me=world.own_assessment.staff_id)
    client = api_client(frontdesk) if surface == "api" else _html_client(frontdesk)
    response = client.get(url)
    assert response.status_code == 200
    body = _body(response)
    assert COLLEAGUE_REASON not in body and "96.50" not in body and "96.5" not in body
    if "{own}" in path:
        assert OWN_REASON in body  # their own record, with the reason of the deduction


@pytest.mark.parametrize(
    ("surface", "path"),
    [
        ("html", "/appraisal/{other}/"),
        ("html", "/appraisal/annual/{colleague}/2026/"),
        ("html", "/appraisal/records/{other}/pdf/"),
        ("html", "/appraisal/staff/{colleague}/2026/pdf/"),
        ("api", "/api/v1/appraisal/checks/{other}/"),
        ("api", "/api/v1/appraisal/annual/{colleague}/2026/"),
    ],
)
def test_a_front_desk_cannot_open_a_colleagues_appraisal(world, surface, path):
    world.build("assessment")
    frontdesk = world.users["frontdesk"]
    url = path.format(other=world.assessment.pk, colleague=world.assessment.staff_id)
    client = api_client(frontdesk) if surface == "api" else _html_client(frontdesk)
    assert client.get(url).status_code == 404


# --- Field level: the API's input serializers name their writable fields ---------------------

FORGED_DUE = "2000-01-01T09:00:00+08:00"


def test_filing_a_complaint_ignores_status_deadlines_number_and_project(world):
    world.build("complaint")
    response = api_client(world.users["frontdesk"]).post(
        "/api/v1/complaints/",
        {
            "unit": world.unit.pk,
            "channel": "phone",
            "category": "facilities",
            "description": "楼道灯不亮",
            "reporter_name": "陈静",
            # Not writable:
            "status": "closed",
            "number": "FORGED-1",
            "project": world.other_project.code,
            "first_contact_due_at": FORGED_DUE,
            "reply_due_at": FORGED_DUE,
            "rectify_due_at": FORGED_DUE,
            "closed_at": FORGED_DUE,
            "escalation_level": 9,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    c = Complaint.objects.get(pk=response.json()["id"])
    assert c.status == Complaint.Status.OPEN
    assert c.number != "FORGED-1" and c.project_id == world.project.pk
    assert c.closed_at is None and c.escalation_level == 0
    assert all(clock.due_at.year != 2000 for clock in c.clocks.all())


def test_filing_a_permit_ignores_status_and_money(world):
    world.build("permit")
    response = api_client(world.users["frontdesk"]).post(
        "/api/v1/decoration/permits/",
        {
            "unit": world.unit.pk,
            "contractor_name": "恒安装饰工程有限公司",
            "contractor_licence": "JZ-2025-0001",
            "area_m2": "60.00",
            "planned_start": "2025-10-13",
            "items": ["墙面翻新"],
            "owner_signed": True,
            # Not writable:
            "status": "in_progress",
            "deposit_required": "1.00",
            "deposit_balance": "99999.00",
            "deposit_received": "99999.00",
            "review_due_at": FORGED_DUE,
            "project": world.other_project.code,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    p = Permit.objects.get(pk=response.json()["id"])
    assert p.status != Permit.Status.IN_PROGRESS
    assert p.deposit_required != Decimal("1.00") and p.project_id == world.project.pk
    assert not LedgerEntry.objects.filter(permit=p).exists()
    due = getattr(p, "review_due_at", None)
    assert due is None or due.year != 2000


def test_paying_a_fine_takes_the_amount_from_the_fine_not_the_request(world):
    world.build("permit")
    response = api_client(world.users["frontdesk"]).post(
        f"/api/v1/decoration/permits/{world.permit.pk}/pay_fine/",
        {"fine": world.fine.pk, "receipt_no": "FK-0001", "amount": "1.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    paid = LedgerEntry.objects.filter(permit=world.permit).order_by("-id").first()
    assert paid is not None and paid.amount == Decimal("500.00")


def test_requesting_a_loan_ignores_status_and_refuses_a_due_time(world):
    """``due_at`` is writable for maintenance works only (KEY-04): refused here, 400;
    ``status`` and ``approved_by`` are not writable: ignored."""
    world.build("keys")
    key_services_cancel(world)
    client = api_client(world.users["frontdesk"])
    body = {
        "key": world.key.pk,
        "purpose": "抄水表",
        "status": "out",
        "approved_by": world.users["manager"].pk,
    }
    loans = Loan.objects.count()
    refused = client.post("/api/v1/key-loans/", {**body, "due_at": FORGED_DUE}, format="json")
    assert refused.status_code == 400 and Loan.objects.count() == loans
    response = client.post("/api/v1/key-loans/", body, format="json")
    assert response.status_code == 201, response.content
    loan = Loan.objects.get(pk=response.json()["id"])
    assert loan.status == Loan.Status.REQUESTED
    assert loan.requested_due_at is None and loan.approved_by_id is None


def key_services_cancel(world: World) -> None:
    """Cancel the world's open request: one live request per key (KEY-05)."""
    from keys import services

    services.loan_cancel(loan=world.loan, by=world.users["frontdesk"], reason="重新申请")


def test_saving_an_appraisal_ignores_status_and_totals(world):
    world.build("assessment")
    a = world.assessment
    before = (a.status, a.total)
    response = api_client(world.users["manager"]).patch(
        f"/api/v1/appraisal/checks/{a.pk}/",
        {"status": "draft", "total": "100.00", "staff": world.own_assessment.staff_id},
        format="json",
    )
    assert response.status_code in (200, 400, 409), response.content
    a = Assessment.objects.get(pk=a.pk)
    assert (a.status, a.total) == before and a.staff_id == world.assessment.staff_id


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize(
    "path", ["/api/v1/staff/", "/api/v1/staff/{me}/", "/api/v1/residents/{resident}/"]
)
def test_roles_and_residents_cannot_be_written_through_the_api(world, method, path):
    manager = world.users["manager"]
    me = manager.staff_profile.pk
    resident = Resident.objects.filter(user=world.users["owner"]).first()
    url = path.format(me=me, resident=resident.pk)
    before = (sorted(StaffRole.objects.values_list("staff_id", "role")), str(resident.phone))
    response = getattr(api_client(manager), method)(
        url,
        {"roles": ["general_manager", "administrator"], "phone": "+8613000000000"},
        format="json",
    )
    assert response.status_code in (403, 404, 405)
    resident.refresh_from_db()
    assert (sorted(StaffRole.objects.values_list("staff_id", "role")), str(resident.phone)) == (
        before
    )


# --- The count -----------------------------------------------------------------------------

OUT_OF_SCOPE_COMBINATIONS = len(ACTORS) * len(ENDPOINTS)
FIELD_CHECKS = (
    3  # phones
    + len(APPRAISAL_PAGES)
    + 6  # a colleague's appraisal
    + 5  # serializers
    + 3 * 3  # roles and residents
)
COMBINATIONS = OUT_OF_SCOPE_COMBINATIONS + len(FORBIDDEN) + FIELD_CHECKS


def test_the_matrix_size_is_what_the_docstring_says():
    assert f"{COMBINATIONS} combinations" in (__doc__ or "")
    assert f"{OUT_OF_SCOPE_COMBINATIONS} (actor, record, endpoint)" in (__doc__ or "")
