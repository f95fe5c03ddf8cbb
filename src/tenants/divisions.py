"""GB/T 2260 administrative division codes and the office hierarchy they imply."""

from __future__ import annotations

import re
from enum import StrEnum

from renda.core.errors import InvalidInput


class Level(StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


LEVEL_LABELS = {Level.CITY: "市级", Level.COUNTY: "县级", Level.TOWNSHIP: "乡镇级"}
PARENT_LEVEL: dict[Level, Level | None] = {Level.CITY: None, Level.COUNTY: Level.CITY, Level.TOWNSHIP: Level.COUNTY}

# First two digits of the provinces, autonomous regions, municipalities and SARs.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_DIGITS = re.compile(r"^\d+$")


def validate_code(code: str, level: Level) -> str:
    """Check that `code` is a well-formed division code of an office at `level`."""
    code = code.strip()
    expected_length = 9 if level is Level.TOWNSHIP else 6
    if not _DIGITS.match(code) or len(code) != expected_length:
        raise InvalidInput(
            f"行政区划代码“{code}”无效:{LEVEL_LABELS[level]}机关的代码应为 {expected_length} 位数字",
            code="invalid_division_code",
        )
    if code[:2] not in PROVINCE_PREFIXES:
        raise InvalidInput(f"行政区划代码“{code}”无效:前两位不是省级代码", code="invalid_division_code")
    county_part = code[:6]
    if level is Level.CITY and (county_part[2:4] == "00" or county_part[4:6] != "00"):
        raise InvalidInput(
            f"行政区划代码“{code}”不是市级代码(应形如 610900:第 3–4 位非 00,末两位为 00)",
            code="invalid_division_code",
        )
    if level in (Level.COUNTY, Level.TOWNSHIP) and (county_part[2:4] == "00" or county_part[4:6] == "00"):
        raise InvalidInput(f"行政区划代码“{code}”不是县级代码(应形如 610922:末两位非 00)", code="invalid_division_code")
    if level is Level.TOWNSHIP and code[6:] == "000":
        raise InvalidInput(f"行政区划代码“{code}”不是乡镇级代码(末三位不能为 000)", code="invalid_division_code")
    return code


def validate_parent(code: str, level: Level, parent_code: str | None, parent_level: Level | None) -> None:
    """A city has no parent; a county's parent is its city; a township's parent is its county."""
    wanted = PARENT_LEVEL[level]
    if wanted is None:
        if parent_code is not None:
            raise InvalidInput("市级机关不能有上级机关", code="invalid_parent")
        return
    if parent_code is None:
        raise InvalidInput(
            f"{LEVEL_LABELS[level]}机关必须指定上级机关(应为{LEVEL_LABELS[wanted]})", code="invalid_parent"
        )
    if parent_level is not wanted:
        raise InvalidInput(
            f"上级机关 {parent_code} 的层级不对:{LEVEL_LABELS[level]}机关的上级应为{LEVEL_LABELS[wanted]}机关",
            code="invalid_parent",
        )
    prefix = 6 if level is Level.TOWNSHIP else 4
    if code[:prefix] != parent_code[:prefix]:
        raise InvalidInput(f"行政区划代码 {code} 不属于上级机关 {parent_code} 的辖区", code="invalid_parent")


def schema_for(code: str) -> str:
    return f"t_{code}"
