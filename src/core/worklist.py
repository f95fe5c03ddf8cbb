"""What a module answers when the workbench (工作台) asks what is waiting: counts by kind of work, and
the first few items with their deadlines. Modules build it in their own service, in one statement where
they can; the workbench module turns it into cards. It lives here, beneath every module, so that the
modules need not import the workbench that imports them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

# How many items a card shows.
ITEMS_SHOWN = 5


@dataclass(frozen=True)
class DueItem:
    """One piece of work: what it is, by when (a local date) if it has a deadline, else since when it
    waits; `kind` says which of the worklist's counts it falls under."""

    id: uuid.UUID | str
    label: str
    kind: str = ""
    due: date | None = None
    overdue: bool = False
    since: date | None = None
    detail: str = ""


@dataclass(frozen=True)
class Worklist:
    counts: dict[str, int] = field(default_factory=dict)
    items: list[DueItem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)


def overdue_first(items: list[DueItem]) -> list[DueItem]:
    """Overdue first, then by deadline, then the longest waiting: the order every card shows."""
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, i.since or date.max))


def window_counts(row: object | None, kinds: list[str] | tuple[str, ...]) -> dict[str, int]:
    """The counts a statement returns beside each row as window columns named by kind (none when no
    row matched: every count is then zero)."""
    return {kind: int(getattr(row, kind) or 0) if row is not None else 0 for kind in kinds}
