"""Benchmark tenant provisioning and a no-op `migrate_all`, each against a raw asyncpg floor.

Usage: .venv/bin/python bench/tenants.py [--tenants 200] [--database-url URL] [--repeat 3]
See bench/README.md for what is measured and how to read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from renda.config import normalize_database_url
from renda.core.db import Database, TenantBase
from renda.modules.audit.recorder import install_audit_recorder
from renda.tenants.divisions import Level
from renda.tenants.migrations import load_all_models, migrate_all, tenant_head, upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from renda.workers.outbox import install_outbox_notify

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS_PER_SCHEMA = 0.1
DEFAULT_CONCURRENCY = 4  # Settings.migrate_concurrency
CONCURRENCIES = (1, 4, 8)
Office = tuple[str, Level, str | None]


# --- set-up --------------------------------------------------------------------------------------
def server_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("RENDA_BENCH_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    from renda.core.embedded import start_embedded_postgres

    return start_embedded_postgres(ROOT / "var" / "bench-pgdata")


def with_database(url: str, name: str) -> str:
    base, sep, query = url.partition("?")  # keep `?host=<socket dir>` of the embedded server
    return f"{base.rsplit('/', 1)[0]}/{name}{sep}{query}"


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def throwaway_database(server: str) -> AsyncIterator[str]:
    """A fresh database `renda_bench_<random>` on `server` (its URL is yielded), dropped on the way
    out, also after an error or Ctrl-C."""
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server, name)
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(server))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def describe_server(server: str) -> str:
    """Where the benchmark ran, never with credentials: the host part only, or the embedded
    server's socket directory."""
    if "host=" in server:
        return f"embedded PostgreSQL ({server.split('host=', 1)[1]})"
    return server.split("@")[-1]


def offices(n: int, city: str = "610900") -> list[Office]:
    """One city, about one county per 15 offices, the rest townships spread over the counties."""
    counties = [f"{city[:4]}{i:02d}" for i in range(1, min(99, max(1, round((n - 1) / 15))) + 1)] if n > 1 else []
    result: list[Office] = [(city, Level.CITY, None), *((c, Level.COUNTY, city) for c in counties)]
    for j in range(n - len(result)):
        county = counties[j % len(counties)]
        township = 100 + j // len(counties)  # 100–999: township codes never end in 000
        if township > 999:
            raise SystemExit(f"--tenants {n} is more than one city's counties and townships can hold")
        result.append((f"{county}{township:03d}", Level.TOWNSHIP, county))
    return result[:n]


