from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """No models of its own (the counters are ``core.RateCounter``); installed so
    its ``deadlines.py`` (the purge of expired counters) is discovered."""

    name = "servicedesk.security"
    label = "security"
    verbose_name = _("安全")
