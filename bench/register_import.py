"""Benchmark the Excel import of 10,000 deputies, against a parse + raw asyncpg COPY floor.

Usage: .venv/bin/python bench/register_import.py [--rows 10000] [--repeat 3] [--database-url URL]
See bench/README.md for what is measured and how to read the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from renda.config import Settings
from renda.core.db import Database, configure_database
from renda.modules.deputies.idcard import with_check_digit
from renda.modules.deputies.models import DirectoryEntry
from renda.tenants.divisions import Level
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, rss_bytes, server_url, with_database  # bench/tenants.py, beside this script

CITY = "610900"
COUNTY_CONGRESS, TOWNS = "基准县人民代表大会", 10
SURNAMES, GIVEN = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PARTIES = ("中共党员", "中共党员", "群众", "无党派人士", "民盟盟员")
OCCUPATIONS = ("工人", "农民", "专业技术人员", "党政领导干部", "企业负责人", "其他")
MIB = 1024 * 1024


def town_congress(n: int) -> str:
    return f"基准县第{n + 1}镇人民代表大会"


# --- the file ------------------------------------------------------------------------------------
def sheet_rows(n: int) -> list[list[Any]]:
    """`n` rows of the import template: one in seven persons is a county and a township deputy."""
    from renda.modules.register_import.service import COLUMNS

    headers = [c.header for c in COLUMNS]
    rows: list[list[Any]] = []
    person = 0
    while len(rows) < n:
        male = person % 3 != 0
        born = date(1955, 1, 1) + timedelta(days=(person * 7) % 11000)
        number = with_check_digit(f"610901{born:%Y%m%d}{(2 * (person % 500) + male):03d}")
        name = SURNAMES[person % 20] + GIVEN[person % 24] + GIVEN[(person // 24) % 24]
        base = {
            "姓名": name,
            "身份证号码": number,
            "性别": "男" if male else "女",
            "民族": "回族" if person % 30 == 0 else "汉族",
            "出生日期": born,
            "政治面貌": PARTIES[person % len(PARTIES)],
            "职业类别": OCCUPATIONS[person % len(OCCUPATIONS)],
            "学历": "大学本科",
            "工作单位": f"基准县第{person % 50}单位",
            "职务": "职工",
            "手机号码": f"138{person:08d}",
        }
        county = person % 7 == 0
        levels = [("县人大代表", COUNTY_CONGRESS, 18), ("乡镇人大代表", town_congress(person % TOWNS), 19)]
        for level, congress, term in levels if county else levels[1:]:
            values = {**base, "代表层级": level, "所属人大": congress, "届次": term, "选区": f"第{person % 60 + 1}选区"}
            rows.append([values.get(h) for h in headers])
        person += 1
    return [headers, *rows[:n]]


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("代表名单")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- offices -------------------------------------------------------------------------------------
async def new_county(database: Database, index: int) -> str:
    """A county office with the congresses and terms the file names (its own, ten townships')."""
    from renda.modules.deputies import service as deputies
    from renda.modules.deputies.schemas import CongressIn, TermIn
    from renda.tenants.scoping import load_tenant, tenant_session

    code = f"6109{index:02d}"
    office = TenantCreate(code, f"基准县{index}人大常委会", Level.COUNTY, CITY)
    await create_tenant(database, office, actor="system:bench")
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="system:bench") as session:
        county = await deputies.create_congress(session, tenant, CongressIn("county", name=COUNTY_CONGRESS))
        await deputies.create_term(session, county.id, TermIn(18, date(2021, 10, 1), date(2026, 9, 30)))
        for n in range(TOWNS):
            town = await deputies.create_congress(
                session, tenant, CongressIn("township", division_code=f"{code}{100 + n}", name=town_congress(n))
            )
            await deputies.create_term(session, town.id, TermIn(19, date(2021, 9, 20), date(2026, 9, 19)))
        await session.commit()
    return code


async def token_for(database: Database, codes: list[str]) -> str:
    from renda.modules.accounts import service as accounts

    async with database.platform_session() as session:
        session.info["actor"] = "system:bench"
        user = await accounts.create_user(session, "基准测试员")
        for code in codes:
            await accounts.grant_membership(session, user, code, ["staff"])
        token = await accounts.issue_api_token(session, user, "bench")
        await session.commit()
    return token


# --- measures ------------------------------------------------------------------------------------
async def renda_import(client: AsyncTestClient, token: str, code: str, content: bytes) -> float:
    started = time.perf_counter()
    response = await client.post(
        f"/api/v1/t/{code}/register/import",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("代表名册.xlsx", content, "application/octet-stream")},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"import failed: {response.status_code} {response.text[:500]}")
    return elapsed


async def directory_lag(database: Database, code: str, rows: int, started: float) -> float:
    """Seconds from the end of the request until the directory lists every imported mandate."""
    while True:
        async with database.platform_session() as session:
            query = select(func.count()).where(DirectoryEntry.recorded_by == code)
            if (await session.execute(query)).scalar_one() >= rows:
                return time.perf_counter() - started
        if time.perf_counter() - started > 600:
            raise RuntimeError("the directory did not catch up in 10 minutes")
        await asyncio.sleep(0.1)


