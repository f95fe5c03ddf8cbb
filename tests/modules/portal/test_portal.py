"""The public list of deputies (Art. 58): no sign-in, only the fields the office chose, never personal data."""

from __future__ import annotations

import random

from tests.conftest import ensure_tenant, make_caller
from tests.modules.deputies.helpers import api, id_number, township_term

OFFICE, NAME = "611024", "山阳县人大常委会"


async def test_public_list_shows_only_chosen_fields(client, database, hierarchy) -> None:
    await ensure_tenant(database, "611000", "商洛市人大常委会", "city", None)
    await ensure_tenant(database, OFFICE, NAME, "county", "611000")
    staff = await make_caller(database, "山阳县代表工委干事", {OFFICE: ["staff"]})
    _, term_id = await township_term(client, staff, OFFICE)
    suffix = random.randrange(10**6)
    open_name, private_name, ended_name = f"公开代表{suffix}", f"少公开{suffix}", f"已离任{suffix}"
    number, phone = id_number(), f"139{random.randrange(10**8):08d}"

    async def deputy(name: str, fields: list[str], **extra: object) -> str:
        person = await client.post(
            f"{api(OFFICE)}/persons",
            json={"name": name, "gender": "male", "party": "中共党员", "public_fields": fields, **extra},
            headers=staff.headers,
        )
        assert person.status_code == 201, person.text
        mandate = await client.post(
            f"{api(OFFICE)}/mandates",
            json={"person_id": person.json()["id"], "term_id": term_id, "constituency": "城关第一选区"},
            headers=staff.headers,
        )
        assert mandate.status_code == 201, mandate.text
        return mandate.json()["id"]

    await deputy(open_name, ["name", "gender", "party", "levels", "constituency"], id_number=number, mobile=phone)
    await deputy(private_name, ["name"])
    ended = await deputy(ended_name, ["name", "party"])
    end = await client.post(
        f"{api(OFFICE)}/mandates/{ended}/end",
        json={"ended_on": "2023-01-01", "reason": "deceased"},
        headers=staff.headers,
    )
    assert end.status_code == 200, end.text

    client.cookies.clear()
    page = await client.get(f"/p/{OFFICE}/deputies")
    assert page.status_code == 200 and NAME in page.text
    assert open_name in page.text and private_name in page.text and ended_name not in page.text
    card = page.text.split(open_name, 1)[1].split("</section>", 1)[0]
    assert "中共党员" in card and "乡镇人大代表" in card and "城关第一选区" in card
    assert "中共党员" not in page.text.split(private_name, 1)[1].split("</section>", 1)[0]
    assert number not in page.text and phone not in page.text and number[-4:] + "<" not in page.text


async def test_unknown_or_suspended_office_has_no_public_page(client, database, platform_admin) -> None:
    assert (await client.get("/p/619999/deputies")).status_code == 404
    await ensure_tenant(database, "611000", "商洛市人大常委会", "city", None)
    await ensure_tenant(database, "611025", "镇安县人大常委会", "county", "611000")
    await client.post("/api/v1/platform/tenants/611025/suspend", json={}, headers=platform_admin.headers)
    try:
        assert (await client.get("/p/611025/deputies")).status_code == 404
    finally:
        await client.post("/api/v1/platform/tenants/611025/resume", headers=platform_admin.headers)
