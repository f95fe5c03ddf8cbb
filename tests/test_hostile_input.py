"""Hostile input gets a 4xx with a code, never a 500, and changes nothing: a NUL character or bytes
that are not UTF-8 in a path, a query, a JSON body or a form (400 invalid_text); numbers no
PostgreSQL integer holds (400 number_out_of_range); JSON nested 100,000 deep (400 json_too_deep); a
multipart upload without its file (400 missing_file); a station with receptions deleted (409
station_in_use) and a rule pointed at a station that does not exist (400 unknown_station); and
what PostgreSQL refuses that no service caught first, by its SQLSTATE."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from renda.core.db import Database, refused_input
from tests.conftest import make_caller
from tests.modules.receptions.support import (
    A,
    add_station,
    api,
    offices,
    receptions_state,
    staff_and_deputy,
    unique,
)

__all__ = ["offices"]


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status and response.json()["code"] == code, (response.status_code, response.text)


async def _station_with_rule(client, staff) -> tuple[uuid.UUID, str]:
    station = await add_station(A, unique("三原县代表联络站"))
    rule = await client.post(
        f"{api(A)}/stations/{station}/rules",
        json={"kind": "month_days", "days": [10, 20], "valid_from": "2026-01-01"},
        headers=staff.headers,
    )
    assert rule.status_code == 201, rule.text
    return station, rule.json()["id"]


def _record(station: uuid.UUID, person: uuid.UUID, **extra) -> dict:
    body = {
        "station_id": str(station),
        "held_on": "2026-11-20",
        "visitor_name": "王大妈",
        "issue": "小区门口道路破损,希望尽快修复。",
        "category": "urban_construction",
        "deputies": [{"person_id": str(person)}],
    }
    return body | extra


async def test_text_postgresql_cannot_store_is_refused_at_the_door(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station, _ = await _station_with_rule(client, staff)
    before = await receptions_state(database_url, A)
    # The path and the query: before the office is resolved, so nothing reaches PostgreSQL.
    refused(await client.get(f"/api/v1/t/{A}%00/receptions/records", headers=staff.headers), 400, "invalid_text")
    refused(await client.get(f"{api(A)}/records?q=%00", headers=staff.headers), 400, "invalid_text")
    refused(await client.get(f"{api(A)}/records?q=%FF%FE", headers=staff.headers), 400, "invalid_text")
    refused(await client.get(f"{api(A)}/records?q%00=1", headers=staff.headers), 400, "invalid_text")
    # Public pages too: the portal's search and the sign-in page's office.
    refused(await client.get(f"/p/{A}/deputies?q=%E7%8E%8B%00"), 400, "invalid_text")
    refused(await client.get("/auth/login?office=%00"), 400, "invalid_text")
    # A JSON string with \u0000, and a body that is not UTF-8.
    body = _record(station, person, visitor_name="王\u0000大妈")
    refused(await client.post(f"{api(A)}/records", json=body, headers=staff.headers), 400, "invalid_text")
    raw = '{"visitor_name": "\xff"}'.encode("latin-1")
    headers = staff.headers | {"content-type": "application/json"}
    refused(await client.post(f"{api(A)}/records", content=raw, headers=headers), 400, "invalid_text")
    # A lone surrogate is not text either: msgspec refuses it as JSON.
    lone = b'{"visitor_name": "\\ud800"}'
    refused(await client.post(f"{api(A)}/records", content=lone, headers=headers), 400, "malformed_json")
    # JSON under another content type is still read as JSON, and checked as such.
    form_headers = staff.headers | {"content-type": "application/x-www-form-urlencoded"}
    as_form = await client.post(f"{api(A)}/records", content=json.dumps(body).encode(), headers=form_headers)
    refused(as_form, 400, "invalid_text")
    as_multipart = await client.post(f"{api(A)}/records", files={"x": ("x.txt", b"x")}, headers=staff.headers)
    assert as_multipart.status_code == 400, as_multipart.text
    assert await receptions_state(database_url, A) == before
    # The same record with readable text is taken.
    made = await client.post(f"{api(A)}/records", json=_record(station, person), headers=staff.headers)
    assert made.status_code == 201, made.text


async def test_numbers_no_postgresql_integer_holds_are_refused(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station, _ = await _station_with_rule(client, staff)
    before = await receptions_state(database_url, A)
    for page in ("9223372036854775808", "-9223372036854775809", "1" + "0" * 40):
        response = await client.get(f"{api(A)}/records", params={"page": page}, headers=staff.headers)
        refused(response, 400, "number_out_of_range")
    # Within bigint a list's own range answers (core.pagination).
    response = await client.get(f"{api(A)}/records", params={"page": "4611686018427387904"}, headers=staff.headers)
    refused(response, 400, "invalid_page")
    body = _record(station, person, visitor_count=10**20)
    refused(await client.post(f"{api(A)}/records", json=body, headers=staff.headers), 400, "number_out_of_range")
    assert await receptions_state(database_url, A) == before


async def test_json_nested_past_any_document_is_refused(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station, _ = await _station_with_rule(client, staff)
    before = await receptions_state(database_url, A)
    headers = staff.headers | {"content-type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    refused(await client.post(f"{api(A)}/records", content=deep, headers=headers), 400, "json_too_deep")
    nested: dict = {}
    for _ in range(40):  # deep enough to refuse, shallow enough for the decoder
        nested = {"a": nested}
    body = _record(station, person, note=nested)
    refused(await client.post(f"{api(A)}/records", json=body, headers=staff.headers), 400, "json_too_deep")
    assert await receptions_state(database_url, A) == before


async def test_a_multipart_upload_without_its_file_is_refused(client, database, hierarchy) -> None:
    clerk = await make_caller(database, unique("名册导入"), {hierarchy["a"]: ["staff"]})
    url = f"/api/v1/t/{hierarchy['a']}/register/import"
    only_text = await client.post(url, files={"note": (None, "没有文件")}, headers=clerk.headers)
    refused(only_text, 400, "missing_file")
    as_json = await client.post(url, json={"file": "x"}, headers=clerk.headers)
    refused(as_json, 400, "missing_file")
    # A text part that is not UTF-8.
    boundary = "renda-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n'.encode()
        + b"\xff\xfe\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    headers = clerk.headers | {"content-type": f"multipart/form-data; boundary={boundary}"}
    refused(await client.post(url, content=body, headers=headers), 400, "invalid_text")


async def test_a_station_with_receptions_is_kept(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station, _ = await _station_with_rule(client, staff)
    made = await client.post(f"{api(A)}/records", json=_record(station, person), headers=staff.headers)
    assert made.status_code == 201, made.text
    url = f"/api/v1/t/{A}/organisation/stations/{station}"
    admin = await make_caller(database, unique("机关管理员"), {A: ["office_admin"]})
    refused(await client.delete(url, headers=admin.headers), 409, "station_in_use")
    assert (await client.get(url, headers=admin.headers)).status_code == 200
    # A station without receptions still goes.
    empty = await add_station(A, unique("三原县代表之家"), kind="deputy_home")
    response = await client.delete(f"/api/v1/t/{A}/organisation/stations/{empty}", headers=admin.headers)
    assert response.status_code == 204, response.text


async def test_a_rule_pointed_at_a_missing_station_is_refused(client, database, database_url, offices) -> None:
    staff, _, _ = await staff_and_deputy(database)
    _, rule = await _station_with_rule(client, staff)
    before = await receptions_state(database_url, A)
    missing = str(uuid.uuid4())
    response = await client.patch(f"{api(A)}/rules/{rule}", json={"home_station_id": missing}, headers=staff.headers)
    refused(response, 400, "unknown_station")
    assert await receptions_state(database_url, A) == before


@pytest.mark.parametrize(
    ("statement", "params", "status", "code"),
    [
        ("insert into hostile_child (parent_id) values (999)", {}, 400, "unknown_reference"),
        ("delete from hostile_parent", {}, 409, "in_use"),
        ("insert into hostile_parent (id, name) values (2, 'same')", {}, 409, "duplicate"),
        ("insert into hostile_parent (id, name) values (3, '')", {}, 400, "constraint_violated"),
        ("insert into hostile_parent (id) values (4)", {}, 400, "missing_value"),
        ("select cast(:value as text)", {"value": "a\x00"}, 400, "invalid_text"),
        ("select cast(:value as jsonb)", {"value": '"\\u0000"'}, 400, "invalid_text"),
        ("select (2147483647 + 1)::int", {}, 400, "number_out_of_range"),
        ("select cast(:value as int)", {"value": 2**40}, 400, "number_out_of_range"),
    ],
)
async def test_what_postgresql_refuses_becomes_a_4xx_by_its_sqlstate(
    database: Database, statement: str, params: dict, status: int, code: str
) -> None:
    """The last line behind the services: a refusal no service turned into its own error."""
    async with database.engine.connect() as connection:
        for setup in (
            "create temporary table hostile_parent (id int primary key, name text not null unique check (name <> ''))",
            "create temporary table hostile_child (parent_id int references hostile_parent (id))",
            "insert into hostile_parent values (1, 'same')",
            "insert into hostile_child values (1)",
        ):
            await connection.execute(text(setup))
        with pytest.raises(DBAPIError) as raised:
            await connection.execute(text(statement), params)
        await connection.rollback()
    error = refused_input(raised.value)
    assert error is not None and (error.status_code, error.code) == (status, code), (raised.value, error)


async def test_a_fault_of_the_server_is_no_input_error(database: Database) -> None:
    async with database.engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            await connection.execute(text("select * from no_such_table"))
        await connection.rollback()
    assert refused_input(raised.value) is None  # 42P01: the code's fault, a 500 with its traceback
