"""Benchmark searching and listing the register over 100,000 mandates in 100 offices, over HTTP at
20 concurrent requests, against the same SQL run directly with asyncpg in the same run.

Usage: .venv/bin/python bench/register_search.py [--offices 100] [--mandates 100000] [--concurrency 20]
       [--requests 2000] [--database-url URL]
See bench/README.md for what is measured and how to read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import random
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

from renda.core.db import Database
from renda.modules.deputies import directory, repository
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.deputies.schemas import RegisterFilter
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.scoping import TenantRef
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, offices, server_url, with_database  # bench/tenants.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
SURNAMES, GIVEN = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PAGE_SIZE = 20


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a key of the result dicts
class Workload:
    """One list endpoint, the kinds of request sent to it, and the offices they are sent to."""

    name: str
    path: str  # after /api/v1/t/{code}
    kinds: list[tuple[str, dict[str, Any]]]


# An office's own register (its schema), and its territory across offices (the mandate directory).
REGISTER = Workload(
    "register",
    "/deputies",
    [
        ("list, first page", {}),
        ("list, page 10", {"page": 10}),
        ("initials zw", {"q": "zw"}),
        ("full pinyin wangfang", {"q": "wangfang"}),
        ("name contains 王", {"q": "王"}),
        ("level + live, page 3", {"level": "township", "status": "live", "page": 3}),
    ],
)
TERRITORY = Workload(
    "territory",
    "/deputies/elsewhere",
    [
        ("list, first page", {}),
        ("list, page 10", {"page": 10}),
        ("initials zw", {"q": "zw"}),
        ("name contains 王", {"q": "王"}),
        ("township level", {"level": "township"}),
    ],
)


# --- data ----------------------------------------------------------------------------------------
@functools.cache
def pinyin_of(name: str) -> tuple[str, str]:
    return full_pinyin(name), initials(name)


def level_of(office_level: str) -> str:
    return {"city": "city", "county": "county", "township": "township"}[office_level]


async def seed(dsn: str, codes: list[tuple[str, str]], per_office: int) -> None:
    """Per office: its own congress and term, `per_office` persons; a tenth of them also hold a
    township mandate (counties and cities administer a township congress too), the rest one."""
    conn = await asyncpg.connect(dsn)
    try:
        paths = dict(await conn.fetch("select code, path from platform.tenants"))
        published = datetime.now(UTC)
        for index, (code, office_level) in enumerate(codes):
            schema = f"t_{code}"
            congresses, terms = [], []
            congress_names: dict[uuid.UUID, str] = {}
            for level, division in ((level_of(office_level), code), ("township", f"{code[:6]}999")):
                if level == "township" and office_level == "township" and division != code:
                    continue
                congress_id, term_id = uuid.uuid4(), uuid.uuid4()
                congresses.append((congress_id, level, f"{division}人民代表大会", division))
                terms.append((term_id, congress_id, 18, date(2021, 10, 1), date(2026, 9, 30), True))
                congress_names[term_id] = f"{division}人民代表大会"
            persons: list[tuple[Any, ...]] = []
            mandates: list[tuple[Any, ...]] = []
            i = 0
            while len(mandates) < per_office:
                n, i = index * per_office + i, i + 1
                name = SURNAMES[n % 20] + GIVEN[(n // 20) % 24] + GIVEN[(n // 480) % 24]
                pinyin, short = pinyin_of(name)
                person_id = uuid.uuid4()
                persons.append((person_id, name, pinyin, short, "male" if n % 3 else "female", "汉族", ["name"]))
                held = terms if (n % 10 == 0 and len(terms) > 1) else terms[:1]
                for term in held:
                    level = next(c[1] for c in congresses if c[0] == term[1])
                    constituency = f"第{n % 40 + 1}选区"
                    mandates.append(
                        (uuid.uuid4(), person_id, term[0], level, constituency, date(2021, 10, 1), "active", False)
                    )
            mandates = mandates[:per_office]
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "congresses",
                    schema_name=schema,
                    records=congresses,
                    columns=["id", "level", "name", "division_code"],
                )
                await conn.copy_records_to_table(
                    "terms",
                    schema_name=schema,
                    records=terms,
                    columns=["id", "congress_id", "number", "starts_on", "ends_on", "is_current"],
                )
                await conn.copy_records_to_table(
                    "persons",
                    schema_name=schema,
                    records=persons,
                    columns=["id", "name", "name_pinyin", "name_initials", "gender", "ethnicity", "public_fields"],
                )
                await conn.copy_records_to_table(
                    "mandates",
                    schema_name=schema,
                    records=mandates,
                    columns=[
                        "id",
                        "person_id",
                        "term_id",
                        "level",
                        "constituency",
                        "starts_on",
                        "status",
                        "by_election",
                    ],
                )
            await conn.execute(f'ANALYZE "{schema}".persons; ANALYZE "{schema}".mandates')
            names = {p[0]: p for p in persons}
            directory = [
                (
                    m[0], code, paths[code], code, paths[code], f"{code}:{m[1]}", m[1], names[m[1]][1],
                    names[m[1]][2], names[m[1]][3], names[m[1]][4], m[3], congress_names[m[2]], 18, m[4],
                    "active", m[5], False, published,
                )
                for m in mandates
            ]  # fmt: skip
            await conn.copy_records_to_table(
                "mandate_directory", schema_name="platform", records=directory, columns=DIRECTORY_COLUMNS
            )
        await conn.execute("ANALYZE platform.mandate_directory")
    finally:
        await conn.close()


async def tokens_for(database: Database, codes: list[str], users: int) -> list[str]:
    """One user per concurrent caller (as many staff at their desks), each a viewer in every office."""
    from renda.modules.accounts import service as accounts

    tokens = []
    async with database.platform_session() as session:
        session.info["actor"] = "system:bench"
        for n in range(users):
            user = await accounts.create_user(session, f"基准测试员{n}")
            for code in codes:
                await accounts.grant_membership(session, user, code, ["viewer"])
            tokens.append(await accounts.issue_api_token(session, user, "bench"))
        await session.commit()
    return tokens


DIRECTORY_COLUMNS = [
    "mandate_id", "recorded_by", "recorded_path", "organised_in", "organised_path", "person_key", "person_id",
    "person_name", "name_pinyin", "name_initials", "gender", "level", "congress_name", "term_number",
    "constituency", "status", "starts_on", "by_election", "published_at",
]  # fmt: skip


# --- the same SQL, straight to asyncpg -----------------------------------------------------------
DIALECT = postgresql.asyncpg.dialect()


def sql(statement: Any, schema: str) -> str:
    """The statement as the app sends it for this office: tenant tables in its schema, values inline."""
    return str(
        statement.compile(
            dialect=DIALECT,
            compile_kwargs={"literal_binds": True},
            schema_translate_map={None: schema},
            render_schema_translate=True,
        )
    )


def list_statements(params: dict[str, Any], schema: str) -> tuple[str, str]:
    """The count and page queries of `deputies.service.search` (through `core.pagination.paginate`)."""
    filters = RegisterFilter(q=params.get("q"), level=params.get("level"), status=params.get("status"))
    query = repository.register_query(filters)
    page = int(params.get("page", 1))
    count = select(func.count()).select_from(query.order_by(None).subquery())
    return sql(count, schema), sql(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE), schema)


def mandates_statement(person_ids: list[uuid.UUID], schema: str) -> str:
    """The third query of a search, `repository.mandates_of`, for the page's persons."""
    from renda.modules.deputies.models import Congress, Mandate, MandateStatus, Term

    return sql(
        select(Mandate, Term, Congress)
        .join(Term, Term.id == Mandate.term_id)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Mandate.person_id.in_(person_ids))
        .order_by(
            Mandate.person_id, (Mandate.status == MandateStatus.ENDED), repository.LEVEL_RANK, Mandate.starts_on.desc()
        ),
        schema,
    )


