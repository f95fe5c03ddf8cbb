"""What many offices cost: provisioning, `renda migrate` (no-op and a real revision), and one web
process's memory and database connections, at growing numbers of offices, each against a floor
measured in the same run.

Usage: .venv/bin/python bench/scale.py [--offices 100,500,2000] [--database-url URL]
           [--floor-every 10] [--concurrency 8] [--provision-processes 1]

The offices grow in one throwaway database: the first size is provisioned, measured, then the next
size's offices are added to it, and so on, so each size sees the catalog of all its schemas.
At each size:
1. provisioning: `create_tenant` per office (registry row, schema, every office migration, in one
   transaction) against the floor, raw asyncpg `CREATE SCHEMA` + the same tables' DDL in one
   transaction (on every `--floor-every`-th office, in a schema dropped right after);
2. `renda migrate` (`migrate_all`, the CLI's engine) with every office at head, against the floor
   of one asyncpg connection reading each office's version, one query per office;
3. `renda migrate` with a real revision (a column added to every office's `exports`), against the
   floor of one asyncpg connection doing the same ALTER and version update per office, each in a
   transaction; both are undone afterwards by raw SQL;
4. `renda serve` in its own process (default pool) answering, for every office, its workbench page
   and two API lists, `--concurrency` callers at once: the process's RSS once it answered one
   office (the floor) and after all of them, and the most connections it held open on the server.
See bench/README.md and docs/scaling.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from renda.core.db import Database
from renda.modules.audit.recorder import install_audit_recorder
from renda.tenants.divisions import Level
from renda.tenants.migrations import (
    TENANT_SCRIPTS,
    current_revision,
    current_revisions,
    load_all_models,
    migrate_all,
    tenant_head,
    upgrade_platform,
)
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from renda.workers.outbox import install_outbox_notify
from tenants import (  # bench/tenants.py, beside this script
    asyncpg_dsn,
    describe_server,
    offices,
    raw_provision,
    raw_version_reads,
    server_url,
    summary,
    tenant_ddl,
    throwaway_database,
)

ROOT = Path(__file__).resolve().parent.parent
PROBE_REVISION = '''"""bench/scale.py: a column added to every office's exports"""
import sqlalchemy as sa
from alembic import op

