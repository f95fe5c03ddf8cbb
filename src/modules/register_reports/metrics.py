"""The register's metrics in the rollups: deputies in office and their composition, and the year's
changes. Each mandate counts once, in the office where it is organised (`organised_in`, at or
beneath the recording office), so summing offices up the hierarchy never counts a mandate twice and
a territory's total equals its composition statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies.models import END_REASONS, LEVELS, DirectoryEntry, MandateStatus
from renda.modules.register_reports.service import (
    AGE_BANDS,
    GENDER_LABELS,
    HAN,
    LEVEL_SHORT,
    NO_BIRTH_YEAR,
    UNKNOWN,
    active_on,
    dimension_columns,
)
from renda.modules.rollups.service import Dimension, Figure, Period, PlatformMetric, register_metric

LEVEL = Dimension("level", "层级", {level: LEVEL_SHORT[level] for level in LEVELS})
COMPOSITION = (
    LEVEL,
    Dimension("gender", "性别", {label: label for label in [*GENDER_LABELS.values(), UNKNOWN]}),
    Dimension("ethnic_group", "民族", {HAN: HAN, "少数民族": "少数民族", UNKNOWN: UNKNOWN}),
    Dimension("party", "政治面貌"),
    Dimension("occupation", "职业类别"),
    Dimension("age_band", "年龄", {label: label for label in [*(b[0] for b in AGE_BANDS), NO_BIRTH_YEAR]}),
    Dimension("status", "履职状态", {"suspended": "暂停执行职务"}),
)


async def _grouped(
    session: AsyncSession, columns: dict[str, ColumnElement[Any]], *where: ColumnElement[bool]
) -> dict[str, list[Figure]]:
    """Counts per office overall and per office and each column, in one grouping-sets query."""
    rows = (
        select(DirectoryEntry.organised_in.label("office"), *(c.label(name) for name, c in columns.items()))
        .where(*where)
        .cte("rows")
    )
    office, dims = rows.c.office, [rows.c[name] for name in columns]
    query = select(office, *dims, func.count(), *(func.grouping(d) for d in dims)).group_by(
        func.grouping_sets(tuple_(office), *(tuple_(office, d) for d in dims))
    )
    found: dict[str, list[Figure]] = {}
    for row in (await session.execute(query)).all():
        values, count, grouped = row[1 : 1 + len(dims)], row[1 + len(dims)], row[2 + len(dims) :]
        index = next((i for i, g in enumerate(grouped) if not g), None)
        if index is None:
            found.setdefault(row[0], []).append(Figure(count))
        elif values[index] is not None:
            found.setdefault(row[0], []).append(Figure(count, list(columns)[index], str(values[index])))
    return found


async def deputies_in_office(
    session: AsyncSession, offices: Sequence[str], period: Period, today: date
) -> dict[str, list[Figure]]:
    on = period.as_of(today)
    dims = dimension_columns(on)
    columns = {
        "level": DirectoryEntry.level,
        **{key: dims[key] for key in ("gender", "ethnic_group", "party", "occupation", "age_band")},
        "status": case((DirectoryEntry.status == MandateStatus.SUSPENDED, "suspended")),
    }
    return await _grouped(session, columns, DirectoryEntry.organised_in.in_(offices), active_on(on))


async def mandates_ended(
    session: AsyncSession, offices: Sequence[str], period: Period, today: date
) -> dict[str, list[Figure]]:
    columns = {"level": DirectoryEntry.level, "end_reason": DirectoryEntry.end_reason}
    ended = DirectoryEntry.ended_on.between(period.start, period.as_of(today))
    return await _grouped(session, columns, DirectoryEntry.organised_in.in_(offices), ended)


async def by_elections(
    session: AsyncSession, offices: Sequence[str], period: Period, today: date
) -> dict[str, list[Figure]]:
    started = DirectoryEntry.starts_on.between(period.start, period.as_of(today))
    return await _grouped(
        session,
        {"level": DirectoryEntry.level},
        DirectoryEntry.organised_in.in_(offices),
        DirectoryEntry.by_election,
        started,
    )


DEPUTIES = register_metric(
    PlatformMetric(
        key="register.deputies",
        label="在任代表",
        unit="人次",
        description="期末(当期为今天)在任的代表资格数;一人兼任两级代表计两人次",
        dimensions=COMPOSITION,
        order=10,
        stock=True,
        compute=deputies_in_office,
    )
)
ENDED = register_metric(
    PlatformMetric(
        key="register.ended",
        label="终止代表资格",
        unit="人次",
        description="期间内终止的代表资格,按层级和原因",
        dimensions=(LEVEL, Dimension("end_reason", "终止原因", END_REASONS)),
        order=20,
        compute=mandates_ended,
    )
)
BY_ELECTED = register_metric(
    PlatformMetric(
        key="register.by_elected",
        label="补选代表",
        unit="人次",
        description="期间内补选产生的代表资格",
        dimensions=(LEVEL,),
        order=30,
        compute=by_elections,
    )
)
