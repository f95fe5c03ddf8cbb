"""The suggested balanced assignment, as plain functions (no database).

Committee members ↔ deputies:
1. Every member's count is balanced: the deputies to place are dealt one at a time to the member
   with the fewest so far, never beyond the upper bound; deputies kept from before count.
2. When there are more deputies than places (35 members × 5 < 228 deputies), the places go first to
   deputies no other channel covers (a township a council member oversees, a sector a special
   committee covers), and the rest are taken from every township and group in proportion, so no
   township is left without direct contacts.
3. Deputies are dealt in township → group → sector → name order in consecutive runs, so a member's
   deputies come from one township and group where possible (one visit reaches them all), and a
   group is split over as few members as possible. A member who keeps deputies of a group gets
   that group's remaining deputies first.

Council members ↔ townships: the townships nobody oversees yet are dealt to the council member
overseeing the fewest.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    township: str | None
    group: str | None
    sector: str | None
    name_key: str
    covered_otherwise: bool = False

    @property
    def order(self) -> tuple[str, str, str, str, str]:
        return (self.township or "~", self.group or "~", self.sector or "~", self.name_key, str(self.person_id))

    @property
    def cluster(self) -> tuple[str, str]:
        return (self.township or "~", self.group or "~")


@dataclass
class Seat:
    member_id: uuid.UUID
    kept: list[uuid.UUID] = field(default_factory=list)
    kept_groups: set[str] = field(default_factory=set)


def targets(seats: Sequence[Seat], places: int, high: int) -> dict[uuid.UUID, int]:
    """How many new deputies each seat gets: `places` dealt one by one to the seat with the fewest."""
    counts = {s.member_id: len(s.kept) for s in seats}
    extra = dict.fromkeys(counts, 0)
    order = {s.member_id: i for i, s in enumerate(seats)}
    for _ in range(places):
        open_seats = [m for m, c in counts.items() if c < high]
        if not open_seats:
            break
        chosen = min(open_seats, key=lambda m: (counts[m], order[m]))
        counts[chosen] += 1
        extra[chosen] += 1
    return extra


def proportional(pool: Sequence[Candidate], wanted: int) -> list[Candidate]:
    """`wanted` of `pool`, taken from every cluster (township and group) in proportion to its size."""
    if wanted >= len(pool):
        return list(pool)
    clusters: dict[Hashable, list[Candidate]] = defaultdict(list)
    for candidate in sorted(pool, key=lambda c: c.order):
        clusters[candidate.cluster].append(candidate)
    exact = {key: len(items) * wanted / len(pool) for key, items in clusters.items()}
    quota = {key: int(value) for key, value in exact.items()}
    short = wanted - sum(quota.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - quota[k]), str(k)))[:short]:
        quota[key] += 1
    return [c for key, items in clusters.items() for c in items[: quota[key]]]


def balance(seats: Sequence[Seat], candidates: Sequence[Candidate], high: int) -> dict[uuid.UUID, list[uuid.UUID]]:
    """New deputies per seat (kept ones not repeated). `candidates` must not hold kept deputies."""
    if not seats:
        return {}
    places = min(len(candidates), sum(max(0, high - len(s.kept)) for s in seats))
    extra = targets(seats, places, high)
    first = [c for c in candidates if not c.covered_otherwise]
    rest = [c for c in candidates if c.covered_otherwise]
    chosen = proportional(first, places)
    chosen += proportional(rest, places - len(chosen))
    queue = sorted(chosen, key=lambda c: c.order)
    result: dict[uuid.UUID, list[uuid.UUID]] = {s.member_id: [] for s in seats}
    taken: set[uuid.UUID] = set()
    # Keep a group together: a seat that already has deputies of a group takes the rest of it first.
    for seat in seats:
        for candidate in queue:
            if len(result[seat.member_id]) >= extra[seat.member_id]:
                break
            if candidate.person_id not in taken and candidate.group and candidate.group in seat.kept_groups:
                result[seat.member_id].append(candidate.person_id)
                taken.add(candidate.person_id)
    remaining = [c for c in queue if c.person_id not in taken]
    position = 0
    for seat in seats:
        need = extra[seat.member_id] - len(result[seat.member_id])
        result[seat.member_id] += [c.person_id for c in remaining[position : position + need]]
        position += need
    return result


def spread_townships(
    council: Sequence[uuid.UUID], kept: dict[uuid.UUID, list[str]], townships: Sequence[str]
) -> dict[uuid.UUID, list[str]]:
    """New townships per council member: each free township to the member overseeing the fewest."""
    if not council:
        return {}
    counts = {m: len(kept.get(m, [])) for m in council}
    order = {m: i for i, m in enumerate(council)}
    taken = {code for codes in kept.values() for code in codes}
    result: dict[uuid.UUID, list[str]] = {m: [] for m in council}
    for code in sorted(set(townships) - taken):
        member = min(council, key=lambda m: (counts[m], order[m]))
        result[member].append(code)
        counts[member] += 1
    return result
