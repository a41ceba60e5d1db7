"""ORG-04: nobody approves their own request."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from servicedesk.core.approvals import SelfApprovalError, ensure_not_self_approval


def test_a_manager_cannot_approve_their_own_request__ORG_04(manager):
    with pytest.raises(SelfApprovalError):
        ensure_not_self_approval(requested_by=manager, approver=manager)


def test_another_person_may_approve__ORG_04(manager, frontdesk):
    ensure_not_self_approval(requested_by=frontdesk, approver=manager)


def test_an_anonymous_approver_is_refused__ORG_04(frontdesk):
    with pytest.raises(PermissionDenied):
        ensure_not_self_approval(requested_by=frontdesk, approver=AnonymousUser())
