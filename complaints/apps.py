from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉与报事")

    def ready(self) -> None:
        from complaints.views import complaints_panel, is_portal_user
        from servicedesk.web.identity import ANYONE
        from servicedesk.web.nav import register_nav
        from servicedesk.web.panels import register_panel

        register_nav(_("投诉受理"), "complaints:new", roles=None, order=20)
        register_nav(_("投诉队列"), "complaints:list", roles=None, order=21)
        register_nav(
            _("我的投诉"), "complaints:portal", roles=ANYONE, order=20, check=is_portal_user
        )
        register_panel(
            "complaints.due",
            "web/panels/due_list.html",
            complaints_panel,
            roles=None,
            order=20,
        )
