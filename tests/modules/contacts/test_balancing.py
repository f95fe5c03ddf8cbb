"""The balancing rules of the suggestion and the rotation, without a database."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

from renda.modules.contacts.attendance import rotate
from renda.modules.contacts.repository import DeputyInfo
from renda.modules.contacts.suggest import Candidate, Seat, balance, proportional, spread_townships


def _candidates(sizes: dict[str, int], covered: bool = False) -> list[Candidate]:
    return [
        Candidate(uuid.uuid4(), township, f"{township}组", None, f"{township}{n:03d}", covered)
        for township, size in sizes.items()
        for n in range(size)
    ]


def test_counts_are_balanced_and_never_beyond_the_upper_bound() -> None:
    seats = [Seat(uuid.uuid4()) for _ in range(5)]
    dealt = balance(seats, _candidates({"a": 6, "b": 6}), high=5)
    assert sorted(len(v) for v in dealt.values()) == [2, 2, 2, 3, 3]  # too few deputies for 3 each
    many = balance(seats, _candidates({"a": 40}), high=5)
    assert [len(v) for v in many.values()] == [5] * 5
    assert balance(seats, [], high=5) == {s.member_id: [] for s in seats}
    assert balance([], _candidates({"a": 3}), high=5) == {}


def test_places_go_first_to_deputies_no_other_channel_covers() -> None:
    seats = [Seat(uuid.uuid4()) for _ in range(2)]
    alone = _candidates({"x": 3})
    overseen = _candidates({"y": 10}, covered=True)
    dealt = balance(seats, [*overseen, *alone], high=4)
    chosen = {p for ids in dealt.values() for p in ids}
    assert {c.person_id for c in alone} <= chosen and len(chosen) == 8


def test_short_places_are_taken_from_every_township_in_proportion() -> None:
    pool = _candidates({"a": 30, "b": 20, "c": 10})
    picked = Counter(c.township for c in proportional(pool, 30))
    assert picked == {"a": 15, "b": 10, "c": 5}


def test_a_kept_group_stays_with_its_member() -> None:
    group = _candidates({"g": 4})
    seat = Seat(uuid.uuid4(), kept=[group[0].person_id], kept_groups={"g组"})
    other = Seat(uuid.uuid4())
    dealt = balance([other, seat], [*_candidates({"a": 4}), *group[1:]], high=3)
    assert set(dealt[seat.member_id]) <= {c.person_id for c in group}


def test_townships_are_spread_over_the_council() -> None:
    council = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    spread = spread_townships(council, {council[0]: ["t1"]}, [f"t{n}" for n in range(1, 8)])
    totals = sorted(len(spread[m]) + (1 if m == council[0] else 0) for m in council)
    assert totals == [2, 2, 3] and "t1" not in {c for codes in spread.values() for c in codes}


def _deputy(township: str, n: int) -> DeputyInfo:
    return DeputyInfo(
        uuid.uuid4(), f"{township}{n}", f"{township}{n}", "", None, None, ("county",), True, township, None, township
    )


def test_rotation_takes_the_least_invited_spread_over_townships() -> None:
    deputies = [_deputy(t, n) for t in ("a", "b", "c") for n in range(4)]
    history = {d.id: (1, date(2026, 10, 1)) for d in deputies[:6]}
    picked = rotate(deputies, history, 3)
    assert all(d.id not in history for d in picked)  # never invited first
    assert len({d.township_code for d in picked}) == 2  # the six left are in b and c: both reached
    everyone = rotate(deputies, {}, 12)
    assert len({d.id for d in everyone}) == 12
    assert [d.township_code for d in everyone[:3]] == ["a", "b", "c"]
