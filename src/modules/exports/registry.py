"""Export kinds: a module makes any of its lists exportable by registering it here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

RowSource = Callable[[AsyncSession, dict[str, Any]], AsyncIterator[list[Any]]]


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str  # Chinese, used as sheet and file name
    headers: list[str]
    rows: RowSource
    permission: str  # what the requester must be allowed to read


_kinds: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    _kinds[kind.name] = kind


def export_kinds() -> dict[str, ExportKind]:
    _load_builtin()
    return dict(_kinds)


def _load_builtin() -> None:
    if "audit_log" in _kinds:
        return
    from renda.modules.audit import service as audit

    register_export(ExportKind("audit_log", "操作日志", audit.EXPORT_HEADERS, audit.export_rows, "audit.read"))
