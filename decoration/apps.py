from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecorationConfig(AppConfig):
    name = "decoration"
    verbose_name = _("装修管理")

    def ready(self) -> None:
        from decoration.views import decoration_panel, is_portal_user
        from servicedesk.web.identity import ANYONE
        from servicedesk.web.nav import register_nav
        from servicedesk.web.panels import register_panel

        register_nav(_("装修管理"), "decoration:board", roles=None, order=50)
        register_nav(_("施工通告"), "decoration:notices", roles=None, order=51)
        register_nav(
            _("我的装修"), "decoration:portal", roles=ANYONE, order=50, check=is_portal_user
        )
        register_panel(
            "decoration.desk", "decoration/panel.html", decoration_panel, roles=None, order=45
        )
