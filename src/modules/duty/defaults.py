"""The points rules an office starts a year with until it edits them (百分制 + 附加分): five categories
capped to add up to the base of 100, a bonus category on top, and what each kind of event is worth."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

BASE = Decimal(100)


class CategoryDefault(NamedTuple):
    cap: Decimal | None
    is_bonus: bool = False


class RuleDefault(NamedTuple):
    category: str
    points: Decimal
    unit: str = "event"
    cap: Decimal | None = None


CATEGORIES: dict[str, CategoryDefault] = {
    "meetings": CategoryDefault(Decimal(30)),
    "activities": CategoryDefault(Decimal(25)),
    "suggestions": CategoryDefault(Decimal(20)),
    "people": CategoryDefault(Decimal(15)),
    "learning": CategoryDefault(Decimal(10)),
    "bonus": CategoryDefault(Decimal(20), is_bonus=True),
}

RULES: dict[str, RuleDefault] = {
    "session": RuleDefault("meetings", Decimal(20)),
    "session_leave": RuleDefault("meetings", Decimal(0)),
    "invited_attendance": RuleDefault("meetings", Decimal(5)),
    "inspection": RuleDefault("activities", Decimal(5)),
    "research": RuleDefault("activities", Decimal(5)),
    "law_check": RuleDefault("activities", Decimal(5)),
    "themed_action": RuleDefault("activities", Decimal(5)),
    "group_activity": RuleDefault("activities", Decimal(3)),
    "other_activity": RuleDefault("activities", Decimal(2)),
    # Absent without leave: nothing by default; an office may make it a deduction.
    "absence": RuleDefault("activities", Decimal(0)),
    "training": RuleDefault("learning", Decimal(1), unit="hour"),
    "reception": RuleDefault("people", Decimal(3)),
    "people": RuleDefault("people", Decimal(2)),
    "suggestion_lead": RuleDefault("suggestions", Decimal(5)),
    "suggestion_cosign": RuleDefault("suggestions", Decimal(2)),
    "motion_lead": RuleDefault("suggestions", Decimal(8)),
    "key_suggestion": RuleDefault("bonus", Decimal(5)),
    "award_national": RuleDefault("bonus", Decimal(20)),
    "award_provincial": RuleDefault("bonus", Decimal(15)),
    "award_city": RuleDefault("bonus", Decimal(10)),
    "award_county": RuleDefault("bonus", Decimal(5)),
}
