"""Decoration's official forms as PDF (DEC-01..DEC-12).

- 《装修施工申请表》 of a permit (DEC-01, DEC-02, DEC-03, DEC-07);
- 《装修审图意见表》: the drawings handed in and every review with its
  checklist (DEC-01);
- 《装修许可证》/《开工许可证》, once issued (DEC-04, DEC-05, DEC-07);
- 施工人员出入证: a card to cut out and wear (DEC-06), masked ID number only;
- 《动火申请表》 (DEC-08);
- 《整改通知单》 and 《罚款单》 (DEC-10);
- 《完工通知及押金返还通知》, after acceptance (DEC-11, DEC-12).

``*_queryset`` fetch what a form prints; ``*_context`` build the template
context (testable without rendering); ``*_pdf`` render it through
``servicedesk.pdf.render_pdf``. All typed text goes through the templates'
autoescaping; the only resources are the static font and ``data:`` URIs (the
QR code and the pass photo, re-encoded here from our own storage).

Money is never computed here: every amount is a ledger sum
(``services.balances`` → ``rules.Balances``) or a ledger row, and the refund
not yet made is ``rules.refund_plan`` of those balances — what the refund
itself will use (DEC-12). Amounts print with two decimals (``yuan``).
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from decoration import rules, services
from decoration.models import (
    ChangeRequest,
    DecorationSettings,
    Drawing,
    Extension,
    Fine,
    HotWorkPermit,
    LedgerEntry,
    Permit,
    RectificationNotice,
    Review,
    WorkerPass,
)
from servicedesk.pdf import render_pdf
from servicedesk.workcal.calendar import local_zone

logger = logging.getLogger(__name__)

APPLICATION_TEMPLATE = "decoration/pdf/application.html"
REVIEW_TEMPLATE = "decoration/pdf/review.html"
PERMIT_TEMPLATE = "decoration/pdf/permit.html"
WORKER_PASS_TEMPLATE = "decoration/pdf/pass.html"  # noqa: S105 (a template name)
HOT_WORK_TEMPLATE = "decoration/pdf/hot_work.html"
RECTIFICATION_TEMPLATE = "decoration/pdf/rectification.html"
FINE_TEMPLATE = "decoration/pdf/fine.html"
REFUND_TEMPLATE = "decoration/pdf/refund_notice.html"

# The pass photo is printed about 25 × 32 mm: 360 × 480 px is ~360 dpi, and the
# re-encoded JPEG stays far below the fetcher's 2 MiB data: URI cap.
PHOTO_BOX_PX = (360, 480)
MAX_PHOTO_SOURCE_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000

S = Permit.Status
K = LedgerEntry.Kind


def application_title() -> str:
    return _("装修施工申请表")


def review_title() -> str:
    return _("装修审图意见表")


def permit_title() -> str:
    return _("装修许可证")


def pass_title() -> str:
    return _("施工人员出入证")


def hot_work_title() -> str:
    return _("动火申请表")


def rectification_title() -> str:
    return _("整改通知单")


def fine_title() -> str:
    return _("罚款单")


def refund_title() -> str:
    return _("完工通知及押金返还通知")


# --- Helpers ------------------------------------------------------------------------------


def yuan(amount: Decimal | None) -> str:
    """Print an amount of the ledger with exactly two decimals: 19500.00 (DEC-12).

    Amounts are already exact to the fen; this only formats them (no rounding
    of anything with more places ever happens, ``rules.parse_amount`` refuses those).
    """
    return f"{(amount if amount is not None else rules.ZERO):.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿")


def _upper_integer(n: int) -> str:
    """Return a non-negative integer in financial capitals: 19500 → 壹万玖仟伍佰,
    10005 → 壹万零伍."""
    if n == 0:
        return _DIGITS[0]
    digits = str(n)
    out = ""
    zero = False
    for i, ch in enumerate(digits):
        pos = len(digits) - i - 1
        small, big = pos % 4, pos // 4
        if ch == "0":
            zero = True
        else:
            if zero:
                out += _DIGITS[0]
                zero = False
            out += _DIGITS[int(ch)] + _SMALL_UNITS[small]
        if small == 0 and big and int(digits[max(0, i - 3) : i + 1]):
            out += _BIG_UNITS[big]
    return out


def rmb_upper(amount: Decimal) -> str:
    """Return an amount in capitals as written on receipts: 500.00 → 伍佰元整,
    19500.50 → 壹万玖仟伍佰元伍角, 0.05 → 零元伍分."""
    cents = int((amount * 100).to_integral_value())
    if cents < 0:
        return "负" + rmb_upper(-amount)
    whole, fen_total = divmod(cents, 100)
    jiao, fen = divmod(fen_total, 10)
    text = _upper_integer(whole) + "元"
    if not jiao and not fen:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += _DIGITS[0]
    if fen:
        text += _DIGITS[fen] + "分"
    return text


def person(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return a staff member's name (the username without a staff profile); "" for none.

    ``staff_profile`` must be select_related: a missing profile is then cached
    as absent and costs no query.
    """
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return str(profile.name)
    return str(user.get_username())


