from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "servicedesk.deadlines"
    label = "deadlines"
    verbose_name = _("时限检查")

    def ready(self) -> None:
        # Each installed app registers its checks in its own ``deadlines.py``.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("deadlines")
