"""What the suggestion loop gives the duty points (履职积分): one row per deputy and thing done.

A lead deputy's filed suggestion or motion (`lead:suggestion`, `lead:motion`), a confirmed co-signer's
(`cosigner`), and the lead's suggestion chosen as a key suggestion (`key`). Filed means submitted and
not sent back or ended without handling: a draft, a returned, withdrawn or converted suggestion counts
for nobody (and stops counting when it is returned or withdrawn). Lead and co-signing count in the
year of the suggestion's number, the key bonus in the local year it was chosen.

The columns are the duty module's event rows: person_id, source, source_id, what, occurred_on, title,
quantity.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Numeric, Select, String, cast, extract, func, literal, select

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions.models import Suggestion, SuggestionCosigner

FILED_STATUSES = ("submitted", "accepted", "assigned", "replied", "closed", "merged")
SOURCE = "suggestion"


def _local_day(moment: ColumnElement[datetime] | Any) -> ColumnElement[Any]:
    return cast(func.timezone(str(LOCAL_TZ), moment), Date)


def _row(person: Any, what: ColumnElement[Any], day: ColumnElement[Any]) -> Select[Any]:
    return select(
        person.label("person_id"),
        literal(SOURCE, String).label("source"),
        Suggestion.id.label("source_id"),
        what.label("what"),
        day.label("occurred_on"),
        Suggestion.title.label("title"),
        cast(literal(1), Numeric(5, 1)).label("quantity"),
    ).where(Suggestion.status.in_(FILED_STATUSES), Suggestion.filed_at.is_not(None))


def duty_events(year: int, person_ids: Sequence[uuid.UUID] | None = None) -> list[Select[Any]]:
    """The statements (to run in the office's session) of the year's suggestion events."""
    filed_on = _local_day(Suggestion.filed_at)
    lead = _row(Suggestion.lead_person_id, literal("lead:", String) + Suggestion.kind, filed_on).where(
        Suggestion.year == year
    )
    cosigned = (
        _row(SuggestionCosigner.person_id, literal("cosigner", String), filed_on)
        .join(SuggestionCosigner, SuggestionCosigner.suggestion_id == Suggestion.id)
        .where(Suggestion.year == year, SuggestionCosigner.status == "confirmed")
    )
    chosen_on = _local_day(func.coalesce(Suggestion.key_chosen_at, Suggestion.filed_at))
    key = _row(Suggestion.lead_person_id, literal("key", String), chosen_on).where(
        Suggestion.is_key.is_(True), extract("year", chosen_on) == year
    )
    if person_ids is not None:
        lead = lead.where(Suggestion.lead_person_id.in_(person_ids))
        cosigned = cosigned.where(SuggestionCosigner.person_id.in_(person_ids))
        key = key.where(Suggestion.lead_person_id.in_(person_ids))
    return [lead, cosigned, key]
