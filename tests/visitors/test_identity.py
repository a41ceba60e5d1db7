"""Identity documents: GB 11643 check digit, formats, masking, encryption (VIS-01, VIS-07)."""

from __future__ import annotations

import string
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.visitors.conftest import resident_id
from visitors import identity

REGIONS = ["110105", "310104", "440305", "330106", "510107", "650102", "820000"]


@st.composite
def valid_ids(draw):
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)))
    serial = draw(st.integers(0, 999))
    return resident_id(draw(st.sampled_from(REGIONS)), f"{born:%Y%m%d}", f"{serial:03d}")


@settings(max_examples=200, deadline=None)
@given(valid_ids())
def test_every_valid_generated_number_is_accepted__VIS_01(number):
    assert identity.validate_resident_id(number) == number


@settings(max_examples=200, deadline=None)
@given(valid_ids(), st.integers(0, 17), st.sampled_from(string.digits + "X"))
def test_every_single_character_change_is_refused__VIS_01(number, position, char):
    if number[position] == char:
        return
    changed = number[:position] + char + number[position + 1 :]
    with pytest.raises(ValidationError):
        identity.validate_resident_id(changed)


def test_a_lower_case_x_is_stored_upper_case__VIS_01():
    number = resident_id(serial="00" + "2")
    if number.endswith("X"):
        assert identity.validate_resident_id(number.lower()) == number
    known = "11010519491231002X"
    assert identity.validate_resident_id(known.lower()) == known


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("１１０１０５１９４９１２３１００２Ｘ", "chars"),  # full-width digits
        ("11010519491231002", "length"),
        ("99010519491231002X", "region"),
        ("11010519490230002X", "birth"),  # 30 February
        (resident_id(born="20991231"), "birth"),  # born in the future
        ("110105194912310021", "check"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason__VIS_01(number, why):
    with pytest.raises(ValidationError) as err:
        identity.validate_resident_id(number)

    assert err.value.code == why


@pytest.mark.parametrize(
    ("id_type", "number", "ok"),
    [
        ("passport", "E12345678", True),
        ("passport", "e1234567", True),
        ("passport", "E12", False),
        ("hk_macau_permit", "C12345678", True),
        ("hk_macau_permit", "H1234567890", True),
        ("hk_macau_permit", "X12345678", False),
        ("other", "军官证-001", False),
        ("other", "JG-2020-001", True),
    ],
)
def test_other_documents_are_checked_by_format__VIS_01(id_type, number, ok):
    if ok:
        assert identity.validate_document(id_type, number) == number.upper()
    else:
        with pytest.raises(ValidationError):
            identity.validate_document(id_type, number)


def test_numbers_are_masked_and_encrypted_with_a_key_outside_the_database__VIS_07(settings):
    number = "11010519491231002X"

    token = identity.encrypt(number)

    assert identity.mask(number) == "110***********002X"
    assert number not in token and identity.decrypt(token) == number
    settings.VISITOR_ID_KEY = "another-key-another-key-another-key"
    with pytest.raises(ValueError):
        identity.decrypt(token)


def test_the_lookup_hash_is_keyed_and_stable__VIS_07(settings):
    first = identity.lookup_hash("resident_id", "11010519491231002x")

    assert first == identity.lookup_hash("resident_id", "11010519491231002X")
    settings.VISITOR_ID_HASH_KEY = "a-different-hash-key-a-different-hash-key"
    assert identity.lookup_hash("resident_id", "11010519491231002X") != first
