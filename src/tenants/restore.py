"""Loading an office export: `renda tenants import FILE [--replace]`.

Refused before anything is written: a file whose checksums do not match, whose migration revisions
differ from this deployment's, made under another RENDA_SECRET_KEY (unless told), for an office that
exists here (unless `replace`), or whose parent office is not here. Then one transaction: the office's
schema created at the deployment's revision (or, replacing, its tables emptied), every table loaded
with COPY in foreign-key order, the platform rows put in place (replacing only the office's own), its
sequences set, its ancestors' rollups marked stale, its repeated-suggestion copies resynced with the
offices above and below, and the import recorded in the platform audit log.
Other offices' rows are never touched; statements run as a job of this office (`office_job`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from renda.core.crypto import key_fingerprint
from renda.core.db import PLATFORM_SCHEMA, Database
from renda.core.errors import Conflict, InvalidInput
from renda.tenants.divisions import schema_for
from renda.tenants.migrations import TENANT_SCRIPTS, current_revision, script_directory, upgrade_schema
from renda.tenants.scoping import office_job
from renda.tenants.transfer import (
    _CODE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PLATFORM_PARTS,
    announce,
    driver,
    load_order,
    part_filter,
    quoted,
    table_infos,
)
from renda.workers.outbox import NOTIFY_CHANNEL

IMPORT_ACTOR = "system:cli:机关导入"


class ExportFileError(InvalidInput):
    pass


@dataclass(frozen=True)
class ImportResult:
    code: str
    replaced: bool
    tables: int
    rows: int
    seconds: float
    missing_children: list[str]  # child offices of the export that this deployment does not have


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
        assert member is not None
        manifest = json.loads(member.read().decode("utf-8"))
    except (KeyError, AssertionError, ValueError) as error:
        raise ExportFileError("文件不是机关导出文件(没有可读的 manifest.json)", code="export_not_readable") from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ExportFileError(
            f"文件格式 {manifest.get('format')} v{manifest.get('format_version')} 不受支持"
            f"(本版本读取 {FORMAT} v{FORMAT_VERSION})",
            code="export_format",
        )
    if not _CODE.match(str(manifest.get("office", {}).get("code", ""))):
        raise ExportFileError("文件中的行政区划代码无效", code="export_not_readable")
    return manifest


_FILE = re.compile(r"^(tenant|platform)/[a-z0-9_]+\.copy$")


def unpack(archive: tarfile.TarFile, manifest: dict[str, Any], work: Path) -> None:
    """Write every table's data to `work`, checking it against its checksum on the way."""
    for entry in manifest["tables"]:
        if not _FILE.match(str(entry.get("file"))):
            raise ExportFileError(f"文件中的数据名 {entry.get('file')} 无效", code="export_not_readable")
        try:
            member = archive.extractfile(entry["file"])
        except KeyError:
            member = None
        if member is None:
            raise ExportFileError(f"文件不完整:缺少 {entry['file']}", code="export_checksum")
        digest = hashlib.sha256()
        local = work / entry["file"].replace("/", "__")
        with open(local, "wb") as handle:
            for block in iter(lambda member=member: member.read(1 << 20), b""):
                digest.update(block)
                handle.write(block)
        if digest.hexdigest() != entry["sha256"]:
            raise ExportFileError(
                f"文件已损坏或被改动:{entry['kind']}.{entry['table']} 的校验和不符,未导入任何数据",
                code="export_checksum",
            )
        entry["local"] = str(local)


async def check_revisions(database: Database, manifest: dict[str, Any]) -> None:
    here = {
        "platform": await current_revision(database, PLATFORM_SCHEMA),
        "tenant": script_directory(TENANT_SCRIPTS).get_current_head(),
    }
    for history, revision in here.items():
        theirs = manifest.get(f"{history}_revision")
        if theirs != revision:
            raise ExportFileError(
                f"迁移版本不一致:文件的 {history} 版本为 {theirs},本部署为 {revision}。"
                "请先把两边升级到同一版本(renda migrate),再导出、导入",
                code="export_revision_mismatch",
            )


