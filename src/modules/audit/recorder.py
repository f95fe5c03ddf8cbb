"""Records every ORM write in the audit log of the schema it was written to.

Installed once as a SQLAlchemy `after_flush` listener, so no write path can forget it: rows of
tenant tables are logged in that tenant's `audit_log`, rows of platform tables in
`platform.audit_events`. A creation records the new row's values, an update each changed field's
old and new value, a deletion the deleted row's values. The actor comes from `session.info["actor"]`
(set by the request's tenant session or by the worker); a model lists fields that must never be
logged in `__audit_redact__` and opts out entirely with `__audit__ = False`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from renda.core.db import PlatformBase, TenantBase, utcnow
from renda.modules.audit.models import AUDIT_MODELS, AuditLog, PlatformAuditEvent

REDACTED = "***"


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _changes(obj: Any, action: str) -> dict[str, Any]:
    state = inspect(obj)
    redact = set(getattr(obj, "__audit_redact__", ()))
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ("created_at", "updated_at"):
            continue
        if action == "update":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changes[key] = [REDACTED, REDACTED] if key in redact else [_plain(old), _plain(new)]
        else:
            # A deletion keeps what was deleted, as it was loaded (reading more would query in a flush).
            value = state.attrs[key].value if action == "create" else state.dict.get(key)
            if value is not None:
                changes[key] = REDACTED if key in redact else _plain(value)
    return changes


def _entity_id(obj: Any) -> str | None:
    # New objects get their identity key only after the flush; their primary key is set already.
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key) if key and all(p is not None for p in key) else None


def _after_flush(session: Session, _flush_context: Any) -> None:
    actor = session.info.get("actor", "system")
    tenant_code = session.info.get("tenant_code")
    now = utcnow()
    rows: dict[type, list[dict[str, Any]]] = {AuditLog: [], PlatformAuditEvent: []}
    candidates = [
        *((obj, "create") for obj in session.new),
        *((obj, "update") for obj in session.dirty if session.is_modified(obj, include_collections=False)),
        *((obj, "delete") for obj in session.deleted),
    ]
    for obj, action in candidates:
        if isinstance(obj, AUDIT_MODELS) or getattr(obj, "__audit__", True) is False:
            continue
        target = (
            AuditLog if isinstance(obj, TenantBase) else PlatformAuditEvent if isinstance(obj, PlatformBase) else None
        )
        if target is None:
            continue
        changes = _changes(obj, action)
        if action == "update" and not changes:
            continue
        rows[target].append(
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor": actor,
                "tenant_code": tenant_code,
                "action": action,
                "entity": obj.__tablename__,
                "entity_id": _entity_id(obj),
                "changes": changes,
            }
        )
    connection = session.connection()
    for model, batch in rows.items():
        if batch:
            connection.execute(insert(model.__table__), batch)


def install_audit_recorder() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
