"""What the register's parts share: the actor and office of a session, Chinese term labels, and how a
row is inserted and a mandate's change recorded."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError
from renda.modules.deputies.models import (
    Mandate,
    MandateEvent,
)

_CN_DIGITS = "零一二三四五六七八九"


def actor(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


def office_code(session: AsyncSession) -> str:
    return str(session.info["tenant_code"])


def chinese_number(n: int) -> str:
    if not 0 <= n < 100:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def term_label(number: int) -> str:
    return f"第{chinese_number(number)}届"


def clean(value: str | None) -> str | None:
    return (value or "").strip() or None


async def insert(session: AsyncSession, row: Any, error: AppError) -> None:
    """Insert in a savepoint: a unique index a concurrent writer won becomes `error`, and the
    caller's transaction (e.g. an import going row by row) stays usable."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise error from None


# --- mandates --------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    return str(value) if isinstance(value, (date, uuid.UUID)) else value


def record(
    session: AsyncSession, mandate: Mandate, kind: str, on: date, reason: str | None = None, **detail: Any
) -> None:
    session.add(
        MandateEvent(
            mandate_id=mandate.id,
            kind=kind,
            on=on,
            reason=reason,
            detail={k: plain(v) for k, v in detail.items() if v is not None},
            recorded_by=actor(session),
        )
    )
