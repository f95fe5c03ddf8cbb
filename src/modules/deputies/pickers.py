"""What the staff forms' pickers offer instead of typed codes and ids: the office's serving deputies
(found by name or pinyin), the townships in its territory and the offices beneath it (组织地)."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.modules.deputies.common import office_code
from renda.modules.deputies.models import Mandate, MandateStatus, Person
from renda.modules.deputies.repository import name_matches
from renda.modules.deputies.terms import township_names
from renda.tenants import service as tenants
from renda.tenants.models import Tenant

PICKER_LIMIT = 20  # what a search-as-you-type list shows; a select without a search shows them all


async def deputy_options(session: AsyncSession, q: str | None = None, limit: int = 2000) -> list[tuple[uuid.UUID, str]]:
    """The persons with a mandate not ended in this office's register, by pinyin; `q` matches the
    name, or the pinyin or its initials."""
    query = (
        select(Person.id, Person.name)
        .where(exists().where(Mandate.person_id == Person.id, Mandate.status != MandateStatus.ENDED))
        .order_by(Person.name_pinyin, Person.name, Person.id)
        .limit(limit)
    )
    if q and q.strip():
        query = query.where(name_matches(q))
    return [(row.id, row.name) for row in (await session.execute(query)).all()]


async def township_options(session: AsyncSession, q: str | None = None) -> list[tuple[str, str]]:
    """The townships in the office's territory (code, name), by code; `q` matches the name or the code."""
    found = sorted((await township_names(session)).items())
    text = (q or "").strip()
    return [(code, name) for code, name in found if not text or text in name or code.startswith(text)]


async def office_options(session: AsyncSession, q: str | None = None) -> list[tuple[str, str]]:
    """The offices beneath this one on the platform (code, name): where a deputy may be organised (组织地)."""
    async with get_database().platform_session() as platform:
        office = await tenants.get_by_code(platform, office_code(session))
        rows = await platform.execute(
            select(Tenant.code, Tenant.name)
            .where(Tenant.path.startswith(office.path + "/", autoescape=True))
            .order_by(Tenant.path)
        )
    text = (q or "").strip()
    return [(code, name) for code, name in rows.all() if not text or text in name or code.startswith(text)]
