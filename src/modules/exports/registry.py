"""Export kinds: a module makes any of its lists exportable by registering it here.

Most kinds are a list: `rows` yields the rows of one Excel sheet. A kind whose file is something else
(a zip of PDFs) gives `build` instead, which makes the whole file and reports its progress item by
item, so the export's page can show how far the job has come.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

RowSource = Callable[[AsyncSession, dict[str, Any]], AsyncIterator[list[Any]]]
# (done, total): called as the items are made; the job records it where the export's page reads it.
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str  # with its extension, which also gives the download's media type
    count: int  # items in it (rows, documents)


FileBuilder = Callable[[AsyncSession, dict[str, Any], Progress], Awaitable[ExportFile]]


async def _no_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    return
    yield  # an async generator that yields nothing


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str  # Chinese, used as sheet and file name
    headers: list[str]
    rows: RowSource
    permission: str  # what the requester must be allowed to read
    build: FileBuilder | None = None  # a file other than one sheet of `rows`


def file_kind(name: str, label: str, build: FileBuilder, permission: str) -> ExportKind:
    """A kind whose file `build` makes whole (with progress), not from rows."""
    return ExportKind(name, label, [], _no_rows, permission, build)


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
