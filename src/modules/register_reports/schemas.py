"""Composition statistics of an office's territory (代表构成统计)."""

from __future__ import annotations

from datetime import date

import msgspec


class LevelFigure(msgspec.Struct):
    level: str
    label: str
    mandates: int
    persons: int
    suspended: int  # of the mandates, those suspended now (Art. 61)


class BreakdownRow(msgspec.Struct):
    value: str
    label: str
    by_level: dict[str, int]  # mandates per level
    mandates: int
    persons: int  # distinct persons: one who sits at two levels counts once here


class Breakdown(msgspec.Struct):
    key: str  # gender | ethnic_group | ethnicity | party | occupation | age_band
    label: str
    rows: list[BreakdownRow]


class ChangeRow(msgspec.Struct):
    kind: str  # "ended:<reason>[:<resignation kind>]" | "by_elected" | "vacant"
    label: str
    by_level: dict[str, int]
    total: int


class Changes(msgspec.Struct):
    period_from: date
    period_to: date
    ended: list[ChangeRow]
    ended_total: ChangeRow
    by_elected: ChangeRow
    # Seats of the congresses this office administers, vacated and not yet filled on `period_to`.
    vacant: ChangeRow


class Statistics(msgspec.Struct):
    office_code: str
    office_name: str
    on: date
    levels: list[LevelFigure]
    total_mandates: int
    total_persons: int
    breakdowns: list[Breakdown]
    changes: Changes
