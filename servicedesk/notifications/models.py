from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.core.scoping import Scope


class Notification(models.Model):
    """One message to one person: the in-app inbox row and the outbox of its e-mail/SMS.

    At most one per (recipient, record, reason, deadline), enforced by a unique
    constraint, so a sweep run twice, or two sweeps at once, never notify twice.
    Rows are written in the same transaction as the change that causes them;
    e-mail and SMS leave only after commit, when the sweep drains the outbox.
    """

    class Delivery(models.TextChoices):
        NONE = "none", _("不发送")
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    reason = models.CharField(_("事由"), max_length=60)
    # Part of the once-only key: the deadline this message is about, "" if none.
    deadline_key = models.CharField(max_length=40, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    email_state = models.CharField(
        _("邮件"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    sms_state = models.CharField(
        _("短信"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    sms_phone = models.CharField(_("短信号码"), max_length=20, blank=True)

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "content_type", "object_id", "reason", "deadline_key"],
                name="notification_once",
            ),
        ]
        indexes = [
            # The inbox: a user's unread messages, newest first.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox_idx"),
            # The outbox drain.
            models.Index(fields=["email_state"], name="notif_email_idx"),
            models.Index(fields=["sms_state"], name="notif_sms_idx"),
        ]

    def __str__(self) -> str:
        return self.title
