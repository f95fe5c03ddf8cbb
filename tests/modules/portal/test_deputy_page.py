"""The 代表码 page: a deputy as the office publishes them (Art. 58), with commitments, stations and
the way to reach them; nothing else, and nobody without a live mandate of this office."""

from __future__ import annotations

import random

from renda.core.timezone import local_today
from tests.conftest import make_caller
from tests.modules.portal.support import (
    NAMES,
    A,
    B,
    add_deputy,
    add_station,
    fresh_term,
    next_tenth,
    offices,
    png_photo,
    unique,
)

HTML = {"Accept": "text/html"}


async def test_page_shows_exactly_the_published_fields_and_commitments(client, database) -> None:
    await offices(database)
    staff = await make_caller(database, "宜君县代表工委干事", {A: ["staff"]})
    term = await fresh_term(A)
    name, hidden_workplace = unique("宜君"), unique("宜君县单位")
    mobile = f"139{random.randrange(10**8):08d}"
    person = await add_deputy(
        A,
        term,
        name,
        public_fields=["name", "gender", "party", "levels", "photo"],
        party="中共党员",
        workplace=hidden_workplace,
        position="主任",
        photo=png_photo(),
        mobile_masked=mobile[:3] + "****" + mobile[-4:],
    )
    station_name, address = unique("宜君县宜阳街道人大代表联络站"), unique("宜阳街道便民服务中心")
    await add_station(A, station_name, address=address, days=[10, 20, 30], deputies=[person])

    api = f"/api/v1/t/{A}/portal"
    shown, hidden = unique("每月进站接待选民"), unique("内部工作安排")
    for text, public in ((shown, True), (hidden, False)):
        body = {"person_id": str(person), "text": text, "year": 2026, "is_public": public}
        created = await client.post(f"{api}/commitments", json=body, headers=staff.headers)
        assert created.status_code == 201, created.text
        assert created.json()["period_label"] == "2026年度"
    markup = await client.post(
        f"{api}/commitments",
        json={"person_id": str(person), "text": "<script>alert(1)</script>带标记", "term_id": str(term)},
        headers=staff.headers,
    )
    assert markup.status_code == 201, markup.text
    contact = await client.patch(
        f"{api}/settings", json={"contact_phone": "0919-3212345", "contact_hours": "工作日"}, headers=staff.headers
    )
    assert contact.status_code == 200 and contact.json()["contact_phone"] == "0919-3212345"

    client.cookies.clear()
    page = await client.get(f"/p/{A}/deputies/{person}")
    assert page.status_code == 200, page.text
    text = page.text
    assert name in text and NAMES[A] in text and "县人大代表" in text and "中共党员" in text and "男" in text
    assert f"/p/{A}/deputies/{person}/photo" in text
    assert hidden_workplace not in text and "主任" not in text and "工作单位" not in text and "职务" not in text
    assert mobile not in text and mobile[-4:] not in text
    assert "履职承诺" in text and shown in text and hidden not in text
    assert "&lt;script&gt;" in text and "<script>alert" not in text  # shown as text, never run
    assert "任期" in text  # the term commitment is labelled with its term
    assert station_name in text and address in text and "逢十接待日" in text
    first = next_tenth(local_today())
    assert f"{first.month}月{first.day}日" in text
    assert f'href="/p/{A}/opinions/new?deputy={person}"' in text and "向代表提意见" in text
    assert f"/p/{A}/opinions/status" in text and "0919-3212345" in text
    assert 'name="viewport"' in text  # made for phones

    photo = await client.get(f"/p/{A}/deputies/{person}/photo")
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")


async def test_a_deputy_who_publishes_only_the_name(client, database) -> None:
    await offices(database)
    term = await fresh_term(A)
    name = unique("宜君")
    person = await add_deputy(A, term, name, public_fields=["name"], party="民盟盟员", photo=png_photo())
    page = await client.get(f"/p/{A}/deputies/{person}")
    assert page.status_code == 200 and name in page.text
    for hidden in ("民盟盟员", "性别", "县人大代表", "/photo", "基本情况"):
        assert hidden not in page.text, hidden
    assert "暂未公开履职承诺" in page.text and "暂无进站安排" in page.text
    assert (await client.get(f"/p/{A}/deputies/{person}/photo")).status_code == 404


async def test_only_a_live_deputy_of_this_office_has_a_page(client, database, platform_admin) -> None:
    await offices(database)
    ended = await add_deputy(A, await fresh_term(A), unique("宜君"), public_fields=["name", "photo"], ended=True)
    elsewhere = await add_deputy(B, await fresh_term(B), unique("印台"), public_fields=["name"])
    for office, person in ((A, ended), (A, elsewhere)):
        for suffix in ("", "/qr.png", "/qr.svg", "/photo"):
            response = await client.get(f"/p/{office}/deputies/{person}{suffix}")
            assert response.status_code == 404, (suffix, response.text)
    page = await client.get(f"/p/{A}/deputies/{elsewhere}", headers=HTML)
    assert page.status_code == 404 and "页面不存在" in page.text and NAMES[A] not in page.text
    assert (await client.get(f"/p/{B}/deputies/{elsewhere}")).status_code == 200  # in its own office

    # Not a UUID, an unknown office, a suspended office: 404, never a 500.
    for url in (f"/p/{A}/deputies/not-a-uuid", f"/p/{A}/deputies/1234/qr.png", f"/p/619999/deputies/{elsewhere}"):
        assert (await client.get(url)).status_code == 404, url
    assert (await client.get(f"/p/{A}'--/deputies/{elsewhere}")).status_code == 404
    await client.post(f"/api/v1/platform/tenants/{B}/suspend", json={}, headers=platform_admin.headers)
    try:
        for suffix in ("", "/qr.png"):
            response = await client.get(f"/p/{B}/deputies/{elsewhere}{suffix}", headers=HTML)
            assert response.status_code == 404 and "该机关没有公开页面" in response.text
    finally:
        await client.post(f"/api/v1/platform/tenants/{B}/resume", headers=platform_admin.headers)


async def test_portal_home_links_everything(client, database) -> None:
    await offices(database)
    page = await client.get(f"/p/{A}/")
    assert page.status_code == 200 and NAMES[A] in page.text and "铜川市宜君县人大代表联系群众" in page.text
    for link in ("/deputies", "/stations", "/opinions/new", "/opinions/status"):
        assert f'href="/p/{A}{link}"' in page.text, link
    assert "提出意见建议" in page.text and "查询办理进度" in page.text