def mask_phone(phone: object) -> str:
    """Return ``+8613811112222`` as ``138****2222``."""
    digits = "".join(c for c in str(phone or "") if c.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        return ""
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def phone_text(phone: object) -> str:
    """Return a stored phone number (E.164 or typed) as printed: ``13811112222``."""
    text = str(phone or "")
    return text[3:] if text.startswith("+86") else text


def _local(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if at is None:
        return ""
    return timezone.localtime(at, local_zone()).strftime(fmt)


def _day(d: date | None) -> str:
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _printed(request: HttpRequest) -> dict[str, Any]:
    return {"printed_at": timezone.localtime(), "printed_by": person(request.user)}


def _head(permit: Permit, title: str, serial: str) -> dict[str, Any]:
    return {
        "project": permit.project,
        "company": permit.project.company,
        "form_title": title,
        "serial": serial,
        "record_url": reverse("decoration:permit", args=[permit.pk]),
        "permit": permit,
        "unit": permit.unit,
        "contractor": permit.contractor,
    }


@dataclass(frozen=True)
class Box:
    """A printed check box: ■ (ticked) or □."""

    label: str
    on: bool

    @property
    def mark(self) -> str:
        return "■" if self.on else "□"


PERMIT_RELATED = (
    "project",
    "unit",
    "owner",
    "contractor",
    "created_by__staff_profile",
    "issued_by__staff_profile",
    "accepted_by__staff_profile",
)


# --- 《装修施工申请表》 (DEC-01, DEC-02, DEC-03, DEC-07) --------------------------------------


def permit_queryset() -> QuerySet[Permit]:
    return Permit.objects.select_related(*PERMIT_RELATED)


def application_queryset() -> QuerySet[Permit]:
    return permit_queryset().prefetch_related(
        Prefetch(
            "changes",
            queryset=ChangeRequest.objects.select_related("decided_by__staff_profile").order_by(
                "requested_at", "pk"
            ),
        )
    )


@dataclass(frozen=True)
class ChangeRow:
    at: str
    items: str
    reason: str
    status: str
    decided: str


def application_context(permit: Permit, *, full_phones: bool = True) -> dict[str, Any]:
    """Return the context of the 《装修施工申请表》 (DEC-01..03, DEC-07).

    The owner (and how the owner signed: on paper at the desk, or online in
    person, DEC-02), the unit, the contractor with its licence and the
    contract (DEC-03), the site leader, area, items, planned start and the
    extinguishers the area requires (DEC-07), and any change of the items with
    its written decision (DEC-02). Phone numbers print in full for staff and
    the parties to the permit, masked for anyone else in scope.
    """
    show = phone_text if full_phones else mask_phone
    changes = [
        ChangeRow(
            at=_local(c.requested_at),
            items="、".join(str(i) for i in c.items),
            reason=c.reason,
            status=c.get_status_display(),
            decided=(
                f"{person(c.decided_by)} {_local(c.decided_at)}".strip() if c.decided_by_id else ""
            ),
        )
        for c in permit.changes.all()
    ]
    portal = permit.owner_signature == Permit.Signature.PORTAL
    return _head(permit, application_title(), permit.number) | {
        "owner_phone": show(permit.owner_phone),
        "site_leader_phone": show(permit.site_leader_phone),
        "contractor_phone": phone_text(permit.contractor.phone),
        "area": yuan(permit.area_m2),
        "items": [str(i) for i in permit.items],
        "planned_start": _day(permit.planned_start),
        "deposit_required": yuan(permit.deposit_required),
        "portal": portal,
        "filed_at": _local(permit.created_at),
        "clerk": person(permit.created_by),
        "changes": changes,
        "signature_boxes": [
            Box(str(label), value == permit.owner_signature)
            for value, label in Permit.Signature.choices
        ],
    }


def application_pdf(permit: Permit, *, request: HttpRequest, full_phones: bool = True) -> bytes:
    context = application_context(permit, full_phones=full_phones) | _printed(request)
    return render_pdf(APPLICATION_TEMPLATE, context, request=request)


# --- 《装修审图意见表》 (DEC-01) --------------------------------------------------------------


def review_queryset() -> QuerySet[Permit]:
    return permit_queryset().prefetch_related(
        Prefetch(
            "reviews",
            queryset=Review.objects.select_related("decided_by__staff_profile").order_by(
                "round", "pk"
            ),
        ),
        Prefetch("drawings", queryset=Drawing.objects.order_by("round", "kind", "pk")),
    )


@dataclass(frozen=True)
class ReviewRow:
    round: int
    outcome: str
    approved: bool
    checks: list[Box]
    comments: str
    reviewer: str
    decided_at: str


@dataclass(frozen=True)
class DrawingRow:
    round: int
    kind: str
    how: str


def review_context(permit: Permit) -> dict[str, Any]:
    """Return the context of the 《装修审图意见表》 (DEC-01).

    Every round of drawings (uploaded or on paper) and every review with its
    checklist — structure / load-bearing walls, water and electric lines,
    waterproofing — the comments, the reviewer and the date, and the review
    due date (``review_working_days`` working days after the drawings).
    """
    reviews = [
        ReviewRow(
            round=r.round,
            outcome=r.get_outcome_display(),
            approved=r.outcome == Review.Outcome.APPROVED,
            checks=[
                Box(str(Review._meta.get_field("structure_ok").verbose_name), r.structure_ok),
                Box(
                    str(Review._meta.get_field("water_electric_ok").verbose_name),
                    r.water_electric_ok,
                ),
                Box(
                    str(Review._meta.get_field("waterproofing_ok").verbose_name),
                    r.waterproofing_ok,
                ),
            ],
            comments=r.comments,
            reviewer=person(r.decided_by),
            decided_at=_local(r.decided_at),
        )
        for r in permit.reviews.all()
    ]
    drawings = [
        DrawingRow(
            round=d.round,
            kind=d.get_kind_display(),
            how=_("纸质图纸") if d.on_paper else (d.original_name or _("电子文件")),
        )
        for d in permit.drawings.all()
    ]
    return _head(permit, review_title(), permit.number) | {
        "reviews": reviews,
        "drawings": drawings,
        "submitted_at": _local(permit.drawings_submitted_at),
        "review_due_at": _local(permit.review_due_at),
        "review_due_provisional": permit.review_due_provisional,
        "review_days": DecorationSettings.current().review_working_days,
        "pending": permit.status == S.UNDER_REVIEW,
        "overdue": permit.review_overdue_notified_at is not None
        and permit.status == S.UNDER_REVIEW,
    }


def review_pdf(permit: Permit, *, request: HttpRequest) -> bytes:
    context = review_context(permit) | _printed(request)
    return render_pdf(REVIEW_TEMPLATE, context, request=request)


# --- 《装修许可证》/《开工许可证》 (DEC-04, DEC-05, DEC-07) ---------------------------------


def permit_card_queryset() -> QuerySet[Permit]:
    return permit_queryset().prefetch_related(
        Prefetch(
            "extensions",
            queryset=Extension.objects.filter(status="approved").order_by("decided_at", "pk"),
        )
    )


def is_issued(permit: Permit) -> bool:
    return permit.issued_at is not None and permit.start_date is not None


def permit_rules(config: DecorationSettings, period_days: int) -> list[str]:
    """The rules printed on the permit (DEC-05..DEC-08, DEC-10, DEC-11)."""
    return [
        _(
            "施工期限 %(n)s 天（开工当日计为第 1 天）；如需延期，须在完工期限届满前书面申请，"
            "逾期未获批准的，管理处可责令停工。"
        )
        % {"n": period_days},
        _(
            "施工人员凭出入证进出，出入证须经业主或施工负责人签名；每证 %(total)s 元，"
            "其中工本费 %(fee)s 元不退，保证金 %(deposit)s 元退证时退还；"
            "出入证过期 %(grace)s 天内须退还或续期，逾期或遗失的保证金不予退还。"
        )
        % {
            "total": yuan(config.pass_fee + config.pass_deposit),
            "fee": yuan(config.pass_fee),
            "deposit": yuan(config.pass_deposit),
            "grace": config.pass_return_grace_days,
        },
        _("施工现场按每 %(m2)s ㎡ 至少配备 1 具灭火器（不足部分按 1 具计）。")
        % {"m2": config.extinguisher_area_m2},
        _("电焊、气焊、切割等明火作业须事先办理动火证，焊工须持有效特种作业操作证。"),
        _(
            "施工须按批准的装修项目进行，变更项目须事先书面报批；"
            "不得破坏主体结构和承重墙，不得擅自改动水电、防水。"
        ),
        _("违反装修管理规定的，管理处开具整改通知单限期整改，并可处以罚款；情节严重的清退出场。"),
        _(
            "完工后申请验收并退还全部出入证；验收合格后凭押金收据退还装修押金，"
            "未缴罚款从押金中扣除。"
        ),
    ]


def permit_context(permit: Permit) -> dict[str, Any]:
    """Return the context of the 《装修许可证》 (DEC-04, DEC-05, DEC-07).

    Only an issued permit prints: number, unit, contractor, start and end date
    (``period_days`` counting the start day, DEC-05; an approved extension
    shows the original end), extinguishers (DEC-07), the deposit received with
    its receipt number from the ledger (DEC-04, DEC-12) and the rules.
    """
    deposit = (
        LedgerEntry.objects.filter(permit=permit, kind=K.DEPOSIT_RECEIVED)
        .values_list("amount", "receipt_no")
        .first()
    )
    extensions = list(permit.extensions.all())
    period = permit.period_days or DecorationSettings.current().period_days
    return _head(permit, permit_title(), permit.number) | {
        "start": _day(permit.start_date),
        "end": _day(permit.end_date),
        "period_days": period,
        "original_end": _day(extensions[0].old_end_date) if extensions else "",
        "extended": bool(extensions),
        "deposit": yuan(deposit[0]) if deposit else "",
        "deposit_receipt": deposit[1] if deposit else "",
        "items": [str(i) for i in permit.items],
        "issued_at": _day(timezone.localtime(permit.issued_at, local_zone()).date())
        if permit.issued_at
        else "",
        "issuer": person(permit.issued_by),
        "rules": permit_rules(DecorationSettings.current(), period),
        "stop_work": permit.stop_work_flagged_at is not None,
        "expelled": permit.expelled_at is not None,
        "finished": permit.status in (S.ACCEPTED, S.CLOSED),
    }


def permit_pdf(permit: Permit, *, request: HttpRequest) -> bytes:
    context = permit_context(permit) | _printed(request)
    return render_pdf(PERMIT_TEMPLATE, context, request=request)


# --- 施工人员出入证 (DEC-06) ---------------------------------------------------------------


def pass_queryset() -> QuerySet[WorkerPass]:
    return WorkerPass.objects.select_related(
        "permit__project", "permit__unit", "permit__contractor", "issued_by__staff_profile"
    )


def photo_data_uri(worker_pass: WorkerPass) -> str:
    """Return the pass photo as a small JPEG ``data:`` URI, or "" (no photo, unreadable).

    Read from our own storage (the file was checked by content at upload),
    decoded by Pillow, shrunk to print size and re-encoded: nothing of the
    original file (metadata included) reaches the PDF, and WeasyPrint fetches
    nothing.
    """
    if not worker_pass.photo:
        return ""
    try:
        from PIL import Image

        with worker_pass.photo.open("rb") as handle:
            raw = handle.read(MAX_PHOTO_SOURCE_BYTES + 1)
        if len(raw) > MAX_PHOTO_SOURCE_BYTES:
            return ""
        with Image.open(io.BytesIO(raw)) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                return ""
            picture = image.convert("RGB")
        picture.thumbnail(PHOTO_BOX_PX)
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=85)
    except Exception:  # a missing or unreadable file: print the empty photo box
        logger.warning("pass %s: photo not printable", worker_pass.pk, exc_info=True)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def pass_context(worker_pass: WorkerPass) -> dict[str, Any]:
    """Return the context of a worker's pass card (DEC-06).

    Pass number, name, the masked ID number (the full number is never
    decrypted for printing), photo, permit number, unit, contractor, the
    expiry and who signed the application. A pass no longer in use prints
    marked void.
    """
    permit = worker_pass.permit
    return _head(permit, pass_title(), worker_pass.number) | {
        "worker_pass": worker_pass,
        "id_masked": worker_pass.id_number_masked,
        "photo": photo_data_uri(worker_pass),
        "expires_on": _day(worker_pass.expires_on),
        "issued_on": _day(timezone.localtime(worker_pass.issued_at, local_zone()).date()),
        "signer": f"{worker_pass.signer_name}（{worker_pass.get_signed_by_display()}）",
        "void": worker_pass.status != WorkerPass.Status.ISSUED,
        "issuer": person(worker_pass.issued_by),
    }


def pass_pdf(worker_pass: WorkerPass, *, request: HttpRequest) -> bytes:
    context = pass_context(worker_pass) | _printed(request)
    return render_pdf(WORKER_PASS_TEMPLATE, context, request=request)


# --- 《动火申请表》 (DEC-08) -----------------------------------------------------------------


def hot_work_queryset() -> QuerySet[HotWorkPermit]:
    return HotWorkPermit.objects.select_related(
        "permit__project",
        "permit__unit",
        "permit__contractor",
        "requested_by__staff_profile",
        "decided_by__staff_profile",
        "closed_by__staff_profile",
    )


def hot_work_context(hot: HotWorkPermit) -> dict[str, Any]:
    """Return the context of the 《动火申请表》 (DEC-08): the window, the welder with the
    certificate number and its validity, the guardian, the safety checklist, the
    approval (made before the window opens) and the clearing of the site."""
    return _head(hot.permit, hot_work_title(), hot.number) | {
        "hot": hot,
        "kinds": [
            Box(str(label), value == hot.work_kind)
            for value, label in HotWorkPermit.WorkKind.choices
        ],
        "starts_at": _local(hot.starts_at),
        "ends_at": _local(hot.ends_at),
        "valid_until": _day(hot.welder_certificate_valid_until),
        "checklist": [
            Box(_("现场已配备灭火器"), hot.extinguishers_ready),
            Box(_("周边易燃物已清理"), hot.combustibles_cleared),
        ],
        "requester": person(hot.requested_by),
        "requested_at": _local(hot.requested_at),
        "approved": hot.status in (HotWorkPermit.Status.APPROVED, HotWorkPermit.Status.CLOSED),
        "rejected": hot.status == HotWorkPermit.Status.REJECTED,
        "decider": person(hot.decided_by),
        "decided_at": _local(hot.decided_at),
        "closer": person(hot.closed_by),
        "closed_at": _local(hot.closed_at),
    }


def hot_work_pdf(hot: HotWorkPermit, *, request: HttpRequest) -> bytes:
    context = hot_work_context(hot) | _printed(request)
    return render_pdf(HOT_WORK_TEMPLATE, context, request=request)


# --- 《整改通知单》 (DEC-10) ---------------------------------------------------------------


def rectification_queryset() -> QuerySet[RectificationNotice]:
    return RectificationNotice.objects.select_related(
        "permit__project",
        "permit__unit",
        "permit__contractor",
        "inspection__inspector__staff_profile",
        "issued_by__staff_profile",
        "verified_by__staff_profile",
    ).prefetch_related(Prefetch("fines", queryset=Fine.objects.order_by("charged_at", "pk")))


def rectification_context(notice: RectificationNotice) -> dict[str, Any]:
    """Return the context of the 《整改通知单》 (DEC-10): the inspection it came from,
    what to correct, the deadline, who issued it, fines charged with it, and the
    verification."""
    inspection = notice.inspection
    return _head(notice.permit, rectification_title(), notice.number) | {
        "notice": notice,
        "inspection": inspection,
        "inspected_at": _local(inspection.at) if inspection else "",
        "inspector": person(inspection.inspector) if inspection else "",
        "due_at": _local(notice.due_at),
        "issued_at": _local(notice.issued_at),
        "issuer": person(notice.issued_by),
        "verified": notice.status == RectificationNotice.Status.RECTIFIED,
        "overdue": notice.status == RectificationNotice.Status.OVERDUE,
        "verifier": person(notice.verified_by),
        "verified_at": _local(notice.verified_at),
        "fines": [(f.number, yuan(f.amount)) for f in notice.fines.all()],
    }


def rectification_pdf(notice: RectificationNotice, *, request: HttpRequest) -> bytes:
    context = rectification_context(notice) | _printed(request)
    return render_pdf(RECTIFICATION_TEMPLATE, context, request=request)


# --- 《罚款单》 (DEC-10, DEC-12) -----------------------------------------------------------


def fine_queryset() -> QuerySet[Fine]:
    return Fine.objects.select_related(
        "permit__project",
        "permit__unit",
        "permit__contractor",
        "notice",
        "charged_by__staff_profile",
    ).prefetch_related(
        Prefetch(
            "ledger",
            queryset=LedgerEntry.objects.select_related("by__staff_profile").order_by("at", "pk"),
        )
    )


@dataclass(frozen=True)
class LedgerRow:
    n: int
    at: str
    kind: str
    amount: str
    receipt_no: str
    note: str
    by: str


def _ledger_rows(entries: list[LedgerEntry]) -> list[LedgerRow]:
    return [
        LedgerRow(
            n=n,
            at=_local(e.at),
            kind=e.get_kind_display(),
            amount=yuan(e.amount),
            receipt_no=e.receipt_no,
            note=e.note,
            by=person(e.by),
        )
        for n, e in enumerate(entries, start=1)
    ]


def fine_context(fine: Fine) -> dict[str, Any]:
    """Return the context of the 《罚款单》 (DEC-10): the amount (in figures and in
    capitals), the violation, the rectification notice it goes with, and how it
    was settled — every ledger entry of the fine (paid in cash against a receipt,
    or deducted from the deposit at the refund) and what is still owed."""
    entries = list(fine.ledger.all())
    paid = sum((e.amount for e in entries if e.kind == K.FINE_PAID), rules.ZERO)
    deducted = sum((e.amount for e in entries if e.kind == K.FINE_DEDUCTED), rules.ZERO)
    charged = sum((e.amount for e in entries if e.kind == K.FINE_CHARGED), rules.ZERO)
    return _head(fine.permit, fine_title(), fine.number) | {
        "fine": fine,
        "amount": yuan(fine.amount),
        "amount_upper": rmb_upper(fine.amount),
        "notice": fine.notice,
        "charged_at": _local(fine.charged_at),
        "charger": person(fine.charged_by),
        "ledger": _ledger_rows(entries),
        "paid": yuan(paid),
        "deducted": yuan(deducted),
        "outstanding": yuan(charged - paid - deducted),
        "settled": charged - paid - deducted <= 0,
    }


def fine_pdf(fine: Fine, *, request: HttpRequest) -> bytes:
    context = fine_context(fine) | _printed(request)
    return render_pdf(FINE_TEMPLATE, context, request=request)


# --- 《完工通知及押金返还通知》 (DEC-11, DEC-12) --------------------------------------------


def refund_ready(permit: Permit) -> bool:
    """The notice exists once the works were accepted (DEC-11)."""
    return permit.status in (S.ACCEPTED, S.CLOSED)


@dataclass(frozen=True)
class MoneyRow:
    label: str
    amount: str
    note: str = ""
    strong: bool = False


def refund_context(permit: Permit) -> dict[str, Any]:
    """Return the context of the 《完工通知及押金返还通知》 (DEC-11, DEC-12).

    Every amount is a ledger sum (``services.balances``): the deposit received
    with its receipt, the fines charged / paid in cash / deducted from the
    deposit, other deductions, the pass fees, pass deposits received /
    refunded / forfeited, and the deposit refunded — or, before the refund,
    ``rules.refund_plan`` of the same balances (what ``services.deposit_refund``
    will do). The ledger itself follows, line by line.
    """
    entries = list(
        LedgerEntry.objects.filter(permit=permit)
        .select_related("by__staff_profile")
        .order_by("at", "pk")
    )
    b = services.balances(permit)
    closed = permit.status == S.CLOSED
    # Before the refund: what services.deposit_refund will do with these balances.
    plan = rules.refund_plan(b)
    pass_received = sum(
        (e.amount for e in entries if e.kind == K.PASS_DEPOSIT_RECEIVED), rules.ZERO
    )
    receipt = next((e.receipt_no for e in entries if e.kind == K.DEPOSIT_RECEIVED), "")
    refund_entry = next((e for e in entries if e.kind == K.DEPOSIT_REFUNDED), None)
    rows = [
        MoneyRow(
            _("装修押金（已收）"), yuan(b.deposit_received), _("收据号 %(no)s") % {"no": receipt}
        ),
        MoneyRow(_("罚款合计"), yuan(b.fines_charged)),
        MoneyRow(_("其中：现金缴纳"), yuan(b.fines_paid)),
        MoneyRow(_("其中：已从押金中扣除"), yuan(b.fines_deducted)),
    ]
    if not closed:
        rows.append(
            MoneyRow(
                _("其中：退款时从押金中扣除"),
                yuan(plan.fines_deducted),
                _("未缴罚款按规定从押金中扣除"),
            )
        )
    rows += [
        MoneyRow(_("其他扣款（损坏赔偿等）"), yuan(b.deductions)),
        MoneyRow(_("出入证工本费（不退）"), yuan(b.pass_fees)),
        MoneyRow(_("出入证保证金（已收）"), yuan(pass_received)),
        MoneyRow(_("出入证保证金（已退还）"), yuan(b.pass_deposits_refunded)),
        MoneyRow(_("出入证保证金（没收）"), yuan(b.pass_deposits_forfeited), _("逾期未退证或遗失")),
    ]
    if b.pass_deposits_held:
        rows.append(MoneyRow(_("出入证保证金（未退）"), yuan(b.pass_deposits_held)))
    if closed:
        rows.append(
            MoneyRow(
                _("实退装修押金"),
                yuan(b.refunded),
                _("%(at)s 凭收据 %(no)s 退还")
                % {"at": _local(refund_entry.at) if refund_entry else "", "no": receipt},
                strong=True,
            )
        )
        refund_amount = b.refunded
    else:
        rows.append(
            MoneyRow(_("应退装修押金"), yuan(plan.refund), _("凭押金收据办理退款"), strong=True)
        )
        if plan.fines_left_unpaid > 0:
            rows.append(MoneyRow(_("押金不足抵扣的罚款（仍须缴纳）"), yuan(plan.fines_left_unpaid)))
        refund_amount = plan.refund
    return _head(permit, refund_title(), permit.number) | {
        "rows": rows,
        "ledger": _ledger_rows(entries),
        "closed": closed,
        "refund": yuan(refund_amount),
        "refund_upper": rmb_upper(refund_amount),
        "deposit_receipt": receipt,
        "receipt_lost": permit.deposit_receipt_lost and not closed,
        "accepted_at": _local(permit.accepted_at),
        "accepter": person(permit.accepted_by),
        "start": _day(permit.start_date),
        "end": _day(permit.end_date),
        "refunder": person(refund_entry.by) if refund_entry else "",
        "passes_lost": any(e.kind == K.PASS_DEPOSIT_FORFEITED for e in entries),
    }


def refund_pdf(permit: Permit, *, request: HttpRequest) -> bytes:
    context = refund_context(permit) | _printed(request)
    return render_pdf(REFUND_TEMPLATE, context, request=request)
