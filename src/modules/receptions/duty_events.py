"""What the receptions give the duty points (履职积分): each deputy of this office's register present
at a reception of the people at a station (进站接待选民), in the year the reception was held.

The columns are the duty module's event rows: person_id, source, source_id, what, occurred_on, title,
quantity.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Numeric, Select, String, cast, literal, select

from renda.modules.organisation.models import Station
from renda.modules.receptions.models import Reception, ReceptionDeputy

SOURCE = "reception"


def duty_events(year: int, person_ids: Sequence[uuid.UUID] | None = None) -> list[Select[Any]]:
    """The statement (to run in the office's session) of the year's receptions, one row per deputy."""
    query = (
        select(
            ReceptionDeputy.person_id.label("person_id"),
            literal(SOURCE, String).label("source"),
            Reception.id.label("source_id"),
            literal("reception", String).label("what"),
            Reception.held_on.label("occurred_on"),
            Station.name.label("title"),
            cast(literal(1), Numeric(5, 1)).label("quantity"),
        )
        .join(Reception, Reception.id == ReceptionDeputy.reception_id)
        .join(Station, Station.id == Reception.station_id)
        .where(ReceptionDeputy.person_id.is_not(None), Reception.held_on.between(date(year, 1, 1), date(year, 12, 31)))
    )
    if person_ids is not None:
        query = query.where(ReceptionDeputy.person_id.in_(person_ids))
    return [query]
