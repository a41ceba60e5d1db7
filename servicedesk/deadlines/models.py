from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckState(models.Model):
    """One row per registered check: its lock and its last outcome.

    The sweep locks the row (``SELECT … FOR UPDATE SKIP LOCKED``) while the check
    runs, so two beat processes or a manual run beside the worker never run the
    same check at once.
    """

    name = models.CharField(_("检查"), max_length=100, unique=True)
    last_started_at = models.DateTimeField(_("上次开始"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("上次完成"), null=True, blank=True)
    last_acted = models.PositiveIntegerField(_("上次处理条数"), default=0)
    last_error = models.TextField(_("上次错误"), blank=True)

    class Meta:
        verbose_name = _("时限检查")
        verbose_name_plural = _("时限检查")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
