"""The station finder and a station's public page; bounded input on every public page."""

from __future__ import annotations

import uuid
from datetime import date

from renda.core.timezone import local_today
from renda.modules.deputies.models import DirectoryEntry
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.organisation.models import StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.portal.support import (
    CITY,
    TOWNSHIP,
    A,
    B,
    add_deputy,
    add_station,
    fresh_term,
    next_tenth,
    offices,
    pdf_text,
    unique,
)

HTML = {"Accept": "text/html"}


def card_of(page: str, name: str) -> str:
    return page.split(name, 1)[1].split("</section>", 1)[0]


async def test_finder_searches_filters_and_lists_live_deputies(client, database) -> None:
    await offices(database)
    term = await fresh_term(A)
    live, gone = unique("宜君"), unique("宜君")
    live_id = await add_deputy(A, term, live, public_fields=["name"])
    gone_id = await add_deputy(A, term, gone, public_fields=["name"], ended=True)
    marker = unique("")  # four characters in every name of this test's stations
    town = await add_station(
        A,
        f"宜阳街道{marker}联络站",
        address=f"宜阳街道{marker}路1号",
        township_code=TOWNSHIP,
        deputies=[live_id, gone_id],
    )
    street = unique("便民服务中心")
    other = await add_station(A, f"{marker}代表之家", address=street, township_code="610222101", days=[15])
    closed = await add_station(A, f"{marker}已停用站", active=False)

    found = await client.get(f"/p/{A}/stations", params={"q": marker})
    assert found.status_code == 200 and "查找代表之家、联络站" in found.text
    assert f"宜阳街道{marker}联络站" in found.text and f"{marker}代表之家" in found.text
    assert f"{marker}已停用站" not in found.text and "共找到 2 个家站室" in found.text
    card = card_of(found.text, f"宜阳街道{marker}联络站")
    assert f'href="/p/{A}/deputies/{live_id}"' in card and live in card and gone not in card
    assert "每月10日、20日、30日(逢十接待日)" in card
    first = next_tenth(local_today())
    assert f"{first.month}月{first.day}日" in card
    assert "每月15日" in card_of(found.text, f"{marker}代表之家")

    by_address = await client.get(f"/p/{A}/stations", params={"q": street})
    assert f"{marker}代表之家" in by_address.text and f"宜阳街道{marker}联络站" not in by_address.text
    by_township = await client.get(f"/p/{A}/stations", params={"q": marker, "township": TOWNSHIP})
    assert f"宜阳街道{marker}联络站" in by_township.text and f"{marker}代表之家" not in by_township.text
    # The township filter names the township from the platform's township office beneath the county.
    assert f'<option value="{TOWNSHIP}" selected>宜阳街道</option>' in by_township.text
    nothing = await client.get(f"/p/{A}/stations", params={"q": unique("无此站")})
    assert "没有找到符合条件的家站室" in nothing.text

    detail = await client.get(f"/p/{A}/stations/{town}")
    assert detail.status_code == 200 and f"宜阳街道{marker}路1号" in detail.text and live in detail.text
    assert f'href="/p/{A}/opinions/new?station={town}"' in detail.text and "向联络站提意见" in detail.text
    assert gone not in detail.text and "接待日上午" in detail.text
    assert (await client.get(f"/p/{A}/stations/{closed}")).status_code == 404
    assert (await client.get(f"/p/{A}/stations/{other}")).status_code == 200


async def test_stations_of_another_office_are_not_there(client, database) -> None:
    await offices(database)
    name = unique("印台区联络站")
    other = await add_station(B, name)
    assert (await client.get(f"/p/{A}/stations/{other}")).status_code == 404
    assert "共找到 0 个家站室" in (await client.get(f"/p/{A}/stations", params={"q": name})).text
    assert (await client.get(f"/p/{B}/stations/{other}")).status_code == 200


async def test_public_input_is_bounded(client, database) -> None:
    await offices(database)
    cases = [
        (f"/p/{A}/stations", {"q": "站" * 51}, 400, "query_too_long"),
        (f"/p/{A}/deputies", {"q": "x" * 200}, 400, "query_too_long"),
        (f"/p/{A}/stations", {"page": "0"}, 400, "invalid_page"),
        (f"/p/{A}/deputies", {"page": "100000"}, 400, "invalid_page"),
        (f"/p/{A}/stations", {"page": "abc"}, 400, None),
        (f"/p/{A}/stations", {"township": "x' or 1=1"}, 400, "invalid_township"),
        ("/p/not-an-office/stations", {}, 404, "portal_not_found"),
        (f"/p/{A}/stations/not-a-uuid", {}, 404, None),
    ]
    for url, params, status, code in cases:
        response = await client.get(url, params=params)
        assert response.status_code == status, (url, params, response.text)
        if code:
            assert response.json()["code"] == code
    page = await client.get(f"/p/{A}/stations", params={"q": "站" * 51}, headers=HTML)
    assert page.status_code == 400 and "查找内容不能超过 50 个字" in page.text and f'href="/p/{A}/"' in page.text
    last = await client.get(f"/p/{A}/stations", params={"page": "500"})
    assert last.status_code == 200 and "没有找到符合条件的家站室" in last.text


async def directory_mandate(database, name: str, *, ended: bool = False) -> tuple[uuid.UUID, uuid.UUID]:
    """A city deputy (recorded by 铜川市) organised in 宜君县, as the platform's directory has them."""
    mandate_id, person_id = uuid.uuid4(), uuid.uuid4()
    async with database.platform_session() as session:
        session.add(
            DirectoryEntry(
                mandate_id=mandate_id,
                recorded_by=CITY,
                recorded_path=CITY,
                organised_in=A,
                organised_path=f"{CITY}/{A}",
                person_key=f"{CITY}:{person_id}",
                person_id=person_id,
                person_name=name,
                name_pinyin=full_pinyin(name),
                name_initials=initials(name),
                gender="female",
                level="city",
                congress_name="铜川市人民代表大会",
                term_number=18,
                status="ended" if ended else "active",
                starts_on=date(2026, 10, 1),
                ended_on=date(2026, 11, 1) if ended else None,
                end_reason="resigned" if ended else None,
            )
        )
        await session.commit()
    return mandate_id, person_id


async def test_deputies_recorded_elsewhere_link_to_their_own_office(client, database) -> None:
    await offices(database)
    city_name, gone_name = unique("铜川"), unique("铜川")
    mandate, person = await directory_mandate(database, city_name)
    gone_mandate, _ = await directory_mandate(database, gone_name, ended=True)
    station_name = unique("宜君县市代表联络站")
    station = await add_station(A, station_name)
    async with tenant_session(await load_tenant(A), actor="system:test") as session:
        session.add_all(StationAssignment(station_id=station, directory_mandate_id=m) for m in (mandate, gone_mandate))
        await session.commit()

    found = await client.get(f"/p/{A}/stations", params={"q": station_name})
    card = card_of(found.text, station_name)
    assert f'href="/p/{CITY}/deputies/{person}"' in card and city_name in card and gone_name not in card
    staff = await make_caller(database, "宜君县打印市代表", {A: ["staff"]})
    sheet = await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf", headers=staff.headers)
    text = "".join(pdf_text(sheet.content).split())
    assert city_name in text and gone_name not in text
