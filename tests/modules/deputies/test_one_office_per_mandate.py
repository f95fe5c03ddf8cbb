"""One person's mandate in one congress term is recorded by one office only, whatever the offices'
status: a county cannot record the city deputies of a suspended city, and the counts stay right."""

from __future__ import annotations

import io
from collections.abc import Iterator

import dramatiq
import pytest
from openpyxl import Workbook

from renda.core.db import get_database
from renda.modules.deputies import directory
from renda.modules.register_import import service as importer
from renda.tenants.models import TenantStatus
from renda.tenants.scoping import load_tenant
from renda.tenants.service import set_status
from tests.conftest import ensure_tenant, make_caller, raw_fetchval, running_worker
from tests.modules.deputies.helpers import add_mandate, add_person, api, id_number
from tests.modules.deputies.test_directory import publish_all

CITY, COUNTY = "620100", "620102"  # offices of their own: the tenants API test opens 兰州市
CITY_CONGRESS = "兰州市人民代表大会"
DEPUTIES = 30


@pytest.fixture
def worker_broker() -> Iterator[dramatiq.Broker]:
    with running_worker("stub") as broker:
        yield broker


async def city_counts(code: str) -> int:
    async with get_database().platform_session() as session:
        counts = await directory.live_counts_by_level(session, await load_tenant(code))
    return sum(c.mandates for c in counts if c.level == "city")


async def legacy_city_term(database_url: str, county: str) -> str:
    """A city congress the county entered before the city office came onto the platform."""
    schema = f'"t_{county}"'
    congress = await raw_fetchval(
        database_url,
        f"insert into {schema}.congresses (id, level, name, division_code) "
        f"values (gen_random_uuid(), 'city', $1, $2) returning id",
        CITY_CONGRESS,
        CITY,
    )
    term = await raw_fetchval(
        database_url,
        f"insert into {schema}.terms (id, congress_id, number, starts_on, ends_on, is_current) "
        "values (gen_random_uuid(), $1, 5, '2021-10-01', '2026-09-30', true) returning id",
        congress,
    )
    return str(term)


def import_sheet(rows: list[tuple[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = importer.DATA_SHEET
    headers = [c.header for c in importer.COLUMNS]
    sheet.append(headers)
    for name, number in rows:
        values = {"姓名": name, "身份证号码": number, "代表层级": "市人大代表", "所属人大": CITY_CONGRESS, "届次": 5}
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_a_suspended_city_still_records_its_deputies(client, database, database_url, worker_broker) -> None:
    await ensure_tenant(database, CITY, "兰州市人大常委会", "city", None)
    await ensure_tenant(database, COUNTY, "城关区人大常委会", "county", CITY)
    city_staff = await make_caller(database, "兰州市代表工委干事", {CITY: ["staff"]})
    county_staff = await make_caller(database, "城关区代表工委干事", {COUNTY: ["staff"]})
    body = {"level": "city", "division_code": CITY, "name": CITY_CONGRESS}
    congress = await client.post(f"{api(CITY)}/congresses", json=body, headers=city_staff.headers)
    assert congress.status_code == 201, congress.text
    term = {"number": 5, "starts_on": "2021-10-01", "ends_on": "2026-09-30"}
    term = await client.post(
        f"{api(CITY)}/congresses/{congress.json()['id']}/terms", json=term, headers=city_staff.headers
    )
    numbers = [id_number(area=COUNTY) for _ in range(DEPUTIES)]
    for n, number in enumerate(numbers):
        person = await add_person(client, city_staff, CITY, f"兰州市代表{n}", id_number=number)
        await add_mandate(client, city_staff, CITY, person["id"], term.json()["id"], organised_in=COUNTY)
    await publish_all(database, worker_broker)
    assert (await city_counts(CITY), await city_counts(COUNTY)) == (DEPUTIES, DEPUTIES)

    await set_status(database, CITY, TenantStatus.SUSPENDED, actor="system:test", reason="测试")
    try:
        # The county may not take the city congress over while the city is suspended.
        refused = await client.post(f"{api(COUNTY)}/congresses", json={"level": "city"}, headers=county_staff.headers)
        assert refused.status_code == 409 and refused.json()["code"] == "congress_recorded_elsewhere", refused.text

        # Nor record the same mandates in a city congress it entered before the city came onto the platform.
        legacy = await legacy_city_term(database_url, COUNTY)
        twin = await add_person(client, county_staff, COUNTY, "兰州市代表0", id_number=numbers[0])
        mandate = {"person_id": twin["id"], "term_id": legacy}
        twice = await client.post(f"{api(COUNTY)}/mandates", json=mandate, headers=county_staff.headers)
        assert twice.status_code == 409, twice.text
        assert twice.json()["code"] == "mandate_recorded_elsewhere"
        assert "已由兰州市人大常委会登记" in twice.json()["message"]

        # A person entered without an ID number, then given a city deputy's: the same refusal.
        unnamed = await add_person(client, county_staff, COUNTY, "兰州市代表1")
        await add_mandate(client, county_staff, COUNTY, unnamed["id"], legacy)
        renumbered = await client.patch(
            f"{api(COUNTY)}/persons/{unnamed['id']}", json={"id_number": numbers[1]}, headers=county_staff.headers
        )
        assert renumbered.status_code == 409 and renumbered.json()["code"] == "mandate_recorded_elsewhere"

        # The import refuses such rows one by one.
        sheet = import_sheet([("兰州市代表2", numbers[2]), ("城关新代表", id_number(area=COUNTY))])
        files = {"files": {"file": ("名册.xlsx", sheet, importer.XLSX)}}
        imported = await client.post(
            f"{api(COUNTY)}/register/import?mode=valid_only", headers=county_staff.headers, **files
        )
        assert imported.status_code == 201, imported.text
        result = imported.json()
        assert (result["total_rows"], result["imported_rows"]) == (2, 1)
        [error] = result["errors"]
        assert error["row"] == 2 and "已由兰州市人大常委会登记" in error["message"]

        await publish_all(database, worker_broker)
        # The 30 count once; the county's own two (persons the city does not record) add to them.
        assert (await city_counts(CITY), await city_counts(COUNTY)) == (DEPUTIES + 2, DEPUTIES + 2)
        assert (
            await raw_fetchval(
                database_url, "select count(*) from platform.mandate_directory where recorded_by = $1", COUNTY
            )
            == 2
        )
    finally:
        await set_status(database, CITY, TenantStatus.ACTIVE, actor="system:test", reason=None)
