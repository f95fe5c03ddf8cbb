"""What the organisation's parts share: the messages for refused writes, and small text helpers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import flush_or_conflict
from renda.core.errors import InvalidInput, NotFound

BODY_ROLE_LABELS = {
    "special_committee": {"chair": "主任委员", "vice_chair": "副主任委员", "member": "委员"},
    "working_commission": {"chair": "主任", "vice_chair": "副主任", "member": "委员"},
}
GENDER_LABELS = {"male": "男", "female": "女"}
COUNCIL_POSITIONS = frozenset({"chair", "vice_chair", "secretary_general"})


# Unique constraints and indexes → what the caller is told when one of them refuses a write.
CONFLICTS: dict[str, tuple[str, str]] = {
    "uq_committee_members_one_chair": ("second_chair", "本届常委会已有在任主任;如需更换,请先为原主任填写离任日期"),
    "uq_group_memberships_one_geographic_external": (
        "already_in_geographic_group",
        "该代表已编入其他代表小组,每名代表只能编入一个代表小组",
    ),
    "uq_group_memberships_group_external": ("already_member", "该代表已是本小组成员"),
    "uq_station_assignments_station_external": ("already_assigned", "该代表已进驻本站点"),
    "uq_group_memberships_one_geographic": (
        "already_in_geographic_group",
        "该代表已编入其他代表小组,每名代表只能编入一个代表小组",
    ),
    "uq_group_memberships_group_id": ("already_member", "该代表已是本小组成员"),
    "uq_station_assignments_station_id": ("already_assigned", "该代表已进驻本站点"),
    "uq_body_members_body_id": ("already_member", "该组成人员已是本委员会成员"),
    "uq_body_members_body_person": ("already_member", "该代表已是本委员会成员"),
    "uq_bodies_name": ("duplicate_name", "已有同名的委员会"),
    "uq_deputy_groups_name": ("duplicate_name", "已有同名的代表小组"),
    "uq_stations_name": ("duplicate_name", "已有同名的家站室"),
}


async def delete_found(session: AsyncSession, row: Any, missing: NotFound) -> None:
    """Delete a looked-up row, or say it is not there."""
    if row is None:
        raise missing
    await session.delete(row)
    await flush(session)


async def flush(session: AsyncSession) -> None:
    """Flush; a known unique constraint violated becomes a Conflict with its code and message."""
    await flush_or_conflict(session, CONFLICTS)


def sent_fields(patch: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


def clean_name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"请填写{what}", code="name_required")
    return value


def optional_text(value: str | None) -> str | None:
    return (value or "").strip() or None


def reception_label(days: Iterable[int]) -> str:
    days = list(days)
    if not days:
        return "未设固定接待日"
    label = "每月" + "、".join(f"{d}日" for d in days)
    return label + "(逢十接待日)" if days == [10, 20, 30] else label
