from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """No models of its own (the counters are ``core.RateCounter``); installed so
    its ``deadlines.py`` (the purge of expired counters) is discovered and the
    session refresh starts counting at login."""

    name = "servicedesk.security"
    label = "security"
    verbose_name = _("安全")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from servicedesk.security.sessions import mark_refreshed_at_login

        user_logged_in.connect(mark_refreshed_at_login, dispatch_uid="session_refreshed_at_login")
