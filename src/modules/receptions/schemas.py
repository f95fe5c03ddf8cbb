"""Request and response types of the receptions API.

Create types reject unknown fields; patch types leave out what is not sent (`UNSET`). Categories are
the opinions module's (`CATEGORIES`, code → Chinese label), so a reception's issue and the opinion it
becomes share one classification.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from renda.modules.opinions.service import CATEGORIES

MAX_ISSUE = 1000  # the opinions module takes at most this much content: a reception can always convert
MAX_DEPUTIES = 20

RuleKind = Literal["month_days", "weekdays", "duty_rhythm"]
ExceptionKind = Literal["cancelled", "extra"]
Note = Annotated[str, msgspec.Meta(max_length=200)]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Phone = Annotated[str, msgspec.Meta(max_length=30)]
Issue = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ISSUE)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Place = Annotated[str, msgspec.Meta(max_length=200)]
Days = Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=31)]], msgspec.Meta(max_length=31)]
Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Month = Annotated[int, msgspec.Meta(ge=1, le=12)]
Count = Annotated[int, msgspec.Meta(ge=0, le=31)]
Search = Annotated[str, msgspec.Meta(max_length=50)]


# --- deputies -------------------------------------------------------------------------------------
class DeputyIn(msgspec.Struct, forbid_unknown_fields=True):
    """One deputy: a person of this office's register or a mandate recorded by another office."""

    person_id: uuid.UUID | None = None
    mandate_id: uuid.UUID | None = None


class DeputyOut(msgspec.Struct):
    person_id: uuid.UUID | None
    mandate_id: uuid.UUID | None
    name: str
    level_label: str  # 县人大代表, 全国人大代表 (由…登记), …
    key: str  # "p:<person id>" or "m:<mandate id>", for forms


# --- rules and exceptions -------------------------------------------------------------------------
class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: RuleKind
    valid_from: date
    valid_to: date | None = None
    days: Days = msgspec.field(default_factory=list)  # month_days: 1–31; weekdays: 1–7
    per_month: Count = 1  # duty_rhythm
    per_quarter_home: Count = 1  # duty_rhythm
    home_station_id: uuid.UUID | None = None  # duty_rhythm
    note: Note | None = None


class RulePatch(msgspec.Struct, forbid_unknown_fields=True):
    valid_from: date | UnsetType = UNSET
    valid_to: date | UnsetType | None = UNSET
    days: Days | UnsetType = UNSET
    per_month: Count | UnsetType = UNSET
    per_quarter_home: Count | UnsetType = UNSET
    home_station_id: uuid.UUID | UnsetType | None = UNSET
    note: Note | UnsetType | None = UNSET


class RuleOut(msgspec.Struct):
    id: uuid.UUID
    station_id: uuid.UUID
    kind: str
    kind_label: str
    label: str  # 每月10日、20日、30日(逢十接待日), 每周周三, 每名代表每月进站 1 次、每季度进家 1 次
    days: list[int]
    per_month: int
    per_quarter_home: int
    home_station_id: uuid.UUID | None
    valid_from: date
    valid_to: date | None
    note: str | None


class ExceptionIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date
    kind: ExceptionKind
    station_id: uuid.UUID | None = None  # none: every station of the office (a public holiday)
    reason: Note | None = None


class ExceptionOut(msgspec.Struct):
    id: uuid.UUID
    station_id: uuid.UUID | None
    station_name: str  # "全部家站室" for an office-wide one
    day: date
    kind: str
    kind_label: str
    reason: str | None


# --- the calendar ---------------------------------------------------------------------------------
class StationDay(msgspec.Struct):
    station_id: uuid.UUID
    station_name: str
    deputies: list[DeputyOut]
    receptions: int  # records on that day


class CalendarDay(msgspec.Struct):
    day: date
    weekday: int  # 1 = Monday
    stations: list[StationDay]  # the stations receiving that day
    cancelled: list[str]  # station names whose scheduled day was cancelled (e.g. a holiday)


class CalendarOut(msgspec.Struct):
    year: int
    month: int
    station_id: uuid.UUID | None
    days: list[CalendarDay]  # every day of the month, reception day or not


# --- rosters --------------------------------------------------------------------------------------
class RosterEntryIn(msgspec.Struct, forbid_unknown_fields=True):
    station_id: uuid.UUID
    day: date
    deputy: DeputyIn


