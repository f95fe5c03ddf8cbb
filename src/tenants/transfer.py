"""One office's complete data in one file: `renda tenants export CODE --out FILE`.

The file is a gzipped tar: `manifest.json` (format version, office, both migration revisions, the
secret key's fingerprint, every table with its columns, row count and SHA-256) and one file per table
in PostgreSQL's COPY text format, ordered by primary key. It holds:

- every table of the office's schema `t_<code>` (alembic_version included) and its sequences;
- the office's rows in `platform` (`PLATFORM_PARTS`): its registry row, memberships, invitations,
  office API tokens, the mandates it publishes to the directory and claims, its rollup figures and
  its platform audit events, plus the users those rows name and their sign-in identities (users are
  shared by offices: an import adds the missing ones and leaves existing ones as they are).

Not carried, on purpose: work in flight of the deployment (outbox, dead jobs, processed messages,
scheduled runs, rollup_pending: the import marks the office's ancestors stale instead), portal rate
hits, browser sessions and sign-ins in progress, identity providers (configuration of the deployment,
often serving many offices) and personal API tokens.

Everything is read in one REPEATABLE READ transaction (one snapshot), as a job of that office
(`office_job`): a statement naming another office's schema is refused as in any job.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from renda.core.crypto import key_fingerprint
from renda.core.db import PLATFORM_SCHEMA, Database, utcnow
from renda.core.errors import InvalidInput, NotFound
from renda.tenants.scoping import office_job

FORMAT = "renda-office-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_CODE = re.compile(r"^\d{6}(\d{3})?$")


@dataclass(frozen=True)
class PlatformPart:
    """An office's rows in one platform table. `owned` rows are the office's alone (a restore
    replaces them); the others are shared (an import adds those missing, by primary key)."""

    table: str
    where: str  # {id} and {code} are the office's, as SQL literals
    owned: bool = True


_OFFICE_USERS = (
    "select user_id from platform.memberships where tenant_id = {id} "
    "union select user_id from platform.api_tokens where tenant_id = {id} "
    "union select accepted_user_id from platform.invitations where tenant_id = {id}"
)
# In load order (foreign keys: tenants and users first).
PLATFORM_PARTS = (
    PlatformPart("tenants", "id = {id}"),
    PlatformPart("users", f"id in ({_OFFICE_USERS})", owned=False),
    PlatformPart("user_identities", f"user_id in ({_OFFICE_USERS})", owned=False),
    PlatformPart("memberships", "tenant_id = {id}"),
    PlatformPart("invitations", "tenant_id = {id}"),
    PlatformPart("api_tokens", "tenant_id = {id}"),
    PlatformPart("mandate_directory", "recorded_by = {code}"),
    PlatformPart("mandate_claims", "recorded_by = {code}"),
    PlatformPart("rollup_figures", "office_code = {code}"),
    PlatformPart("audit_events", "tenant_code = {code}", owned=False),
)


def part_filter(part: PlatformPart, office_id: uuid.UUID, code: str) -> str:
    if not _CODE.match(code):
        raise InvalidInput(f"行政区划代码“{code}”无效", code="invalid_division_code")
    return part.where.format(id=f"'{uuid.UUID(str(office_id))}'::uuid", code=f"'{code}'")


@dataclass
class TableInfo:
    schema: str
    name: str
    columns: list[str]
    key: list[str]  # primary key columns (all columns when there is none)
    references: set[str] = field(default_factory=set)  # tables of the same schema it points at


def quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


async def table_infos(connection: AsyncConnection, schema: str, names: list[str] | None = None) -> dict[str, TableInfo]:
    """The schema's tables (or `names` of them): columns in order (generated ones left out: COPY cannot
    write them), primary key and the same-schema tables their foreign keys point at."""
    rows = (
        await connection.execute(
            text(
                """
                select c.relname,
                       array(select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                             and not a.attisdropped and a.attgenerated = '' order by a.attnum) as columns,
                       array(select a.attname from pg_constraint k
                             join unnest(k.conkey) with ordinality as u(attnum, n) on true
                             join pg_attribute a on a.attrelid = c.oid and a.attnum = u.attnum
                             where k.conrelid = c.oid and k.contype = 'p' order by u.n) as key,
                       array(select distinct r.relname from pg_constraint k join pg_class r on r.oid = k.confrelid
                             where k.conrelid = c.oid and k.contype = 'f' and r.relnamespace = c.relnamespace
                             and r.oid <> c.oid) as refs
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = :schema and c.relkind in ('r', 'p')
                  and (cast(:names as text[]) is null or c.relname = any(cast(:names as text[])))
                order by c.relname
                """
            ),
            {"schema": schema, "names": names},
        )
    ).all()
    return {
        name: TableInfo(schema, name, list(columns), list(key) or list(columns), set(refs))
        for name, columns, key, refs in rows
    }


def load_order(tables: dict[str, TableInfo]) -> list[str]:
    """Tables so that each comes after those its foreign keys point at (a table pointing at itself
    is loaded in one COPY, which checks its keys at the end)."""
    done: list[str] = []
    remaining = dict(tables)
    while remaining:
        ready = sorted(name for name, info in remaining.items() if not (info.references & remaining.keys()))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(remaining)}")
        done += ready
        for name in ready:
            del remaining[name]
    return done


async def sequences(connection: AsyncConnection, schema: str) -> list[dict[str, Any]]:
    names = (
        await connection.execute(
            text("select sequencename from pg_sequences where schemaname = :s order by 1"), {"s": schema}
        )
    ).scalars()
    found = []
    for name in list(names):
        last_value, is_called = (
            await connection.execute(text(f"select last_value, is_called from {quoted(schema, name)}"))
        ).one()
        found.append({"name": name, "last_value": last_value, "is_called": is_called})
    return found


async def driver(connection: AsyncConnection) -> Any:
    return (await connection.get_raw_connection()).driver_connection


def announce(connection: AsyncConnection, statement: str) -> None:
    """Run the engine's statement hooks (the office boundary guard) for a COPY sent to the driver."""
    sync = connection.sync_connection
    assert sync is not None
    sync.dispatch.before_cursor_execute(sync, None, statement, (), None, False)


