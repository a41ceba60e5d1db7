"""The demo accounts of ``seed_demo`` (API.md), listed on the login page in demo mode."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Role

DEMO_PASSWORD = "demo12345"  # noqa: S105 - published in API.md, demo mode only


@dataclass(frozen=True)
class DemoAccount:
    username: str
    label: str | Promise
    note: str | Promise = ""


DEMO_ACCOUNTS = [
    DemoAccount("frontdesk", Role.FRONT_DESK.label),
    DemoAccount("frontdesk2", Role.FRONT_DESK.label, _("第二位前台")),
    DemoAccount("supervisor", Role.SUPERVISOR.label),
    DemoAccount("manager", Role.MANAGER.label),
    DemoAccount("duty", Role.DUTY_MANAGER.label),
    DemoAccount("engineer", Role.ENGINEER.label),
    DemoAccount("quality", Role.QUALITY.label),
    DemoAccount("gm", Role.GENERAL_MANAGER.label),
    DemoAccount("owner1", Role.RESIDENT.label, _("住户甲")),
    DemoAccount("owner2", Role.RESIDENT.label, _("住户乙，另一套房")),
    DemoAccount("contractor", Role.CONTRACTOR.label),
    DemoAccount("admin", Role.ADMINISTRATOR.label, _("超级用户")),
]
