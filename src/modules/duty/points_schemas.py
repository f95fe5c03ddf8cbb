"""Request and response types of the duty points API (rules, ranking, a deputy's points and why)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Code = Annotated[str, msgspec.Meta(max_length=24)]


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    cap: Decimal | None  # None: no cap (the bonus category only)


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    event_kind: Code
    category: Code
    points: Decimal
    unit: Code = "event"
    cap: Decimal | None = None


class RulesIn(msgspec.Struct, forbid_unknown_fields=True):
    """The year's caps and rules to change; a category or rule left out keeps its value."""

    year: Year
    categories: list[CategoryIn] = []
    rules: list[RuleIn] = []


class CategoryOut(msgspec.Struct):
    code: str
    label: str
    cap: float | None
    is_bonus: bool


class RuleOut(msgspec.Struct):
    event_kind: str
    label: str
    category: str
    category_label: str
    points: float
    unit: str
    unit_label: str
    cap: float | None
    id: uuid.UUID | None  # None until the year's rules are saved
    version: int
    created_by: str
    created_at: datetime | None


class RulesOut(msgspec.Struct):
    year: int
    saved: bool
    basis: str  # saved | previous_year | defaults
    basis_label: str
    base: float  # 百分制: the base categories' caps add up to at most this
    base_caps: float
    categories: list[CategoryOut]
    rules: list[RuleOut]


class RuleVersionOut(msgspec.Struct):
    id: uuid.UUID
    event_kind: str
    label: str
    category: str
    points: float
    unit: str
    cap: float | None
    version: int
    created_by: str
    created_at: datetime
    superseded_at: datetime | None


class RankItem(msgspec.Struct):
    rank: int
    person_id: uuid.UUID
    name: str
    group_name: str | None
    base: float
    bonus: float
    total: float


class RankingPage(msgspec.Struct):
    year: int
    scope: str
    items: list[RankItem]
    total: int
    page: int
    page_size: int


class CategoryPointsOut(msgspec.Struct):
    code: str
    label: str
    earned: float  # what the entries add up to
    counted: float  # after the caps
    cap: float | None
    is_bonus: bool


class EntryOut(msgspec.Struct):
    id: int
    occurred_on: date
    label: str
    event_kind: str
    event_label: str
    category: str
    category_label: str
    points: float
    reason: str
    reason_label: str
    source: str
    source_label: str
    rule_id: uuid.UUID | None
    rule: str  # the rule that priced it: 「出席人民代表大会会议 每次 20 分(第 1 版)」
    why: str  # the whole explanation a deputy reads
    created_at: datetime


class PersonPointsOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    year: int
    total: float
    base: float
    bonus: float
    rank: int | None
    ranked: int  # how many deputies the office ranks
    categories: list[CategoryPointsOut]
    entries: list[EntryOut]


class ReconcileOut(msgspec.Struct):
    year: int
    events: int
    entries: int
    added: dict[str, int]
