"""The portal's abuse protection: per-IP and per-phone limits on submissions and on wrong ticket lookups,
counted in `PortalRateHit` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import lookup_hash, normalize_phone
from renda.core.db import utcnow
from renda.core.errors import TooManyRequests
from renda.core.timezone import to_local
from renda.modules.opinions.models import PortalRateHit


@dataclass(frozen=True)
class Limit:
    scope: str
    window: timedelta
    count: int
    rule: str  # Chinese, for the message
    action: str  # what is limited, for the message: 提交 or 查询


SUBMIT_PER_IP = Limit("submit_ip", timedelta(hours=1), 5, "同一网络每小时最多提交 5 条意见", "提交")
SUBMIT_PER_PHONE = Limit("submit_phone", timedelta(days=1), 3, "同一手机号码每天最多提交 3 条意见", "提交")
LOOKUP_MISSES_PER_IP = Limit("lookup_ip", timedelta(hours=1), 30, "同一网络每小时最多输错 30 次查询编号", "查询")
LONGEST_WINDOW = timedelta(days=1)


def ip_key(ip: str) -> str:
    return lookup_hash("portal-ip:" + ip)


def portal_phone_key(phone: str) -> str:
    return lookup_hash("portal-phone:" + normalize_phone(phone))


async def _lock_keys(session: AsyncSession, checks: Sequence[tuple[Limit, str]]) -> None:
    """Serialise concurrent submissions of one IP or phone (any process) until the transaction ends,
    always in the same order, so two of them cannot both take the last place."""
    for limit, key in checks:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"{limit.scope}:{key}"}
        )


async def _retry_at(session: AsyncSession, limit: Limit, key: str, now: datetime) -> datetime | None:
    """When the window will have room again, or None if it has room now."""
    query = (
        select(PortalRateHit.at)
        .where(PortalRateHit.scope == limit.scope, PortalRateHit.key_hash == key, PortalRateHit.at > now - limit.window)
        .order_by(PortalRateHit.at)
    )
    times = list((await session.execute(query)).scalars())
    if len(times) < limit.count:
        return None
    return times[len(times) - limit.count] + limit.window


def _limited(limit: Limit, retry_at: datetime, now: datetime) -> TooManyRequests:
    local = to_local(retry_at)
    seconds = (retry_at - now).total_seconds()
    minutes = max(1, -(-int(seconds) // 60))
    when = f"{local:%H:%M}" if local.date() == to_local(now).date() else f"{local:%m月%d日 %H:%M}"
    error = TooManyRequests(
        f"{limit.action}过于频繁:{limit.rule}。请在 {when} 之后再试(约 {minutes} 分钟后)。"
        "情况紧急的,可直接到代表联络站或拨打人大常委会电话反映。",
        code="too_many_requests",
        retry_after=seconds,
    )
    error.details = {"retry_after": error.retry_after, "rule": limit.rule}
    return error


async def check_limits(
    session: AsyncSession, office_code: str, checks: Sequence[tuple[Limit, str]], *, now: datetime | None = None
) -> None:
    """Refuse with 429 if any limit is reached, else count this request against each (in the caller's
    transaction: a refused or rolled-back request counts for nothing)."""
    now = now or utcnow()
    await _lock_keys(session, checks)
    for limit, key in checks:
        retry_at = await _retry_at(session, limit, key, now)
        if retry_at is not None:
            raise _limited(limit, retry_at, now)
    await session.execute(
        insert(PortalRateHit),
        [{"scope": limit.scope, "key_hash": key, "office_code": office_code, "at": now} for limit, key in checks],
    )


async def check_lookup_allowed(session: AsyncSession, ip: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    retry_at = await _retry_at(session, LOOKUP_MISSES_PER_IP, ip_key(ip), now)
    if retry_at is not None:
        raise _limited(LOOKUP_MISSES_PER_IP, retry_at, now)


async def record_lookup_miss(session: AsyncSession, office_code: str, ip: str) -> None:
    await session.execute(
        insert(PortalRateHit).values(scope=LOOKUP_MISSES_PER_IP.scope, key_hash=ip_key(ip), office_code=office_code)
    )


async def purge_rate_hits(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Forget hits older than the longest window (kept a day more, for a look at what happened)."""
    cutoff = (now or utcnow()) - LONGEST_WINDOW - timedelta(days=1)
    deleted = await session.execute(delete(PortalRateHit).where(PortalRateHit.at < cutoff))
    return deleted.rowcount or 0
