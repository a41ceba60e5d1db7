"""Identity documents (VIS-01, VIS-07): validation, masking, encryption, keyed hash.

Pure functions apart from the keys, which come from settings (the environment),
never from the database: a stolen database alone reveals no ID number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

RESIDENT_ID = "resident_id"
PASSPORT = "passport"
HK_MACAU_PERMIT = "hk_macau_permit"
OTHER = "other"

# GB 11643-1999 / ISO 7064 MOD 11-2: weights of the first 17 digits, and the
# check character for each remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes (GB/T 2260): the first two digits of a real number.
PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    }
)
ASCII_DIGITS = re.compile(r"[0-9]+")


def check_char(first17: str) -> str:
    """Return the GB 11643 check character of 17 ASCII digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(id_type: str, raw: str) -> str:
    """Return the number as stored: trimmed, upper-case (``x`` → ``X``)."""
    return raw.strip().upper()


def validate_resident_id(number: str, *, today: date | None = None) -> str:
    """Return the normalised PRC resident ID number or raise ``ValidationError`` (VIS-01).

    18 ASCII characters, a plausible province code, a real birth date not in the
    future, and the right check character; full-width digits are refused.
    """
    number = normalise(RESIDENT_ID, number)
    if len(number) != 18:
        raise ValidationError(_("身份证号码应为 18 位。"), code="length")
    if not (number[:17].isascii() and ASCII_DIGITS.fullmatch(number[:17])) or not (
        number[17].isascii() and (number[17].isdigit() or number[17] == "X")
    ):
        raise ValidationError(_("身份证号码只能是半角数字，末位可为 X。"), code="chars")
    if int(number[:2]) not in PROVINCES:
        raise ValidationError(_("身份证号码的地区码无效。"), code="region")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="birth") from None
    if born > (today or timezone.localdate()) or born.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="birth")
    if check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对。"), code="check")
    return number


PATTERNS = {
    # Chinese passports (E/G + 8 digits, or E + letter + 7 digits) and foreign
    # ones: 5 to 17 letters and digits.
    PASSPORT: re.compile(r"[A-Z0-9]{5,17}"),
    # 往来港澳通行证 (C + 8, or C + letter + 7) and 港澳居民来往内地通行证 (H/M + 8 or 10).
    HK_MACAU_PERMIT: re.compile(r"C[0-9A-Z][0-9]{7}|[HM][0-9]{8}([0-9]{2})?"),
    OTHER: re.compile(r"[0-9A-Z()\-/]{2,30}"),
}


def validate_document(id_type: str, raw: str) -> str:
    """Return the normalised number of a document of ``id_type`` or raise (VIS-01)."""
    if id_type == RESIDENT_ID:
        return validate_resident_id(raw)
    number = normalise(id_type, raw)
    pattern = PATTERNS.get(id_type)
    if pattern is None:
        raise ValidationError(_("证件类型无效。"), code="type")
    if not number.isascii() or not pattern.fullmatch(number):
        raise ValidationError(_("证件号码格式不正确。"), code="format")
    return number


def mask(number: str) -> str:
    """Return the number masked for display: first 3 and last 4 kept (VIS-07)."""
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def _fernet() -> Fernet:
    key = hashlib.sha256(settings.VISITOR_ID_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a rotated key or a tampered row
        raise ValueError("cannot decrypt this ID number with the configured key") from exc


def lookup_hash(id_type: str, number: str) -> str:
    """Return the keyed hash used to recognise a document again (returning visitors,
    the blacklist) without storing the number in clear."""
    message = f"{id_type}:{normalise(id_type, number)}".encode()
    return hmac.new(settings.VISITOR_ID_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()
