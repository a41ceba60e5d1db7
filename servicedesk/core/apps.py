from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "servicedesk.core"
    label = "core"
    verbose_name = _("基础资料")

    def ready(self) -> None:
        from servicedesk.web.nav import register_nav

        register_nav(_("客户资料"), "unit-list", roles=None, order=15)
