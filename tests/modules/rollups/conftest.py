"""Fixtures of the rollup tests: a worker and a relay feeding it (delayed refreshes included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import dramatiq
import pytest

from renda.modules.rollups.service import resend_stale
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, running_worker


@asynccontextmanager
async def relayed(database, kind: str) -> AsyncIterator[dramatiq.Broker]:
    with running_worker(kind) as broker:
        relay = OutboxRelay(database, broker, poll_seconds=0.5)
        task = asyncio.create_task(relay.run())
        # Refreshes sent to a broker an earlier test emptied never come: send them again.
        await resend_stale(timedelta(0))
        try:
            yield broker
        finally:
            relay.stop()
            await task


@pytest.fixture(params=broker_params())
async def relayed_worker(request, database):
    """On every configured broker."""
    async with relayed(database, request.param) as broker:
        yield broker


@pytest.fixture
async def last_broker_worker(database):
    """On the last configured broker only (Redis in CI), for tests about what is shown."""
    async with relayed(database, broker_params()[-1]) as broker:
        yield broker
