"""Benchmark the repeated-suggestion check (反复提的建议) against 50,000 earlier suggestions of one
county, against the same candidate SQL on a bare asyncpg connection in the same run.

Usage: .venv/bin/python bench/similarity.py [--size 50000] [--queries 200] [--database-url URL]
CI: .venv/bin/python bench/similarity.py --size 500 --queries 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from renda.core.db import Database
from renda.modules.suggestions import similar
from renda.modules.suggestions.service import similar_suggestions
from renda.modules.suggestions.similarity import Parts, gram_set, selective
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.scoping import load_tenant, tenant_session
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, server_url, throwaway_database  # bench/tenants.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "modules" / "suggestions" / "data"))
from issues import GROUPS  # noqa: E402  (the labelled set's suggestions: the templates)

COUNTY, CITY = "610901", "610900"
TOWNS = ["城关", "饶峰", "两河", "迎丰", "池河", "后柳", "喜河", "熨斗", "云雾山", "中池", "曾溪"]
NAME_CHARS = "明星胜利关帝长兴鹿鸣新建梧桐中坝永红马岭晏坝西堡江南合心红光光辉双桥金星团结联合五爱青山白云"
FILLERS = [
    "此事关系群众切身利益,群众多次反映。",
    "该问题在走访选民时被反复提到。",
    "恳请有关部门高度重视,认真研究办理。",
    "建议明确责任单位和完成时限。",
    "希望在年内见到实效。",
]


def village(rng: random.Random) -> str:
    return "".join(rng.sample(NAME_CHARS, 2)) + "村"


def generated(rng: random.Random) -> tuple[str, str]:
    """A suggestion from a template of the labelled set, moved to another town and village, with filler."""
    _place, texts = rng.choice(GROUPS)
    title, content = rng.choice(texts)
    town, place = rng.choice(TOWNS) + "镇", village(rng)
    for old in (
        "池河镇",
        "城关镇",
        "后柳镇",
        "饶峰镇",
        "两河镇",
        "迎丰镇",
        "熨斗镇",
        "中池镇",
        "云雾山镇",
        "曾溪镇",
        "喜河镇",
    ):
        title, content = title.replace(old, town), content.replace(old, town)
    for old in (
        "明星村",
        "胜利村",
        "关帝村",
        "长兴村",
        "梧桐寺村",
        "鹿鸣村",
        "新建村",
        "中坝村",
        "永红村",
        "马岭村",
        "晏坝村",
        "西堡村",
    ):
        title, content = title.replace(old, place), content.replace(old, place)
    return title[:200], content + "".join(rng.sample(FILLERS, rng.randint(0, 3)))


async def seed(dsn: str, schema: str, size: int, rng: random.Random) -> list[tuple[str, str]]:
    """`size` earlier suggestions over ten years, COPY'd (foreign keys to the register are not checked:
    the check reads none of them)."""
    texts = [generated(rng) for _ in range(size)]
    now = datetime.now(UTC)
    records = []
    for i, (title, content) in enumerate(texts):
        year = 2016 + i % 10
        records.append(
            (
                uuid.uuid4(),
                year,
                i + 1,
                "suggestion",
                False,
                uuid.uuid4(),
                uuid.uuid4(),
                uuid.uuid4(),
                "other",
                title,
                content,
                "deputy",
                "accepted",
                False,
                1,
                "none",
                False,
                False,
                rng.choice("ABCD"),
                gram_set(title, content),
                now,
                now,
            )
        )
    columns = [
        "id",
        "year",
        "seq",
        "kind",
        "during_session",
        "term_id",
        "lead_person_id",
        "lead_mandate_id",
        "category",
        "title",
        "content",
        "source",
        "status",
        "broad",
        "round",
        "follow_up",
        "is_key",
        "public_hidden",
        "reply_class",
        "similarity_grams",
        "created_at",
        "updated_at",
    ]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.copy_records_to_table("suggestions", schema_name=schema, columns=columns, records=records)
        await conn.execute(f'ANALYZE "{schema}".suggestions')
    finally:
        await conn.close()
    return texts


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000}


def compiled(statement: Any, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """The statement as renda sends it (table names unqualified), for a bare asyncpg connection."""
    done = statement.params(**params).compile(dialect=postgresql.asyncpg.dialect())
    state = done.construct_expanded_state()
    return state.statement, [state.parameters[name] for name in state.positiontup]


async def run(url: str, size: int, queries: int) -> dict[str, Any]:
    database = Database(url)
    from renda.core import db

    db._database = database  # the app's configuration, as `configure_database` does
    await upgrade_platform(database)
    await create_tenant(database, TenantCreate(CITY, "基准市人大常委会", "city"), actor="system:bench")
    await create_tenant(database, TenantCreate(COUNTY, "基准县人大常委会", "county", CITY), actor="system:bench")
    tenant = await load_tenant(COUNTY)
    rng = random.Random(50)
    started = time.perf_counter()
    texts = await seed(asyncpg_dsn(url), tenant.schema, size, rng)
    seeded = time.perf_counter() - started
    # Half the checks repeat a seeded suggestion in other words (another variant of its group), half are new.
    asks = [generated(rng) if i % 2 else rng.choice(texts) for i in range(queries)]
    renda_s, bare_s, found = [], [], []
    bare = await asyncpg.connect(asyncpg_dsn(url))
    await bare.execute(f'SET search_path TO "{tenant.schema}"')  # the bare floor's schema switch
    try:
        async with tenant_session(tenant, actor="system:bench", read_only=True) as session:
            shares = await similar.gram_shares(session)
            for title, content in asks:  # alternating, so both see the same cache and load
                t0 = time.perf_counter()
                result = await similar_suggestions(session, title=title, content=content)
                renda_s.append(time.perf_counter() - t0)
                found.append(len(result))
                keys = selective(Parts.of(title, content), shares, similar.KEYS, similar.MAX_SHARE)
                own_sql, own_args = compiled(similar.own_candidates(None), {"keys": keys})
                shared_sql, shared_args = compiled(similar.shared_candidates(None, None), {"keys": keys})
                t0 = time.perf_counter()
                await bare.fetch(own_sql, *own_args)
                await bare.fetch(shared_sql, *shared_args)
                bare_s.append(time.perf_counter() - t0)
    finally:
        await bare.close()
        await database.dispose()
    r, b = summary(renda_s), summary(bare_s)
    return {
        "size": size,
        "queries": queries,
        "seed_s": round(seeded, 1),
        "tracked_bigrams": len(shares),
        "renda": r,
        "bare_sql": b,
        "ratio_median": r["median_ms"] / b["median_ms"],
        "ratio_p95": r["p95_ms"] / b["p95_ms"],
        "mean_found": statistics.mean(found),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    async with throwaway_database(server_url(args.database_url)) as url:
        result = await run(url, args.size, args.queries)
    r, b = result["renda"], result["bare_sql"]
    print(f"repeated-suggestion check against {result['size']} earlier suggestions, {result['queries']} checks")
    print(f"  seeded in {result['seed_s']} s; PostgreSQL tracks {result['tracked_bigrams']} common bigrams")
    print(f"  renda similar_suggestions  median {r['median_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms")
    print(f"  bare asyncpg candidate SQL median {b['median_ms']:7.1f} ms   p95 {b['p95_ms']:7.1f} ms")
    print(
        f"  ratio median {result['ratio_median']:.2f}   p95 {result['ratio_p95']:.2f}",
        f"  similar listed per check {result['mean_found']:.1f}",
    )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
