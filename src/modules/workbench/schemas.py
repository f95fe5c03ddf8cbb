"""What a workbench shows: cards of counts (each a link to its list, filtered) and the first few items
with their deadlines; for a viewer or a city office, a table of the offices beneath."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | Decimal
    href: str
    alert: bool = False  # shown as a warning when not zero (overdue, failed)


@dataclass(frozen=True)
class Item:
    label: str
    href: str
    due: date | None = None  # a local date
    due_label: str = "期限"  # what the date is: 办理期限, 接待日, 评价截止, 季度末
    overdue: bool = False
    since: date | None = None  # for work without a deadline: waiting since
    since_label: str = "提交"
    detail: str = ""
    days_left: int | None = None  # to the deadline (negative: overdue)


@dataclass(frozen=True)
class Row:
    name: str
    href: str
    cells: list[str]
    behind: bool


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[Row]


@dataclass(frozen=True)
class Card:
    key: str  # names the card in the page (`wb-<key>`) and in tests
    title: str
    figures: list[Figure]
    items: list[Item] = field(default_factory=list)
    more: tuple[str, str] | None = None  # (label, href) of the whole list
    empty: str = "暂无待办事项。"
    table: Table | None = None
    note: str = ""


@dataclass(frozen=True)
class Workbench:
    today: date
    cards: list[Card]


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    offices: str


@dataclass(frozen=True)
class PlatformWorkbench:
    cards: list[Card]
    providers: list[Provider]
