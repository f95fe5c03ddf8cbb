"""Offices of the suggestion tests: 襄阳市 → 谷城县 (A, with 城关镇) and 保康县 (B) beside it. (Not 十堰's
offices: the 竹山 scenario counts every deputy of its county.)"""

from __future__ import annotations

import pytest

from tests.conftest import ensure_tenant


@pytest.fixture(scope="session")
async def offices(database) -> dict[str, str]:
    for office in (
        ("420600", "襄阳市人大常委会", "city", None),
        ("420625", "襄阳市谷城县人大常委会", "county", "420600"),
        ("420626", "襄阳市保康县人大常委会", "county", "420600"),
        ("420625100", "谷城县城关镇人大主席团", "township", "420625"),
    ):
        await ensure_tenant(database, *office)
    return {"city": "420600", "a": "420625", "b": "420626", "a_township": "420625100"}
