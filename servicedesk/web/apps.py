from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "servicedesk.web"
    label = "web"
    verbose_name = _("前台界面")

    def ready(self) -> None:
        from servicedesk.web.core_panels import register_core

        register_core()
