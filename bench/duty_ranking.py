"""Benchmark the live ranking of duty points against the same SQL on a bare asyncpg pool, in the same run.

A county office with `--deputies` deputies (default 1,500) in groups of 20 spread over 15 townships, the
year's points rules as rows, and `--entries` ledger entries of this year (default 100,000: about 67 a
deputy, every kind of event, deductions included), all written with COPY. Five rankings are requested,
each at `--connections` (default 16) connections with wrk, as a staff member's API token:

1. `scope=office`                     the office, first page (20 deputies)
2. `scope=office&page=30`             the office, page 30
3. `scope=group&group_id=…`           one deputy group (20 deputies)
4. `scope=township&township=…`        one township (100 deputies)
5. `scope=office&q=王`                the office, searched by a name's character

Every request computes every deputy's capped points of the year from the ledger (per kind of event
capped by the rule, per category by the category, never below zero) and ranks them with ties.

Renda (`renda serve`, one uvicorn process) against bench/bare_app.py, which replays on one asyncpg pool
in one transaction per request exactly the statements Renda sent for that request (recorded in process
with an SQLAlchemy cursor listener, as bench/requests.py does): the ratio Renda / baseline in requests
per second is Renda's own cost on this page. Every figure is the median of `--repeat` runs, the side that
goes first alternating.

Usage: .venv/bin/python bench/duty_ranking.py [--deputies 1500] [--entries 100000] [--connections 16]
       [--duration 10] [--warmup 3] [--repeat 3] [--database-url URL]
       .venv/bin/python bench/duty_ranking.py --deputies 40 --entries 500 --connections 2 --duration 1 \
           --warmup 0 --repeat 1                                                            # CI: seconds
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
from decimal import Decimal
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
from suggestions import make_staff

from renda.config import Settings
from renda.modules.duty import defaults
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, describe_server, server_url, throwaway_database

CITY, COUNTY = "610900", "610901"
GROUP_SIZE, TOWNSHIPS = 20, 15
# (event kind, weight): what an office's year is made of, most of it meetings, activities and receptions.
KINDS = [
    ("session", 3),
    ("session_leave", 1),
    ("invited_attendance", 2),
    ("inspection", 8),
    ("research", 8),
    ("law_check", 4),
    ("themed_action", 6),
    ("group_activity", 10),
    ("other_activity", 4),
    ("absence", 3),
    ("training", 10),
    ("reception", 14),
    ("people", 8),
    ("suggestion_lead", 6),
    ("suggestion_cosign", 8),
    ("motion_lead", 1),
    ("key_suggestion", 1),
    ("award_county", 1),
    ("award_city", 1),
]
SOURCES = {"suggestion_lead": "suggestion", "suggestion_cosign": "suggestion", "motion_lead": "suggestion"}
SOURCES |= {"key_suggestion": "suggestion", "reception": "reception", "invited_attendance": "contact_meeting"}


# --- seeding: one office's register, groups, rules and ledger, with COPY -------------------------
async def seed_office(conn: asyncpg.Connection, code: str, deputies: int, entries: int, year: int) -> dict[str, Any]:
    """Returns the ids the requests name."""
    rng = random.Random(7)
    schema = f"t_{code}"
    congress_id, term_id = uuid.uuid4(), uuid.uuid4()
    persons, mandates, groups, memberships = [], [], [], []
    townships = [f"{code}{100 + t}" for t in range(TOWNSHIPS)]
    for g in range(-(-deputies // GROUP_SIZE)):
        groups.append((uuid.uuid4(), "geographic", f"基准代表小组{g:03d}", townships[g % TOWNSHIPS]))
    for n in range(deputies):
        name = SURNAMES[n % 20] + GIVEN[(n // 20) % 24] + GIVEN[(n // 480) % 24]
        pinyin, short = pinyin_of(name)
        person_id = uuid.uuid4()
        persons.append((person_id, name, pinyin, short, "male" if n % 3 else "female", "汉族", ["name"]))
        mandates.append((uuid.uuid4(), person_id, term_id, "county", date(2021, 10, 1), "active", False))
        memberships.append((uuid.uuid4(), groups[n // GROUP_SIZE][0], "geographic", person_id))
    now = datetime.now(UTC)
    categories = [(uuid.uuid4(), year, c, d.cap, d.is_bonus) for c, d in defaults.CATEGORIES.items()]
    rules = {kind: uuid.uuid4() for kind in defaults.RULES}
    rule_rows = [
        (rules[k], year, k, r.category, r.points, r.unit, r.cap, 1, "system:bench", now)
        for k, r in defaults.RULES.items()
    ]
    kinds = [k for k, weight in KINDS for _ in range(weight)]
    ledger = []
    for n in range(entries):
        kind = rng.choice(kinds)
        rule = defaults.RULES[kind]
        quantity = Decimal(rng.choice([2, 3, 4, 6])) if rule.unit == "hour" else Decimal(1)
        points = -rule.points if kind == "absence" else rule.points * quantity
        person = persons[rng.randrange(deputies)][0]
        day = date(year, 1, 1) + timedelta(days=rng.randrange(300))
        ledger.append(
            (
                year, person, rule.category, kind, rules[kind], SOURCES.get(kind, "duty_activity"), uuid.uuid4(),
                f"基准履职记录{n}", day, points, "event", "system:bench", now,
            )
        )  # fmt: skip
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
            columns=["id", "person_id", "term_id", "level", "starts_on", "status", "by_election"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "deputy_groups", schema_name=schema, records=groups, columns=["id", "kind", "name", "township_code"]
        )
        await conn.copy_records_to_table(
            "group_memberships", schema_name=schema, records=memberships,
            columns=["id", "group_id", "group_kind", "person_id"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "duty_point_categories", schema_name=schema, records=categories,
            columns=["id", "year", "code", "cap", "is_bonus"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "duty_point_rules", schema_name=schema, records=rule_rows,
            columns=["id", "year", "event_kind", "category", "points", "unit", "cap", "version", "created_by",
                     "created_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "duty_point_entries", schema_name=schema, records=ledger,
            columns=["year", "person_id", "category", "event_kind", "rule_id", "source", "source_id", "source_label",
                     "occurred_on", "points", "reason", "created_by", "created_at"],
        )  # fmt: skip
    # The ranking's sums, as a reconcile folds them in (the bench writes the ledger around it).
    await conn.execute(
        f"""INSERT INTO "{schema}".duty_point_sums (year, person_id, category, event_kind, points)
            SELECT year, person_id, category, event_kind, sum(points) FROM "{schema}".duty_point_entries
            GROUP BY 1, 2, 3, 4;
            INSERT INTO "{schema}".duty_point_sum_marks (year, through_id)
            SELECT year, max(id) FROM "{schema}".duty_point_entries GROUP BY year"""
    )
    for table in (
        "persons",
        "mandates",
        "deputy_groups",
        "group_memberships",
        "duty_point_rules",
        "duty_point_entries",
        "duty_point_sums",
    ):
        await conn.execute(f'ANALYZE "{schema}".{table}')
    return {"group_id": str(groups[0][0]), "township": townships[0], "year": year}


# --- what is requested ---------------------------------------------------------------------------
def rankings(ids: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        "office": {"scope": "office"},
        "page_30": {"scope": "office", "page": "30"},
        "group": {"scope": "group", "group_id": ids["group_id"]},
        "township": {"scope": "township", "township": ids["township"]},
        "search": {"scope": "office", "q": "王"},
    }


def path_of(params: dict[str, str]) -> str:
    return f"/api/v1/t/{COUNTY}/duty/points/ranking?{urlencode(params)}"


async def capture(app: Any, token: str, requests: dict[str, dict[str, str]]) -> tuple[dict[str, Replay], dict]:
    """Each ranking twice in process; the second one's statements are what the baseline replays."""
    replays, totals = {}, {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, params in requests.items():
            await call(client, "GET", path_of(params), token)
            with recorded() as seen:
                body = await call(client, "GET", path_of(params), token)
            replays[f"duty_ranking?{urlencode(params)}"] = replay_of("register", seen)  # main: the LIMIT statement
            totals[name] = (body["total"], body["items"][0]["total"] if body["items"] else None)
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
            ids = await seed_office(conn, COUNTY, args.deputies, args.entries, date.today().year)
            seeded = time.perf_counter() - started
        finally:
            await conn.close()
        requests = rankings(ids)
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
                progress(f"repetition {rep + 1}/{args.repeat}, rankings", number, len(requests))
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
        f"\nduty ranking benchmark on {where}: one office, {args.deputies} deputies, {args.entries} ledger entries "
        f"(seeded in {r['seed_s']:.1f} s),"
    )
    print(f"{args.connections} connections, median of {args.repeat} runs of {args.duration} s, wrk 1 thread")
    print("\nstatements per request (first line of each; * = its response):")
    for name, replay in r["replays"].items():
        print(f"  {name}:")
        for number, statement in enumerate(replay.statements):
            print(f"   {'*' if number == replay.main else ' '} {first_line(statement.sql)}")
    head = "  req/s  p50 ms  p99 ms  cpu ms"
    print(f"\n{'':<26}{'renda':<31}{'bare asyncpg, same SQL':<31}ratio")
    print(f"{'ranking':<12}{'ranked':>8}     {head}{head}  req/s")
    for name, f in r["figures"].items():
        row = f"{name:<12}{r['totals'][name][0]:>8}     "
        for side in ("renda", "base"):
            s = f[side]
            row += f"{s['rps']:>7.0f}{s['p50_ms']:>8.2f}{s['p99_ms']:>8.2f}{s['cpu_ms']:>8.2f}"
        print(f"{row}{f['ratio']:>7.2f}")
    print(
        json.dumps(
            {
                "deputies": args.deputies,
                "entries": args.entries,
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
    parser.add_argument("--deputies", type=int, default=1_500)
    parser.add_argument("--entries", type=int, default=100_000, help="ledger entries of the year")
    parser.add_argument("--connections", type=int, default=16)
    # Longer than the suggestion list's: a request ranks every deputy, so the first answers at 16
    # connections come after a second or more on a busy two-core machine.
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each measured run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is kept)")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    if min(args.deputies, args.entries, args.connections, args.duration, args.repeat) < 1 or args.warmup < 0:
        parser.error("--deputies, --entries, --connections, --duration and --repeat must be at least 1")
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
