"""Benchmark one office's export and import (`renda tenants export` / `import`): the demo's richest
office (石泉县, 610922), optionally with its audit log padded to a realistic size, exported to a file,
imported into an empty deployment (after its parent city) and restored over itself with --replace.

The floor, in the same run on the same server: `pg_dump --format=custom --schema=t_610922` of the
office's schema alone (no platform rows, no checks) and `pg_restore` of it into an empty database.

Usage: .venv/bin/python bench/office_export.py [--pad-rows 200000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from renda.core.crypto import configure_secrets
from renda.core.db import configure_database
from renda.modules.audit.recorder import install_audit_recorder
from renda.modules.rollups.service import install_rollup_watch
from renda.tenants.migrations import migrate_all, upgrade_platform
from renda.tenants.restore import import_office
from renda.tenants.transfer import export_office
from tenants import asyncpg_dsn, server_url, with_database  # bench/tenants.py, beside this script

CITY, OFFICE = "610900", "610922"


async def pad_audit_log(dsn: str, rows: int) -> None:
    """Audit rows like the register's: an update of a person with a few changed fields."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            f"""insert into t_{OFFICE}.audit_log (id, at, actor, tenant_code, action, entity, entity_id, changes)
                select gen_random_uuid(), now() - (g || ' minutes')::interval, 'user:' || (g % 40) || ':张敏',
                       '{OFFICE}', 'update', 'persons', gen_random_uuid()::text,
                       jsonb_build_object('name', jsonb_build_array('王建国', '王建军'),
                                          'occupation', jsonb_build_array('农民', '企业负责人'),
                                          'note', repeat('履职记录', 10 + g % 20))
                from generate_series(1, $1) g""",
            rows,
        )
    finally:
        await conn.close()


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("RENDA_BENCH_DATABASE_URL"))
    parser.add_argument("--pad-rows", type=int, default=0, help="extra audit rows in the office")
    args = parser.parse_args()
    server = server_url(args.database_url)
    names = {k: f"renda_bench_{k}_{uuid.uuid4().hex[:8]}" for k in ("source", "target", "floor")}
    admin = await asyncpg.connect(asyncpg_dsn(server))
    for name in names.values():
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(server, names, args.pad_rows)
    finally:
        for name in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(server: str, names: dict[str, str], pad_rows: int) -> None:
    from renda.demo import seed_demo
    from renda.tenants.migrations import load_all_models

    await load_all_models()  # before any flush: the rollup watch would import modules during one
    install_audit_recorder()
    install_rollup_watch()
    configure_secrets("bench-secret")
    source_url, target_url = with_database(server, names["source"]), with_database(server, names["target"])
    source = configure_database(source_url)
    await migrate_all(source)
    await seed_demo(source)
    if pad_rows:
        await pad_audit_log(asyncpg_dsn(source_url), pad_rows)
    with tempfile.TemporaryDirectory() as work:
        city_file, office_file = Path(work) / "city.tar.gz", Path(work) / "office.tar.gz"
        await export_office(source, CITY, city_file)
        exported = await export_office(source, OFFICE, office_file)
        await source.dispose()

        target = configure_database(target_url)
        await upgrade_platform(target)
        await import_office(target, city_file)
        imported = await import_office(target, office_file)
        replaced = await import_office(target, office_file, replace=True)
        await target.dispose()

        dump = Path(work) / "office.dump"
        source_dsn, floor_dsn = asyncpg_dsn(source_url), asyncpg_dsn(with_database(server, names["floor"]))
        dump_seconds = timed(["pg_dump", "--format=custom", f"--schema=t_{OFFICE}", f"--file={dump}", source_dsn])
        restore_seconds = timed(["pg_restore", "--no-owner", f"--dbname={floor_dsn}", str(dump)])
        figures = {
            "office": OFFICE,
            "pad_rows": pad_rows,
            "tables": exported.tables,
            "rows": exported.rows,
            "file_bytes": exported.size,
            "export_seconds": round(exported.seconds, 3),
            "import_seconds": round(imported.seconds, 3),
            "replace_seconds": round(replaced.seconds, 3),
            "floor_pg_dump_bytes": dump.stat().st_size,
            "floor_pg_dump_seconds": round(dump_seconds, 3),
            "floor_pg_restore_seconds": round(restore_seconds, 3),
            "export_vs_pg_dump": round(exported.seconds / dump_seconds, 2),
            "import_vs_pg_restore": round(imported.seconds / restore_seconds, 2),
        }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
