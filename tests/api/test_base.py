"""The reusable API base: Conflict (409) and conflict_on."""

from __future__ import annotations

import pytest

from servicedesk.api.base import Conflict, conflict_on


class InvalidTransition(Exception):
    pass


def test_conflict_answers_409():
    assert Conflict.status_code == 409
    assert Conflict().get_codes() == "conflict"


def test_conflict_on_turns_a_domain_error_into_a_409():
    with pytest.raises(Conflict) as info, conflict_on(InvalidTransition):
        raise InvalidTransition("已结案，不能再回复。")
    assert str(info.value.detail) == "已结案，不能再回复。"


def test_conflict_on_lets_other_errors_through():
    with pytest.raises(KeyError), conflict_on(InvalidTransition):
        raise KeyError("x")
