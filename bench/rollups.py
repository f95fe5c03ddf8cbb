"""Benchmark the rollups: a city of 20 counties with 10 townships each (221 offices, each with its
own schema) and 50,000 mandates in the mandate directory.

Measured, each against a floor run in the same process on the same database:
1. the full recompute of every office's figures for the running year, quarter and month, against
   the plain SQL that reads the same rows and groups them once per period (asyncpg, no writes);
2. one office's incremental refresh (its own figures and the totals of it and its ancestors);
   with every office holding suggestions (`--suggestions` per county, a tenth of it per township), once
   with the suggestion metrics (counts and rates) and once without them, alternating, on the same data;
3. the latency from a township's change (a directory row written with its stale mark, as the
   register's publisher does) to the city's total showing it, through the outbox, the broker,
   a worker and the debounce (`DEBOUNCE` seconds of it are deliberate waiting).

Beside the seconds, which a busy machine stretches, what the work sends, which it does not: the
statements and round trips of one full recompute and of one refresh (`StatementCounter`), per office,
and what each module's metrics add to them.

Usage: .venv/bin/python bench/rollups.py [--counties 20] [--townships 10] [--mandates 50000] [--repeat 5]
       [--suggestions 400] [--database-url URL] [--broker-url redis://…]   (in-process broker when no broker URL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import dramatiq
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from renda.core.db import NO_TENANT_SCHEMA, SERVER_SETTINGS, Database, configure_database
from renda.core.timezone import local_today
from renda.modules.audit.recorder import install_audit_recorder
from renda.modules.deputies.models import DirectoryEntry
from renda.modules.rollups import service
from renda.modules.rollups.models import RollupFigure, Scope
from renda.modules.rollups.periods import current
from renda.modules.rollups.registry import RatioMetric
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from renda.workers.broker import create_broker, use_broker
from renda.workers.outbox import OutboxRelay, install_outbox_notify
from tenants import asyncpg_dsn, server_url, with_database  # bench/tenants.py, beside this script

CITY = "610900"
GOAL_FULL_SECONDS = 2.0
LEVELS = {"city": ["city", "provincial"], "county": ["county"], "township": ["township"]}
PARTIES = ["中共党员", "中共党员", "群众", "无党派人士", "民盟盟员"]
OCCUPATIONS = ["工人", "农民", "专业技术人员", "党政干部", "企业负责人", "其他"]


def hierarchy(counties: int, townships: int) -> list[tuple[str, str, str | None]]:
    found = [(CITY, "city", None)]
    for c in range(1, counties + 1):
        county = f"{CITY[:4]}{c:02d}"
        found.append((county, "county", CITY))
        found += [(f"{county}{100 + t}", "township", county) for t in range(townships)]
    return found


async def provision(database: Database, offices: list[tuple[str, str, str | None]]) -> dict[str, str]:
    for code, level, parent in offices:
        await create_tenant(database, TenantCreate(code, f"基准机关{code}", level, parent), actor="system:bench")
    async with database.platform_session() as session:
        from renda.tenants.models import Tenant

        return dict((await session.execute(select(Tenant.code, Tenant.path))).all())  # type: ignore[arg-type]


def directory_rows(offices: list[tuple[str, str, str | None]], paths: dict[str, str], n: int) -> list[tuple]:
    """Mandates recorded by each office and organised in it or an office beneath it."""
    rng = random.Random(5)
    beneath = {code: [c for c, *_ in offices if paths[c].startswith(paths[code])] for code, *_ in offices}
    weights = {"city": 3, "county": 15, "township": 10}
    pool = [o for o in offices for _ in range(weights[o[1]])]
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        code, level, _ = rng.choice(pool)
        organised = rng.choice(beneath[code]) if rng.random() < 0.3 else code
        ended = rng.random() < 0.05
        rows.append(
            (
                uuid.uuid4(), code, paths[code], organised, paths[organised], f"p{i}", uuid.uuid4(), f"代表{i}",
                f"daibiao{i}", "db", rng.choice(["male", "female"]), rng.choice(["汉族"] * 9 + ["回族"]),
                rng.choice(PARTIES), rng.choice(OCCUPATIONS), rng.randrange(1955, 1995),
                rng.choice(LEVELS[level]), f"{code}人民代表大会", 19, "ended" if ended else "active",
                date(2026, 10, 1), False, date(2026, 11, 1) if ended else None, "resigned" if ended else None,
                now,
            )
        )  # fmt: skip
    return rows


DIRECTORY_COLUMNS = [
    "mandate_id", "recorded_by", "recorded_path", "organised_in", "organised_path", "person_key", "person_id",
    "person_name", "name_pinyin", "name_initials", "gender", "ethnicity", "party", "occupation_category",
    "birth_year", "level", "congress_name", "term_number", "status", "starts_on", "by_election", "ended_on",
    "end_reason", "published_at",
]  # fmt: skip

# The floor: the same rows read and grouped once per period, nothing written.
FLOOR_SQL = """
SELECT organised_in, level, gender, party, occupation_category, count(*)
FROM platform.mandate_directory
WHERE starts_on <= $1 AND (ended_on IS NULL OR ended_on > $1)
GROUP BY GROUPING SETS ((organised_in), (organised_in, level), (organised_in, gender),
                        (organised_in, party), (organised_in, occupation_category))
