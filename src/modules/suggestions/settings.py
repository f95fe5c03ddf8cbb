"""The office's rules for the loop (办理规则): periods, windows and the public board's fields, changed
by staff; every bound is checked here with a Chinese message before the row's own constraint sees it."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.modules.suggestions.common import LoopCaller, load_settings, require_manage
from renda.modules.suggestions.models import SuggestionSettings
from renda.modules.suggestions.schemas import SettingsIn, SettingsOut

# What the public board may show of a suggestion; each office picks (the supervision part shows them).
PUBLIC_FIELDS: dict[str, str] = {
    "number": "编号",
    "title": "标题",
    "category": "分类",
    "deputy": "领衔代表",
    "units": "承办单位",
    "status": "办理状态",
    "reply_class": "答复类别",
    "deadline": "办理期限",
    "rating": "代表评价",
}

# field: (label, lowest, highest, unit) — the same bounds as the table's `bounds` constraint.
BOUNDS: dict[str, tuple[str, int, int, str]] = {
    "motion_min_cosigners": ("议案最少联名代表人数", 1, 100, "人"),
    "deadline_months": ("办理期限", 1, 12, "个月"),
    "broad_deadline_months": ("涉及面广的建议办理期限", 1, 12, "个月"),
    "cohandler_days": ("协办单位提出协办意见的期限", 1, 180, "天"),
    "reassign_window_days": ("申请调整承办单位的期限", 0, 60, "天"),
    "rating_window_days": ("代表评价期限", 1, 180, "天"),
    "second_round_months": ("不满意重新办理期限", 1, 12, "个月"),
}


def settings_out(settings: SuggestionSettings) -> SettingsOut:
    return SettingsOut(
        motion_min_cosigners=settings.motion_min_cosigners,
        deadline_months=settings.deadline_months,
        broad_deadline_months=settings.broad_deadline_months,
        cohandler_days=settings.cohandler_days,
        reassign_window_days=settings.reassign_window_days,
        extension_needs_approval=settings.extension_needs_approval,
        rating_window_days=settings.rating_window_days,
        second_round_months=settings.second_round_months,
        share_similar=settings.share_similar,
        public_board=settings.public_board,
        public_fields=list(settings.public_fields or []),
        updated_at=settings.updated_at,
    )


def _checked(data: SettingsIn, current: SuggestionSettings) -> dict[str, object]:
    changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
    for field, (label, low, high, unit) in BOUNDS.items():
        value = changes.get(field)
        if value is not None and not low <= value <= high:  # type: ignore[operator]
            raise InvalidInput(
                f"{label}应在 {low} 至 {high} {unit}之间", code="invalid_setting", details={"field": field}
            )
    deadline = changes.get("deadline_months", current.deadline_months)
    broad = changes.get("broad_deadline_months", current.broad_deadline_months)
    if broad < deadline:  # type: ignore[operator]
        raise InvalidInput(
            "涉及面广的建议办理期限不能短于一般建议的办理期限",
            code="invalid_setting",
            details={"field": "broad_deadline_months"},
        )
    if "public_fields" in changes:
        fields = list(dict.fromkeys(changes["public_fields"]))  # type: ignore[call-overload]
        unknown = [f for f in fields if f not in PUBLIC_FIELDS]
        if unknown:
            raise InvalidInput(
                f"公开栏不能显示“{'、'.join(unknown)}”", code="unknown_public_field", details={"field": "public_fields"}
            )
        if "title" not in fields and "number" not in fields:
            raise InvalidInput("公开栏至少要显示编号或标题", code="invalid_setting", details={"field": "public_fields"})
        changes["public_fields"] = fields
    return changes


async def update_settings(session: AsyncSession, caller: LoopCaller, data: SettingsIn) -> SuggestionSettings:
    require_manage(caller)
    settings = await load_settings(session)
    for field, value in _checked(data, settings).items():
        setattr(settings, field, value)
    await session.flush()
    return settings