class RosterEntryOut(msgspec.Struct):
    id: uuid.UUID
    station_id: uuid.UUID
    station_name: str
    day: date
    deputy: DeputyOut
    source: str
    reminder_status: str | None
    reminder_label: str


class GenerateIn(msgspec.Struct, forbid_unknown_fields=True):
    station_id: uuid.UUID
    year: Year
    month: Month


class CoverageOut(msgspec.Struct):
    """月进站、季进家 for one deputy of a station: rostered days this month, and at a home this quarter."""

    deputy: DeputyOut
    station_days: int
    needed_station_days: int
    home_days: int
    needed_home_days: int
    met: bool


class GenerateOut(msgspec.Struct):
    station_id: uuid.UUID
    year: int
    month: int
    reception_days: list[date]
    created: int
    kept: int  # entries already there (made by hand, or already reminded) and left as they were
    coverage: list[CoverageOut]
    unmet: list[str]  # names whose obligation the month's days cannot meet


# --- reception records ----------------------------------------------------------------------------
class ReceptionIn(msgspec.Struct, forbid_unknown_fields=True):
    station_id: uuid.UUID
    held_on: date
    visitor_name: PersonName
    issue: Issue
    category: str
    deputies: Annotated[list[DeputyIn], msgspec.Meta(max_length=MAX_DEPUTIES)] = msgspec.field(default_factory=list)
    visitor_count: Annotated[int, msgspec.Meta(ge=1, le=500)] = 1
    visitor_phone: Phone | None = None
    place: Place | None = None
    handling: LongText | None = None
    to_opinion: bool = False  # 转为群众意见


class ReceptionPatch(msgspec.Struct, forbid_unknown_fields=True):
    held_on: date | UnsetType = UNSET
    visitor_name: PersonName | UnsetType = UNSET
    issue: Issue | UnsetType = UNSET
    category: str | UnsetType = UNSET
    deputies: Annotated[list[DeputyIn], msgspec.Meta(max_length=MAX_DEPUTIES)] | UnsetType = UNSET
    visitor_count: Annotated[int, msgspec.Meta(ge=1, le=500)] | UnsetType = UNSET
    visitor_phone: Phone | UnsetType | None = UNSET
    place: Place | UnsetType | None = UNSET
    handling: LongText | UnsetType | None = UNSET


class ReceptionOut(msgspec.Struct):
    id: uuid.UUID
    station_id: uuid.UUID
    station_name: str
    held_on: date
    off_schedule: bool
    schedule_label: str  # 接待日 / 非接待日
    visitor_name: str
    visitor_count: int
    visitor_phone_masked: str | None
    issue: str
    category: str
    category_label: str
    place: str | None
    handling: str | None
    deputies: list[DeputyOut]
    opinion_id: uuid.UUID | None
    opinion_ticket: str | None
    created_at: datetime


class ReceptionPage(msgspec.Struct):
    items: list[ReceptionOut]
    total: int
    page: int
    page_size: int


class ReceptionFilter(msgspec.Struct, forbid_unknown_fields=True):
    """The register's filters: a month (2026-11), a category, a deputy present, a search."""

    station_id: uuid.UUID | None = None
    month: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None
    category: str | None = None
    person_id: uuid.UUID | None = None
    mandate_id: uuid.UUID | None = None
    off_schedule: bool | None = None
    q: Search | None = None


class RegisterSummary(msgspec.Struct):
    receptions: int
    visitors: int
    off_schedule: int
    converted: int
    by_category: dict[str, int]  # label → count


class CategoryOut(msgspec.Struct):
    code: str
    label: str


def category_options() -> list[CategoryOut]:
    return [CategoryOut(code, label) for code, label in CATEGORIES.items()]


class RegisterOut(msgspec.Struct):
    """A station's register (台账): its records as filtered, and their totals."""

    station_id: uuid.UUID
    station_name: str
    summary: RegisterSummary
    records: ReceptionPage


class StationCalendarOut(msgspec.Struct):
    """A station as the receptions pages list it: its rules, next reception days and deputies."""

    id: uuid.UUID
    name: str
    kind: str
    kind_label: str
    is_active: bool
    address: str | None
    reception_label: str  # the rules in words, or the station's simple 逢十 days
    next_days: list[date]
    deputies: list[DeputyOut]


class ExportRequested(msgspec.Struct):
    export_id: uuid.UUID
    status: str
