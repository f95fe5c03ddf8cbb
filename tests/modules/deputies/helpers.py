"""Helpers for the register tests. The test database is shared by the whole run, so each test makes
its own congress, term and persons instead of relying on what other tests left behind."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from renda.modules.deputies.idcard import with_check_digit
from tests.conftest import ensure_tenant, raw_fetchval

TERM_START, TERM_END = date(2021, 10, 1), date(2026, 9, 30)


def api(code: str) -> str:
    return f"/api/v1/t/{code}"


def id_number(*, male: bool = True, area: str = "610922", born: date | None = None) -> str:
    """A valid, random resident ID number (the 17th digit is odd for men)."""
    born = born or date(1960, 1, 1) + timedelta(days=random.randrange(40 * 365))
    sequence = random.randrange(100) * 10 + random.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    return with_check_digit(f"{area}{born:%Y%m%d}{sequence:03d}")


def mobile() -> str:
    return f"139{random.randrange(10**8):08d}"


async def township_term(
    client: Any,
    caller: Any,
    code: str,
    *,
    number: int = 18,
    starts_on: date = TERM_START,
    ends_on: date | None = TERM_END,
) -> tuple[str, str]:
    """A fresh township congress of the county `code` with its first, current term."""
    for n in random.sample(range(200, 1000), 100):
        body = {"level": "township", "division_code": f"{code}{n}", "name": f"测试{n}镇人民代表大会"}
        created = await client.post(f"{api(code)}/congresses", json=body, headers=caller.headers)
        if created.status_code == 201:
            break
        assert created.json()["code"] == "congress_exists", created.text
    congress_id = created.json()["id"]
    term = {"number": number, "starts_on": str(starts_on), "ends_on": str(ends_on) if ends_on else None}
    response = await client.post(f"{api(code)}/congresses/{congress_id}/terms", json=term, headers=caller.headers)
    assert response.status_code == 201, response.text
    return congress_id, response.json()["id"]


async def add_person(client: Any, caller: Any, code: str, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "gender": "male", **fields}
    response = await client.post(f"{api(code)}/persons", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_mandate(client: Any, caller: Any, code: str, person_id: str, term_id: str, **fields: Any) -> dict:
    body = {"person_id": person_id, "term_id": term_id, **fields}
    response = await client.post(f"{api(code)}/mandates", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def count(database_url: str, code: str, table: str, where: str = "true", *args: object) -> int:
    """Rows of a tenant table, counted outside the app."""
    return int(await raw_fetchval(database_url, f'select count(*) from "t_{code}".{table} where {where}', *args))


async def row_counts(database_url: str, code: str) -> dict[str, int]:
    tables = ("congresses", "terms", "persons", "mandates", "mandate_events")
    return {table: await count(database_url, code, table) for table in tables}


async def own_county(database: Any, code: str, name: str) -> str:
    """A county of 商洛市 for a test that needs an office's own congress to itself."""
    await ensure_tenant(database, "611000", "商洛市人大常委会", "city", None)
    await ensure_tenant(database, code, name, "county", "611000")
    return code
