"""ORG-04: nobody approves their own request (key loans, extensions, refunds).

Every module's approval service calls ``ensure_not_self_approval`` before it
records an approval, so the rule is written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class SelfApprovalError(PermissionDenied):
    """Raised when the approver is the person who made the request (ORG-04)."""


def ensure_not_self_approval(*, requested_by: User | None, approver: User | AnonymousUser) -> None:
    """Raise ``SelfApprovalError`` if ``approver`` made the request being approved."""
    if not approver.is_authenticated:
        raise PermissionDenied(_("审批人必须登录。"))
    if requested_by is not None and requested_by.pk == approver.pk:
        raise SelfApprovalError(_("不能审批本人提出的申请。"))
