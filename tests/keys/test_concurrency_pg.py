"""KEY-05 under real parallel transactions on PostgreSQL: two desks asking for, or
handing out, the same key at the same moment give one loan.

Each worker thread has its own database connection (Django's connections are per
thread) and closes it when done, so the test database can be dropped afterwards.
A barrier releases both threads together; the services' row lock and the partial
unique index ``loan_one_live_per_key`` decide which one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections

from keys import services
from keys.models import Key, Loan
from servicedesk.core.models import Event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real parallel transactions, row locks and partial unique indexes",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``calls`` in parallel threads released by one barrier; return (results, errors)."""
    barrier = threading.Barrier(len(calls), timeout=10)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except BaseException as exc:  # reported to the test below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    return results, errors


def events(loan_id: int, action: str) -> int:
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=str(loan_id), action=action
    ).count()


def test_two_concurrent_requests_for_one_key_give_one_loan__KEY_05(public_key, frontdesk, duty):
    def request(user_id: int, purpose: str) -> Callable[[], Loan]:
        def call() -> Loan:
            # Fresh rows per thread: nothing is shared between the two transactions.
            return services.loan_request(
                key=Key.objects.select_related("project").get(pk=public_key.pk),
                purpose=purpose,
                by=User.objects.get(pk=user_id),
            )

        return call

    results, errors = run_together(
        request(frontdesk.pk, "维修天台水箱"), request(duty.pk, "检查避雷带")
    )

    assert len(results) == 1, errors
    assert len(errors) == 1
    assert isinstance(errors[0], services.InvalidTransition), repr(errors[0])
    loan = Loan.objects.get(key=public_key)
    assert loan.pk == results[0].pk
    assert loan.status == Loan.Status.REQUESTED
    assert events(loan.pk, "requested") == 1
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.AVAILABLE


def test_checking_out_one_approved_loan_twice_at_once_hands_the_key_over_once__KEY_05(
    public_key, request_loan, manager, frontdesk, duty
):
    loan = request_loan(public_key)
    services.loan_approve(loan=loan, by=manager)

    def checkout(user_id: int) -> Callable[[], Loan]:
        def call() -> Loan:
            return services.loan_checkout(
                loan=Loan.objects.get(pk=loan.pk), by=User.objects.get(pk=user_id)
            )

        return call

    results, errors = run_together(checkout(frontdesk.pk), checkout(duty.pk))

    assert len(results) == 1, errors
    assert len(errors) == 1
    assert isinstance(errors[0], services.InvalidTransition), repr(errors[0])
    loan.refresh_from_db()
    assert loan.status == Loan.Status.OUT
    assert loan.out_by_id == results[0].out_by_id
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.ON_LOAN
    assert events(loan.pk, "out") == 1
    assert Loan.objects.filter(key=public_key).count() == 1