"""


class StatementCounter:
    """What the recompute sends, independent of how busy the machine is: statements (each a round
    trip), the prepares among them (a statement not in its connection's statement cache costs one
    more), and transactions (BEGIN on checkout and COMMIT or ROLLBACK at the end: two more), split
    into the offices' schemas and the platform's."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.reset()
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "checkout", self._checkout)

    def reset(self) -> None:
        self.statements = {"office": 0, "platform": 0}
        self.prepares = 0
        self.transactions = 0

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "checkout", self._checkout)

    def _statement(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        schemas = conn.get_execution_options().get("schema_translate_map") or {}
        self.statements["platform" if schemas.get(None) == NO_TENANT_SCHEMA else "office"] += 1
        cache = getattr(conn.connection.dbapi_connection, "_prepared_statement_cache", None)
        if cache is not None and not statement.startswith("COPY") and statement not in cache:
            self.prepares += 1

    def _checkout(self, *_: Any) -> None:
        self.transactions += 1

    def summary(self, offices: int) -> dict[str, Any]:
        statements = sum(self.statements.values())
        trips = statements + self.prepares + 2 * self.transactions
        return {
            "statements": statements,
            "statements_in_offices": self.statements["office"],
            "statements_in_platform": self.statements["platform"],
            "prepares": self.prepares,
            "transactions": self.transactions,
            "round_trips": trips,
            "statements_per_office": round(statements / offices, 2),
            "round_trips_per_office": round(trips / offices, 2),
        }


async def counted(database: Database, offices: int, work: Any) -> dict[str, Any]:
    counter = StatementCounter(database.engine)
    try:
        await work()
    finally:
        counter.close()
    return counter.summary(offices)


async def statements_per_module(database: Database, offices: int, periods: list[Any]) -> dict[str, Any]:
    """What each module's metrics add to the full recompute, per office: its statements with every
    metric registered, less those without that module's metrics. Then the full recompute again, with
    every metric, so the figures stand as before."""
    from renda.modules.rollups.registry import metrics, register_metric, unregister_metric

    registered = {k: m for k, m in metrics().items() if not isinstance(m, RatioMetric)}
    full = await counted(database, offices, lambda: service.recompute_all(periods))
    found: dict[str, Any] = {}
    for module in sorted({key.split(".")[0] for key in registered}):
        mine = [m for k, m in registered.items() if k.startswith(f"{module}.")]
        for metric in mine:
            unregister_metric(metric.key)
        try:
            without = await counted(database, offices, lambda: service.recompute_all(periods))
        finally:
            for metric in mine:
                register_metric(metric)
        found[module] = {
            "metrics": len(mine),
            "statements_per_office": round((full["statements"] - without["statements"]) / offices, 2),
            "round_trips_per_office": round((full["round_trips"] - without["round_trips"]) / offices, 2),
        }
    await service.recompute_all(periods)
    return found


async def timed(work: Any, repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        found.append(time.perf_counter() - started)
    return found


async def city_total(database: Database, key: str) -> int:
    async with database.platform_session() as session:
        value = await session.execute(
            select(RollupFigure.value).where(
                RollupFigure.office_code == CITY,
                RollupFigure.metric == "register.deputies",
                RollupFigure.period == key,
                RollupFigure.scope == Scope.TOTAL,
                RollupFigure.dimension == "",
            )
        )
        return value.scalar_one_or_none() or 0


async def change_latency(database: Database, township: str, paths: dict[str, str], repeat: int) -> list[float]:
    key = current(local_today())[0].key
    found = []
    for i in range(repeat):
        before = await city_total(database, key)
        started = time.perf_counter()
        async with database.platform_session() as session:
            row = dict(zip(DIRECTORY_COLUMNS, directory_rows([(township, "township", None)], paths, 1)[0], strict=True))
            row["person_key"] = f"latency{i}"
            session.add(DirectoryEntry(**row))
            await service.mark_stale(session, [township])
            await session.commit()
        while await city_total(database, key) == before:  # noqa: ASYNC110 (polling what a worker writes)
            await asyncio.sleep(0.05)
        found.append(time.perf_counter() - started)
    return found


async def seed_suggestions(
    conn: asyncpg.Connection, offices: list[tuple[str, str, str | None]], per_county: int
) -> int:
    """Every office's register, handling units and suggestions (bench/suggestions.py's seeding): a county and
    the city `per_county`, a township a tenth of it."""
    from suggestions import seed_office  # bench/suggestions.py, beside this script

    rng, total = random.Random(11), 0
    for code, level, _ in offices:
        size = per_county if level != "township" else max(1, per_county // 10)
        await seed_office(conn, code, size, rng=rng, this_year=local_today().year, deputies=20)
        total += size
    return total


def suggestion_metrics(on: bool, kept: dict[str, Any]) -> None:
    """Register or unregister the suggestions' metrics: the same recompute with and without them."""
    from renda.modules.rollups.registry import metrics, register_metric, unregister_metric

    if not kept:
        kept.update({k: m for k, m in metrics().items() if k.startswith("suggestions.")})
    for key, metric in kept.items():
        register_metric(metric) if on else unregister_metric(key)


async def run(
    url: str, counties: int, townships: int, mandates: int, broker_url: str | None, repeat: int, per_county: int = 0
) -> dict[str, Any]:
    install_audit_recorder()
    install_outbox_notify()
    database = configure_database(url)
    await upgrade_platform(database)
    offices = hierarchy(counties, townships)
    started = time.perf_counter()
    paths = await provision(database, offices)
    provisioned = time.perf_counter() - started
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings=SERVER_SETTINGS)  # as renda's own
    try:
        await conn.copy_records_to_table(
            "mandate_directory",
            schema_name="platform",
            records=directory_rows(offices, paths, mandates),
            columns=DIRECTORY_COLUMNS,
        )
        await conn.execute("ANALYZE platform.mandate_directory")
        suggestions = await seed_suggestions(conn, offices, per_county) if per_county else 0
        periods = current(local_today())

        async def floor() -> None:
            for period in periods:
                await conn.fetch(FLOOR_SQL, period.as_of(local_today()))

        await service.recompute_all(periods)  # warm-up
        kept: dict[str, Any] = {}
        full: list[float] = []
        without: list[float] = []
        for turn in range(repeat):  # with and without the suggestions' metrics, alternately, on the same data
            for on in (True, False) if turn % 2 == 0 else (False, True):
                suggestion_metrics(on, kept)
                (full if on else without).extend(await timed(lambda: service.recompute_all(periods), 1))
        suggestion_metrics(True, kept)
        floor_seconds = await timed(floor, repeat)
        per_module = await statements_per_module(database, len(offices), periods)
        full_counted = await counted(database, len(offices), lambda: service.recompute_all(periods))
    finally:
        await conn.close()
    township = offices[-1][0]
    refresh = await timed(lambda: service.refresh_office(township), 2 * repeat)
    refresh_counted = await counted(database, 1, lambda: service.refresh_office(township))

    broker = use_broker(create_broker(broker_url))
    if broker_url:  # the in-process broker has booted already
        broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    relay = OutboxRelay(database, broker, poll_seconds=0.5)
    relay_task = asyncio.create_task(relay.run())
    try:
        latency = await change_latency(database, township, paths, repeat)
    finally:
        relay.stop()
        await relay_task
        worker.stop()
        broker.close()
    async with database.platform_session() as session:
        figures = len((await session.execute(select(RollupFigure.office_code))).all())
    await database.dispose()
    full_median, floor_median = statistics.median(full), statistics.median(floor_seconds)
    return {
        "offices": len(offices),
        "mandates": mandates,
        "figures": figures,
        "provision_seconds": round(provisioned, 1),
        "full_recompute_median_s": round(full_median, 3),
        "full_recompute_runs_s": [round(s, 3) for s in full],
        "suggestions": suggestions,
        "full_recompute_without_suggestion_metrics_median_s": round(statistics.median(without), 3),
        "suggestion_metrics_cost_s": round(full_median - statistics.median(without), 3),
        "floor_median_s": round(floor_median, 3),
        "full_vs_floor": round(full_median / floor_median, 1),
        "full_goal_met": full_median < GOAL_FULL_SECONDS,
        "full_recompute_statements": full_counted,
        "full_recompute_statements_added_per_module": per_module,
        "refresh_one_township_median_ms": round(1000 * statistics.median(refresh), 1),
        "refresh_one_township_statements": {k: v for k, v in refresh_counted.items() if not k.endswith("_per_office")},
        "change_to_city_median_s": round(statistics.median(latency), 2),
        "change_to_city_max_s": round(max(latency), 2),
        "debounce_s": service.DEBOUNCE.total_seconds(),
        "broker": broker_url.split("://")[0] if broker_url else "in-process",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=20)
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--mandates", type=int, default=50_000)
    parser.add_argument("--suggestions", type=int, default=400, help="suggestions per county (0: none)")
    parser.add_argument("--database-url")
    parser.add_argument("--broker-url")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (one office's refresh: twice as many)")
    args = parser.parse_args()
    if min(args.counties, args.townships, args.mandates, args.repeat) < 1 or args.suggestions < 0:
        parser.error("--counties, --townships, --mandates and --repeat must be at least 1")
    server = server_url(args.database_url)
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        result = await run(
            with_database(server, name),
            args.counties,
            args.townships,
            args.mandates,
            args.broker_url,
            args.repeat,
            args.suggestions,
        )
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(server))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
