"""答复函: the lead unit's reply as a printable letter (PDF with a Chinese font) for the deputy's file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict
from renda.core.timezone import to_local
from renda.modules.deputies.models import Person
from renda.modules.suggestions.common import current_units, number_label
from renda.modules.suggestions.models import KINDS, REPLY_CLASSES, Suggestion
from renda.modules.units import service as units
from renda.tenants.scoping import TenantRef

LETTER_TEMPLATE = "suggestions/letter.html"


async def letter_context(session: AsyncSession, tenant: TenantRef, suggestion: Suggestion) -> dict[str, Any]:
    """What the letter prints; only a replied suggestion has one."""
    if suggestion.reply_class is None or suggestion.replied_at is None:
        raise Conflict("承办单位尚未答复,还没有答复函", code="no_reply_yet")
    deputy = await session.scalar(select(Person.name).where(Person.id == suggestion.lead_person_id))
    rows = await current_units(session, suggestion)
    names = await units.unit_names(session, [r.unit_id for r in rows])
    lead = next((names.get(r.unit_id, "") for r in rows if r.role == "lead"), "")
    co = [names.get(r.unit_id, "") for r in rows if r.role == "co"]
    replied = to_local(suggestion.replied_at).date()
    return {
        "office": tenant.name,
        "number": number_label(suggestion),
        "kind": KINDS[suggestion.kind],
        "title": suggestion.title,
        "deputy": deputy or "",
        "lead_unit": lead,
        "co_units": co,
        "reply_class": REPLY_CLASSES[suggestion.reply_class],
        "reply_text": suggestion.reply_text or "",
        "commitments": suggestion.reply_commitments,
        "replied_on": f"{replied.year}年{replied.month}月{replied.day}日",
        "round": suggestion.round,
    }


def letter_filename(context: dict[str, Any]) -> str:
    return f"答复函{context['number']}.pdf"
