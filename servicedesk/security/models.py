"""The audit trail (issue #8 §8): denials, exports, reveals of personal data and
admin changes — who, when, from where, what. Append-only: rows are never
updated or deleted through the ORM (``save`` of an existing row, ``delete`` and
the queryset's ``update``/``delete`` all raise)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import AppendOnlyError, AppendOnlyModel

__all__ = ["AppendOnlyError", "AuditEntry"]


class AuditEntry(AppendOnlyModel):
    class Kind(models.TextChoices):
        DENIED = "denied", _("拒绝访问")
        EXPORT = "export", _("导出数据")
        REVEAL = "reveal", _("查看完整个人信息")
        ADMIN_CHANGE = "admin_change", _("后台修改")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    method = models.CharField(_("请求方法"), max_length=10, blank=True)
    path = models.CharField(_("地址"), max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    what = models.CharField(_("对象"), max_length=300, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"], name="audit_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.path or self.what}"