revision = "t_bench_probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exports", sa.Column("bench_probe", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("exports", "bench_probe")
'''
# What one office's staff open first: the workbench page, the deputies and the congresses.
OFFICE_PATHS = ("/t/{code}/", "/api/v1/t/{code}/deputies", "/api/v1/t/{code}/congresses")


# --- 1. provisioning -----------------------------------------------------------------------------
async def provision_part(url: str, part: list[tuple[Any, ...]], floor_every: int) -> dict[str, list[float]]:
    """`create_tenant` for each office in turn, and the floor beside every `floor_every`-th one."""
    database = Database(url)  # as the app: default pool
    conn = await asyncpg.connect(asyncpg_dsn(url))
    ddl = tenant_ddl(tenant_head())
    found: dict[str, list[float]] = {"renda": [], "raw": []}
    try:
        for number, (code, level, parent) in enumerate(part):
            started = time.perf_counter()
            await create_tenant(
                database, TenantCreate(code, f"基准机关{code}", Level(level), parent), actor="system:bench"
            )
            found["renda"].append(time.perf_counter() - started)
            if number % floor_every == 0:
                started = time.perf_counter()
                await raw_provision(conn, f"b_{code}", ddl)
                found["raw"].append(time.perf_counter() - started)
                await conn.execute(f'DROP SCHEMA "b_{code}" CASCADE')
    finally:
        await conn.close()
        await database.dispose()
    return found


async def provision(url: str, new: list[tuple[Any, ...]], floor_every: int, processes: int = 1) -> dict[str, Any]:
    """The new offices provisioned by `processes` processes at once (Alembic, which `create_tenant`
    runs, migrates one schema at a time per process), parents before their children."""
    started = time.perf_counter()
    parents = [office for office in new if office[1] != Level.TOWNSHIP]
    found = await provision_part(url, parents, floor_every)
    townships = [office for office in new if office[1] == Level.TOWNSHIP]
    parts = [townships[i::processes] for i in range(processes)]
    done = await asyncio.gather(*(provision_elsewhere(url, part, floor_every) for part in parts if part))
    for part in done:
        for key, seconds in part.items():
            found[key] += seconds
    return {
        "offices": len(new),
        "processes": processes,
        "wall_s": round(time.perf_counter() - started, 1),
        "renda": summary(found["renda"]),
        "raw": summary(found["raw"]),
        "raw_samples": len(found["raw"]),
        "ratio": statistics.fmean(found["renda"]) / statistics.fmean(found["raw"]),
    }


async def provision_elsewhere(url: str, part: list[tuple[Any, ...]], floor_every: int) -> dict[str, list[float]]:
    """`provision_part` in a process of its own (this script with `--provision-part`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--provision-part",
        json.dumps({"url": url, "part": part, "floor_every": floor_every}),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"provisioning part of {len(part)} offices failed ({process.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


# --- 2 and 3. renda migrate ----------------------------------------------------------------------
async def timed_migrate(url: str, n: int, scripts: Path = TENANT_SCRIPTS) -> tuple[float, int]:
    """One `renda migrate` as the CLI runs it (pool_size=5): seconds, offices changed."""
    database = Database(url, pool_size=5)
    try:
        started = time.perf_counter()
        results = await migrate_all(database, 4, tenant_scripts=scripts)
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
    failed = [r for r in results if not r.ok]
    if len(results) != n or failed:
        raise RuntimeError(f"migrate_all: {len(results)} results for {n} offices, failed: {failed[:3]}")
    return elapsed, sum(r.changed for r in results)


async def schemas(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r[0] for r in await conn.fetch("select schema_name from platform.tenants order by path")]
    finally:
        await conn.close()


async def raw_add_column(dsn: str, names: list[str], revision: str, undo: bool = False) -> float:
    """The floor of the real revision (or, with `undo`, putting every office back at head)."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        for schema in names:
            async with conn.transaction():
                change = "DROP COLUMN bench_probe" if undo else "ADD COLUMN bench_probe_floor text"
                await conn.execute(f'ALTER TABLE "{schema}".exports {change}')
                await conn.execute(f'UPDATE "{schema}".alembic_version SET version_num = $1', revision)
            if not undo:
                await conn.execute(f'ALTER TABLE "{schema}".exports DROP COLUMN bench_probe_floor')
    finally:
        await conn.close()
    return time.perf_counter() - started


async def migrate(url: str, n: int) -> dict[str, Any]:
    dsn = asyncpg_dsn(url)
    head = tenant_head()
    noop, changed = await timed_migrate(url, n)
    if changed:
        raise RuntimeError("the no-op migrate changed offices")
    floor_noop = await raw_version_reads(dsn)
    scripts = Path(tempfile.mkdtemp(prefix="renda-bench-scripts-")) / "tenant"
    try:
        shutil.copytree(TENANT_SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        (scripts / "versions" / "t_bench_probe.py").write_text(PROBE_REVISION.format(head=head))
        real, changed = await timed_migrate(url, n, scripts)
        if changed != n:
            raise RuntimeError(f"the revision reached {changed} of {n} offices")
    finally:
        shutil.rmtree(scripts.parent, ignore_errors=True)
    names = await schemas(dsn)
    reads = await revision_reads(url, names)
    # The floor runs after the revision (each schema has its column), then every office goes back to head.
    floor_real = await raw_add_column(dsn, names, "t_bench_probe")
    await raw_add_column(dsn, names, str(head), undo=True)
    return {
        "noop_s": noop,
        "noop_floor_s": floor_noop,
        "noop_ratio": noop / floor_noop,
        "revision_s": real,
        "revision_per_office_ms": real / n * 1000,
        "revision_floor_s": floor_real,
        "revision_ratio": real / floor_real,
        "revision_reads": reads,
    }


async def revision_reads(url: str, names: list[str]) -> dict[str, float]:
    """Every office's revision as `renda migrate` read it before (a query per office on its own
    checkout, 4 at once: `current_revision`) and as it reads it now (`current_revisions`)."""
    database = Database(url, pool_size=5)
    semaphore = asyncio.Semaphore(4)

    async def one(schema: str) -> str | None:
        async with semaphore:
            return await current_revision(database, schema)

    try:
        started = time.perf_counter()
        each = await asyncio.gather(*(one(schema) for schema in names))
        per_office = time.perf_counter() - started
        started = time.perf_counter()
        together = await current_revisions(database, names, 4)
        batched = time.perf_counter() - started
    finally:
        await database.dispose()
    if [together[schema] for schema in names] != each:
        raise RuntimeError("the two ways of reading the revisions disagree")
    return {"per_office_s": per_office, "one_statement_s": batched, "ratio": per_office / batched}


async def bare_schemas(server: str, n: int) -> dict[str, Any]:
    """Revision reads over `n` schemas that hold only their version table: what the read costs at
    sizes this machine cannot provision in a benchmark's time."""
    async with throwaway_database(server) as url:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        names = [f"t_{990000 + i}" for i in range(n)]
        try:
            for schema in names:
                await conn.execute(
                    f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".alembic_version'
                    f" (version_num varchar(32) PRIMARY KEY); INSERT INTO \"{schema}\".alembic_version VALUES ('x')"
                )
        finally:
            await conn.close()
        return {"schemas": n, **await revision_reads(url, names)}


# --- 4. one web process --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def token_for_every_office(url: str, codes: list[str]) -> str:
    from renda.modules.accounts import service as accounts

    database = Database(url)
    try:
        async with database.platform_session() as session:
            session.info["actor"] = "system:bench"
            user = await accounts.create_user(session, f"基准测试员{len(codes)}")
            for code in codes:
                await accounts.grant_membership(session, user, code, ["viewer"])
            token = await accounts.issue_api_token(session, user, "bench")
            await session.commit()
    finally:
        await database.dispose()
    return token


async def serve(url: str, codes: list[str], concurrency: int) -> dict[str, Any]:
    token = await token_for_every_office(url, codes)
    port = free_port()
    env = {
        **os.environ,
        "RENDA_DATABASE_URL": url,
        "RENDA_PORT": str(port),
        "RENDA_SECRET_KEY": "bench-secret",
        "RENDA_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from renda.cli import main; main()", "serve", env=env, cwd=ROOT
    )
    database = url.rsplit("/", 1)[1].split("?")[0]
    watcher = await asyncpg.connect(asyncpg_dsn(url))
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    most = 0
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
            for _ in range(300):
                try:
                    if (await client.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("renda serve did not start")

            async def office(code: str) -> None:
                for path in OFFICE_PATHS:
                    response = await client.get(path.format(code=code), headers=headers)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path.format(code=code)}: {response.status_code} {response.text[:200]}")

            await office(codes[0])
            first = rss_mib(process.pid)
            pending = list(codes)
            started = time.perf_counter()

            async def caller() -> None:
                while pending:
                    await office(pending.pop())

            async def count_connections() -> None:
                nonlocal most
                while True:
                    held = await watcher.fetchval(
                        "select count(*) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", database
                    )
                    most = max(most, int(held))
                    await asyncio.sleep(0.2)

            counter = asyncio.create_task(count_connections())
            try:
                await asyncio.gather(*(caller() for _ in range(concurrency)))
            finally:
                counter.cancel()
            elapsed = time.perf_counter() - started
            last = rss_mib(process.pid)
    finally:
        await watcher.close()
        process.terminate()
        await process.wait()
    return {
        "rss_one_office_mib": first,
        "rss_all_offices_mib": last,
        "rss_ratio": last / first,
        "kib_per_office": (last - first) * 1024 / max(1, len(codes) - 1),
        "connections_most": most,
        "requests": len(codes) * len(OFFICE_PATHS),
        "requests_per_s": len(codes) * len(OFFICE_PATHS) / elapsed,
    }


# --- the run -------------------------------------------------------------------------------------
def report(n: int, stage: dict[str, Any]) -> None:
    p, m, w = stage["provision"], stage["migrate"], stage["serve"]
    ms = 1000.0
    print(f"\n== {n} offices")
    print(
        f"1. provisioning the {p['offices']} new offices, ms per office: renda mean {p['renda']['mean'] * ms:.0f}"
        f" (median {p['renda']['median'] * ms:.0f}, p95 {p['renda']['p95'] * ms:.0f});"
        f" floor (raw CREATE SCHEMA + DDL, {p['raw_samples']} samples) mean {p['raw']['mean'] * ms:.0f};"
        f" ratio {p['ratio']:.2f}x; {p['wall_s']:.0f} s in all, {p['processes']} processes"
    )
    print(
        f"2. no-op renda migrate: {m['noop_s']:.2f} s; floor (a version read per office) {m['noop_floor_s']:.2f} s;"
        f" ratio {m['noop_ratio']:.2f}x"
    )
    print(
        f"3. renda migrate with a real revision: {m['revision_s']:.1f} s ({m['revision_per_office_ms']:.0f} ms per"
        f" office); floor (the same ALTER per office) {m['revision_floor_s']:.1f} s; ratio {m['revision_ratio']:.1f}x"
    )
    r = m["revision_reads"]
    print(
        f"   reading every office's revision: one statement {r['one_statement_s']:.3f} s; a query per office"
        f" (as before, 4 at once) {r['per_office_s']:.3f} s; ratio {r['ratio']:.1f}x"
    )
    print(
        f"4. one web process: RSS {w['rss_one_office_mib']:.0f} MiB after one office, {w['rss_all_offices_mib']:.0f}"
        f" MiB after all {n} ({w['rss_ratio']:.2f}x, {w['kib_per_office']:.0f} KiB per office);"
        f" at most {w['connections_most']} server connections; {w['requests']} requests at"
        f" {w['requests_per_s']:.0f}/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", default="100,500", help="sizes, ascending, comma-separated")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    parser.add_argument("--floor-every", type=int, default=10, help="measure the provisioning floor every n-th office")
    parser.add_argument("--concurrency", type=int, default=8, help="callers of the web process at once")
    parser.add_argument("--provision-processes", type=int, default=1, help="processes provisioning at once")
    parser.add_argument("--provision-part", help=argparse.SUPPRESS)  # internal: one process's offices, as JSON
    parser.add_argument(
        "--bare-schemas", type=int, default=0, help="also read the revisions of this many version-table-only schemas"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.offices.split(",") if size and size != "none"]
    least = min(args.floor_every, args.concurrency, args.provision_processes)
    if sizes != sorted(set(sizes)) or (sizes and sizes[0] < 2) or least < 1:
        parser.error("--offices: ascending sizes of at least 2 (or none); the other options at least 1")

    install_audit_recorder()  # as the app does, so create_tenant pays for its audit row
    install_outbox_notify()
    await load_all_models()
    if args.provision_part:
        job = json.loads(args.provision_part)
        print(json.dumps(await provision_part(job["url"], job["part"], job["floor_every"])))
        return
    server = server_url(args.database_url)
    print(f"renda scale benchmark on {describe_server(server)}; sizes {sizes}")
    stages: dict[int, Any] = {}
    if sizes:
        async with throwaway_database(server) as url:
            platform = Database(url)
            await upgrade_platform(platform)
            await platform.dispose()
            everyone = offices(sizes[-1])
            done = 0
            for n in sizes:
                # The city and the counties come first in the list, townships last.
                stage = {
                    "provision": await provision(url, everyone[done:n], args.floor_every, args.provision_processes)
                }
                done = n
                stage["migrate"] = await migrate(url, n)
                stage["serve"] = await serve(url, [code for code, _, _ in everyone[:n]], args.concurrency)
                stages[n] = stage
                report(n, stage)
                sys.stdout.flush()
    bare = None
    if args.bare_schemas:
        bare = await bare_schemas(server, args.bare_schemas)
        print(
            f"\n== reading the revisions of {bare['schemas']} schemas holding only their version table: one statement"
            f" {bare['one_statement_s']:.3f} s; a query per office (as before, 4 at once) {bare['per_office_s']:.3f} s;"
            f" ratio {bare['ratio']:.1f}x"
        )
    print(json.dumps({"sizes": stages, "bare_schemas": bare}))


if __name__ == "__main__":
    asyncio.run(main())
