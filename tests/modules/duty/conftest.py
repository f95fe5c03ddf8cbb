"""Offices of the duty tests: 宜昌市 → 远安县 (A, with 鸣凤镇) and 兴山县 (B) beside it."""

from __future__ import annotations

import pytest

from tests.conftest import ensure_tenant


@pytest.fixture(scope="session")
async def offices(database) -> dict[str, str]:
    for office in (
        ("420500", "宜昌市人大常委会", "city", None),
        ("420525", "宜昌市远安县人大常委会", "county", "420500"),
        ("420526", "宜昌市兴山县人大常委会", "county", "420500"),
        ("420525100", "远安县鸣凤镇人大主席团", "township", "420525"),
    ):
        await ensure_tenant(database, *office)
    return {"city": "420500", "a": "420525", "b": "420526", "a_township": "420525100"}
