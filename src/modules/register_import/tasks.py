"""Publishing many mandates to the platform's mandate directory at once (after an import).

`deputies.directory.publish` copies one mandate with four queries; an import of 10,000 rows would
send 10,000 messages. This actor copies a chunk of mandates with one read and one upsert, producing
the same directory rows (a test compares the two).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.modules.deputies.models import Congress, DirectoryEntry, Mandate, Person, Term
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef, load_tenant, tenant_session
from renda.workers.broker import actor

WORKER_ACTOR = "system:worker:代表名册导入"


def _values(
    tenant: TenantRef, mandate: Mandate, person: Person, term: Term, congress: Congress, path: str
) -> dict[str, Any]:
    return {
        "recorded_by": tenant.code,
        "recorded_path": tenant.path,
        "organised_in": mandate.organised_in or tenant.code,
        "organised_path": path,
        "person_key": person.id_number_hash or f"{tenant.code}:{person.id}",
        "person_id": person.id,
        "person_name": person.name,
        "name_pinyin": person.name_pinyin,
        "name_initials": person.name_initials,
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "party": person.party,
        "occupation_category": person.occupation_category,
        "birth_year": person.birth_date.year if person.birth_date else None,
        "level": mandate.level,
        "congress_name": congress.name,
        "term_number": term.number,
        "constituency": mandate.constituency,
        "status": mandate.status,
        "starts_on": mandate.starts_on,
        "by_election": mandate.by_election,
        "ended_on": mandate.ended_on,
        "end_reason": mandate.end_reason,
        "resignation_kind": mandate.resignation_kind,
        "published_at": utcnow(),
    }


async def publish_many(session: AsyncSession, tenant: TenantRef, mandate_ids: list[uuid.UUID]) -> None:
    """Copy the mandates' current state from the recording office's session into the directory."""
    rows = (
        await session.execute(
            select(Mandate, Person, Term, Congress)
            .join(Person, Person.id == Mandate.person_id)
            .join(Term, Term.id == Mandate.term_id)
            .join(Congress, Congress.id == Term.congress_id)
            .where(Mandate.id.in_(mandate_ids))
        )
    ).all()
    async with get_database().platform_session() as platform:
        codes = {m.organised_in for m, *_ in rows if m.organised_in and m.organised_in != tenant.code}
        paths = {tenant.code: tenant.path}
        if codes:
            paths |= dict(await platform.execute(select(Tenant.code, Tenant.path).where(Tenant.code.in_(codes))))
        values = [
            {"mandate_id": m.id, **_values(tenant, m, p, t, c, paths[m.organised_in or tenant.code])}
            for m, p, t, c in rows
        ]
        if values:
            statement = insert(DirectoryEntry.__table__)
            updates = {key: statement.excluded[key] for key in values[0] if key != "mandate_id"}
            await platform.execute(statement.on_conflict_do_update(index_elements=["mandate_id"], set_=updates), values)
        gone = set(mandate_ids) - {m.id for m, *_ in rows}
        if gone:  # deleted since: nothing left to list or count
            await platform.execute(delete(DirectoryEntry).where(DirectoryEntry.mandate_id.in_(gone)))
        await platform.commit()


@actor(queue_name="directory")
async def publish_mandates(tenant_code: str, mandate_ids: list[str]) -> None:
    """Idempotent: it copies the mandates' state as it is now, so repeats and reorderings converge."""
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR, read_only=True) as session:
        await publish_many(session, tenant, [uuid.UUID(i) for i in mandate_ids])
