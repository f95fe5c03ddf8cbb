"""What the register's parts share: the actor and office of a session, Chinese term labels, and how a
row is inserted and a mandate's change recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, Conflict
from renda.modules.deputies import directory
from renda.modules.deputies.models import (
    Congress,
    Mandate,
    MandateEvent,
    Person,
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


# --- one office per person, congress and term ------------------------------------------------------
def seat_of(person_key: str, congress: Congress, term_number: int) -> directory.Seat:
    return directory.Seat(person_key, congress.level, congress.division_code, term_number)


def recorded_elsewhere_message(name: str, congress: Congress, term_number: int, office_name: str) -> str:
    return f"“{name}”在{congress.name}{term_label(term_number)}的代表资格已由{office_name}登记,不能重复登记"


async def seats_recorded_elsewhere(session: AsyncSession, seats: Iterable[directory.Seat]) -> dict[directory.Seat, str]:
    """Of these seats, those another office records, with its name."""
    return await directory.claimed_elsewhere(session, office_code(session), seats)


async def claim_seats(session: AsyncSession, seats: Iterable[directory.Seat]) -> dict[directory.Seat, str]:
    """Claim the seats for this office in the session's transaction; returns those another office holds."""
    return await directory.claim(session, office_code(session), seats)


async def claim(session: AsyncSession, person: Person, seats: Iterable[tuple[Congress, int]]) -> None:
    """One office records a person's mandate in a congress term (directory.claim); 409 otherwise.
    A person without an ID number has no key across offices and claims nothing."""
    if not person.id_number_hash:
        return
    wanted = {seat_of(person.id_number_hash, congress, number): congress for congress, number in seats}
    for seat, office_name in (await claim_seats(session, wanted)).items():
        raise Conflict(
            recorded_elsewhere_message(person.name, wanted[seat], seat.term_number, office_name),
            code="mandate_recorded_elsewhere",
        )
