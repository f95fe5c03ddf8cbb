"""Reception records: one on a day that is not a reception day is accepted and marked 非接待日; the visitor's
phone is stored encrypted (nothing in the database or the audit log has it in clear) and shown masked; a
record becomes a 群众意见 once; a station's register filters, pages, totals and exports to Excel; bad input
changes nothing; a deputy records and reads only the receptions they hold."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from openpyxl import load_workbook

from renda.modules.exports import service as exports
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller, raw_fetchval
from tests.modules.receptions.support import (
    YEAR,
    A,
    B,
    add_deputies,
    add_directory_mandate,
    add_station,
    api,
    receptions_state,
    staff_and_deputy,
    unique,
)

PHONE = "13991234567"


async def _station(client, staff, *, persons=(), mandates=(), code: str = A) -> uuid.UUID:
    station = await add_station(
        code, unique("三原县城关街道代表联络站"), persons=list(persons), mandates=list(mandates)
    )
    rule = await client.post(
        f"{api(code)}/stations/{station}/rules",
        json={"kind": "month_days", "days": [10, 20, 30], "valid_from": "2026-01-01"},
        headers=staff.headers,
    )
    assert rule.status_code == 201, rule.text
    return station


def record(station, person, **extra) -> dict:
    body = {
        "station_id": str(station),
        "held_on": "2026-11-20",
        "visitor_name": "王大妈",
        "issue": "小区门口道路破损,雨天积水严重,希望尽快修复。",
        "category": "urban_construction",
        "deputies": [{"person_id": str(person)}],
    }
    return body | extra


async def test_a_reception_on_a_non_reception_day_is_accepted_and_marked(client, database, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station = await _station(client, staff, persons=[person])
    regular = await client.post(f"{api(A)}/records", json=record(station, person), headers=staff.headers)
    assert regular.status_code == 201, regular.text
    assert (regular.json()["off_schedule"], regular.json()["schedule_label"]) == (False, "接待日")
    assert regular.json()["place"]  # the station when no place is given
    off = await client.post(
        f"{api(A)}/records", json=record(station, person, held_on="2026-11-21", place="村委会"), headers=staff.headers
    )
    assert off.status_code == 201, off.text
    assert (off.json()["off_schedule"], off.json()["schedule_label"], off.json()["place"]) == (
        True,
        "非接待日",
        "村委会",
    )
    listed = await client.get(
        f"{api(A)}/records", params={"station_id": str(station), "off_schedule": "true"}, headers=staff.headers
    )
    assert [r["id"] for r in listed.json()["items"]] == [off.json()["id"]]
    every = await client.get(f"{api(A)}/records", params={"station_id": str(station)}, headers=staff.headers)
    assert [r["schedule_label"] for r in every.json()["items"]] == ["非接待日", "接待日"]
    calendar = await client.get(
        f"{api(A)}/calendar", params={"year": 2026, "month": 11, "station_id": str(station)}, headers=staff.headers
    )
    day = next(d for d in calendar.json()["days"] if d["day"] == "2026-11-20")
    assert day["stations"][0]["receptions"] == 1
    # Moving the record to a reception day clears the mark.
    moved = await client.patch(
        f"{api(A)}/records/{off.json()['id']}", json={"held_on": "2026-11-10"}, headers=staff.headers
    )
    assert moved.status_code == 200 and moved.json()["off_schedule"] is False


async def test_the_visitor_phone_is_encrypted_and_masked(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station = await _station(client, staff, persons=[person])
    made = await client.post(
        f"{api(A)}/records", json=record(station, person, visitor_phone="139 9123 4567"), headers=staff.headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["visitor_phone_masked"] == "139****4567"
    assert PHONE not in made.text
    rid = made.json()["id"]
    row = await raw_fetchval(database_url, f'select r::text from "t_{A}".receptions r where id = $1', uuid.UUID(rid))
    assert PHONE not in str(row) and "139****4567" in str(row)
    leaked = await raw_fetchval(
        database_url, f'select count(*) from "t_{A}".audit_log a where a::text like $1', f"%{PHONE}%"
    )
    assert leaked == 0
    stored = await raw_fetchval(
        database_url, f'select visitor_phone_hash is not null from "t_{A}".receptions where id = $1', uuid.UUID(rid)
    )
    assert stored is True
    landline = await client.post(
        f"{api(A)}/records", json=record(station, person, visitor_phone="029-32123456"), headers=staff.headers
    )
    assert landline.status_code == 201 and landline.json()["visitor_phone_masked"] == "029****3456"
    cleared = await client.patch(f"{api(A)}/records/{rid}", json={"visitor_phone": None}, headers=staff.headers)
    assert cleared.status_code == 200 and cleared.json()["visitor_phone_masked"] is None


async def test_a_reception_becomes_a_peoples_opinion_once(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    mandate = await add_directory_mandate(database, unique("市接待代表"), "city")
    station = await _station(client, staff, persons=[person], mandates=[mandate])
    body = record(
        station,
        person,
        visitor_phone=PHONE,
        to_opinion=True,
        deputies=[{"mandate_id": str(mandate)}, {"person_id": str(person)}],
    )
    made = await client.post(f"{api(A)}/records", json=body, headers=staff.headers)
    assert made.status_code == 201, made.text
    assert made.json()["opinion_id"] and made.json()["opinion_ticket"]
    opinion = uuid.UUID(made.json()["opinion_id"])
    found = await raw_fetchval(
        database_url,
        f"select source || '|' || source_id || '|' || deputy_person_id || '|' || station_id || '|' || category"
        f' from "t_{A}".opinions where id = $1',
        opinion,
    )
    assert found == f"reception|{made.json()['id']}|{person}|{station}|urban_construction"
    masked = await raw_fetchval(
        database_url, f'select submitter_phone_masked from "t_{A}".opinions where id = $1', opinion
    )
    assert masked == "139****4567"

    later = await client.post(f"{api(A)}/records", json=record(station, person), headers=staff.headers)
    url = f"{api(A)}/records/{later.json()['id']}"
    converted = await client.post(f"{url}/opinion", headers=staff.headers)
    assert converted.status_code == 201 and converted.json()["opinion_ticket"]
    again = await client.post(f"{url}/opinion", headers=staff.headers)
    assert again.status_code == 409 and again.json()["code"] == "already_converted"
    kept = await client.delete(url, headers=staff.headers)
    assert kept.status_code == 409 and kept.json()["code"] == "converted"
    count = await raw_fetchval(
        database_url, f'select count(*) from "t_{A}".opinions where source_id = $1', uuid.UUID(later.json()["id"])
    )
    assert count == 1


async def test_a_stations_register_filters_pages_and_exports(client, database, offices) -> None:
    staff, _, first = await staff_and_deputy(database)
    [second] = await add_deputies(A, unique("三原县台账代表"))
    station = await _station(client, staff, persons=[first, second])
    made = []
    for held_on, category, person, phone in (
        ("2026-10-10", "education", first, PHONE),
        ("2026-10-20", "health", second, None),
        ("2026-11-10", "education", second, None),
        ("2026-11-11", "transport", first, None),
        ("2026-11-20", "education", first, None),
    ):
        body = record(station, person, held_on=held_on, category=category, visitor_count=2)
        if phone:
            body["visitor_phone"] = phone
        response = await client.post(f"{api(A)}/records", json=body, headers=staff.headers)
        assert response.status_code == 201, response.text
        made.append(response.json())
    register = f"{api(A)}/stations/{station}/register"
    november = await client.get(register, params={"month": "2026-11"}, headers=staff.headers)
    assert november.status_code == 200, november.text
    summary = november.json()["summary"]
    assert (summary["receptions"], summary["visitors"], summary["off_schedule"]) == (3, 6, 1)
    assert summary["by_category"] == {"教育": 2, "交通出行": 1}
    assert [r["held_on"] for r in november.json()["records"]["items"]] == ["2026-11-20", "2026-11-11", "2026-11-10"]
    by_category = await client.get(register, params={"category": "education"}, headers=staff.headers)
    assert by_category.json()["records"]["total"] == 3
    by_deputy = await client.get(register, params={"person_id": str(second)}, headers=staff.headers)
    assert {r["held_on"] for r in by_deputy.json()["records"]["items"]} == {"2026-10-20", "2026-11-10"}
    page = await client.get(register, params={"page_size": 2, "page": 3}, headers=staff.headers)
    assert page.json()["records"]["total"] == 5 and len(page.json()["records"]["items"]) == 1
    search = await client.get(register, params={"q": "积水"}, headers=staff.headers)
    assert search.json()["records"]["total"] == 5
    for params, code in (
        ({"month": "2026-13"}, "invalid_month"),
        ({"category": "天气"}, "invalid_category"),
        ({"page": 0}, "invalid_page"),
        ({"page_size": 500}, "invalid_page_size"),
    ):
        refused = await client.get(register, params=params, headers=staff.headers)
        assert refused.status_code == 400 and refused.json()["code"] == code, (params, refused.text)

    requested = await client.post(f"{register}/export", params={"category": "education"}, headers=staff.headers)
    assert requested.status_code == 202, requested.text
    async with tenant_session(await load_tenant(A), actor="system:test") as session:
        export = await exports.get_export(session, uuid.UUID(requested.json()["export_id"]))
        assert export.kind == "reception_register"
        await exports.build(session, export)
        sheet = load_workbook(io.BytesIO(export.content)).active
        await session.rollback()
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ("接待日期", "家站室", "是否接待日", "接待代表")
    assert len(rows) == 4 and {r[7] for r in rows[1:]} == {"教育"}
    assert rows[-1][6] == "139****4567" and all(PHONE not in str(r) for r in rows)
    viewer = await make_caller(database, unique("三原县只读"), {A: ["viewer"]})
    assert (await client.post(f"{register}/export", headers=viewer.headers)).status_code == 202
    deputy = await make_caller(database, unique("三原县代表"), {A: ["deputy"]})
    assert (await client.post(f"{register}/export", headers=deputy.headers)).status_code == 403


async def test_bad_input_is_refused_and_changes_nothing(client, database, database_url, offices) -> None:
    staff, _, person = await staff_and_deputy(database)
    station = await _station(client, staff, persons=[person])
    [foreign] = await add_deputies(B, unique("泾阳县代表"))
    b_staff = await make_caller(database, unique("泾阳县干事"), {B: ["staff"]})
    foreign_station = await _station(client, b_staff, persons=[foreign], code=B)
    elsewhere = await add_directory_mandate(database, unique("泾阳市代表"), "city", organised_in=B)
    inactive = await add_station(A, unique("三原县停用站"), persons=[person], active=False)
    before = await receptions_state(database_url, A)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for body, code in (
        (record(uuid.uuid4(), person), "unknown_station"),
        (record(foreign_station, person), "unknown_station"),
        (record(inactive, person), "station_inactive"),
        (record(station, foreign), "unknown_deputy"),
        (record(station, person, deputies=[{"mandate_id": str(elsewhere)}]), "not_in_territory"),
        (record(station, person, deputies=[]), "deputies_required"),
        (record(station, person, deputies=[{}]), "invalid_deputy"),
        (record(station, person, held_on=tomorrow), "invalid_date"),
        (record(station, person, held_on="1999-12-31"), "invalid_date"),
        (record(station, person, held_on="2026-02-30"), None),
        (record(station, person, issue="问" * 1001), None),
        (record(station, person, issue="   "), "required"),
        (record(station, person, visitor_name="名" * 51), None),
        (record(station, person, visitor_phone="12345"), "invalid_phone"),
        (record(station, person, category="天气"), "invalid_category"),
        (record(station, person, visitor_count=0), None),
        (record(station, person, handling="办" * 2001), None),
        (record(station, person, unexpected=1), None),
    ):
        refused = await client.post(f"{api(A)}/records", json=body, headers=staff.headers)
        assert 400 <= refused.status_code < 500, (body, refused.text)
        if code:
            assert refused.json()["code"] == code, (code, refused.text)
    rules = f"/stations/{station}/rules"
    since = {"valid_from": f"{YEAR}-01-01"}
    for path, body in (
        ("/exceptions", {"day": "2026-12-10", "kind": "cancelled", "station_id": str(foreign_station)}),
        ("/exceptions", {"day": "2026-12-10", "kind": "sometimes"}),
        (rules, {"kind": "month_days", "days": []} | since),
        (rules, {"kind": "month_days", "days": [32]} | since),
        (rules, {"kind": "weekdays", "days": [8]} | since),
        (rules, {"kind": "month_days", "days": [10], "valid_from": f"{YEAR}-02-01", "valid_to": f"{YEAR}-01-01"}),
        (rules, {"kind": "duty_rhythm", "per_month": 0, "per_quarter_home": 0} | since),
        (rules, {"kind": "duty_rhythm", "home_station_id": str(station)} | since),
        (rules, {"kind": "month_days", "days": [10], "note": "注" * 201} | since),
        ("/roster/generate", {"station_id": str(foreign_station), "year": YEAR, "month": 1}),
    ):
        refused = await client.post(f"{api(A)}{path}", json=body, headers=staff.headers)
        assert 400 <= refused.status_code < 500, (path, body, refused.text)
    for params in (
        {"year": 2026, "month": 13},
        {"year": 1999, "month": 1},
        {"year": 2026, "month": 1, "station_id": str(foreign_station)},
    ):
        refused = await client.get(f"{api(A)}/calendar", params=params, headers=staff.headers)
        assert refused.status_code == 400, (params, refused.text)
    assert await receptions_state(database_url, A) == before


async def test_a_deputy_records_and_reads_only_the_receptions_they_hold(client, database, offices) -> None:
    staff, deputy, person = await staff_and_deputy(database)
    [colleague] = await add_deputies(A, unique("三原县同站代表"))
    station = await _station(client, staff, persons=[person, colleague])
    own = await client.post(
        f"{api(A)}/records", json=record(station, colleague, visitor_name="李大爷"), headers=deputy.headers
    )
    assert own.status_code == 201, own.text
    assert [d["person_id"] for d in own.json()["deputies"]] == [str(person), str(colleague)]  # the recorder first
    others = await client.post(f"{api(A)}/records", json=record(station, colleague), headers=staff.headers)
    assert others.status_code == 201
    listed = await client.get(f"{api(A)}/records", params={"station_id": str(station)}, headers=deputy.headers)
    assert [r["id"] for r in listed.json()["items"]] == [own.json()["id"]]
    snooping = await client.get(f"{api(A)}/records", params={"person_id": str(colleague)}, headers=deputy.headers)
    assert snooping.json()["total"] == 0
    register = await client.get(f"{api(A)}/stations/{station}/register", headers=deputy.headers)
    assert register.json()["summary"]["receptions"] == 1
    other_url = f"{api(A)}/records/{others.json()['id']}"
    assert (await client.get(other_url, headers=deputy.headers)).status_code == 404
    assert (await client.patch(other_url, json={"issue": "改"}, headers=deputy.headers)).status_code == 404
    assert (await client.delete(other_url, headers=deputy.headers)).status_code == 404
    own_url = f"{api(A)}/records/{own.json()['id']}"
    edited = await client.patch(own_url, json={"handling": "已当场解释政策"}, headers=deputy.headers)
    assert edited.status_code == 200 and edited.json()["handling"] == "已当场解释政策"
    assert (await client.post(f"{own_url}/opinion", headers=deputy.headers)).status_code == 201
    # Rules, exceptions and rosters are the staff's.
    for path, body in (
        (f"/stations/{station}/rules", {"kind": "month_days", "days": [5], "valid_from": f"{YEAR}-01-01"}),
        ("/exceptions", {"day": f"{YEAR}-01-05", "kind": "extra", "station_id": str(station)}),
        ("/roster/generate", {"station_id": str(station), "year": YEAR, "month": 8}),
    ):
        refused = await client.post(f"{api(A)}{path}", json=body, headers=deputy.headers)
        assert refused.status_code == 403 and refused.json()["code"] == "staff_only", refused.text
    # A deputy account not linked to the register cannot record.
    unlinked = await make_caller(database, unique("三原县未关联代表"), {A: ["deputy"]})
    refused = await client.post(f"{api(A)}/records", json=record(station, person), headers=unlinked.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_linked_deputy"
    # Viewers and committee members read everything and write nothing; handling units see nothing here.
    for role in ("viewer", "committee_member"):
        reader = await make_caller(database, unique(f"三原县{role}"), {A: [role]})
        seen = await client.get(f"{api(A)}/records", params={"station_id": str(station)}, headers=reader.headers)
        assert seen.json()["total"] == 2
        assert (
            await client.post(f"{api(A)}/records", json=record(station, person), headers=reader.headers)
        ).status_code == 403
    unit = await make_caller(database, unique("三原县承办单位"), {A: ["handling_unit"]})
    assert (await client.get(f"{api(A)}/records", headers=unit.headers)).status_code == 403