class _Recorder:
    """Stands in for a session to capture the statements a service function builds."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any) -> _Recorder:
        self.statements.append(statement)
        return self

    def scalar_one(self) -> int:
        return 0

    def all(self) -> list[Any]:
        return []


async def territory_statements(params: dict[str, Any], tenant: TenantRef) -> list[str]:
    """The count and page queries `deputies.directory.recorded_elsewhere` sends (platform schema)."""
    recorder = _Recorder()
    await directory.recorded_elsewhere(
        recorder,  # type: ignore[arg-type]
        tenant,
        level=params.get("level"),
        q=params.get("q"),
        page=int(params.get("page", 1)),
        page_size=PAGE_SIZE,
    )
    return [sql(statement, "platform") for statement in recorder.statements]


# --- load ----------------------------------------------------------------------------------------
Plan = list[tuple[str, int]]  # (office, kind) per request


def plan(codes: list[str], kinds: int, n: int, seed_value: int = 4) -> Plan:
    """The same random sequence of (office, request kind) for both sides."""
    rng = random.Random(seed_value)
    return [(rng.choice(codes), rng.randrange(kinds)) for _ in range(n)]


async def drive(
    workload: Workload, requests: Plan, concurrency: int, call: Callable[[int, str, int], Awaitable[None]]
) -> dict[str, Any]:
    """`concurrency` callers take the planned requests in order; latency of each, and the wall time."""
    latencies: list[list[float]] = [[] for _ in workload.kinds]
    queue = list(reversed(requests))

    async def caller(number: int) -> None:
        while queue:
            code, kind = queue.pop()
            started = time.perf_counter()
            await call(number, code, kind)
            latencies[kind].append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller(n) for n in range(concurrency)))
    wall = time.perf_counter() - started
    every = sorted(x for kind in latencies for x in kind)
    return {
        "p50_ms": percentile(every, 50) * 1000,
        "p99_ms": percentile(every, 99) * 1000,
        "mean_ms": statistics.fmean(every) * 1000,
        "per_s": len(every) / wall,
        "by_kind_p50_ms": {
            workload.kinds[k][0]: percentile(sorted(v), 50) * 1000 for k, v in enumerate(latencies) if v
        },
    }


def percentile(ordered: list[float], p: float) -> float:
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def warm_up(requests: Plan) -> Plan:
    return requests[: max(50, len(requests) // 10)]


async def through_the_app(
    base: str, tokens: list[str], workload: Workload, requests: Plan, concurrency: int
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def call(caller: int, code: str, kind: int) -> None:
            params = {**workload.kinds[kind][1], "page_size": PAGE_SIZE}
            headers = {"Authorization": f"Bearer {tokens[caller]}"}
            response = await client.get(f"/api/v1/t/{code}{workload.path}", params=params, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

        await drive(workload, warm_up(requests), concurrency, call)
        return await drive(workload, requests, concurrency, call)


async def straight_to_asyncpg(
    dsn: str, workload: Workload, requests: Plan, concurrency: int, tenants: dict[str, TenantRef]
) -> dict[str, Any]:
    """Per request the statements the endpoint sends, on a pool of `concurrency` connections;
    compiling them is done beforehand and not timed."""
    pairs = {(code, kind) for code, kind in requests}
    prepared: dict[tuple[str, int], list[str]] = {}
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        async with pool.acquire() as conn:
            for code, kind in pairs:
                params = workload.kinds[kind][1]
                if workload is TERRITORY:
                    prepared[(code, kind)] = await territory_statements(params, tenants[code])
                    continue
                count_sql, page_sql = list_statements(params, f"t_{code}")
                ids = [r["id"] for r in await conn.fetch(page_sql)]  # the third query depends on the page
                prepared[(code, kind)] = [count_sql, page_sql, mandates_statement(ids, f"t_{code}")]

        async def call(_: int, code: str, kind: int) -> None:
            async with pool.acquire() as conn:
                for statement in prepared[(code, kind)]:
                    await conn.fetch(statement)

        await drive(workload, warm_up(requests), concurrency, call)
        return await drive(workload, requests, concurrency, call)
    finally:
        await pool.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_server(url: str, port: int) -> asyncio.subprocess.Process:
    """`renda serve` in its own process, as deployed (one uvicorn worker)."""
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
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError("renda serve did not start")


async def run(url: str, n_offices: int, mandates: int, concurrency: int, n_requests: int) -> dict[str, Any]:
    database = Database(url)
    await upgrade_platform(database)
    tenants = offices(n_offices)
    for code, level, parent in tenants:
        await create_tenant(database, TenantCreate(code, f"基准机关{code}", level, parent), actor="system:bench")
    codes = [(code, str(level)) for code, level, _ in tenants]
    started = time.perf_counter()
    await seed(asyncpg_dsn(url), codes, mandates // n_offices)
    seeded = time.perf_counter() - started
    tokens = await tokens_for(database, [c for c, _ in codes], concurrency)
    await database.dispose()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    total = sum([await conn.fetchval(f'select count(*) from "t_{code}".mandates') for code, _ in codes])
    refs = {
        r["code"]: TenantRef(r["id"], r["code"], r["name"], r["level"], r["status"], r["schema_name"], r["path"])
        for r in await conn.fetch("select * from platform.tenants")
    }
    await conn.close()

    # Every office searches its own register; the city and the counties search their territory.
    targets = {
        REGISTER: [c for c, _ in codes],
        TERRITORY: [c for c, level in codes if level != "township"],
    }
    plans = {w: plan(offices_, len(w.kinds), n_requests) for w, offices_ in targets.items()}
    raw = {w: await straight_to_asyncpg(asyncpg_dsn(url), w, plans[w], concurrency, refs) for w in plans}
    port = free_port()
    server = await start_server(url, port)
    try:
        base = f"http://127.0.0.1:{port}"
        app = {w: await through_the_app(base, tokens, w, plans[w], concurrency) for w in plans}
    finally:
        server.terminate()
        await server.wait()
    return {
        "offices": n_offices,
        "mandates": total,
        "concurrency": concurrency,
        "requests": n_requests,
        "seed_s": seeded,
        **{
            w.name: {
                "path": w.path,
                "offices": len(targets[w]),
                "renda": app[w],
                "raw": raw[w],
                "ratio_p50": app[w]["p50_ms"] / raw[w]["p50_ms"],
                "ratio_p99": app[w]["p99_ms"] / raw[w]["p99_ms"],
            }
            for w in plans
        },
    }


def report(r: dict[str, Any], where: str) -> None:
    print(f"\nrenda register search benchmark: {r['mandates']} mandates in {r['offices']} offices on {where}")
    print(f"{r['requests']} requests per endpoint at {r['concurrency']} concurrent, a random office each")
    for number, workload in enumerate((REGISTER, TERRITORY), start=1):
        w = r[workload.name]
        print(f"\n{number}. GET /api/v1/t/{{code}}{w['path']} over {w['offices']} offices")
        print("                                          p50 ms    p99 ms   mean ms    req/s")
        for label, key in (("renda over HTTP", "renda"), ("same SQL, asyncpg pool", "raw")):
            s = w[key]
            print(f"   {label:<36}{s['p50_ms']:>9.1f}{s['p99_ms']:>10.1f}{s['mean_ms']:>10.1f}{s['per_s']:>9.0f}")
        print(f"   ratio renda/raw: p50 {w['ratio_p50']:.1f}x, p99 {w['ratio_p99']:.1f}x")
        print("   p50 by request kind (ms)                renda       raw")
        for label, value in w["renda"]["by_kind_p50_ms"].items():
            print(f"   {label:<36}{value:>10.1f}{w['raw']['by_kind_p50_ms'][label]:>10.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=100)
    parser.add_argument("--mandates", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per side")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    if args.offices < 2 or args.mandates < args.offices or args.concurrency < 1 or args.requests < 1:
        parser.error("need at least 2 offices, one mandate per office, 1 caller and 1 request")

    server = server_url(args.database_url)
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        result = await run(with_database(server, name), args.offices, args.mandates, args.concurrency, args.requests)
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(server))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    where = f"embedded PostgreSQL ({server.split('host=', 1)[1]})" if "host=" in server else server.split("@")[-1]
    report(result, where)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
