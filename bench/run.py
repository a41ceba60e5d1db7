"""API benchmarks. Run from the repo root: ``python bench/run.py``.

Uses ``DATABASE_URL`` if set (e.g. postgres://postgres@127.0.0.1:5432/servicedesk_bench),
else a private SQLite file ``var/bench.sqlite3``. Migrates, seeds the SCALE project
(``seed_scale``) and measures, through Django's test Client with a staff token:
- baseline: GET /api/v1/units/ (50 of 100 000 units), median/p95 and query count;
- deep cursor: the 50th page, reached by following ``next``;
- residents list (50 rows with nested emergency contacts);
- COUNT(*) of the units table, for reference (the cursor pagination never runs it);
- complaints (100 000 in SCALE, 10 000 overdue; ``complaints/scale.py``): the
  list API and the desk's list page against the units baseline of the same run
  (ratio printed), and one ``sweep_deadlines`` over them: time and queries, on a
  fresh state inside a transaction that is rolled back (``--no-complaints`` skips).
- visitors (200 000 past visits in SCALE, ~50 inside; ``visitors/scale.py``):
  registering a visitor through POST /api/v1/visits/ (inside a transaction that
  is rolled back) and the "inside now" list GET /api/v1/visits/?inside=true,
  plus the first page and today's log, against the units baseline
  (``--no-visitors`` skips).
- keys (20 000 keys and 1 000 loans in SCALE, 20 overdue; ``keys/scale.py``): the
  key board page ``/keys/`` (plain, ``?q=`` tag prefix and exact room, ``?status=on_loan``)
  and the API lists ``/api/v1/keys/`` and ``/api/v1/key-loans/``, against the units
  baseline, plus the keys' deadline checks on a fresh state, rolled back
  (``--no-keys`` skips).
- appraisal (500 + 50 staff, 24 months of monthly appraisals each;
  ``appraisal/scale.py``): the monthly dashboard page ``/appraisal/`` of the
  500-person and of the 50-person department as their manager (same query count
  asserted), ``selectors.monthly_dashboard`` alone, and the
  ``/api/v1/appraisal/checks/`` list, each timed in alternation with the units
  page 1 and compared with that (``--no-appraisal`` skips).

``--only keys,visitors`` runs only the named sections (units, visitors,
complaints, keys, appraisal); the units page-1 baseline is always measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from servicedesk.core.models import StaffProfile, Unit  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return (median, p95) in milliseconds over ``runs`` calls after 3 warm-ups."""
    for _ in range(3):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def timed_with(
    base: Callable[[], object], fn: Callable[[], object], runs: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``timed`` of ``base`` and of ``fn``, called in alternation: on a shared host
    the load swings within a minute, so a ratio is fair only if both saw it."""
    for _ in range(3):
        base()
        fn()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, out in zip((base, fn), samples, strict=True):
            start = time.perf_counter()
            call()
            out.append((time.perf_counter() - start) * 1000)
    figures = []
    for out in samples:
        out.sort()
        figures.append((statistics.median(out), out[min(len(out) - 1, int(len(out) * 0.95))]))
    return figures[0], figures[1]


def queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


SECTIONS = ("units", "visitors", "complaints", "keys", "appraisal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-complaints", action="store_true", help="skip the complaint rows")
    parser.add_argument("--no-visitors", action="store_true", help="skip the visitor benchmarks")
    parser.add_argument("--no-keys", action="store_true", help="skip the key custody benchmarks")
    parser.add_argument(
        "--no-appraisal", action="store_true", help="skip the staff appraisal benchmarks"
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated sections to run ({','.join(SECTIONS)}); default all. "
        "The units page-1 baseline always runs.",
    )
    args = parser.parse_args()
    only = set(SECTIONS) if not args.only else {s.strip() for s in args.only.split(",")}
    if only - set(SECTIONS):
        parser.error(f"--only: unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}")

    def wanted(section: str) -> bool:
        return section in only and not getattr(args, f"no_{section}", False)

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seed_scale", units=args.units, residents=args.residents)
    print(f"seed_scale: {time.perf_counter() - start:.1f} s")

    staff = StaffProfile.objects.get(user__username="scale_frontdesk")
    token, _ = Token.objects.get_or_create(user=staff.user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    vendor = connection.vendor
    print(f"database: {vendor}; units in table: {Unit.objects.count()}; runs: {args.runs}")

    def get(url: str) -> dict:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response.json()

    first = "/api/v1/units/"
    if len(get(first)["results"]) != 50:
        raise SystemExit("expected 50 rows on the first page")

    rows = [("units list, page 1 (50 rows)", lambda: get(first))]
    if wanted("units"):
        url: str = first
        for _ in range(49):
            url = get(url)["next"]
        deep = url
        rows += [
            ("units list, page 50 via cursor", lambda: get(deep)),
            ("units list, filter number=3-1502", lambda: get("/api/v1/units/?number=3-1502")),
            ("residents list, page 1 (50 rows)", lambda: get("/api/v1/residents/")),
        ]
    print(f"{'benchmark':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    results: dict[str, tuple[float, float, int]] = {}
    for name, fn in rows:
        median, p95 = timed(fn, args.runs)
        results[name] = (median, p95, queries(fn))
        print(f"{name:40} {median:10.2f} {p95:8.2f} {results[name][2]:8d}")

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM core_unit")
            return int(cursor.fetchone()[0])

    if wanted("units"):
        median, p95 = timed(count, args.runs)
        print(f"{'COUNT(*) core_unit (reference)':40} {median:10.2f} {p95:8.2f} {1:8d}")

    baseline = results["units list, page 1 (50 rows)"]
    if wanted("visitors"):
        bench_visitors(client, baseline, args.runs)

    if wanted("complaints"):
        bench_complaints(client, staff, baseline, args.runs, units=lambda: get(first))

    if wanted("keys"):
        bench_keys(client, staff, baseline, args.runs)

    if wanted("appraisal"):
        bench_appraisal(lambda: get(first), baseline, args.runs)


def bench_complaints(
    api: Client,
    staff: StaffProfile,
    baseline: tuple[float, float, int],
    runs: int,
    *,
    units: Callable[[], object],
) -> None:
    """Complaint list API and page against the units baseline, each timed in
    alternation with the units page 1 (``units``) so both see the same load;
    one deadline sweep."""
    from complaints.models import Clock, Complaint

    base_queries = baseline[2]
    now = timezone.now()
    total = Complaint.objects.filter(project__code="SCALE").count()
    overdue = Clock.objects.filter(
        complaint__project__code="SCALE", done_at__isnull=True, due_at__lte=now
    ).count()
    print(f"\ncomplaints in SCALE: {total}; overdue clocks: {overdue}")
    page = Client()
    page.force_login(staff.user)
    # The desk's search box with the number of the oldest record: the case that
    # walked every complaint newest first before the trigram index.
    oldest = (
        Complaint.objects.filter(project__code="SCALE").order_by("id").values_list("number")[:1]
    )
    search = f"/complaints/?status=all&q={oldest[0][0] if oldest else 'none'}"
    targets = [
        ("complaints API list, page 1", api, "/api/v1/complaints/"),
        ("complaints list page /complaints/", page, "/complaints/"),
        ("complaints page, search oldest number", page, search),
    ]
    header = f"{'benchmark':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'x units':>8}"
    print(header)
    for name, who, url in targets:
        status = who.get(url).status_code
        if status != 200:
            print(f"{name:40} not available here (HTTP {status}); nothing measured")
            continue

        def fetch(who: Client = who, url: str = url) -> None:
            who.get(url)

        (alongside, alongside_p95), (median, p95) = timed_with(units, fetch, runs)
        n = queries(fetch)
        print(
            f"{name:40} {median:10.2f} {p95:8.2f} {n:8d} {median / alongside:7.2f}x"
            f"   (units alongside {alongside:.2f} ms, {base_queries} queries; p95 "
            f"{p95 / alongside_p95:.2f}x)"
        )
    sweep_once(now)


class _Rollback(Exception):
    pass


def bench_visitors(api: Client, baseline: tuple[float, float, int], runs: int) -> None:
    """Registering a visitor and the visitor lists (VIS) against the units baseline.

    Registrations run inside one transaction that is rolled back: SCALE keeps
    its 200 000 + ~50 visits, and no event-log rows (which would make
    ``seed_scale --reset`` refuse). The service's own ``atomic`` is then a
    savepoint, so the figure excludes the COMMIT (fsync) of a real request.
    """
    from visitors.identity import check_char
    from visitors.models import Visit

    base_median, _, base_queries = baseline
    total = Visit.objects.filter(project__code="SCALE").count()
    inside = Visit.objects.filter(project__code="SCALE", status=Visit.Status.INSIDE).count()
    print(f"\nvisits in SCALE: {total}; inside now: {inside}")
    header = f"{'benchmark':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'x units':>8}"
    print(header)

    def line(name: str, median: float, p95: float, n: int, extra: str = "") -> None:
        print(f"{name:40} {median:10.2f} {p95:8.2f} {n:8d} {median / base_median:7.2f}x{extra}")

    today = timezone.localdate().isoformat()
    lists = [
        ("visits API inside now (?inside=true)", "/api/v1/visits/?inside=true"),
        ("visits API list, page 1 (50 rows)", "/api/v1/visits/"),
        ("visits API today's log (?date=today)", f"/api/v1/visits/?date={today}"),
    ]
    for name, url in lists:
        response = api.get(url)
        if response.status_code != 200:
            print(f"{name:40} not available here (HTTP {response.status_code})")
            continue
        rows = len(response.json()["results"])

        def fetch(url: str = url) -> None:
            api.get(url)

        median, p95 = timed(fetch, runs)
        line(
            name,
            median,
            p95,
            queries(fetch),
            f"   ({rows} rows; units {base_median:.2f} ms, {base_queries} queries)",
        )

    unit_id = Unit.objects.filter(project__code="SCALE").order_by("id").values_list("id", flat=True)
    first17 = "11010519850312012"
    body = json.dumps(
        {
            "visitor_name": "张伟",
            "id_type": "resident_id",
            "id_number": first17 + check_char(first17),
            "host_unit": unit_id[0],
            "purpose": "探亲",
            "phone": "13812345678",
        }
    )

    def register() -> None:
        response = api.post("/api/v1/visits/", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(
                f"POST /api/v1/visits/: HTTP {response.status_code} {response.content!r}"
            )

    try:
        with transaction.atomic():
            median, p95 = timed(register, runs)
            line("visits API register (POST, rolled back)", median, p95, queries(register))
            raise _Rollback
    except _Rollback:
        pass


def bench_keys(
    api: Client, staff: StaffProfile, baseline: tuple[float, float, int], runs: int
) -> None:
    """The key board and the key APIs over 20 000 keys against the units baseline (KEY).

    Each target is requested twice more to count its queries: the count must
    not depend on the number of keys (the board's counts, its page and the
    loan out now come in a fixed number of queries; ``keys/selectors.py``).
    A page or API not written yet (404, or the placeholder stub) is skipped.
    Then the keys' deadline checks run on a fresh state and are rolled back.
    """
    from keys.models import Key, Loan

    base_median, base_p95, base_queries = baseline
    now = timezone.now()
    keys = Key.objects.filter(project__code="SCALE")
    total = keys.count()
    on_loan = keys.filter(status=Key.Status.ON_LOAN).count()
    overdue = Loan.objects.filter(
        project__code="SCALE", status=Loan.Status.OUT, due_at__lt=now
    ).count()
    print(f"\nkeys in SCALE: {total}; on loan: {on_loan}; overdue loans: {overdue}")
    room = (
        keys.filter(kind=Key.Kind.OWNER_SPARE, unit__isnull=False)
        .order_by("tag")
        .values_list("unit__number", flat=True)
        .first()
        or "1-101"
    )
    page = Client()
    page.force_login(staff.user)
    targets = [
        ("keys board /keys/", page, "/keys/"),
        ("keys board ?q=G-001 (tag prefix)", page, "/keys/?q=G-001"),
        (f"keys board ?q={room} (room)", page, f"/keys/?q={room}"),
        ("keys board ?status=on_loan", page, "/keys/?status=on_loan"),
        ("keys API list, page 1", api, "/api/v1/keys/"),
        (f"keys API ?search={room}", api, f"/api/v1/keys/?search={room}"),
        ("keys API ?status=on_loan", api, "/api/v1/keys/?status=on_loan"),
        ("key-loans API list, page 1", api, "/api/v1/key-loans/"),
        ("key-loans API ?status=out", api, "/api/v1/key-loans/?status=out"),
    ]
    header = f"{'benchmark':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'x units':>8}"
    print(header)
    for name, who, url in targets:
        response = who.get(url)
        if response.status_code != 200 or len(response.content) < 300:
            print(
                f"{name:40} not available here (HTTP {response.status_code}, "
                f"{len(response.content)} bytes); nothing measured"
            )
            continue
        rows = ""
        if response["Content-Type"].startswith("application/json"):
            rows = f"{len(response.json().get('results', []))} rows; "

        def fetch(who: Client = who, url: str = url) -> None:
            who.get(url)

        median, p95 = timed(fetch, runs)
        n = queries(fetch)
        print(
            f"{name:40} {median:10.2f} {p95:8.2f} {n:8d} {median / base_median:7.2f}x"
            f"   ({rows}units {base_median:.2f} ms, {base_queries} queries; p95 "
            f"{p95 / base_p95:.2f}x)"
        )
    sweep_once(now, prefix="keys.")


def bench_appraisal(
    units: Callable[[], object], baseline: tuple[float, float, int], runs: int
) -> None:
    """The monthly dashboard (APR-10) of 500 and of 50 people against the units baseline.

    Each manager opens their own department's board for the latest month of the
    data (session login, full middleware and template). The two query counts
    must be equal: the board's cost in queries must not grow with the
    department (``selectors.monthly_dashboard``). The board's table shows 50
    people a page, its counts cover all; the page is checked for both. Also
    timed: the 500-person board of the month after (nobody appraised yet: every
    row on screen has a start link), the selector alone and the
    ``appraisal/checks/`` API page (the manager's token). Each target is timed
    in alternation with the units page 1 (``units``), and its ratio is to that.
    Boards are served from ``appraisal.dashboard_cache`` once computed; each is
    also timed "cold", with the cache emptied before every request.
    """
    import re

    from appraisal import dashboard_cache, selectors, services
    from appraisal.models import Assessment, Kind
    from appraisal.scale import DEPARTMENTS
    from appraisal.views import DASHBOARD_PAGE
    from servicedesk.core.models import Department

    base_queries = baseline[2]
    boards = []
    for code, _name, username, _count, _prefix in DEPARTMENTS:
        department = Department.objects.get(code=code)
        manager = StaffProfile.objects.select_related("user").get(user__username=username)
        month = (
            Assessment.objects.filter(department=department, kind=Kind.MONTHLY)
            .order_by("-period")
            .values_list("period", flat=True)
            .first()
        )
        if month is None:
            print(f"\nno appraisals in {code}; nothing measured")
            return
        staff_in = StaffProfile.objects.filter(department=department).exclude(user=manager.user)
        boards.append((department, manager, month, staff_in.count()))
    records = Assessment.objects.filter(department__in=[b[0] for b in boards]).count()
    print(
        f"\nappraisal in SCALE: {' + '.join(str(b[3]) for b in boards)} people, "
        f"{records} records; board month {boards[0][2]:%Y-%m}"
    )
    header = f"{'benchmark':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'x units':>8}"
    print(header)

    def measure(name: str, fn: Callable[[], object], extra: str = "") -> int:
        (base_median, base_p95), (median, p95) = timed_with(units, fn, runs)
        n = queries(fn)
        print(
            f"{name:40} {median:10.2f} {p95:8.2f} {n:8d} {median / base_median:7.2f}x"
            f"   ({extra}units alongside {base_median:.2f} ms, {base_queries} queries; "
            f"p95 {p95 / base_p95:.2f}x)"
        )
        return n

    def board(label: str, manager: StaffProfile, url: str, people: int, appraised: int) -> int:
        page = Client()
        page.force_login(manager.user)
        response = page.get(url)
        html = response.content.decode()
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        shown = html.count("data-staff=")
        count = re.search(r'data-testid="appraised-count">(\d+) / (\d+)<', html)
        if shown != min(people, DASHBOARD_PAGE) or not count:
            raise SystemExit(f"{url}: {shown} rows on the board, expected {people}")
        if (int(count[1]), int(count[2])) != (appraised, people):
            raise SystemExit(f"{url}: appraised {count[1]} / {count[2]}, expected {people}")
        size = f"{shown} rows, {len(response.content) // 1024} KB; "
        warm = measure(label, lambda: page.get(url), size)

        def cold() -> object:
            dashboard_cache.invalidate()
            return page.get(url)

        measure(f"{label} (cold)", cold, "cache emptied first; ")
        return warm

    counts = {}
    for department, manager, month, people in boards:
        url = f"/appraisal/?department={department.pk}&month={month:%Y-%m}"
        counts[people] = board(
            f"appraisal dashboard, {people} people", manager, url, people, people
        )
    small, big = min(counts), max(counts)
    verdict = "same" if counts[big] == counts[small] else "DIFFERENT"
    label = f"  queries, {small} vs {big} people"
    print(f"{label:40} {counts[small]:>10} {counts[big]:>8}   {verdict}")
    if counts[big] != counts[small]:
        raise SystemExit("the dashboard's query count grows with the department")

    department, manager, month, people = boards[0]
    after = selectors.add_months(month, 1)
    url = f"/appraisal/?department={department.pk}&month={after:%Y-%m}"
    board(f"  same, {after:%Y-%m} (none appraised)", manager, url, people, 0)

    staff = services.visible_staff(manager.user).filter(department=department)
    staff = staff.exclude(user_id=manager.user.pk)
    measure(
        f"monthly_dashboard(), {people} people",
        lambda: selectors.monthly_dashboard(staff, month),
        "selector; ",
    )

    token, _ = Token.objects.get_or_create(user=manager.user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = "/api/v1/appraisal/checks/"
    response = api.get(url)
    if response.status_code != 200:
        print(f"{'appraisal/checks API list, page 1':40} HTTP {response.status_code}; skipped")
        return
    rows = f"{len(response.json()['results'])} rows; "
    measure("appraisal/checks API list, page 1", lambda: api.get(url), rows)


def sweep_once(now: datetime, prefix: str = "") -> None:
    """Run ``sweep_deadlines`` twice on a fresh state, then roll everything back.

    The first run escalates every overdue clock (one event and notification
    each); the second must find nothing (CMP-11: once per missed deadline).
    ``prefix`` limits it to the checks whose name starts with it (e.g. "keys.").
    """
    from servicedesk.deadlines.registry import registered_checks
    from servicedesk.deadlines.sweep import run_sweep

    print(f"{'sweep_deadlines (per check)':40} {'seconds':>10} {'acted':>8} {'queries':>8}")
    try:
        with transaction.atomic():
            for label in ("first run (fresh state)", "second run (idempotent)"):
                total_s, total_q, total_acted = 0.0, 0, 0
                for check in registered_checks():
                    if not check.name.startswith(prefix):
                        continue
                    with CaptureQueriesContext(connection) as ctx:
                        start = time.perf_counter()
                        (outcome,) = run_sweep(now, only=[check.name])
                        seconds = time.perf_counter() - start
                    total_s, total_q = total_s + seconds, total_q + len(ctx)
                    total_acted += outcome.acted
                    error = f" ERROR {outcome.error}" if outcome.error else ""
                    print(
                        f"  {check.name:38} {seconds:10.2f} {outcome.acted:8d} {len(ctx):8d}{error}"
                    )
                print(f"sweep, {label:33} {total_s:10.2f} {total_acted:8d} {total_q:8d}")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    main()
