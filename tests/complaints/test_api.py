"""The complaints API (API.md ``complaints/``): filing, scope, actions, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Callback, Channel, Clock, Complaint, Reporter, StandardAnswer
from complaints.services import complaint_contact, complaint_rectify
from servicedesk.core.models import Department, Role
from tests.api import conftest as api_conftest
from tests.complaints.conftest import local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory

Status = Complaint.Status
# The token-client fixture of tests/api, shared here: ``api_as(user)``.
api_as = api_conftest.api_as

URL = "/api/v1/complaints/"

READ_FIELDS = {
    "id",
    "number",
    "kind",
    "status",
    "project",
    "unit",
    "unit_number",
    "reporter_name",
    "reporter_phone",
    "channel",
    "category",
    "severity",
    "urgency_minutes",
    "hot",
    "incident",
    "description",
    "location",
    "expectation",
    "received_at",
    "escalation_level",
    "first_contact_due_at",
    "reply_due_at",
    "rectify_due_at",
    "callback_due_at",
    "closed_at",
    "reporters_count",
    "provisional",
}


def payload(unit, **overrides):
    data = {
        "unit": unit.pk,
        "reporter_name": "陈静",
        "reporter_phone": "13811112222",
        "channel": "phone",
        "category": "facilities",
        "severity": "general",
        "urgency_minutes": 30,
        "description": "厨房水管漏水",
    }
    data.update(overrides)
    return data


def act(client, complaint, name, **data):
    return client.post(f"{URL}{complaint.pk}/{name}/", data, format="json")


@pytest.fixture
def rectified(file_complaint, frontdesk):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已更换水管")
    return c


# --- Filing ------------------------------------------------------------------------------


def test_staff_file_for_a_unit_of_their_project_and_the_first_contact_clock_starts__CMP_03_05(
    api_as, frontdesk, unit
):
    with time_machine.travel(local("2025-03-03 09:00"), tick=False):
        response = api_as(frontdesk).post(URL, payload(unit), format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == READ_FIELDS
    c = Complaint.objects.get(pk=body["id"])
    assert c.received_by == frontdesk and c.project_id == unit.project_id
    assert body["status"] == "open" and body["number"] == c.number
    assert body["channel"] == "phone" and body["category"] == "facilities"
    assert body["first_contact_due_at"] == "2025-03-03T09:30:00+08:00"
    rectify = c.clocks.get(kind=Clock.Kind.RECTIFY).due_at
    assert body["rectify_due_at"] == timezone.localtime(rectify).isoformat()
    assert body["rectify_due_at"].startswith("2025-03-06")  # 3 working days (CMP-07)
    assert body["callback_due_at"] is None and body["closed_at"] is None
    assert body["reporters_count"] == 1 and body["reporter_name"] == "陈静"


def test_staff_may_record_an_earlier_time_of_receipt_but_not_a_future_one(api_as, frontdesk, unit):
    client = api_as(frontdesk)
    with time_machine.travel(local("2025-03-03 09:00"), tick=False):
        earlier = client.post(
            URL, payload(unit, received_at="2025-03-03T08:00:00+08:00"), format="json"
        )
        future = client.post(
            URL, payload(unit, received_at="2025-03-03T11:00:00+08:00"), format="json"
        )

    assert earlier.status_code == 201
    assert earlier.json()["first_contact_due_at"] == "2025-03-03T08:30:00+08:00"
    assert future.status_code == 400 and "received_at" in future.json()


@pytest.mark.parametrize(
    "code", ["visit", "phone", "letter", "email", "online", "press", "forwarded"]
)
def test_every_channel_code_is_accepted__CMP_01(api_as, frontdesk, unit, code):
    response = api_as(frontdesk).post(URL, payload(unit, channel=code), format="json")

    assert response.status_code == 201
    assert response.json()["channel"] == code


def test_bad_input_is_refused_naming_the_field(api_as, frontdesk, unit):
    client = api_as(frontdesk)

    assert "channel" in client.post(URL, payload(unit, channel="fax"), format="json").json()
    assert (
        "urgency_minutes"
        in client.post(URL, payload(unit, urgency_minutes=45), format="json").json()
    )
    assert "severity" in client.post(URL, payload(unit, severity="huge"), format="json").json()
    assert "description" in client.post(URL, payload(unit, description=""), format="json").json()


def test_staff_of_several_projects_must_name_the_unit(api_as, project, other_project, unit):
    both = StaffFactory(roles=[Role.FRONT_DESK], projects=[project, other_project]).user
    data = payload(unit)
    del data["unit"]

    response = api_as(both).post(URL, data, format="json")

    assert response.status_code == 400 and "unit" in response.json()


def test_staff_cannot_file_for_a_unit_of_another_project__ORG_01(api_as, outsider, unit):
    response = api_as(outsider).post(URL, payload(unit), format="json")

    assert response.status_code == 400 and "unit" in response.json()
    assert not Complaint.objects.exists()


def test_a_resident_files_online_for_their_own_unit_as_themselves__CMP_01(api_as, owner, unit):
    response = api_as(owner).post(
        URL,
        {"description": "楼道灯不亮", "category": "facilities", "channel": "phone"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "online" and body["unit"] == unit.pk
    assert body["reporter_name"] == "陈静"
    reporter = Reporter.objects.get(complaint_id=body["id"])
    assert reporter.user == owner and reporter.resident is not None
    assert Complaint.objects.get(pk=body["id"]).received_by is None


def test_the_owner_of_1_101_cannot_file_for_or_see_11_101__ORG_02(
    api_as, owner, unit, file_complaint
):
    other = UnitFactory(building__project=unit.project, building__code="11", number="11-101")
    theirs = file_complaint(unit=other)

    filed = api_as(owner).post(URL, {"unit": other.pk, "description": "x"}, format="json")
    listed = api_as(owner).get(URL)

    assert filed.status_code in (400, 404)
    assert Complaint.objects.filter(unit=other).count() == 1
    assert listed.json()["results"] == []
    assert api_as(owner).get(f"{URL}{theirs.pk}/").status_code == 404


def test_contractors_may_not_file(api_as, project, unit):
    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[]).user

    response = api_as(contractor).post(URL, payload(unit), format="json")

    assert response.status_code == 403


# --- Scope ---------------------------------------------------------------------------------


def test_list_and_detail_are_scoped_to_the_callers_projects__ORG_01(
    api_as, frontdesk, outsider, file_complaint
):
    c = file_complaint()

    mine = api_as(frontdesk).get(URL).json()["results"]
    theirs = api_as(outsider).get(URL).json()["results"]

    assert [row["id"] for row in mine] == [c.pk]
    assert set(mine[0]) == READ_FIELDS
    assert theirs == []
    assert api_as(outsider).get(f"{URL}{c.pk}/").status_code == 404
    assert act(api_as(outsider), c, "contact").status_code == 404


def test_the_list_costs_the_same_queries_for_3_or_30_rows(api_as, frontdesk, file_complaint):
    client = api_as(frontdesk)
    client.get(URL)  # warm the token and scope caches

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        file_complaint()
    few = count_queries()
    for _ in range(27):
        file_complaint()
    many = count_queries()

    assert few == many
    assert len(client.get(URL).json()["results"]) == 30


def test_filters_narrow_the_list(api_as, frontdesk, file_complaint, supervisor):
    major = file_complaint(severity="major")
    general = file_complaint(received_at=timezone.now() - timedelta(hours=3))
    by_supervisor = file_complaint(by=supervisor)
    client = api_as(frontdesk)

    def ids(query: str) -> set[int]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("severity=major") == {major.pk}
    assert ids("overdue=true") == {general.pk}
    assert ids("mine=true") == {major.pk, general.pk}
    assert ids("mine=false") == {by_supervisor.pk}
    assert ids("building=1") == {major.pk, general.pk, by_supervisor.pk}
    assert ids("category=emergency") == set()
    assert ids("status=open&kind=complaint") == {major.pk, general.pk, by_supervisor.pk}
    today = timezone.localdate()
    assert ids(f"received_from={today}&received_to={today}") >= {major.pk}


# --- Actions ---------------------------------------------------------------------------------


def test_contact_moves_to_contacted_and_returns_the_representation__CMP_05(
    api_as, frontdesk, file_complaint
):
    c = file_complaint()

    response = act(api_as(frontdesk), c, "contact", note="已电话联系")

    assert response.status_code == 200
    assert set(response.json()) == READ_FIELDS
    assert response.json()["status"] == "contacted"


def test_reply_needs_text__CMP_06(api_as, frontdesk, file_complaint):
    c = file_complaint()

    response = act(api_as(frontdesk), c, "reply")

    assert response.status_code == 400 and "text" in response.json()


def test_a_promised_reply_time_in_the_past_is_refused_naming_the_field__CMP_06(
    api_as, frontdesk, file_complaint
):
    c = file_complaint()
    past = (timezone.now() - timedelta(hours=1)).isoformat()

    response = act(api_as(frontdesk), c, "reply", text="稍后答复", promised_at=past)

    assert response.status_code == 400 and "promised_at" in response.json()


def test_replying_with_a_standard_answer_counts_its_use__CMP_15(api_as, frontdesk, file_complaint):
    answer = StandardAnswer.objects.create(title="停水通知", text="因管道检修，今日停水。")
    c = file_complaint()

    response = act(api_as(frontdesk), c, "reply", text=answer.text, standard_answer=answer.pk)

    assert response.status_code == 200
    answer.refresh_from_db()
    assert answer.use_count == 1


def test_rectify_before_contact_is_a_conflict__CMP_07(api_as, frontdesk, file_complaint):
    c = file_complaint()

    response = act(api_as(frontdesk), c, "rectify", note="已修复")

    assert response.status_code == 409


def test_rectify_needs_a_note_and_starts_the_callback_clock__CMP_12(
    api_as, frontdesk, file_complaint
):
    c = file_complaint()
    client = api_as(frontdesk)
    act(client, c, "contact")

    assert "note" in act(client, c, "rectify").json()
    response = act(client, c, "rectify", note="已更换水管")

    assert response.status_code == 200
    assert response.json()["status"] == "rectified"
    assert response.json()["callback_due_at"] is not None


def test_extend_moves_the_rectification_deadline__CMP_10(api_as, frontdesk, file_complaint):
    c = file_complaint()
    old = c.clocks.get(kind=Clock.Kind.RECTIFY).due_at
    new = timezone.localtime(old + timedelta(days=2))

    response = act(
        api_as(frontdesk),
        c,
        "extend",
        new_due_at=new.isoformat(),
        reason="配件缺货",
        agreed_by="陈静",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["rectify_due_at"] == new.isoformat()
    assert c.extensions.get().old_due_at == old


def test_extend_to_a_past_time_or_without_reason_is_refused_naming_the_field__CMP_10(
    api_as, frontdesk, file_complaint
):
    c = file_complaint()
    client = api_as(frontdesk)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    later = (timezone.now() + timedelta(days=10)).isoformat()

    assert "new_due_at" in act(client, c, "extend", new_due_at=past, reason="x").json()
    assert "reason" in act(client, c, "extend", new_due_at=later, reason="").json()


def test_extend_after_rectification_is_a_conflict__CMP_10(api_as, frontdesk, rectified):
    later = (timezone.now() + timedelta(days=10)).isoformat()

    response = act(api_as(frontdesk), rectified, "extend", new_due_at=later, reason="x")

    assert response.status_code == 409


def test_a_satisfied_callback_closes_the_complaint__CMP_13(api_as, frontdesk, rectified):
    response = act(api_as(frontdesk), rectified, "callback", satisfied=True, note="很满意")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "closed" and body["closed_at"] is not None
    assert rectified.callbacks.get().result == "satisfied"


def test_an_unsatisfied_callback_reopens_rectification__CMP_13(api_as, frontdesk, rectified):
    response = act(api_as(frontdesk), rectified, "callback", satisfied=False, note="还在漏")

    assert response.status_code == 200
    assert response.json()["status"] == "contacted"
    assert response.json()["closed_at"] is None
    assert rectified.clocks.get(kind=Clock.Kind.RECTIFY).done_at is None


def test_an_unanswered_callback_changes_nothing__CMP_12(api_as, frontdesk, rectified):
    response = act(api_as(frontdesk), rectified, "callback", outcome="no_answer", note="无人接听")

    assert response.status_code == 200 and response.json()["status"] == "rectified"
    assert rectified.callbacks.get().outcome == "no_answer"


def test_a_callback_needs_the_verdict_and_a_rectified_record__CMP_12(
    api_as, frontdesk, file_complaint, rectified
):
    client = api_as(frontdesk)

    assert "satisfied" in act(client, rectified, "callback", note="x").json()
    assert act(client, file_complaint(), "callback", satisfied=True).status_code == 409


def test_the_owner_confirms_the_callback_online__CMP_12(api_as, owner, rectified):
    response = act(api_as(owner), rectified, "callback", result="basically", note="基本满意")

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    callback = rectified.callbacks.get()
    assert (callback.confirmation, callback.result) == (Callback.Confirmation.PORTAL, "basically")


def test_residents_may_not_take_staff_actions(api_as, owner, file_complaint):
    c = file_complaint()

    assert act(api_as(owner), c, "contact").status_code == 403
    assert api_as(owner).get(f"{URL}stats/").status_code == 403


def test_merge_keeps_every_reporter_on_the_master__CMP_14(api_as, frontdesk, file_complaint):
    master = file_complaint()
    dup = file_complaint(reporter_name="王芳", reporter_phone="13900001111")

    response = act(api_as(frontdesk), dup, "merge", into=master.pk)

    assert response.status_code == 200
    assert response.json()["status"] == "merged"
    detail = api_as(frontdesk).get(f"{URL}{master.pk}/").json()
    assert detail["reporters_count"] == 2


def test_merge_into_an_invisible_record_is_refused__ORG_01(
    api_as, frontdesk, file_complaint, other_project
):
    dup = file_complaint()
    elsewhere = UnitFactory(building__project=other_project, number="2-201")
    hidden = file_complaint(project=other_project, unit=elsewhere)

    response = act(api_as(frontdesk), dup, "merge", into=hidden.pk)

    assert response.status_code in (400, 404)
    dup.refresh_from_db()
    assert dup.status == Status.OPEN


def test_merging_a_closed_record_is_a_conflict__CMP_14(
    api_as, frontdesk, file_complaint, rectified
):
    act(api_as(frontdesk), rectified, "callback", satisfied=True)
    other = file_complaint()

    assert act(api_as(frontdesk), other, "merge", into=rectified.pk).status_code == 409


def test_the_record_pdf_is_served_to_staff_only__CMP_03(api_as, frontdesk, owner, file_complaint):
    pytest.importorskip("complaints.pdf", reason="complaints.pdf.complaint_record_pdf missing")
    c = file_complaint()

    response = api_as(frontdesk).get(f"{URL}{c.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert api_as(owner).get(f"{URL}{c.pk}/pdf/").status_code == 403


def test_an_unknown_user_without_roles_sees_nothing(api_as, file_complaint):
    file_complaint()
    nobody = UserFactory(username="nobody")

    assert api_as(nobody).get(URL).status_code == 403
    assert api_as(None).get(URL).status_code in (401, 403)


def test_a_co_resident_sees_the_units_complaints_but_only_confirms_rectified_ones(
    api_as, unit, file_complaint
):
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, name="刘洋", user=tenant, kind="tenant")
    c = file_complaint()

    assert api_as(tenant).get(f"{URL}{c.pk}/").status_code == 200
    assert act(api_as(tenant), c, "callback", satisfied=True).status_code == 409
    assert Channel.objects.filter(code="online").exists()


def test_a_consultation_closes_when_answered__CMP_06(api_as, frontdesk, unit):
    client = api_as(frontdesk)
    filed = client.post(URL, payload(unit, kind="consultation"), format="json").json()

    assert filed["kind"] == "consultation" and filed["first_contact_due_at"] is None
    assert filed["number"].startswith("ZX")
    c = Complaint.objects.get(pk=filed["id"])
    response = act(client, c, "reply", text="物业费可通过业主门户缴纳。")

    assert response.json()["status"] == "closed"


# --- Survey opinions (CMP-20) and paid services (CMP-21) ------------------------------


def test_an_opinion_is_sent_to_its_department_and_its_plan_recorded__CMP_20(
    api_as, manager, file_complaint
):
    engineering = Department.objects.create(code="engineering", name="工程部")
    c = file_complaint(kind="opinion", description="希望增加夜间巡逻频次")
    client = api_as(manager)

    early_plan = act(client, c, "opinion_plan", plan="方案")
    no_summary = act(client, c, "send_to_department", department=engineering.pk, summary="")
    unknown = act(client, c, "send_to_department", department=999999, summary="汇总")
    sent = act(client, c, "send_to_department", department=engineering.pk, summary="3 户反映")
    again = act(client, c, "send_to_department", department=engineering.pk, summary="再送")
    empty_plan = act(client, c, "opinion_plan", plan="")
    planned = act(client, c, "opinion_plan", plan="夜间巡逻由 2 次增至 4 次")

    assert early_plan.status_code == 409
    assert no_summary.status_code == 400 and "summary" in no_summary.json()
    assert unknown.status_code == 400 and "department" in unknown.json()
    assert sent.status_code == 200 and sent.json()["status"] == "contacted"
    assert set(sent.json()) == READ_FIELDS
    assert again.status_code == 409
    assert empty_plan.status_code == 400 and "plan" in empty_plan.json()
    assert planned.status_code == 200
    assert api_as(manager).get(f"{URL}{c.pk}/").json()["department"] == engineering.pk
    assert not c.clocks.filter(kind=Clock.Kind.OPINION_PLAN, done_at__isnull=True).exists()


def test_a_paid_service_payment_notice_comes_before_the_callback__CMP_21(
    api_as, frontdesk, file_complaint
):
    c = file_complaint(kind="paid_service", description="代为清洗油烟机", category=None)
    client = api_as(frontdesk)
    too_early = act(client, c, "payment_notice", fee="150.00")
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已清洗完毕")

    callback_first = act(client, c, "callback", satisfied=True, confirmation="phone")
    three_places = act(client, c, "payment_notice", fee="10.005")
    negative = act(client, c, "payment_notice", fee="-1")
    notice = act(client, c, "payment_notice", fee="150.00")
    callback = act(client, c, "callback", satisfied=True, confirmation="phone")

    assert too_early.status_code == 409
    assert callback_first.status_code == 409
    assert three_places.status_code == 400 and "fee" in three_places.json()
    assert negative.status_code == 400 and "fee" in negative.json()
    assert notice.status_code == 200
    detail = client.get(f"{URL}{c.pk}/").json()
    assert callback.status_code == 200 and callback.json()["status"] == "closed"
    assert detail["fee"] == "150.00" and detail["payment_notice_at"] is not None
    assert detail["kind"] == "paid_service" and detail["number"].startswith("TY-")


def test_residents_and_other_projects_cannot_use_the_cmp_20_21_actions(
    api_as, owner, outsider, file_complaint
):
    engineering = Department.objects.create(code="engineering", name="工程部")
    c = file_complaint(kind="opinion")
    data = {"department": engineering.pk, "summary": "汇总"}

    assert act(api_as(owner), c, "send_to_department", **data).status_code == 403
    assert act(api_as(outsider), c, "send_to_department", **data).status_code == 404
    assert act(api_as(owner), c, "payment_notice", fee="1.00").status_code == 403
    c.refresh_from_db()
    assert c.status == Status.OPEN


def test_an_owner_cannot_file_staff_only_kinds_online__CMP_01(api_as, owner, unit):
    client = api_as(owner)

    response = client.post(
        "/api/v1/complaints/",
        {"unit": unit.pk, "kind": "paid_service", "description": "代清洗油烟机"},
        format="json",
    )

    assert response.status_code == 400 and "kind" in response.json()


def test_the_fast_list_rows_equal_the_general_serializer_output(file_complaint, frontdesk):
    """The hand-built list row must say exactly what DRF's fields would say."""
    from complaints import selectors
    from complaints.api.serializers import ComplaintSerializer

    class General(ComplaintSerializer):
        class Meta(ComplaintSerializer.Meta):
            pass

    c = file_complaint(hot=True)
    complaint_contact(complaint=c, by=frontdesk)
    row = selectors.complaint_list(frontdesk).get(pk=c.pk)

    fast = ComplaintSerializer(row).data
    general = General(row).data

    assert fast == general
    assert list(fast) == ComplaintSerializer.Meta.fields
    assert fast["received_at"].endswith("+08:00")


def test_a_list_page_filled_in_one_query_says_what_the_annotated_row_says(
    file_complaint, frontdesk, django_assert_num_queries
):
    from complaints import selectors
    from complaints.api.serializers import ComplaintSerializer
    from complaints.services import complaint_merge

    master = file_complaint(hot=True, reporter_name="陈静")
    duplicate = file_complaint(reporter_name="王珺")
    complaint_merge(complaint=duplicate, into=master, by=frontdesk)
    plain = file_complaint(kind="consultation", unit=None)

    annotated = {r.pk: ComplaintSerializer(r).data for r in selectors.complaint_list(frontdesk)}
    rows = list(selectors.complaint_page(frontdesk))
    with django_assert_num_queries(1):
        selectors.complaint_rows_fill(rows)

    assert {r.pk: ComplaintSerializer(r).data for r in rows} == annotated
    assert annotated[master.pk]["reporters_count"] == 2 and plain.pk in annotated
