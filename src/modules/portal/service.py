"""Deputies' basic information as the Deputies Law (Art. 58) has it published: only the fields each
office chose per deputy, and never the ID number or the mobile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import NotFound
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import LEVEL_LABELS, MandateStatus
from renda.modules.deputies.schemas import GENDER_LABELS, PUBLIC_FIELDS, RegisterFilter
from renda.tenants.models import TenantStatus
from renda.tenants.scoping import TenantRef, load_tenant

PAGE_SIZE = 40


@dataclass(frozen=True)
class PublicDeputy:
    person_id: str
    fields: dict[str, str]  # label → value, in PUBLIC_FIELDS order
    has_photo: bool


async def published_office(code: str) -> TenantRef:
    """Only an active office has a public page; an unknown or suspended one is simply not there."""
    try:
        tenant = await load_tenant(code)
    except NotFound:
        raise NotFound("该机关没有公开页面", code="portal_not_found") from None
    if tenant.status != TenantStatus.ACTIVE:
        raise NotFound("该机关没有公开页面", code="portal_not_found")
    return tenant


def _value(entry: deputies.RegisterEntry, key: str) -> str:
    person = entry.person
    live = [(m, t, c) for m, t, c in entry.mandates if m.status != MandateStatus.ENDED]
    if key == "gender":
        return GENDER_LABELS.get(person.gender, "")
    if key == "birth_date":
        return f"{person.birth_date:%Y年%m月}" if person.birth_date else ""
    if key == "levels":
        return "、".join(LEVEL_LABELS[m.level] for m, _, _ in live)
    if key == "constituency":
        return "、".join(m.constituency for m, _, _ in live if m.constituency)
    value: Any = getattr(person, key, None)
    return str(value) if value else ""


async def public_deputies(session: AsyncSession, q: str | None, page: int) -> tuple[list[PublicDeputy], int]:
    found = await deputies.search(session, RegisterFilter(q=q or None, status="live"), page, PAGE_SIZE)
    items = []
    for entry in found.items:
        chosen = set(entry.person.public_fields) | {"name"}
        fields = {label: _value(entry, key) for key, label in PUBLIC_FIELDS.items() if key in chosen and key != "photo"}
        has_photo = "photo" in chosen and entry.person.photo_type is not None
        items.append(PublicDeputy(str(entry.person.id), fields, has_photo))
    return items, found.total
