"""Offices of the suggestion tests: 十堰市 → 竹山县 (A, with 城关镇) and 竹溪县 (B) beside it."""

from __future__ import annotations

import pytest

from tests.conftest import ensure_tenant


@pytest.fixture(scope="session")
async def offices(database) -> dict[str, str]:
    for office in (
        ("420300", "十堰市人大常委会", "city", None),
        ("420323", "十堰市竹山县人大常委会", "county", "420300"),
        ("420324", "十堰市竹溪县人大常委会", "county", "420300"),
        ("420323100", "竹山县城关镇人大主席团", "township", "420323"),
    ):
        await ensure_tenant(database, *office)
    return {"city": "420300", "a": "420323", "b": "420324", "a_township": "420323100"}
