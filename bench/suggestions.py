"""Benchmark the suggestion list of one office against the same SQL on a bare asyncpg pool, in the same run.

A county office with `--size` suggestions (default 20,000: five years of an office's suggestions and
motions, in every state of the loop, 30 handling units, 60 deputies) written with COPY. Four lists are
requested, each at `--connections` (default 16) connections with wrk, as a staff member's API token:

1. `status=assigned`                         (办理中: about a fifth of the office)
2. `unit_id=<a unit>`                        (lead or co-handler: about one in twenty)
3. `year=<the latest year>`                  (about a fifth)
4. `status=replied&unit_id=…&year=…`         (the three together)

Renda (`renda serve`, one uvicorn process) against bench/bare_app.py, which replays on one asyncpg pool
in one transaction per request exactly the statements Renda sent for that request (recorded in process
with an SQLAlchemy cursor listener, as bench/requests.py does): the ratio Renda / baseline in requests
per second is Renda's own cost on this list. Every figure is the median of `--repeat` runs, the side that
goes first alternating.

Usage: .venv/bin/python bench/suggestions.py [--size 20000] [--connections 16] [--duration 5] [--repeat 3]
       [--database-url URL]
       .venv/bin/python bench/suggestions.py --size 100 --duration 1 --warmup 0 --repeat 1   # CI: seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from bare_app import Replay  # bench/bare_app.py, beside this script
from register_search import GIVEN, SURNAMES, pinyin_of
from requests import (  # bench/requests.py, beside this script
    SECRET,
    Load,
    Probe,
    Servers,
    call,
    first_line,
    median_figures,
    progress,
    recorded,
    replay_of,
    wait_for_background_jobs,
    wait_until_idle,
    wrk,
)

from renda.config import Settings
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, describe_server, server_url, throwaway_database

CITY, COUNTY = "610900", "610901"
UNITS, DEPUTIES = 30, 60
YEARS = 5
STATUSES = [  # (status, weight): an office's five years, most of them answered and closed
    ("submitted", 3),
    ("returned", 1),
    ("accepted", 2),
    ("assigned", 20),
    ("replied", 14),
    ("closed", 56),
    ("merged", 2),
    ("withdrawn", 2),
]
CATEGORIES = ["economy", "urban_construction", "agriculture", "transport", "education", "health", "environment"]
TOPICS = ["公路硬化", "校舍改造", "饮水安全", "医保报销", "垃圾分类", "路灯维修", "产业扶持", "河道治理"]
PLACES = ["城关镇", "宝丰镇", "擂鼓镇", "秦古镇", "得胜镇", "上庸镇", "官渡镇", "潘口乡"]


# --- seeding: one office's register, units and suggestions, with COPY ----------------------------
async def seed_office(
    conn: asyncpg.Connection, code: str, size: int, *, rng: random.Random, this_year: int, deputies: int = DEPUTIES
) -> dict[str, Any]:
    """A congress, a term, `deputies` persons with a mandate each, `UNITS` handling units, `size`
    suggestions over the last `YEARS` years (co-handlers on a third of the assigned ones). Returns the ids
    a request names."""
    schema = f"t_{code}"
    congress_id, term_id = uuid.uuid4(), uuid.uuid4()
    persons, mandates = [], []
    for n in range(deputies):
        name = SURNAMES[n % 20] + GIVEN[(n // 20) % 24] + GIVEN[(n * 7) % 24]
        pinyin, short = pinyin_of(name)
        person_id = uuid.uuid4()
        persons.append((person_id, name, pinyin, short, "male" if n % 3 else "female", "汉族", ["name"]))
        mandates.append(
            (uuid.uuid4(), person_id, term_id, "county", f"第{n % 40 + 1}选区", date(2021, 10, 1), "active", False)
        )
    units = [(uuid.uuid4(), f"基准承办单位{i:02d}", True) for i in range(UNITS)]
    unit_ids = [u[0] for u in units]
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    suggestions, handled = [], []
    seqs: dict[int, int] = {}
    now = datetime.now(UTC)
    for n in range(size):
        year = this_year - (n * YEARS) // max(1, size)
        seqs[year] = seqs.get(year, 0) + 1
        status = rng.choice(statuses) if year == this_year else rng.choice(["closed"] * 9 + ["replied", "merged"])
        lead = rng.randrange(deputies)
        filed = datetime(year, 1 + n % 11, 1 + n % 27, 2, tzinfo=UTC)
        assigned = status in ("assigned", "replied", "closed")
        unit_index = rng.randrange(UNITS)
        unit = unit_ids[unit_index] if assigned else None
        answered = status in ("replied", "closed")
        reply_class = rng.choice("AAAABBCD") if answered else None
        rating = rng.choice(["satisfied"] * 8 + ["basic", "dissatisfied"]) if status == "closed" else None
        deadline = (filed + timedelta(days=100)).date() if assigned else None
        suggestion_id = uuid.uuid4()
        topic, place = TOPICS[n % len(TOPICS)], PLACES[(n // 8) % len(PLACES)]
        suggestions.append(
            (
                suggestion_id, year, seqs[year], "motion" if n % 50 == 0 else "suggestion", n % 3 == 0, term_id,
                persons[lead][0], mandates[lead][0], CATEGORIES[n % len(CATEGORIES)], f"关于{place}{topic}的建议",
                f"建议加快{place}{topic}工作,解决群众反映强烈的问题。", "deputy", status, False, filed,
                unit, 1, filed + timedelta(days=10) if assigned else None, deadline, reply_class,
                filed + timedelta(days=60) if answered else None, True if answered else None, rating,
                n % 40 == 0, "resolved" if reply_class in ("B", "C") and n % 2 else "none",
                filed + timedelta(days=120) if status == "closed" else None, False, now, now,
            )
        )  # fmt: skip
        if unit is not None:
            handled.append((uuid.uuid4(), suggestion_id, unit, 1, "lead", filed))
            if n % 3 == 0:
                handled.append((uuid.uuid4(), suggestion_id, unit_ids[(unit_index + 1) % UNITS], 1, "co", filed))
    async with conn.transaction():
        await conn.copy_records_to_table(
            "congresses", schema_name=schema, records=[(congress_id, "county", f"{code}人民代表大会", code)],
            columns=["id", "level", "name", "division_code"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "terms", schema_name=schema, records=[(term_id, congress_id, 18, date(2021, 10, 1), None, True)],
            columns=["id", "congress_id", "number", "starts_on", "ends_on", "is_current"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "persons", schema_name=schema, records=persons,
            columns=["id", "name", "name_pinyin", "name_initials", "gender", "ethnicity", "public_fields"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "mandates", schema_name=schema, records=mandates,
            columns=["id", "person_id", "term_id", "level", "constituency", "starts_on", "status", "by_election"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "handling_units", schema_name=schema, records=units, columns=["id", "name", "is_active"]
        )
        await conn.copy_records_to_table(
            "suggestions", schema_name=schema, records=suggestions,
            columns=[
                "id", "year", "seq", "kind", "during_session", "term_id", "lead_person_id", "lead_mandate_id",
                "category", "title", "content", "source", "status", "broad", "filed_at", "lead_unit_id", "round",
                "assigned_at", "deadline", "reply_class", "replied_at", "replied_on_time", "rating", "is_key",
                "follow_up", "closed_at", "public_hidden", "created_at", "updated_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "suggestion_units", schema_name=schema, records=handled,
            columns=["id", "suggestion_id", "unit_id", "round", "role", "assigned_at"],
        )  # fmt: skip
    await conn.execute(f'ANALYZE "{schema}".suggestions; ANALYZE "{schema}".suggestion_units')
    return {"unit_id": str(units[0][0]), "year": this_year, "term_id": str(term_id)}


async def make_staff(database: Any, codes: list[str]) -> str:
    """A staff member of the office with their own API token (sees the whole office)."""
    from renda.modules.accounts import service as accounts

    async with database.platform_session() as session:
        session.info["actor"] = "system:bench"
        user = await accounts.create_user(session, "基准工作人员")
        for code in codes:
            await accounts.grant_membership(session, user, code, ["staff"])
        token = await accounts.issue_api_token(session, user, "bench")
        await session.commit()
    return token


# --- what is requested ---------------------------------------------------------------------------
def lists(ids: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        "status": {"status": "assigned"},
        "unit": {"unit_id": ids["unit_id"]},
        "year": {"year": str(ids["year"])},
        "all_three": {"status": "replied", "unit_id": ids["unit_id"], "year": str(ids["year"])},
    }


def path_of(params: dict[str, str]) -> str:
    return f"/api/v1/t/{COUNTY}/suggestions/items?{urlencode(params)}"


async def capture(app: Any, token: str, requests: dict[str, dict[str, str]]) -> tuple[dict[str, Replay], dict]:
    """Each list twice in process; the second one's statements are what the baseline replays."""
    replays, totals = {}, {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, params in requests.items():
            await call(client, "GET", path_of(params), token)
            with recorded() as seen:
                body = await call(client, "GET", path_of(params), token)
            replays[f"suggestions?{urlencode(params)}"] = replay_of("register", seen)  # main: the LIMIT statement
            totals[name] = body["total"]
    return replays, totals


# --- main ----------------------------------------------------------------------------------------
async def run(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, Any]:
    from renda.app import create_app
    from renda.core.db import get_database

    app = create_app(Settings(database_url=url, secret_key=SECRET, log_level="WARNING"), url)
    database = get_database()
    servers = Servers(workdir, url, None)
    probe = None
    try:
        await upgrade_platform(database)
        for code, level, parent in ((CITY, "city", None), (COUNTY, "county", CITY)):
            await create_tenant(database, TenantCreate(code, f"基准机关{code}", level, parent), actor="system:bench")
        token = await make_staff(database, [COUNTY])
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            started = time.perf_counter()
            ids = await seed_office(conn, COUNTY, args.size, rng=random.Random(13), this_year=date.today().year)
            seeded = time.perf_counter() - started
        finally:
            await conn.close()
        requests = lists(ids)
        renda = await servers.renda()
        await wait_for_background_jobs(asyncpg_dsn(url))
        await wait_until_idle([renda])
        replays, totals = await capture(app, token, requests)
        statements = workdir / "statements.json"
        statements.write_text(json.dumps({name: r.to_json() for name, r in replays.items()}))
        bare = await servers.bare(statements, asyncpg_dsn(url))
        await database.dispose()
        probe = Probe(await asyncpg.connect(asyncpg_dsn(url)))
        runs: dict[str, dict[str, list[dict[str, float]]]] = {n: {"renda": [], "base": []} for n in requests}
        for rep in range(args.repeat):
            for number, (name, params) in enumerate(requests.items(), start=1):
                load = Load((path_of(params),), token)
                sides = [("renda", renda), ("base", bare)]
                for side, server in sides if rep % 2 == 0 else reversed(sides):
                    if args.warmup:
                        await wrk(server, load, args.connections, args.warmup, workdir, probe)
                    runs[name][side].append(await wrk(server, load, args.connections, args.duration, workdir, probe))
                progress(f"repetition {rep + 1}/{args.repeat}, lists", number, len(requests))
        figures = {name: {side: median_figures(runs[name][side]) for side in ("renda", "base")} for name in requests}
        for name in figures:
            figures[name]["ratio"] = figures[name]["renda"]["rps"] / figures[name]["base"]["rps"]
        return {"figures": figures, "totals": totals, "replays": replays, "seed_s": seeded, "requests": requests}
    finally:
        if probe is not None:
            await probe.conn.close()
        await servers.stop_all()
        await database.dispose()


def report(args: argparse.Namespace, where: str, r: dict[str, Any]) -> None:
    print(
        f"\nsuggestion list benchmark on {where}: one office, {args.size} suggestions (seeded in {r['seed_s']:.1f} s),"
    )
    print(f"{args.connections} connections, median of {args.repeat} runs of {args.duration} s, wrk 1 thread")
    print("\nstatements per request (first line of each; * = its response):")
    for name, replay in r["replays"].items():
        print(f"  {name}:")
        for number, statement in enumerate(replay.statements):
            print(f"   {'*' if number == replay.main else ' '} {first_line(statement.sql)}")
    head = "  req/s  p50 ms  p99 ms  cpu ms"
    print(f"\n{'':<26}{'renda':<31}{'bare asyncpg, same SQL':<31}ratio")
    print(f"{'list':<12}{'matches':>8}     {head}{head}  req/s")
    for name, f in r["figures"].items():
        row = f"{name:<12}{r['totals'][name]:>8}     "
        for side in ("renda", "base"):
            s = f[side]
            row += f"{s['rps']:>7.0f}{s['p50_ms']:>8.2f}{s['p99_ms']:>8.2f}{s['cpu_ms']:>8.2f}"
        print(f"{row}{f['ratio']:>7.2f}")
    print(
        json.dumps(
            {
                "size": args.size,
                "connections": args.connections,
                "repeat": args.repeat,
                "duration_s": args.duration,
                "totals": r["totals"],
                "figures": r["figures"],
            }
        )
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="suggestions in the office")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each measured run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is kept)")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    if min(args.size, args.connections, args.duration, args.repeat) < 1 or args.warmup < 0:
        parser.error("--size, --connections, --duration and --repeat must be at least 1, --warmup at least 0")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    return args


async def main() -> None:
    args = parse_args()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
    server = server_url(args.database_url)
    with tempfile.TemporaryDirectory(prefix="renda-bench-") as workdir:
        async with throwaway_database(server) as url:
            result = await run(args, url, Path(workdir))
    report(args, describe_server(server), result)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted: servers stopped, benchmark database dropped")