def parse(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    book.close()
    return rows


async def floor_import(dsn: str, code: str, content: bytes) -> tuple[float, float]:
    """The least any import must do: parse the sheet, then COPY its persons and mandates."""
    started = time.perf_counter()
    rows = parse(content)
    parsed = time.perf_counter() - started
    conn = await asyncpg.connect(dsn)
    try:
        schema = f"t_{code}"
        terms = dict(
            await conn.fetch(
                f'select c.name, t.id from "{schema}".terms t join "{schema}".congresses c on c.id = t.congress_id'
            )
        )
        started = time.perf_counter()
        persons: dict[str, tuple[Any, ...]] = {}
        mandates = []
        for r in rows:
            name, number, gender, ethnicity, born, party, occupation = r[0], r[1], r[2], r[3], r[4], r[5], r[6]
            person = persons.get(number)
            if person is None:
                person = persons[number] = (
                    uuid.uuid4(), name, name, name, "male" if gender == "男" else "female", ethnicity,
                    born.date(), party, occupation, number, ["name", "gender", "levels"],
                )  # fmt: skip
            level = "county" if r[12] == "县人大代表" else "township"
            mandates.append((uuid.uuid4(), person[0], terms[r[13]], level, r[15], date(2021, 10, 1), "active", False))
        async with conn.transaction():
            await conn.copy_records_to_table(
                "persons",
                schema_name=schema,
                records=list(persons.values()),
                columns=[
                    "id", "name", "name_pinyin", "name_initials", "gender", "ethnicity",
                    "birth_date", "party", "occupation_category", "id_number_hash", "public_fields",
                ],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "mandates",
                schema_name=schema,
                records=mandates,
                columns=["id", "person_id", "term_id", "level", "constituency", "starts_on", "status", "by_election"],
            )
        return parsed, time.perf_counter() - started
    finally:
        await conn.close()


async def run(url: str, rows: int, repeat: int) -> dict[str, Any]:
    database = configure_database(url)
    await upgrade_platform(database)
    await create_tenant(database, TenantCreate(CITY, "基准市人大常委会", Level.CITY, None), actor="system:bench")
    content = workbook_bytes(sheet_rows(rows))
    counties = [await new_county(database, i) for i in range(1, 2 * repeat + 2)]
    token = await token_for(database, counties)

    from renda.app import create_app

    app = create_app(Settings(environment="development", secret_key="bench-secret"), url)
    renda_s: list[float] = []
    lag_s: list[float] = []
    parse_s: list[float] = []
    copy_s: list[float] = []
    async with AsyncTestClient(app, timeout=600) as client:
        # Memory first, on its own office: tracemalloc slows Python, so this run's time is not reported.
        rss_before = rss_bytes()
        tracemalloc.start()
        await renda_import(client, token, counties[0], content)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = rss_bytes()
        await directory_lag(database, counties[0], rows, time.perf_counter())
        for i in range(repeat):  # renda and the floor alternate, each on a fresh office
            renda_s.append(await renda_import(client, token, counties[1 + 2 * i], content))
            lag_s.append(await directory_lag(database, counties[1 + 2 * i], rows, time.perf_counter()))
            parsed, copied = await floor_import(asyncpg_dsn(url), counties[2 + 2 * i], content)
            parse_s.append(parsed)
            copy_s.append(copied)
    await database.dispose()
    floor = statistics.median(p + c for p, c in zip(parse_s, copy_s, strict=True))
    renda = statistics.median(renda_s)
    return {
        "rows": rows,
        "file_mib": len(content) / MIB,
        "renda_s": renda,
        "renda_rows_per_s": rows / renda,
        "directory_lag_s": statistics.median(lag_s),
        "floor_parse_s": statistics.median(parse_s),
        "floor_copy_s": statistics.median(copy_s),
        "floor_s": floor,
        "ratio": renda / floor,
        "tracemalloc_peak_mib": peak / MIB,
        "rss_before_mib": rss_before / MIB,
        "rss_after_mib": rss_after / MIB,
        "runs": {"renda_s": renda_s, "parse_s": parse_s, "copy_s": copy_s, "lag_s": lag_s},
    }


def report(result: dict[str, Any], where: str) -> None:
    print(f"\nrenda register import benchmark: {result['rows']} rows ({result['file_mib']:.2f} MiB .xlsx) on {where}\n")
    print("                                              seconds   rows/s")
    print(f"   renda POST /register/import (201)        {result['renda_s']:>8.2f} {result['renda_rows_per_s']:>8.0f}")
    print(f"   floor: openpyxl read-only parse          {result['floor_parse_s']:>8.2f}")
    print(f"   floor: asyncpg COPY persons + mandates   {result['floor_copy_s']:>8.2f}")
    floor_rate = result["rows"] / result["floor_s"]
    print(f"   floor total                              {result['floor_s']:>8.2f} {floor_rate:>8.0f}")
    print(f"   ratio renda/floor (medians): {result['ratio']:.1f}x")
    print(f"   then the directory lists every mandate after {result['directory_lag_s']:.2f} s (in-process worker)\n")
    print(f"   memory of one import: tracemalloc peak {result['tracemalloc_peak_mib']:.1f} MiB;", end=" ")
    print(f"RSS {result['rss_before_mib']:.1f} MiB before, {result['rss_after_mib']:.1f} MiB after")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median is kept)")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    if not 1 <= args.rows <= 20_000 or args.repeat < 1:
        parser.error("--rows must be 1..20000 and --repeat at least 1")

    server = server_url(args.database_url)
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        result = await run(with_database(server, name), args.rows, args.repeat)
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(server))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    where = f"embedded PostgreSQL ({server.split('host=', 1)[1]})" if "host=" in server else server.split("@")[-1]
    report(result, where)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
