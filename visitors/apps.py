from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = _("访客登记")

    def ready(self) -> None:
        from servicedesk.web.identity import ANYONE
        from servicedesk.web.nav import register_nav
        from servicedesk.web.panels import register_panel
        from visitors.views import is_portal_user, visitors_panel

        register_nav(_("访客登记"), "visitors:new", roles=None, order=30)
        register_nav(_("在访访客"), "visitors:list", roles=None, order=31)
        register_nav(_("访客预约"), "visitors:portal", roles=ANYONE, order=30, check=is_portal_user)
        register_panel(
            "visitors.inside",
            "visitors/panel_inside.html",
            visitors_panel,
            roles=None,
            order=30,
        )
