from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = _("钥匙管理")

    def ready(self) -> None:
        from keys.views import is_portal_user, keys_panel
        from servicedesk.core.models import Role
        from servicedesk.web.identity import ANYONE
        from servicedesk.web.nav import register_nav
        from servicedesk.web.panels import register_panel

        register_nav(_("钥匙"), "keys:board", roles=None, order=40)
        register_nav(_("钥匙借用登记"), "keys:loans", roles=None, order=41)
        register_nav(_("钥匙委托书"), "keys:entrustments", roles=None, order=42)
        register_nav(_("钥匙交接班"), "keys:handovers", roles=None, order=43)
        # KEY-08: who records a lock change, who seals it, who follows up.
        register_nav(
            _("换锁封存"),
            "keys:lock_changes",
            roles=[Role.ENGINEER, Role.DUTY_MANAGER, Role.MANAGER, Role.SUPERVISOR],
            order=44,
        )
        register_nav(_("我的钥匙委托"), "keys:portal", roles=ANYONE, order=40, check=is_portal_user)
        register_panel("keys.desk", "keys/panel.html", keys_panel, roles=None, order=40)
