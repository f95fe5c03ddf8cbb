"""The audit log as a person reads it: who (a name, or 系统), did what, to which object (by name, with
a link to its page), and each field in Chinese with its value formatted: local times, enum values by
their names, references by the names of what they point to, 是/否, 空, (已隐藏) for redacted fields.

Names are looked up for a whole page (or export batch) at once: one query per kind of object the
rows mention, and one more for objects that were deleted since (their names are in the log's records
of their creation and deletion).
"""

from __future__ import annotations

import decimal
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from string import Formatter
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    Uuid,
    case,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import PlatformBase, TenantBase
from renda.core.timezone import to_local
from renda.modules.audit import labels as registry
from renda.modules.audit.labels import ACTION_LABELS, EntityLabels
from renda.modules.audit.models import AuditLog

EMPTY = "空"
HIDDEN = "(已隐藏)"
REDACTED = "***"  # what the recorder writes for a redacted field
GONE = "(已不存在)"
SYSTEM = "系统"
_USER = re.compile(r"^user:[0-9a-fA-F-]{36}:(.+)$", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_LIMIT = 200  # longer texts are cut in the log: the object's own page has them whole


@dataclass(frozen=True)
class Shown:
    """A value as shown: its text, and the page it links to (references to objects that have one)."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Change:
    label: str
    new: Shown
    old: Shown | None = None  # an update's value before

    def as_text(self) -> str:
        return f"{self.label}: {self.old.text} → {self.new.text}" if self.old else f"{self.label}: {self.new.text}"


@dataclass(frozen=True)
class Actor:
    name: str
    system: bool = False
    detail: str | None = None  # which job, for system actors


@dataclass(frozen=True)
class ReadableEntry:
    at: datetime
    actor: Actor
    action: str
    entity: str
    subject: Shown | None
    changes: list[Change]
    hidden_only: bool = False  # an update of fields the log does not show

    def as_text(self) -> str:
        return "\n".join(change.as_text() for change in self.changes)


# --- who --------------------------------------------------------------------------------------------
def is_system_actor(actor: str) -> bool:
    return actor == "system" or actor.startswith("system:")


def actor_of(actor: str | None) -> Actor:
    """`user:<id>:<name>` is that person; `system:…` a job (its Chinese name kept as detail);
    `public:…` someone on the public pages."""
    if not actor:
        return Actor(EMPTY)
    if is_system_actor(actor):
        last = actor.rsplit(":", 1)[-1]
        return Actor(SYSTEM, True, last if _CJK.search(last) else None)
    person = _USER.match(actor)
    if person:
        return Actor(person.group(1))
    if actor == "public" or actor.startswith("public:"):
        detail = actor.split(":", 1)[1] if ":" in actor else ""
        return Actor("群众", detail=detail if detail and detail != "群众" else None)
    if actor == "anonymous":
        return Actor("未登录的访问者")
    last = actor.rsplit(":", 1)[-1]
    return Actor(last if _CJK.search(last) else "其他")


def _looks_like_actor(value: Any) -> bool:
    return isinstance(value, str) and (
        _USER.match(value) is not None or is_system_actor(value) or value.startswith(("public:", "token:"))
    )


# --- the tables behind the entities -------------------------------------------------------------------
def table_of(labels: EntityLabels) -> Table | None:
    if labels.platform:
        return PlatformBase.metadata.tables.get(f"platform.{labels.entity}")
    return TenantBase.metadata.tables.get(labels.entity)


_redacted: dict[str, frozenset[str]] | None = None


def redacted_fields(entity: str) -> frozenset[str]:
    """The fields a model keeps out of the log (`__audit_redact__`)."""
    global _redacted
    if _redacted is None:
        _redacted = {
            mapper.local_table.name: frozenset(getattr(mapper.class_, "__audit_redact__", ()))
            for base in (TenantBase, PlatformBase)
            for mapper in base.registry.mappers
            if isinstance(mapper.local_table, Table)
        }
    return _redacted.get(entity, frozenset())


def reference_kind(labels: EntityLabels, table: Table | None, field: str) -> str | None:
    """The kind of object a field points to: declared, else its foreign key's table."""
    if field in labels.refs:
        return labels.refs[field]
    if table is not None and field in table.c:
        for fk in table.c[field].foreign_keys:
            return fk.column.table.name
    return None


# --- values -----------------------------------------------------------------------------------------
Names = Mapping[tuple[str, str], Shown]


def _datetime(value: Any) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _date(value: Any) -> str:
    try:
        return (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).strftime("%Y-%m-%d")
    except ValueError:
        return str(value)


def _time(value: Any) -> str:
    try:
        return (value if isinstance(value, time) else time.fromisoformat(str(value))).strftime("%H:%M")
    except ValueError:
        return str(value)


def _number(value: Any) -> str:
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return str(value)
    return format(number.normalize(), "f")


def _plain_text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "、".join(f"{_plain_text(k)}: {_plain_text(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, list):
        return "、".join(_plain_text(v) for v in value) or EMPTY
    return str(value)


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def details_format(
    fields: Mapping[str, str], values: Mapping[str, Mapping[Any, str]] | None = None, hidden: Iterable[str] = ()
) -> Callable[[Any], str]:
    """Formatting of a JSON field holding named details (a change's fields, each `[old, new]`, or
    plain values): labelled in Chinese; ids and keys without a label are left out."""
    values, hidden = values or {}, frozenset(hidden)

    def one(key: str, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(values.get(key, {}).get(value, value))

    def format_details(details: Any) -> str:
        if not isinstance(details, dict):
            return _plain_text(details)
        parts = []
        for key, value in details.items():
            if key in hidden or key not in fields or (isinstance(value, str) and _UUID.match(value)):
                continue
            if isinstance(value, list) and len(value) == 2:
                parts.append(f"{fields[key]}: {one(key, value[0])} → {one(key, value[1])}")
            else:
                parts.append(f"{fields[key]}: {one(key, value)}")
        return ";".join(parts) or EMPTY

    return format_details


def format_value(
    labels: EntityLabels, table: Table | None, field: str, value: Any, names: Names | None = None
) -> Shown:
    """One field's value as a person reads it."""
    if field in redacted_fields(labels.entity) and value == REDACTED:
        return Shown(HIDDEN)
    if value is None or value == "" or value == []:
        return Shown(EMPTY)
    if field in labels.formats:
        return Shown(labels.formats[field](value))
    if field in labels.values:
        mapping = labels.values[field]
        if isinstance(value, list):
            return Shown("、".join(mapping.get(v, _plain_text(v)) for v in value))
        return Shown(mapping.get(value, _plain_text(value)))
    kind = reference_kind(labels, table, field)
    if kind is not None:
        keys = value if isinstance(value, list) else [value]
        found = [(names or {}).get((kind, str(key))) for key in keys]
        if len(found) == 1:
            return found[0] or Shown(GONE)
        return Shown("、".join(shown.text if shown else GONE for shown in found))
    if (field.endswith("_by") or field == "actor") and _looks_like_actor(value):
        return Shown(actor_of(value).name)
    column_type = table.c[field].type if table is not None and field in table.c else None
    if isinstance(column_type, Boolean) or isinstance(value, bool):
        return Shown("是" if value else "否")
    if isinstance(column_type, DateTime):
        return Shown(_datetime(value))
    if isinstance(column_type, Date):
        return Shown(_date(value))
    if isinstance(column_type, Time):
        return Shown(_time(value))
    if isinstance(column_type, Numeric) and not isinstance(column_type, Integer):
        return Shown(_number(value))
    if isinstance(column_type, LargeBinary):
        return Shown("(文件内容)")
    if isinstance(column_type, Uuid):
        return Shown(GONE)  # an id nobody declared a name for: never shown raw
    text = _plain_text(value)
    return Shown(text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…")


def _ordered(table: Table | None, changes: Mapping[str, Any]) -> list[str]:
    """The table's column order (the stored JSON orders keys by length)."""
    columns = [c.name for c in table.columns] if table is not None else []
    return [c for c in columns if c in changes] + sorted(k for k in changes if k not in columns)


def readable(entry: AuditLog, names: Names) -> ReadableEntry:
    labels = registry.entity(entry.entity)
    table = table_of(labels)
    changes: list[Change] = []
    shown_fields = [f for f in _ordered(table, entry.changes or {}) if labels.shows(f)]
    for field in shown_fields:
        label = labels.label(field) or "其他信息"
        value = entry.changes[field]
        if entry.action == "update" and isinstance(value, list) and len(value) == 2:
            old, new = value
            changes.append(
                Change(
                    label,
                    format_value(labels, table, field, new, names),
                    format_value(labels, table, field, old, names),
                )
            )
        elif entry.action != "update":
            shown = format_value(labels, table, field, value, names)
            if shown.text != EMPTY:
                changes.append(Change(label, shown))
    subject = names.get((entry.entity, entry.entity_id)) if entry.entity_id else None
    return ReadableEntry(
        at=entry.at,
        actor=actor_of(entry.actor),
        action=ACTION_LABELS.get(entry.action, "其他操作"),
        entity=labels.name,
        subject=subject,
        changes=changes,
        hidden_only=entry.action == "update" and not shown_fields,
    )


# --- names for a page of entries -----------------------------------------------------------------------
def wanted_names(entries: Iterable[AuditLog]) -> dict[str, set[str]]:
    """Every object the entries name, by kind: their own objects and the objects their fields point to."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        labels = registry.entity(entry.entity)
        table = table_of(labels)
        if entry.entity_id and (labels.title is not None or entry.entity in registry.resolvers()):
            wanted[entry.entity].add(entry.entity_id)
        for field, value in (entry.changes or {}).items():
            if not labels.shows(field) or field in labels.formats or field in labels.values:
                continue
            kind = reference_kind(labels, table, field)
            if kind is None:
                continue
            values = value if entry.action != "update" else value if isinstance(value, list) else []
            for item in values if isinstance(values, list) else [values]:
                for key in item if isinstance(item, list) else [item]:
                    if key is not None and key != REDACTED:
                        wanted[kind].add(str(key))
    return wanted


def uuid_keys(keys: Iterable[str]) -> list[uuid.UUID]:
    """The keys that are ids (for a module's own name lookup)."""
    found = []
    for key in keys:
        try:
            found.append(uuid.UUID(key))
        except (ValueError, TypeError):
            continue
    return found


def _keys_for(table: Table, keys: Iterable[str]) -> list[Any]:
    id_type = table.c.id.type
    converted: list[Any] = []
    for key in keys:
        try:
            converted.append(uuid.UUID(key) if isinstance(id_type, Uuid) else int(key))
        except (ValueError, TypeError):
            continue
    return converted


def _link(template: str | None, row: Mapping[str, Any], office_code: str) -> str | None:
    if template is None:
        return None
    values = {name: row.get(name) for _, name, _, _ in Formatter().parse(template) if name and name != "code"}
    if any(value is None for value in values.values()):
        return None
    return template.format(code=office_code, **values)


def _link_columns(template: str | None) -> list[str]:
    if template is None:
        return []
    return [name for _, name, _, _ in Formatter().parse(template) if name and name not in ("code", "id")]


async def resolve_names(
    session: AsyncSession, wanted: Mapping[str, set[str]], office_code: str
) -> dict[tuple[str, str], Shown]:
    """Names (and pages) of the wanted objects: one query per kind, one for the deleted ones."""
    found: dict[tuple[str, str], Shown] = {}
    missing: list[tuple[str, str]] = []
    custom = registry.resolvers()
    for kind, keys in wanted.items():
        if not keys:
            continue
        if kind in custom:
            for key, (text, link) in (await custom[kind](session, sorted(keys))).items():
                found[(kind, key)] = Shown(text, link.format(code=office_code) if link else None)
            continue
        labels = registry.entities().get(kind)
        table = table_of(labels) if labels else None
        if labels is None or labels.title is None or table is None:
            continue
        ids = _keys_for(table, keys)
        if not ids:
            continue
        extra = [table.c[name] for name in _link_columns(labels.link) if name in table.c]
        rows = await session.execute(select(table.c.id, labels.title.label("title"), *extra).where(table.c.id.in_(ids)))
        for row in rows.mappings():
            if row["title"] is not None:
                found[(kind, str(row["id"]))] = Shown(str(row["title"]), _link(labels.link, row, office_code))
        missing += [(kind, key) for key in keys if (kind, key) not in found]
    await _deleted_names(session, missing, found)
    return found


async def _deleted_names(
    session: AsyncSession, missing: Sequence[tuple[str, str]], found: dict[tuple[str, str], Shown]
) -> None:
    """Objects deleted since: their names as the log recorded them when they were made or deleted."""
    fields = {
        kind: labels.title_field
        for kind in {kind for kind, _ in missing}
        if (labels := registry.entities().get(kind)) is not None and labels.title_field and not labels.platform
    }
    pairs = [(kind, key) for kind, key in missing if kind in fields]
    if not pairs:
        return
    title = case(*((AuditLog.entity == kind, AuditLog.changes[field].astext) for kind, field in fields.items()))
    rows = await session.execute(
        select(AuditLog.entity, AuditLog.entity_id, title).where(
            AuditLog.action.in_(("create", "delete")), tuple_(AuditLog.entity, AuditLog.entity_id).in_(pairs)
        )
    )
    for kind, key, name in rows:
        if name:
            found[(kind, key)] = Shown(f"{name}(已删除)")


async def readable_entries(session: AsyncSession, entries: Sequence[AuditLog], office_code: str) -> list[ReadableEntry]:
    names = await resolve_names(session, wanted_names(entries), office_code)
    return [readable(entry, names) for entry in entries]