async def import_office(
    database: Database, path: Path, *, replace: bool = False, other_key: bool = False
) -> ImportResult:
    started = time.perf_counter()
    try:
        archive = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as error:
        raise ExportFileError(f"无法读取文件 {path}:{error}", code="export_not_readable") from error
    with archive, tempfile.TemporaryDirectory(prefix="renda-import-") as work:
        manifest = read_manifest(archive)
        try:
            await asyncio.to_thread(unpack, archive, manifest, Path(work))
        except (OSError, tarfile.TarError, EOFError) as error:
            raise ExportFileError(f"文件已损坏:{error}", code="export_checksum") from error
        await check_revisions(database, manifest)
        if manifest.get("key_fingerprint") != key_fingerprint() and not other_key:
            raise ExportFileError(
                "文件是在另一个 RENDA_SECRET_KEY 下导出的:导入后其中加密的个人信息(身份证号、手机号)无法解密,"
                "按号码查找也会失效。请用导出方的密钥运行导入;确需导入请加 --other-key",
                code="export_key_mismatch",
            )
        office = manifest["office"]
        code = office["code"]
        with office_job(code):
            try:
                result = await _load(database, manifest, replace=replace)
            except (asyncpg.IntegrityConstraintViolationError, IntegrityError) as error:
                cause = getattr(error, "orig", None)
                cause = getattr(cause, "__cause__", None) or cause or error
                raise Conflict(
                    f"与本部署已有的数据冲突,未导入任何数据:{getattr(cause, 'table_name', '')} "
                    f"{getattr(cause, 'constraint_name', '')} {getattr(cause, 'detail', '') or cause}",
                    code="export_conflicts",
                ) from error
    return ImportResult(
        code,
        result[0],
        len(manifest["tables"]),
        sum(e["rows"] for e in manifest["tables"]),
        time.perf_counter() - started,
        result[1],
    )


async def _load(database: Database, manifest: dict[str, Any], *, replace: bool) -> tuple[bool, list[str]]:
    office = manifest["office"]
    code, schema, office_path = office["code"], schema_for(office["code"]), office["path"]
    if office["schema"] != schema:
        raise ExportFileError("文件中的机关模式名与行政区划代码不符", code="export_not_readable")
    async with database.engine.execution_options(schema_translate_map={None: schema}).connect() as connection:
        existing = (
            await connection.execute(
                text("select id, path from platform.tenants where code = :code for update"), {"code": code}
            )
        ).first()
        if existing is not None and not replace:
            raise Conflict(
                f"机关 {code}({office['name']})已在本部署中;要用文件恢复它,请加 --replace", code="tenant_exists"
            )
        parent_id = await _parent(connection, code, office_path)
        if existing is not None and existing.path != office_path:
            raise ExportFileError(
                f"机关 {code} 在本部署中的上级路径为 {existing.path},文件中为 {office_path},不能恢复",
                code="export_parent_mismatch",
            )
        schema_exists = (
            await connection.execute(text("select 1 from pg_namespace where nspname = :s"), {"s": schema})
        ).first()
        if schema_exists:
            if not replace:
                raise Conflict(f"模式 {schema} 已存在;要用文件恢复它,请加 --replace", code="tenant_exists")
        else:
            await connection.execute(text(f"CREATE SCHEMA {quoted(schema)}"))
            await upgrade_schema(connection, script_directory(TENANT_SCRIPTS), schema)
        tables = await table_infos(connection, schema)
        # Emptied, alembic_version included: the file's rows are the office's whole content.
        await connection.execute(text(f"TRUNCATE {', '.join(quoted(schema, t) for t in tables)}"))
        raw = await driver(connection)
        entries = {(e["kind"], e["table"]): e for e in manifest["tables"]}
        if {t for k, t in entries if k == "tenant"} != set(tables):
            raise ExportFileError("文件中的表与本部署的机关表不一致", code="export_revision_mismatch")
        office_id = await _platform_rows(connection, raw, entries, code, existing, parent_id)
        for name in load_order(tables):
            await _copy_in(connection, raw, entries[("tenant", name)], tables[name].columns, schema, name)
        for sequence in manifest.get("sequences", []):
            await connection.execute(
                text("select setval(cast(:name as regclass), :value, :called)"),
                {
                    "name": quoted(schema, sequence["name"]),
                    "value": sequence["last_value"],
                    "called": sequence["is_called"],
                },
            )
        await _tell_neighbours(connection, office_path)
        await connection.execute(
            text(
                "insert into platform.audit_events (id, at, actor, tenant_code, action, entity, entity_id, changes) "
                "values (:id, now(), :actor, :code, :action, 'tenants', :entity_id, cast(:changes as jsonb))"
            ),
            {
                "id": uuid.uuid4(),
                "actor": IMPORT_ACTOR,
                "code": code,
                "action": "update" if existing is not None else "create",
                "entity_id": str(office_id),
                "changes": json.dumps({"imported_from": manifest["exported_at"], "replace": existing is not None}),
            },
        )
        missing = await _missing_children(connection, manifest.get("children", []))
        await connection.commit()
    return existing is not None, missing


async def _parent(connection: AsyncConnection, code: str, office_path: str) -> uuid.UUID | None:
    codes = office_path.split("/")
    if codes[-1] != code:
        raise ExportFileError("文件中机关的路径与行政区划代码不符", code="export_not_readable")
    if len(codes) == 1:
        return None
    parent = (
        await connection.execute(text("select id, path from platform.tenants where code = :c"), {"c": codes[-2]})
    ).first()
    if parent is None:
        raise ExportFileError(
            f"上级机关 {codes[-2]} 不在本部署中:请先导入或开通上级机关({' → '.join(codes[:-1])}),再导入 {code}",
            code="export_parent_missing",
        )
    if parent.path != "/".join(codes[:-1]):
        raise ExportFileError(
            f"上级机关 {codes[-2]} 在本部署中的路径为 {parent.path},文件中为 {'/'.join(codes[:-1])}",
            code="export_parent_mismatch",
        )
    return parent.id


