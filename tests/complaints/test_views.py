"""The front-desk console: intake, lookup, queue, detail and its actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Callback, Category, Channel, Clock, Complaint, StandardAnswer
from complaints.services import complaint_contact, complaint_rectify
from complaints.views import countdown
from servicedesk.core.models import Department, Role
from tests.factories import ResidentFactory, StaffFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, frontdesk):
    client.force_login(frontdesk)
    return client


def intake_data(unit=None, **overrides):
    data = {
        "unit": unit.pk if unit else "",
        "reporter_name": "陈静",
        "reporter_phone": "13811112222",
        "kind": "complaint",
        "channel": Channel.objects.get(code="phone").pk,
        "category": Category.objects.get(code="facilities").pk,
        "severity": "general",
        "urgency": 2,
        "description": "厨房水管漏水",
        "location": "厨房",
        "expectation": "今天修好",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    from complaints.models import UrgencyLevel

    data["urgency"] = UrgencyLevel.objects.get(minutes=30).pk
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------


def test_it_renders_the_staff_pages(desk, file_complaint):
    c = file_complaint()
    for url in (
        reverse("complaints:new"),
        reverse("complaints:list"),
        reverse("complaints:detail", args=[c.pk]),
    ):
        response = desk.get(url)
        assert response.status_code == 200, url
    assert c.number in desk.get(reverse("complaints:list")).content.decode()


def test_residents_get_403_on_staff_pages(client, owner, file_complaint):
    c = file_complaint()
    client.force_login(owner)
    for url in (
        reverse("complaints:new"),
        reverse("complaints:list"),
        reverse("complaints:lookup") + "?q=1-101",
        reverse("complaints:detail", args=[c.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("complaints:action", args=[c.pk, "contact"]), {})
    assert response.status_code == 403


def test_another_projects_record_is_404(client, outsider, file_complaint):
    c = file_complaint()
    client.force_login(outsider)
    assert client.get(reverse("complaints:detail", args=[c.pk])).status_code == 404
    response = client.post(reverse("complaints:action", args=[c.pk, "contact"]), {})
    assert response.status_code == 404
    assert c.number not in client.get(reverse("complaints:list")).content.decode()


# --- Intake ------------------------------------------------------------------


def test_intake_files_a_complaint(desk, frontdesk, unit):
    response = desk.post(reverse("complaints:new"), intake_data(unit))
    c = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("complaints:detail", args=[c.pk])
    assert c.unit == unit
    assert c.received_by == frontdesk
    assert c.channel.code == "phone"
    assert c.expectation == "今天修好"
    assert c.reporters.get().name == "陈静"
    assert c.clocks.filter(kind=Clock.Kind.FIRST_CONTACT).exists()


def test_intake_names_the_bad_fields_and_keeps_the_input(desk, unit):
    future = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    data = intake_data(unit, description="", received_at="not a time", location="3号电梯")
    response = desk.post(reverse("complaints:new"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "反映内容：" in body
    assert "受理时间：" in body
    assert 'value="3号电梯"' in body
    assert 'value="13811112222"' in body
    assert Complaint.objects.count() == 0

    # A later receipt time is refused by the service and shown on its field.
    response = desk.post(reverse("complaints:new"), intake_data(unit, received_at=future))
    body = response.content.decode()
    assert response.status_code == 400
    assert "受理时间：受理时间不能晚于现在。" in body
    assert "厨房水管漏水" in body


def test_intake_may_record_an_earlier_receipt_time(desk, unit):
    earlier = timezone.localtime() - timedelta(hours=2)
    desk.post(reverse("complaints:new"), intake_data(unit, received_at=f"{earlier:%Y-%m-%dT%H:%M}"))
    c = Complaint.objects.get()
    assert abs((c.received_at - earlier).total_seconds()) < 60


def test_lookup_finds_units_by_room_and_phone_within_scope(desk, unit, other_project):
    ResidentFactory(unit=unit, name="陈静", phone="+8613811112222")
    elsewhere = UnitFactory(building__project=other_project, number="1-102")
    ResidentFactory(unit=elsewhere, name="外人", phone="+8613811112299")
    by_room = desk.get(reverse("complaints:lookup"), {"q": "1-10"}).content.decode()
    assert "1-101" in by_room
    assert "陈静" in by_room
    assert 'data-phone="13811112222"' in by_room
    assert "1-102" not in by_room and "外人" not in by_room
    by_phone = desk.get(reverse("complaints:lookup"), {"q": "2222"}).content.decode()
    assert "1-101" in by_phone
    assert "外人" not in desk.get(reverse("complaints:lookup"), {"q": "2299"}).content.decode()


@pytest.mark.parametrize("max_residents", [500, 0], ids=["resident-list", "subquery"])
def test_lookup_finds_a_unit_by_a_residents_name_either_way(
    desk, unit, other_project, monkeypatch, max_residents
):
    """The residents' units are taken as a list, or by a subquery when a common name
    matches too many residents: the same units either way, still within scope."""
    monkeypatch.setattr("servicedesk.core.views._SEARCH_MAX_RESIDENTS", max_residents)
    ResidentFactory(unit=unit, name="陈静", phone="+8613811112222")
    elsewhere = UnitFactory(building__project=other_project, number="9-901")
    ResidentFactory(unit=elsewhere, name="陈静", phone="+8613811119999")

    by_name = desk.get(reverse("complaints:lookup"), {"q": "陈静"}).content.decode()
    by_phone = desk.get(reverse("complaints:lookup"), {"q": "2222"}).content.decode()

    assert "1-101" in by_name and "9-901" not in by_name
    assert "1-101" in by_phone


def test_history_flags_a_repeat_complaint_of_the_same_category(desk, unit, file_complaint):
    old = file_complaint()
    facilities = Category.objects.get(code="facilities")
    vehicles = Category.objects.get(code="vehicles")
    url = reverse("complaints:history")
    same = desk.get(url, {"unit": unit.pk, "category": facilities.pk}).content.decode()
    assert old.number in same
    assert 'data-testid="repeat-flag"' in same
    other = desk.get(url, {"unit": unit.pk, "category": vehicles.pk}).content.decode()
    assert old.number in other
    assert 'data-testid="repeat-flag"' not in other


def test_history_ignores_records_older_than_90_days(desk, unit, file_complaint):
    old = file_complaint(received_at=timezone.now() - timedelta(days=91))
    facilities = Category.objects.get(code="facilities")
    body = desk.get(
        reverse("complaints:history"), {"unit": unit.pk, "category": facilities.pk}
    ).content.decode()
    assert old.number not in body
    assert "repeat-flag" not in body


def test_intake_page_shows_history_and_repeat_flag_after_a_bad_post(desk, unit, file_complaint):
    old = file_complaint()
    body = desk.post(reverse("complaints:new"), intake_data(unit, description="")).content.decode()
    assert old.number in body
    assert 'data-testid="repeat-flag"' in body


def test_standard_answers_are_suggested_by_category_and_keywords(desk):
    vehicles = Category.objects.get(code="vehicles")
    body = desk.get(reverse("complaints:suggest"), {"category": vehicles.pk}).content.decode()
    assert "临时车辆收费标准" in body
    body = desk.get(reverse("complaints:suggest"), {"description": "明天停水吗"}).content.decode()
    assert "停水停电通知" in body
    assert "临时车辆收费标准" not in body


def test_a_consultation_is_answered_in_one_click_and_counted(desk, unit):
    answer = StandardAnswer.objects.get(title="物业费缴纳方式")
    before = answer.use_count
    data = intake_data(
        unit,
        kind="consultation",
        category=Category.objects.get(code="other").pk,
        description="物业费怎么交",
        standard_answer=answer.pk,
        answer_now="1",
    )
    response = desk.post(reverse("complaints:new"), data)
    c = Complaint.objects.get()
    assert response.status_code == 302
    assert c.kind == Complaint.Kind.CONSULTATION
    assert c.status == Complaint.Status.CLOSED
    assert c.result == answer.text
    answer.refresh_from_db()
    assert answer.use_count == before + 1


def test_one_click_answer_needs_a_standard_answer(desk, unit):
    data = intake_data(unit, kind="consultation", answer_now="1")
    body = desk.post(reverse("complaints:new"), data).content.decode()
    assert "统一答复：请先选择一条统一答复。" in body
    assert Complaint.objects.count() == 0


# --- Queue -------------------------------------------------------------------


def test_queue_highlights_overdue_rows_with_a_countdown(desk, file_complaint):
    late = file_complaint(received_at=timezone.now() - timedelta(hours=3))
    fresh = file_complaint(description="楼道灯不亮")
    body = desk.get(reverse("complaints:list")).content.decode()
    assert f'class="row-overdue" data-id="{late.pk}"' in body
    assert f'data-id="{fresh.pk}"' in body
    assert "超时 2 小时" in body
    assert "剩 29 分钟" in body or "剩 30 分钟" in body
    overdue_only = desk.get(reverse("complaints:list"), {"overdue": "on"}).content.decode()
    assert late.number in overdue_only and fresh.number not in overdue_only


def test_a_queue_row_shows_local_times_labels_and_the_people(desk, frontdesk, file_complaint):
    """Times in Beijing time, labels translated, the first reporter, the category's
    name and who took it (the row is built in Python, not by template lookups)."""
    received = datetime(2026, 11, 24, 1, 5, tzinfo=UTC)  # 09:05 in Beijing
    with time_machine.travel(received + timedelta(minutes=10), tick=False):
        c = file_complaint(received_at=received, description="楼" * 40)
        body = desk.get(reverse("complaints:list")).content.decode()
    row = body[body.index(f'data-id="{c.pk}"') :]
    row = row[: row.index("</tr>")]
    clock = Clock.objects.get(complaint=c, kind=Clock.Kind.FIRST_CONTACT)
    due = timezone.localtime(clock.due_at)
    assert reverse("complaints:detail", args=[c.pk]) in row
    for text in (
        "投诉",
        "11-24 09:05",
        c.unit.number,
        "陈静",
        "设备设施",
        "待联系",
        "首次联系 · 剩",
        f'title="{due:%Y-%m-%d %H:%M}"',
        frontdesk.staff_profile.name,
        ">" + "楼" * 33 + "...<",
    ):
        assert text in row, text
    assert "门户" not in row


def test_queue_filters_by_status_category_and_mine(desk, frontdesk, project, file_complaint):
    mine = file_complaint()
    theirs = file_complaint(
        by=StaffFactory(roles=[Role.FRONT_DESK], projects=[project]).user,
        category=Category.objects.get(code="vehicles"),
    )
    body = desk.get(reverse("complaints:list"), {"mine": "on"}).content.decode()
    assert mine.number in body and theirs.number not in body
    vehicles = Category.objects.get(code="vehicles")
    body = desk.get(reverse("complaints:list"), {"category": vehicles.pk}).content.decode()
    assert theirs.number in body and mine.number not in body
    body = desk.get(reverse("complaints:list"), {"status": "closed"}).content.decode()
    assert mine.number not in body


def test_queue_search_finds_part_of_a_number_or_the_start_of_a_room(
    desk, project, file_complaint, monkeypatch
):
    room = UnitFactory(building__project=project, number="8-1203")
    by_room = file_complaint(unit=room)
    other = file_complaint()
    tail = by_room.number[-4:]

    def found(text: str) -> set[str]:
        body = desk.get(reverse("complaints:list"), {"q": text}).content.decode()
        return {c.number for c in (by_room, other) if c.number in body}

    assert found("8-12") == {by_room.number}
    assert found(tail) == {by_room.number}
    assert found("9-99") == set()
    # Too many rooms start with the text: the same answer by the join instead.
    monkeypatch.setattr("complaints.views._SEARCH_MAX_ROOMS", 0)
    assert found("8-12") == {by_room.number}
    assert found(tail) == {by_room.number}


def test_queue_pages_by_keyset(desk, file_complaint, monkeypatch):
    monkeypatch.setattr("complaints.views.PAGE_SIZE", 2)
    records = [file_complaint(description=f"第{i}件") for i in range(3)]
    body = desk.get(reverse("complaints:list")).content.decode()
    assert records[2].number in body and records[0].number not in body
    assert f"before={records[1].pk}" in body
    body = desk.get(reverse("complaints:list"), {"before": records[1].pk}).content.decode()
    assert records[0].number in body and records[2].number not in body


def test_queue_query_count_does_not_grow_with_rows(desk, file_complaint):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(reverse("complaints:list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        file_complaint()
    few = count()
    for _ in range(27):
        file_complaint(hot=True)
    assert count() == few


def test_countdown_text():
    now = timezone.now()
    assert countdown(now + timedelta(minutes=25, seconds=5), now) == "剩 25 分钟"
    assert countdown(now - timedelta(hours=2, minutes=10), now) == "超时 2 小时"
    assert countdown(now + timedelta(days=3, hours=1), now) == "剩 3 天"


# --- Detail and actions ------------------------------------------------------


def act(client, c, name, data):
    prefixed = {f"{name}-{k}": v for k, v in data.items()}
    return client.post(reverse("complaints:action", args=[c.pk, name]), prefixed)


def test_detail_shows_clocks_reporters_and_timeline(desk, file_complaint):
    c = file_complaint(hot=True)
    body = desk.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "热点上报集团" in body
    assert "陈静" in body
    assert "受理登记" in body
    assert f'action="/complaints/{c.pk}/contact/"' in body


def test_the_happy_path_through_the_action_forms(desk, file_complaint):
    c = file_complaint()
    assert act(desk, c, "contact", {"note": "已电话联系"}).status_code == 302
    answer = StandardAnswer.objects.get(title="停水停电通知")
    response = act(desk, c, "reply", {"text": "", "standard_answer": answer.pk})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.use_count == 1
    response = act(desk, c, "rectify", {"note": "已更换水管", "needs_callback": "on"})
    assert response.status_code == 302
    response = act(
        desk,
        c,
        "callback",
        {"outcome": "reached", "result": "satisfied", "confirmation": "phone", "note": "满意"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED
    assert c.callbacks.get().confirmation == Callback.Confirmation.PHONE


def test_a_wrong_state_action_shows_the_message_with_409(desk, file_complaint):
    c = file_complaint()
    response = act(desk, c, "rectify", {"note": "修好了"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "需先联系客户，才能登记整改完成。" in body
    assert "修好了" in body  # what was typed is kept
    response = act(desk, c, "callback", {"outcome": "reached", "result": "satisfied"})
    assert response.status_code == 409
    assert "整改完成后才能回访。" in response.content.decode()
    response = act(desk, c, "unmerge", {"reason": "误操作"})
    assert response.status_code == 409


def test_reply_with_a_promise_in_the_past_names_the_field(desk, file_complaint):
    c = file_complaint()
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = act(desk, c, "reply", {"text": "明天答复您", "promised_at": past})
    body = response.content.decode()
    assert response.status_code == 400
    assert "承诺回复时间：承诺回复时间应晚于现在。" in body
    assert "明天答复您" in body


def test_extend_records_the_new_time_and_shows_the_history(desk, file_complaint):
    c = file_complaint()
    rectify = c.clocks.get(kind=Clock.Kind.RECTIFY)
    new = timezone.localtime(rectify.due_at + timedelta(days=2))
    response = act(
        desk,
        c,
        "extend",
        {
            "clock": "rectify",
            "new_due_at": f"{new:%Y-%m-%dT%H:%M}",
            "reason": "等配件",
            "agreed_by": "陈静",
        },
    )
    assert response.status_code == 302
    assert c.extensions.get().reason == "等配件"
    body = desk.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert 'data-testid="extensions"' in body and "等配件" in body
    response = act(desk, c, "extend", {"clock": "rectify", "new_due_at": "x", "reason": ""})
    body = response.content.decode()
    assert "新时限：" in body and "延期原因：" in body


def test_merge_and_unmerge(desk, file_complaint):
    master = file_complaint()
    dup = file_complaint(reporter_name="王芳", reporter_phone="13900001111")
    response = act(desk, dup, "merge", {"into": master.number, "reason": "同一漏水"})
    assert response.status_code == 302
    body = desk.get(reverse("complaints:detail", args=[master.pk])).content.decode()
    assert "王芳" in body and 'data-testid="merged-reporter"' in body
    assert act(desk, dup, "unmerge", {"reason": "不是同一件"}).status_code == 302
    dup.refresh_from_db()
    assert dup.status == Complaint.Status.OPEN
    response = act(desk, dup, "merge", {"into": "TS-0000-9999"})
    assert "合并至编号：没有找到编号" in response.content.decode()
    response = act(desk, dup, "merge", {"into": dup.number})
    assert "合并至编号：不能合并到自身。" in response.content.decode()


def test_recategorise_mark_done_and_failure(desk, frontdesk, file_complaint):
    c = file_complaint(hot=True, incident=True)
    vehicles = Category.objects.get(code="vehicles")
    response = act(desk, c, "recategorise", {"category": vehicles.pk, "reason": "查明为车辆"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.category == vehicles
    response = act(desk, c, "mark-done", {"clock": "hot_report", "note": "已报集团"})
    assert response.status_code == 302
    assert c.clocks.get(kind=Clock.Kind.HOT_REPORT).done_at is not None
    response = act(desk, c, "mark-done", {"clock": "onsite", "note": "经理到场"})
    assert c.clocks.get(kind=Clock.Kind.ONSITE).done_at is not None
    response = act(
        desk, c, "failure", {"staff": frontdesk.pk, "kind": "delayed", "note": "拖延两天"}
    )
    assert response.status_code == 302
    assert c.failures.get().kind == "delayed"
    body = desk.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "拖延两天" in body
    response = act(desk, c, "failure", {"staff": "", "kind": "delayed", "note": ""})
    body = response.content.decode()
    assert "责任员工：" in body and "说明：" in body


def test_unknown_action_is_404(desk, file_complaint):
    c = file_complaint()
    assert desk.post(reverse("complaints:action", args=[c.pk, "explode"])).status_code == 404


# --- Nav and home panel ------------------------------------------------------


def test_nav_and_home_panel(desk, file_complaint, django_assert_max_num_queries):
    late = file_complaint(received_at=timezone.now() - timedelta(hours=3))
    body = desk.get(reverse("home")).content.decode()
    assert "投诉受理" in body and "投诉队列" in body
    assert 'data-panel="complaints.due"' in body
    assert late.number in body
    from django.test import RequestFactory

    from complaints.views import complaints_panel
    from servicedesk.web.identity import desk_identity

    request = RequestFactory().get("/")
    request.user = late.received_by
    assert desk_identity(request).is_staff_member  # loaded once per request by the page
    with django_assert_max_num_queries(1):
        context = complaints_panel(request)
    assert context is not None
    assert context["items"][0]["overdue"]
    assert context["items"][0]["label"].startswith(late.number)


def test_the_home_panel_shows_only_the_users_projects(client, outsider, file_complaint):
    late = file_complaint(received_at=timezone.now() - timedelta(hours=3))
    client.force_login(outsider)
    body = client.get(reverse("home")).content.decode()
    assert 'data-panel="complaints.due"' in body
    assert late.number not in body


# --- Survey opinions (CMP-20) and paid services (CMP-21) ------------------------------


def test_intake_offers_every_kind_and_files_an_opinion_and_a_paid_service__CMP_20_21(desk, unit):
    body = desk.get(reverse("complaints:new")).content.decode()
    for value, label in Complaint.Kind.choices:
        assert f'<option value="{value}"' in body and str(label) in body
    assert "调查意见" in body and "特约服务" in body

    desk.post(reverse("complaints:new"), intake_data(unit, kind="opinion"))
    desk.post(reverse("complaints:new"), intake_data(unit, kind="paid_service"))

    opinion, paid = Complaint.objects.order_by("id")
    assert opinion.kind == "opinion" and opinion.number.startswith("YJ-")
    assert paid.kind == "paid_service" and paid.number.startswith("TY-")


def test_an_opinion_is_sent_to_its_department_then_its_plan_recorded__CMP_20(desk, file_complaint):
    engineering = Department.objects.create(code="engineering", name="工程部")
    c = file_complaint(kind="opinion", description="希望增加夜间巡逻频次")
    detail = reverse("complaints:detail", args=[c.pk])
    body = desk.get(detail).content.decode()
    assert "送达责任部门（CMP-20）" in body and "工程部" in body
    assert "联系客户（CMP-05）" not in body  # an opinion goes to its department
    assert "登记书面整改方案" not in body

    # Errors name the field and keep what was typed.
    response = act(desk, c, "send-to-department", {"department": engineering.pk, "summary": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "意见汇总：" in body
    assert f'<option value="{engineering.pk}" selected>' in body

    response = act(
        desk, c, "send-to-department", {"department": engineering.pk, "summary": "3 户反映巡逻不足"}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Complaint.Status.CONTACTED and c.department == engineering
    assert c.clocks.filter(kind=Clock.Kind.OPINION_PLAN, done_at__isnull=True).exists()
    body = desk.get(detail).content.decode()
    assert "登记书面整改方案（CMP-20）" in body and "送达责任部门（CMP-20）" not in body

    response = act(desk, c, "opinion-plan", {"plan": "夜间巡逻由 2 次增至 4 次"})
    assert response.status_code == 302
    assert not c.clocks.filter(kind=Clock.Kind.OPINION_PLAN, done_at__isnull=True).exists()
    body = desk.get(detail).content.decode()
    assert "书面整改方案" in body and "夜间巡逻由 2 次增至 4 次" in body

    # Sending it again is a wrong-state action: the message, with 409, input kept.
    response = act(desk, c, "send-to-department", {"department": engineering.pk, "summary": "再送"})
    assert response.status_code == 409
    assert "只有待处理的调查意见可以送达责任部门。" in response.content.decode()
    assert "再送" in response.content.decode()


def test_a_plan_before_the_opinion_was_sent_is_409__CMP_20(desk, file_complaint):
    c = file_complaint(kind="opinion")

    response = act(desk, c, "opinion-plan", {"plan": "方案"})

    assert response.status_code == 409
    assert "该调查意见尚未送达责任部门。" in response.content.decode()
    assert act(desk, c, "opinion-plan", {"plan": ""}).status_code == 400


def test_a_paid_service_sends_its_payment_notice_before_the_callback__CMP_21(
    desk, frontdesk, file_complaint
):
    c = file_complaint(kind="paid_service", description="代为清洗油烟机", category=None)
    detail = reverse("complaints:detail", args=[c.pk])
    assert act(desk, c, "payment-notice", {"fee": "150.00"}).status_code == 409  # not done yet
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已清洗完毕")
    body = desk.get(detail).content.decode()
    assert "发出缴费通知（CMP-21）" in body
    assert "回访（CMP-12）" not in body  # the callback waits for the notice

    response = act(desk, c, "payment-notice", {"fee": "150.005"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "服务费（元）：" in body and 'value="150.005"' in body
    assert act(desk, c, "payment-notice", {"fee": "-1"}).status_code == 400

    response = act(desk, c, "payment-notice", {"fee": "150.00"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.fee == Decimal("150.00") and c.payment_notice_at is not None
    body = desk.get(detail).content.decode()
    assert "发出缴费通知（CMP-21）" not in body and "回访（CMP-12）" in body
    assert "150.00 元" in body and "服务费 150.00 元" in body
