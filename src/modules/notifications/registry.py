"""Notification kinds, and their Chinese templates with `{variable}` placeholders.

A module declares its kinds in `renda/modules/<module>/notification_kinds.py` with `register_kind`;
every such file is imported on first use, in the web process and in workers alike. Templates name
only declared variables, by plain name (no attribute or index access: offices edit templates).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from renda.core.errors import InvalidInput
from renda.modules import import_module_parts
from renda.modules.notifications.models import CHANNELS

MAX_TITLE = 200
MAX_BODY = 2000


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: str  # Chinese, shown on the preferences page
    title_template: str
    body_template: str
    variables: Mapping[str, str]  # name → Chinese description, shown on the templates page
    default_channels: tuple[str, ...] = ("email",)  # delivered at once unless the user chooses otherwise
    description: str = ""


_kinds: dict[str, NotificationKind] = {}
_loaded = False


def register_kind(
    name: str,
    label: str,
    title_template: str,
    body_template: str,
    *,
    variables: Mapping[str, str],
    default_channels: tuple[str, ...] = ("email",),
    description: str = "",
) -> NotificationKind:
    """Declare a kind; its templates are checked now, so a typo fails at import, not at send time."""
    unknown = set(default_channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)} for notification kind {name}")
    kind = NotificationKind(name, label, title_template, body_template, dict(variables), default_channels, description)
    check_template(kind, title_template, body_template)
    _kinds[name] = kind
    return kind


def load_kinds() -> None:
    """Import every module's `notification_kinds.py` once."""
    global _loaded
    if _loaded:
        return
    import_module_parts("notification_kinds")
    _loaded = True


def kinds() -> dict[str, NotificationKind]:
    load_kinds()
    return dict(_kinds)


def get_kind(name: str) -> NotificationKind:
    kind = kinds().get(name)
    if kind is None:
        raise InvalidInput(f"不支持的通知类型“{name}”", code="unknown_notification_kind")
    return kind


def _fields(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError:
        raise InvalidInput(
            "模板格式不正确:花括号不成对(要显示花括号本身请写 {{ 或 }})", code="invalid_template"
        ) from None


def check_template(kind: NotificationKind, title: str, body: str) -> None:
    """Every placeholder is a declared variable, without conversions, formats or attribute access."""
    if not title.strip() or len(title) > MAX_TITLE:
        raise InvalidInput(f"标题模板不能为空,且不超过 {MAX_TITLE} 个字", code="invalid_template")
    if not body.strip() or len(body) > MAX_BODY:
        raise InvalidInput(f"正文模板不能为空,且不超过 {MAX_BODY} 个字", code="invalid_template")
    for template in (title, body):
        for _, name, spec, conversion in _fields(template):
            if name is None:
                continue
            if name not in kind.variables or spec or conversion:
                allowed = "、".join(f"{{{v}}}" for v in kind.variables) or "无"
                raise InvalidInput(
                    f"模板中的变量 {{{name}}} 不可用;可用的变量:{allowed}",
                    code="unknown_template_variable",
                )


def render(template: str, variables: Mapping[str, Any]) -> str:
    """Fill a checked template; a variable the caller did not pass is a programming error."""
    parts: list[str] = []
    for literal, name, _, _ in _fields(template):
        parts.append(literal)
        if name is not None:
            if name not in variables:
                raise KeyError(f"notification template needs variable {name!r}")
            parts.append(str(variables[name]))
    return "".join(parts)
