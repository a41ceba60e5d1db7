from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """The audit trail (``AuditEntry``), the purge of expired rate counters
    (``deadlines.py``; the counters are ``core.RateCounter``), and the session
    refresh that starts counting at login."""

    name = "servicedesk.security"
    label = "security"
    verbose_name = _("安全")

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from servicedesk.security.audit import mirror_admin_change
        from servicedesk.security.sessions import mark_refreshed_at_login

        user_logged_in.connect(mark_refreshed_at_login, dispatch_uid="session_refreshed_at_login")
        post_save.connect(mirror_admin_change, sender=LogEntry, dispatch_uid="audit_admin_change")
