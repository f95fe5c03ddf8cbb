"""Resident identity card numbers (居民身份证号码, GB 11643-1999): 18 characters with a check digit."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """The message is Chinese, for the user."""


def normalize(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def validate(value: str) -> str:
    """The normalized number, or InvalidIdNumber saying what is wrong."""
    number = normalize(value)
    if not _SHAPE.match(number):
        raise InvalidIdNumber("身份证号码应为 18 位,前 17 位为数字,最后一位为数字或 X")
    if birth_date(number) is None:
        raise InvalidIdNumber("身份证号码中的出生日期无效")
    expected = _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11]
    if number[17] != expected:
        raise InvalidIdNumber("身份证号码校验位不正确,请核对")
    return number


def birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= date.today() else None


def gender(number: str) -> str:
    """The 17th digit is odd for men, even for women."""
    return "male" if int(number[16]) % 2 else "female"


def with_check_digit(first17: str) -> str:
    """Completes 17 digits into a valid number (for seeding and tests)."""
    return first17 + _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]
