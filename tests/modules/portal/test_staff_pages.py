"""代表码管理 as a 代表工委 clerk uses it, through a browser session."""

from __future__ import annotations

import re

from tests.conftest import make_caller
from tests.modules.deputies.helpers import count
from tests.modules.portal.support import A, B, add_deputy, add_station, fresh_term, offices, unique
from tests.test_member_pages import signed_in


async def test_clerk_edits_commitments_and_contact_from_the_pages(client, database, database_url) -> None:
    await offices(database)
    clerk = await make_caller(database, "宜君县代表码管理员", {A: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    term = await fresh_term(A)
    name = unique("宜君")
    person = await add_deputy(A, term, name, public_fields=["name", "levels"])
    station_name = unique("宜君县宜阳街道代表联络站")
    station = await add_station(A, station_name, deputies=[person])

    overview = await client.get(f"/t/{A}/portal", params={"q": name})
    assert overview.status_code == 200 and "代表码管理" in overview.text and name in overview.text
    assert f"/p/{A}/deputies/{person}/qr.png" in overview.text and f"/p/{A}/deputies/{person}/qr.svg" in overview.text
    full = await client.get(f"/t/{A}/portal")
    assert f"/t/{A}/portal/stations/{station}/qr-sheet.pdf" in full.text and station_name in full.text

    base = f"/t/{A}/portal/deputies/{person}"
    page = await client.get(base)
    assert page.status_code == 200 and "添加履职承诺" in page.text and "尚未填写履职承诺" in page.text
    form = {"_csrf": csrf, "year": "2026", "term_id": "", "text": "每月进站接待一次", "position": "0", "is_public": "1"}
    added = await client.post(f"{base}/commitments", data=form, follow_redirects=False)
    assert added.status_code in (302, 303), added.text
    page = await client.get(base)
    assert "每月进站接待一次" in page.text and "2026年度" in page.text
    commitment = re.search(r"/portal/commitments/([0-9a-f-]{36})/edit", page.text).group(1)

    before = await count(database_url, A, "deputy_commitments")
    refused = await client.post(f"{base}/commitments", data={**form, "text": " "})
    assert refused.status_code == 400 and 'role="alert"' in refused.text and "请填写承诺内容" in refused.text
    refused = await client.post(f"{base}/commitments", data={**form, "year": ""})
    assert refused.status_code == 400 and "年度" in refused.text
    assert await count(database_url, A, "deputy_commitments") == before

    edited = await client.post(
        f"/t/{A}/portal/commitments/{commitment}/edit",
        data={"_csrf": csrf, "year": "2026", "term_id": str(term), "text": "每月进站两次", "position": "1"},
    )
    assert edited.status_code == 200 and "每月进站两次" in edited.text and "不公开" in edited.text
    public = await client.get(f"/p/{A}/deputies/{person}")
    assert "每月进站两次" not in public.text  # unticked: no longer published

    saved = await client.post(
        f"/t/{A}/portal/settings",
        data={"_csrf": csrf, "contact_phone": "0919-5212345", "contact_address": "宜君县人大常委会", "notice": ""},
    )
    assert saved.status_code == 200 and 'value="0919-5212345"' in saved.text
    home = await client.get(f"/p/{A}/")
    assert "0919-5212345" in home.text
    too_long = await client.post(f"/t/{A}/portal/settings", data={"_csrf": csrf, "contact_phone": "1" * 41})
    assert too_long.status_code == 400 and "联系电话" in too_long.text

    deleted = await client.post(f"/t/{A}/portal/commitments/{commitment}/delete", data={"_csrf": csrf})
    assert deleted.status_code == 200 and "尚未填写履职承诺" in deleted.text


async def test_staff_pages_stay_in_their_office(client, database) -> None:
    await offices(database)
    viewer = await make_caller(database, "宜君县代表码只读", {A: ["viewer"]})
    other = await add_deputy(B, await fresh_term(B), unique("印台"), public_fields=["name"])
    own = await add_deputy(A, await fresh_term(A), unique("宜君"), public_fields=["name"])
    page = await client.get(f"/t/{A}/portal", headers=viewer.headers)
    assert page.status_code == 200 and "添加履职承诺" not in page.text and 'name="contact_phone"' not in page.text
    assert (await client.get(f"/t/{A}/portal/deputies/{other}", headers=viewer.headers)).status_code == 404
    mine = await client.get(f"/t/{A}/portal/deputies/{own}", headers=viewer.headers)
    assert mine.status_code == 200 and "添加履职承诺" not in mine.text
    write = await client.post(
        f"/t/{A}/portal/deputies/{own}/commitments", data={"text": "x", "year": "2026"}, headers=viewer.headers
    )
    assert write.status_code == 403
    staff_b = await make_caller(database, "印台区代表码", {B: ["staff"]})
    assert (await client.get(f"/t/{A}/portal", headers=staff_b.headers)).status_code == 403