async def _platform_rows(
    connection: AsyncConnection,
    raw: Any,
    entries: dict[tuple[str, str], dict[str, Any]],
    code: str,
    existing: Any,
    parent_id: uuid.UUID | None,
) -> uuid.UUID:
    """Each part goes through a temporary table: the office's own rows replace this office's; shared
    rows (users, their identities, audit events) are added where missing. Returns the office's id."""
    infos = await table_infos(connection, PLATFORM_SCHEMA, [p.table for p in PLATFORM_PARTS])
    for part in PLATFORM_PARTS:
        entry, info = entries[("platform", part.table)], infos[part.table]
        if entry["columns"] != info.columns:
            raise ExportFileError(f"platform.{part.table} 的列与本部署不同", code="export_revision_mismatch")
        staging = f"import_{part.table}"
        await connection.execute(
            text(
                f"create temporary table {quoted(staging)} (like {quoted(PLATFORM_SCHEMA, part.table)}) on commit drop"
            )
        )
        await _copy_in(connection, raw, entry, info.columns, None, staging)
    staged = (await connection.execute(text('select id, code from "import_tenants"'))).all()
    if len(staged) != 1 or staged[0].code != code:
        raise ExportFileError("文件中的机关登记与清单不符", code="export_not_readable")
    office_id = existing.id if existing is not None else staged[0].id
    await connection.execute(
        text('update "import_tenants" set id = :id, parent_id = :parent'), {"id": office_id, "parent": parent_id}
    )
    for table in ("memberships", "invitations", "api_tokens"):  # the office's id here, if it had another there
        await connection.execute(text(f"update {quoted('import_' + table)} set tenant_id = :id"), {"id": office_id})
    columns = infos["tenants"].columns
    if existing is not None:
        kept = [c for c in columns if c not in ("id", "parent_id", "path", "code", "schema_name")]
        await connection.execute(
            text(
                f"update platform.tenants t set {', '.join(f'{quoted(c)} = s.{quoted(c)}' for c in kept)} "
                f'from "import_tenants" s where t.id = s.id'
            )
        )
    for part in PLATFORM_PARTS:
        if part.table == "tenants" and existing is not None:
            continue
        names = ", ".join(quoted(c) for c in infos[part.table].columns)
        target = quoted(PLATFORM_SCHEMA, part.table)
        if part.owned and existing is not None:
            await connection.execute(text(f"delete from {target} where {part_filter(part, office_id, code)}"))
        conflict = (
            "" if part.owned else f" on conflict ({', '.join(quoted(c) for c in infos[part.table].key)}) do nothing"
        )
        await connection.execute(
            text(f"insert into {target} ({names}) select {names} from {quoted('import_' + part.table)}{conflict}")
        )
    return office_id


async def _copy_in(
    connection: AsyncConnection,
    raw: Any,
    entry: dict[str, Any],
    columns: list[str],
    schema: str | None,
    table: str,
) -> None:
    if entry["columns"] != columns:
        raise ExportFileError(f"{entry['kind']}.{entry['table']} 的列与本部署不同", code="export_revision_mismatch")
    target = quoted(schema, table) if schema else quoted(table)
    announce(connection, f"COPY {target} FROM STDIN")
    status = await raw.copy_to_table(table, source=entry["local"], columns=columns, schema_name=schema)
    if int(status.split()[-1]) != entry["rows"]:
        raise ExportFileError(f"{entry['kind']}.{entry['table']} 的行数与清单不符", code="export_checksum")


async def _tell_neighbours(connection: AsyncConnection, office_path: str) -> None:
    """The ancestors' totals now miss (or hold an old copy of) this office's figures, and the offices
    above and below hold no (or old) copies of its suggestions for the repeated-suggestion check, nor
    it of theirs: their refresh and resync are sent once the import commits."""
    from renda.modules.rollups.service import mark_stale
    from renda.modules.suggestions import service as suggestions

    *ancestors, code = office_path.split("/")
    session = AsyncSession(bind=connection, expire_on_commit=False)
    try:
        await mark_stale(session, ancestors)
        suggestions.office_placed(session, code)
        await session.flush()
        if session.info.pop("outbox_dirty", False):
            await connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered at commit
    finally:
        await session.close()


async def _missing_children(connection: AsyncConnection, children: list[str]) -> list[str]:
    if not children:
        return []
    here = set(
        (
            await connection.execute(text("select code from platform.tenants where code = any(:c)"), {"c": children})
        ).scalars()
    )
    return [c for c in children if c not in here]
