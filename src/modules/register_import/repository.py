"""The import's queries and its multi-row writes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import copy_records, utcnow
from renda.modules.audit.models import AuditLog
from renda.modules.deputies.models import Mandate, MandateEvent, MandateStatus, Person

LOOKUP_CHUNK = 5000


async def persons_by_key(session: AsyncSession, keys: Iterable[str]) -> dict[str, tuple[uuid.UUID, str]]:
    """Persons already in the register, by the keyed hash of their ID number: (id, name)."""
    wanted = list(keys)
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        rows = await session.execute(
            select(Person.id_number_hash, Person.id, Person.name).where(
                Person.id_number_hash.in_(wanted[start : start + LOOKUP_CHUNK])
            )
        )
        found.update({key: (person_id, name) for key, person_id, name in rows})
    return found


async def live_seats(session: AsyncSession, person_ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(person, term) of every live mandate of these persons."""
    seats: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for start in range(0, len(person_ids), LOOKUP_CHUNK):
        rows = await session.execute(
            select(Mandate.person_id, Mandate.term_id).where(
                Mandate.person_id.in_(person_ids[start : start + LOOKUP_CHUNK]), Mandate.status != MandateStatus.ENDED
            )
        )
        seats.update(rows)
    return seats


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, date, datetime)):
        return str(value)
    return value


def audit_rows(model: type[Any], rows: list[dict[str, Any]], actor: str, tenant_code: str) -> list[dict[str, Any]]:
    """What the audit recorder writes for an ORM insert, for rows inserted without the ORM."""
    redact = set(getattr(model, "__audit_redact__", ()))
    now = utcnow()
    return [
        {
            "id": uuid.uuid4(),
            "at": now,
            "actor": actor,
            "tenant_code": tenant_code,
            "action": "create",
            "entity": model.__tablename__,
            "entity_id": str(row["id"]),
            "changes": {
                key: "***" if key in redact else _plain(value)
                for key, value in row.items()
                if value is not None and key not in ("created_at", "updated_at")
            },
        }
        for row in rows
    ]


async def copy_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY rows into the session's tenant schema, inside the session's transaction: an order of
    magnitude faster than multi-row INSERTs for thousands of rows."""
    columns = [column.name for column in table.columns]
    json_columns = {column.name for column in table.columns if isinstance(column.type, JSONB)}
    records = [
        tuple(
            json.dumps(row.get(name), ensure_ascii=False) if name in json_columns else row.get(name) for name in columns
        )
        for row in rows
    ]
    await copy_records(session, table.name, columns, records)


async def insert_all(
    session: AsyncSession,
    persons: list[dict[str, Any]],
    mandates: list[dict[str, Any]],
    events: list[dict[str, Any]],
    actor: str,
) -> None:
    """The rows with their audit rows; the audit recorder sees only ORM flushes, so they are made here."""
    tenant_code = str(session.info["tenant_code"])
    for model, rows in ((Person, persons), (Mandate, mandates), (MandateEvent, events)):
        if rows:
            await copy_rows(session, model.__table__, rows)
            await copy_rows(session, AuditLog.__table__, audit_rows(model, rows, actor, tenant_code))