@dataclass(frozen=True)
class ExportResult:
    code: str
    path: Path
    tables: int
    rows: int
    size: int
    seconds: float


async def office_row(connection: AsyncConnection, code: str) -> Any:
    row = (
        await connection.execute(
            text("select id, code, name, level, path, schema_name, status from platform.tenants where code = :code"),
            {"code": code},
        )
    ).first()
    if row is None:
        raise NotFound(f"机关 {code} 不存在", code="tenant_not_found")
    return row


async def export_office(database: Database, code: str, out: Path) -> ExportResult:
    """Write office `code` to `out` (replaced atomically: a failed export leaves no partial file)."""
    from renda.tenants.migrations import current_revision

    started = time.perf_counter()
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(f"行政区划代码“{code}”无效", code="invalid_division_code")
    schema = f"t_{code}"
    platform_revision = await current_revision(database, PLATFORM_SCHEMA)
    out = await asyncio.to_thread(out.resolve)
    with office_job(code), tempfile.TemporaryDirectory(dir=out.parent, prefix=".renda-export-") as work:
        async with database.engine.execution_options(schema_translate_map={None: schema}).connect() as connection:
            # One snapshot for everything (the transaction begins on checkout; nothing has run in it yet).
            await connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            office = await office_row(connection, code)
            children = list(
                (
                    await connection.execute(
                        text("select code from platform.tenants where parent_id = :id order by code"), {"id": office.id}
                    )
                ).scalars()
            )
            tenant_revision = (
                await connection.execute(text(f"select version_num from {quoted(schema, 'alembic_version')}"))
            ).scalar()
            entries = []
            raw = await driver(connection)
            for name, info in (await table_infos(connection, schema)).items():
                query = f"select {', '.join(quoted(c) for c in info.columns)} from {quoted(schema, name)}"
                entries.append(await _copy_out(connection, raw, Path(work), "tenant", info, query))
            platform = await table_infos(connection, PLATFORM_SCHEMA, [p.table for p in PLATFORM_PARTS])
            for part in PLATFORM_PARTS:
                info = platform[part.table]
                query = (
                    f"select {', '.join(quoted(c) for c in info.columns)} from {quoted(PLATFORM_SCHEMA, part.table)}"
                    f" where {part_filter(part, office.id, code)}"
                )
                entries.append(await _copy_out(connection, raw, Path(work), "platform", info, query))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "office": {
                    "code": office.code,
                    "name": office.name,
                    "level": office.level,
                    "path": office.path,
                    "schema": office.schema_name,
                    "status": office.status,
                },
                "children": children,
                "exported_at": utcnow().isoformat(),
                "platform_revision": platform_revision,
                "tenant_revision": tenant_revision,
                "key_fingerprint": key_fingerprint(),
                "tables": entries,
                "sequences": await sequences(connection, schema),
            }
        await asyncio.to_thread(_pack, Path(work), manifest, out)
    return ExportResult(
        code, out, len(entries), sum(e["rows"] for e in entries), out.stat().st_size, time.perf_counter() - started
    )


async def _copy_out(
    connection: AsyncConnection, raw: Any, work: Path, kind: str, info: TableInfo, query: str
) -> dict[str, Any]:
    ordered = f"{query} order by {', '.join(quoted(c) for c in info.key)}"
    file = f"{kind}/{info.name}.copy"
    (work / kind).mkdir(exist_ok=True)
    statement = f"COPY ({ordered}) TO STDOUT"
    announce(connection, statement)
    status = await raw.copy_from_query(ordered, output=str(work / file))
    return {
        "kind": kind,
        "table": info.name,
        "file": file,
        "columns": info.columns,
        "rows": int(status.split()[-1]),
        "sha256": await asyncio.to_thread(_sha256, work / file),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pack(work: Path, manifest: dict[str, Any], out: Path) -> None:
    """The archive is written beside `out` and renamed over it once complete and on disk."""
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    partial = work / "export.tar.gz"
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(work / MANIFEST, arcname=MANIFEST)
        for entry in manifest["tables"]:
            archive.add(work / entry["file"], arcname=entry["file"])
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, out)