def tenant_ddl(head: str | None) -> str:
    """The tenant tables' DDL from the models, unqualified (run under `SET LOCAL search_path`),
    plus the version table alembic would leave behind, so both paths end in the same state."""
    dialect = postgresql.asyncpg.dialect()
    statements = []
    for table in TenantBase.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
    statements.append(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
        " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    statements.append(f"INSERT INTO alembic_version (version_num) VALUES ('{head}')")
    return ";\n".join(statements)


async def raw_provision(conn: asyncpg.Connection, schema: str, ddl: str) -> None:
    async with conn.transaction():
        await conn.execute(f'CREATE SCHEMA "{schema}"; SET LOCAL search_path TO "{schema}";\n{ddl}')


async def schema_shape(conn: asyncpg.Connection, schema: str) -> list[tuple[Any, ...]]:
    """Columns and indexes of `schema`, with the schema name taken out, to compare two schemas."""
    columns = await conn.fetch(
        "select table_name, column_name, data_type, is_nullable,"
        # a serial's default names its sequence with the schema: nextval('t_610900.x_id_seq'::regclass)
        " replace(column_default, $1 || '.', ''), character_maximum_length"
        " from information_schema.columns where table_schema = $1 order by 1, 2",
        schema,
    )
    indexes = await conn.fetch(
        "select indexname, replace(indexdef, $1 || '.', '') from pg_indexes where schemaname = $1 order by 1", schema
    )
    return [tuple(r) for r in (*columns, *indexes)]


# --- measures ------------------------------------------------------------------------------------
def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank
    return {"mean": statistics.fmean(ordered), "median": statistics.median(ordered), "p95": p95}


def rss_bytes() -> int:
    """Current resident set size (Linux); elsewhere the peak, which is all `resource` offers."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


async def provision(url: str, dsn: str, n: int) -> dict[str, Any]:
    """Renda and the floor alternate per office, so both see a catalog of the same size."""
    database = Database(url)  # as the app: default pool
    conn = await asyncpg.connect(dsn)
    ddl = tenant_ddl(tenant_head())
    renda: list[float] = []
    raw: list[float] = []
    try:
        for code, level, parent in offices(n):
            started = time.perf_counter()
            await create_tenant(database, TenantCreate(code, f"基准机关{code}", level, parent), actor="system:bench")
            renda.append(time.perf_counter() - started)
            started = time.perf_counter()
            await raw_provision(conn, f"b_{code}", ddl)
            raw.append(time.perf_counter() - started)
        migrated, floor = await schema_shape(conn, f"t_{code}"), await schema_shape(conn, f"b_{code}")
        if migrated != floor:
            differences = [f"only migrated: {r}" for r in migrated if r not in floor]
            differences += [f"only floor: {r}" for r in floor if r not in migrated]
            raise RuntimeError(
                "the floor's DDL does not produce the schema renda's migrations produce:\n" + "\n".join(differences)
            )
        for code, _, _ in offices(n):  # the migrate phase should see only the real tenants
            await conn.execute(f'DROP SCHEMA "b_{code}" CASCADE')
    finally:
        await conn.close()
        await database.dispose()
    return {"renda": summary(renda), "raw": summary(raw), "ratio": statistics.fmean(renda) / statistics.fmean(raw)}


async def timed_migrate(url: str, n: int, concurrency: int) -> float:
    """One `renda migrate` as the CLI runs it: a fresh engine (pool_size=5), then migrate_all."""
    database = Database(url, pool_size=5)
    try:
        started = time.perf_counter()
        results = await migrate_all(database, concurrency)
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
    if len(results) != n or not all(r.ok and not r.changed for r in results):
        raise RuntimeError("migrate_all was expected to find every tenant at head")
    return elapsed


async def timed_platform_only(url: str) -> float:
    """The fixed part of every migrate_all: upgrading the (already current) platform schema."""
    database = Database(url, pool_size=5)
    try:
        started = time.perf_counter()
        await upgrade_platform(database)
        return time.perf_counter() - started
    finally:
        await database.dispose()


async def raw_version_reads(dsn: str) -> float:
    """The floor of any migrate: one connection, read the registry, read each version sequentially."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        for (schema,) in await conn.fetch("select schema_name from platform.tenants order by path"):
            await conn.fetchval(f'select version_num from "{schema}".alembic_version')
    finally:
        await conn.close()
    return time.perf_counter() - started


async def memory_of_migrate(url: str, n: int) -> dict[str, float]:
    """Run first, while the process is cold; tracemalloc slows Python, so its time is not reported."""
    before = rss_bytes()
    tracemalloc.start()
    try:
        await timed_migrate(url, n, DEFAULT_CONCURRENCY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    mib = 1024 * 1024
    return {"tracemalloc_peak_mib": peak / mib, "rss_before_mib": before / mib, "rss_after_mib": rss_bytes() / mib}


async def migrate(url: str, dsn: str, n: int, repeat: int) -> dict[str, Any]:
    memory = await memory_of_migrate(url, n)
    floor = statistics.median([await raw_version_reads(dsn) for _ in range(repeat)])
    platform = statistics.median([await timed_platform_only(url) for _ in range(repeat)])
    runs: dict[str, Any] = {}
    for concurrency in CONCURRENCIES:
        total = statistics.median([await timed_migrate(url, n, concurrency) for _ in range(repeat)])
        runs[str(concurrency)] = {
            "total_s": total,
            "per_schema_s": total / n,
            "per_schema_without_platform_s": (total - platform) / n,
            "ratio": total / floor,
        }
    return {
        "raw_total_s": floor,
        "raw_per_schema_s": floor / n,
        "platform_upgrade_s": platform,
        "by_concurrency": runs,
        "memory": memory,
    }


# --- report --------------------------------------------------------------------------------------
def report(n: int, where: str, provisioned: dict[str, Any], migrated: dict[str, Any]) -> dict[str, Any]:
    ms = 1000.0
    print(f"\nrenda tenant benchmark: {n} tenants on {where}\n")
    print("1. provisioning one tenant (ms)          mean    median       p95")
    for label, key in (("renda create_tenant", "renda"), ("raw asyncpg CREATE SCHEMA + DDL", "raw")):
        s = provisioned[key]
        print(f"   {label:<34}{s['mean'] * ms:>8.1f}{s['median'] * ms:>10.1f}{s['p95'] * ms:>10.1f}")
    print(f"   ratio renda/raw (means): {provisioned['ratio']:.1f}x\n")

    print("2. no-op migrate of all tenants     total s   ms/schema   ratio")
    raw_total, raw_per_schema = migrated["raw_total_s"], migrated["raw_per_schema_s"] * ms
    print(f"   {'raw asyncpg version reads':<30}{raw_total:>10.3f}{raw_per_schema:>12.2f}")
    for concurrency, r in migrated["by_concurrency"].items():
        label = f"migrate_all concurrency={concurrency}"
        print(f"   {label:<30}{r['total_s']:>10.3f}{r['per_schema_s'] * ms:>12.2f}{r['ratio']:>7.1f}x")
    print(f"   of which upgrading the platform (fixed, per run): {migrated['platform_upgrade_s']:.3f} s\n")

    memory = migrated["memory"]
    print(f"3. memory of one no-op migrate (concurrency={DEFAULT_CONCURRENCY})")
    print(f"   tracemalloc peak {memory['tracemalloc_peak_mib']:.1f} MiB;", end=" ")
    print(f"RSS {memory['rss_before_mib']:.1f} MiB before, {memory['rss_after_mib']:.1f} MiB after\n")

    per_schema = migrated["by_concurrency"][str(DEFAULT_CONCURRENCY)]["per_schema_s"]
    met = per_schema < GOAL_SECONDS_PER_SCHEMA
    print(
        f"goal: no-op migrate under {GOAL_SECONDS_PER_SCHEMA} s per schema: {'MET' if met else 'NOT MET'}"
        f" ({per_schema:.4f} s per schema at concurrency={DEFAULT_CONCURRENCY})"
    )
    return {"goal_seconds_per_schema": GOAL_SECONDS_PER_SCHEMA, "goal_met": met}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    parser.add_argument("--repeat", type=int, default=3, help="runs per migrate measurement (median is kept)")
    args = parser.parse_args()
    if args.tenants < 1 or args.repeat < 1:
        parser.error("--tenants and --repeat must be at least 1")

    install_audit_recorder()  # as the app does, so create_tenant pays for its audit row
    install_outbox_notify()
    await load_all_models()  # the floor's DDL comes from the complete tenant metadata

    server = server_url(args.database_url)
    async with throwaway_database(server) as url:
        platform_db = Database(url)
        await upgrade_platform(platform_db)
        await platform_db.dispose()
        provisioned = await provision(url, asyncpg_dsn(url), args.tenants)
        migrated = await migrate(url, asyncpg_dsn(url), args.tenants, args.repeat)
    where = describe_server(server)
    verdict = report(args.tenants, where, provisioned, migrated)
    print(json.dumps({"tenants": args.tenants, "provision": provisioned, "migrate": migrated, **verdict}))


if __name__ == "__main__":
    asyncio.run(main())
