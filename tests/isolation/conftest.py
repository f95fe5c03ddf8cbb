"""Offices of the isolation tests' own, so nothing else in the run writes to them: 定西市 with two
counties, 通渭县 (A, whose routes are called) and 陇西县 (B, which must stay as it was)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from renda.core.timezone import local_today
from renda.modules.duty.points_tasks import reprice
from renda.modules.rollups.service import refresh_office
from tests.conftest import ensure_tenant, raw_fetchval
from tests.isolation.office import Office
from tests.isolation.office_b import Digest, seed_office_b

CITY, A, B = "621100", "621121", "621122"


@dataclass
class OfficeB:
    code: str
    marker: str  # in every text B holds: it must never show up in A's answers
    ids: dict[str, str]  # one id of every kind a path can name


@pytest.fixture(scope="session")
async def office_b(database, database_url) -> OfficeB:
    await ensure_tenant(database, CITY, "定西市人大常委会", "city", None)
    await ensure_tenant(database, A, "通渭县人大常委会", "county", CITY)
    await ensure_tenant(database, B, "陇西县人大常委会", "county", CITY)
    marker = f"陇西机密{uuid.uuid4().hex[:8]}"
    ids = await seed_office_b(database, B, marker)
    await settle(database_url, B)
    return OfficeB(B, marker, ids)


async def settle(database_url: str, code: str) -> None:
    """B's own background work, done now: its figures computed, and the messages its seeding queued
    (deliveries, refreshes) dropped, so that nothing but a call in A could change B from here on."""
    await refresh_office(code)
    await reprice(code, [local_today().year])  # B's points ledger, from what was seeded
    await raw_fetchval(database_url, "update platform.outbox set sent_at = now() where tenant_code = $1", code)


@pytest.fixture
async def office_a(client, database, office_b) -> Office:
    return await Office(client, database, A, CITY).open()


@pytest.fixture
async def digest_b(database_url, office_b) -> AsyncIterator[Digest]:
    digest = await Digest.of(database_url, B)
    yield digest
    await digest.close()
