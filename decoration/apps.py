from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecorationConfig(AppConfig):
    name = "decoration"
    verbose_name = _("装修管理")
