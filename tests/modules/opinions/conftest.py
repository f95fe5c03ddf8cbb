"""Offices of the opinion tests: 宝鸡市 → 岐山县 (A, with 凤鸣镇) and 扶风县 (B) beside it; an SMS
gateway stand-in; and the portal's rate-limit hits cleared before each test (the test client always
comes from the same address)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from renda.modules.notifications.channels import configure_channels
from tests.conftest import _asyncpg_dsn, ensure_tenant


@pytest.fixture(scope="session")
async def offices(database) -> dict[str, str]:
    for office in (
        ("610300", "宝鸡市人大常委会", "city", None),
        ("610323", "宝鸡市岐山县人大常委会", "county", "610300"),
        ("610324", "宝鸡市扶风县人大常委会", "county", "610300"),
        ("610323100", "岐山县凤鸣镇人大主席团", "township", "610323"),
    ):
        await ensure_tenant(database, *office)
    return {"city": "610300", "a": "610323", "b": "610324", "a_township": "610323100"}


class RecordingSms:
    """Stands in for the SMS gateway (outside the platform): records what it was handed."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.refuse: Exception | None = None

    async def send(self, mobile: str, text: str, idempotency_key: str) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append((mobile, text, idempotency_key))

    def to(self, mobile: str) -> list[tuple[str, str, str]]:
        return [m for m in self.sent if m[0] == mobile]


@pytest.fixture
def sms(settings) -> Iterator[RecordingSms]:
    recorder = RecordingSms()
    configure_channels(settings, sms=recorder)
    try:
        yield recorder
    finally:
        configure_channels(settings)


@pytest.fixture(autouse=True)
async def fresh_limits(database, database_url) -> AsyncIterator[None]:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        await conn.execute("DELETE FROM platform.portal_rate_hits")
    finally:
        await conn.close()
    yield
