"""The rollups' background jobs: a debounced refresh after changes, and the nightly recompute."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from renda.core.timezone import local_today
from renda.modules.rollups import service
from renda.modules.rollups.periods import current
from renda.workers.broker import actor
from renda.workers.scheduler import Daily, Every, periodic

log = logging.getLogger("renda.rollups")


@actor(queue_name="rollups", max_retries=10, time_limit=10 * 60_000)
async def refresh_office(office_code: str) -> None:
    """Idempotent: it recomputes from the data as it is now, so repeats converge."""
    started = time.perf_counter()
    if await service.refresh_office(office_code):
        log.info("office refreshed", extra={"office": office_code, "ms": round((time.perf_counter() - started) * 1000)})


@periodic("rollups.resend_stale", Every(minutes=5))
@actor(queue_name="rollups", max_retries=3, time_limit=60_000)
async def resend_stale(period: str) -> None:
    """Offices stale for over ten minutes lost their refresh message: send it again."""
    codes = await service.resend_stale(timedelta(minutes=10))
    if codes:
        log.warning("refresh sent again for offices stale too long", extra={"offices": codes})


@periodic("rollups.nightly", Daily(hour=1, minute=30))
@actor(queue_name="rollups", max_retries=3, time_limit=60 * 60_000)
async def recompute_nightly(period: str) -> None:
    """Every office from scratch: the running periods, and the ones just ended (their final figures)."""
    today = local_today()
    periods = current(today)
    periods += [p.previous() for p in periods]
    started = time.perf_counter()
    written = await service.recompute_all(periods, today)
    log.info("rollups recomputed", extra={"figures": written, "ms": round((time.perf_counter() - started) * 1000)})
