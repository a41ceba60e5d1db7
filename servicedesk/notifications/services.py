"""Sending notifications: the in-app inbox, e-mail, SMS (issue #2 §6)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from servicedesk.core.models import Role
from servicedesk.notifications.models import Notification
from servicedesk.notifications.sms import get_sms_backend

logger = logging.getLogger(__name__)
User = get_user_model()


def users_with_role(role: Role | str, *, project_id: int | None) -> models.QuerySet:
    """Return active users holding ``role`` on ``project_id`` (or company-wide)."""
    users = User.objects.filter(is_active=True, staff_profile__role_assignments__role=role)
    if project_id is not None:
        users = users.filter(staff_profile__projects=project_id)
    return users.distinct()


def role_holders_by_project(
    roles: Iterable[str], project_ids: Iterable[int]
) -> dict[tuple[str, int], set[int]]:
    """Return {(role, project): active user ids} in one query, for set-based
    sweeps; holders of a company-wide role (general manager) appear under every
    project asked for."""
    from servicedesk.core.models import COMPANY_WIDE_ROLES, StaffRole

    projects = set(project_ids)
    found: dict[tuple[str, int], set[int]] = defaultdict(set)
    rows = StaffRole.objects.filter(role__in=set(roles), staff__user__is_active=True).filter(
        models.Q(staff__projects__in=projects) | models.Q(role__in=COMPANY_WIDE_ROLES)
    )
    for role, project_id, user_id in rows.values_list(
        "role", "staff__projects", "staff__user_id"
    ).distinct():
        if role in COMPANY_WIDE_ROLES:
            for pid in projects:
                found[(role, pid)].add(user_id)
        elif project_id in projects:
            found[(role, project_id)].add(user_id)
    return found


def deadline_key(deadline: datetime | None) -> str:
    return deadline.isoformat() if deadline else ""


def notification_for(
    recipient_id: int,
    *,
    subject: models.Model | None,
    reason: str,
    title: str,
    body: str = "",
    url: str = "",
    deadline: datetime | None = None,
    project_id: int | None = None,
    email: bool = True,
    sms_phone: str = "",
    content_type: ContentType | None = None,
    object_id: str | None = None,
) -> Notification:
    """Build (not save) one notification, for ``notify_bulk``."""
    if subject is not None:
        content_type = ContentType.objects.get_for_model(subject)
        object_id = str(subject.pk)
    return Notification(
        recipient_id=recipient_id,
        project_id=project_id,
        content_type=content_type,
        object_id=object_id or "",
        reason=reason,
        deadline_key=deadline_key(deadline),
        title=title,
        body=body,
        url=url,
        email_state=Notification.Delivery.PENDING if email else Notification.Delivery.NONE,
        sms_state=Notification.Delivery.PENDING if sms_phone else Notification.Delivery.NONE,
        sms_phone=sms_phone,
    )


def notify_bulk(notifications: Iterable[Notification]) -> int:
    """Write notifications, silently skipping any already sent for the same key.

    Call inside the transaction of the change that causes them: if it rolls
    back, nobody is told. Returns how many rows were offered.
    """
    rows = list(notifications)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def notify(
    recipients: Iterable[int],
    *,
    subject: models.Model | None,
    reason: str,
    title: str,
    body: str = "",
    url: str = "",
    deadline: datetime | None = None,
    project_id: int | None = None,
    email: bool = True,
) -> int:
    """Notify each recipient once per (subject, reason, deadline)."""
    return notify_bulk(
        notification_for(
            rid,
            subject=subject,
            reason=reason,
            title=title,
            body=body,
            url=url,
            deadline=deadline,
            project_id=project_id,
            email=email,
        )
        for rid in set(recipients)
    )


def absolute_url(url: str) -> str:
    """Return ``url`` made absolute with SITE_URL when it is a path on this site."""
    if url.startswith("/") and not url.startswith("//"):
        return settings.SITE_URL.rstrip("/") + url
    return url


def _claim(state_field: str, batch: int) -> list[Notification]:
    """Mark pending rows as sending and return them.

    Claiming before sending makes delivery at-most-once: a worker that dies
    after the claim loses that e-mail (the inbox still has it) rather than
    sending it twice.
    """
    pending = Notification.Delivery.PENDING
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(**{state_field: pending})
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        Notification.objects.filter(id__in=ids, **{state_field: pending}).update(
            **{state_field: Notification.Delivery.SENDING}
        )
    return list(Notification.objects.filter(id__in=ids).select_related("recipient"))


def deliver_pending(batch: int = 200) -> int:
    """Send the e-mails and SMS of committed notifications; return how many went out.

    Sending is per message (SMTP, SMS gateway); recording the outcome is one
    UPDATE per outcome, not one per message.
    """
    Delivery = Notification.Delivery
    outcome: dict[tuple[str, str], list[int]] = {}

    def mark(field: str, state: str, pk: int) -> None:
        outcome.setdefault((field, state), []).append(pk)

    sent = 0
    for note in _claim("email_state", batch):
        if not note.recipient.email:
            mark("email_state", Delivery.NONE, note.pk)
            continue
        try:
            send_mail(
                subject=f"[客服部] {note.title}",
                message=f"{note.body}\n\n{absolute_url(note.url)}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.recipient.email],
            )
            mark("email_state", Delivery.SENT, note.pk)
            sent += 1
        except Exception:
            logger.exception("E-mail for notification %s failed", note.pk)
            mark("email_state", Delivery.FAILED, note.pk)
    sms_notes = _claim("sms_state", batch)
    sms = get_sms_backend() if sms_notes else None
    for note in sms_notes:
        try:
            sms.send(note.sms_phone, f"{note.title} {note.body}".strip())  # type: ignore[union-attr]
            mark("sms_state", Delivery.SENT, note.pk)
            sent += 1
        except Exception:
            logger.exception("SMS for notification %s failed", note.pk)
            mark("sms_state", Delivery.FAILED, note.pk)
    for (field, state), ids in outcome.items():
        Notification.objects.filter(id__in=ids).update(**{field: state})
    return sent


def mark_read(user_id: int, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=list(ids))
    return unread.update(read_at=timezone.now())
