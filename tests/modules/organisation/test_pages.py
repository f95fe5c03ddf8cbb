"""The organisation pages as a 代表工委 clerk uses them, through a browser session."""

from __future__ import annotations

import re

from tests.conftest import make_caller
from tests.modules.organisation.support import add_persons, fresh_term, organisation_state, township, unique
from tests.test_member_pages import signed_in


def _created_id(response, kind: str) -> str:
    assert response.status_code in (302, 303), response.text
    return re.search(rf"/organisation/{kind}/([0-9a-f-]{{36}})$", response.headers["location"]).group(1)


async def test_clerk_builds_groups_and_stations_from_the_pages(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    clerk = await make_caller(database, "代表工委页面用户", {a: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    await township(a, "610922100", "城关镇")
    term = await fresh_term(a)
    surname = unique("欧阳")
    first, second = await add_persons(a, f"{surname}一", f"{surname}二", level="township", term_id=term)
    base = f"/t/{a}/organisation"

    overview = await client.get(base)
    assert overview.status_code == 200
    for heading in ("常委会组成人员", "专门委员会 / 工作委员会", "代表小组", "家站室"):
        assert heading in overview.text

    names = [unique("城关镇第一代表小组"), unique("城关镇第二代表小组")]
    groups = []
    for name in names:
        form = {"_csrf": csrf, "kind": "geographic", "name": name, "township_code": "610922100"}
        groups.append(_created_id(await client.post(f"{base}/groups", data=form, follow_redirects=False), "groups"))
    page = await client.get(f"{base}/groups/{groups[0]}", params={"q": surname})
    assert page.status_code == 200 and "城关镇" in page.text and f"{surname}一" in page.text
    added = await client.post(f"{base}/groups/{groups[0]}/members", data={"_csrf": csrf, "person_id": str(first)})
    assert added.status_code == 200 and "乡镇人大代表" in added.text  # followed the redirect to the group page

    before = await organisation_state(database_url, a)
    refused = await client.post(f"{base}/groups/{groups[1]}/members", data={"_csrf": csrf, "person_id": str(first)})
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert "每名代表只能编入一个代表小组" in refused.text and names[0] in refused.text
    assert await organisation_state(database_url, a) == before
    search = await client.get(f"{base}/groups/{groups[1]}", params={"q": surname})
    assert f"已在代表小组“{names[0]}”" in search.text  # the clerk sees it before trying

    listing = await client.get(base, params={"tab": "groups", "township_code": "610922100", "q": names[0][-6:]})
    assert names[0] in listing.text and f"{surname}一" in listing.text and names[1] not in listing.text

    station_name = unique("城关镇人大代表联络站")
    bad = await client.post(
        f"{base}/stations",
        data={"_csrf": csrf, "kind": "liaison_station", "name": station_name, "reception_days": "10,20,32"},
    )
    assert bad.status_code == 400 and "接待日" in bad.text and 'role="alert"' in bad.text
    words = await client.post(
        f"{base}/stations",
        data={"_csrf": csrf, "kind": "liaison_station", "name": station_name, "reception_days": "逢十"},
    )
    assert words.status_code == 400 and "10,20,30" in words.text
    assert await organisation_state(database_url, a) == before

    form = {
        "_csrf": csrf,
        "kind": "liaison_station",
        "name": station_name,
        "township_code": "610922100",
        "address": "城关镇便民服务中心二楼",
        "reception_days": "10、20、30",
        "opening_rules": "接待日上午轮值代表进站",
        "is_active": "1",
    }
    station = _created_id(await client.post(f"{base}/stations", data=form, follow_redirects=False), "stations")
    for person in (first, second):
        await client.post(f"{base}/stations/{station}/deputies", data={"_csrf": csrf, "person_id": str(person)})
    detail = await client.get(f"{base}/stations/{station}")
    assert "每月10日、20日、30日(逢十接待日)" in detail.text and "进站代表(2)" in detail.text
    stations_tab = await client.get(base, params={"tab": "stations", "q": station_name})
    assert "逢十接待日" in stations_tab.text and f"{surname}一" in stations_tab.text

    closed = await client.post(
        f"{base}/stations/{station}/edit",
        data={**form, "is_active": "0", "reception_days": ""},
        follow_redirects=False,
    )
    assert closed.status_code in (302, 303)
    assert "已停用" in (await client.get(f"{base}/stations/{station}")).text
    removed = await client.post(f"{base}/stations/{station}/deputies/{second}/remove", data={"_csrf": csrf})
    assert removed.status_code == 200 and "进站代表(1)" in removed.text

    exported = await client.post(
        f"{base}/export", data={"_csrf": csrf, "list": "groups", "township_code": "610922100"}, follow_redirects=False
    )
    assert exported.status_code in (302, 303) and "export=" in exported.headers["location"]
    assert "导出" in (await client.get(exported.headers["location"])).text
    # Without the form's CSRF token nothing is written.
    forged = await client.post(f"{base}/groups", data={"kind": "professional", "name": unique("伪造")})
    assert forged.status_code == 403


async def test_clerk_records_the_committee_and_a_body(client, database, database_url, hierarchy) -> None:
    a = hierarchy["a"]
    clerk = await make_caller(database, "常委会办公室干部", {a: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    term = await fresh_term(a)
    (deputy,) = await add_persons(a, "常主任")
    base = f"/t/{a}/organisation"

    form = {"_csrf": csrf, "term_id": str(term), "name": "常主任", "position": "chair", "on_council": ""}
    chair = _created_id(await client.post(f"{base}/committee", data=form, follow_redirects=False), "committee")
    before = await organisation_state(database_url, a)
    second = await client.post(f"{base}/committee", data={**form, "name": "另一位主任"})
    assert second.status_code == 409 and "本届常委会已有在任主任常主任" in second.text
    assert await organisation_state(database_url, a) == before

    linked = await client.post(
        f"{base}/committee/{chair}/edit", data={"_csrf": csrf, "person_id": str(deputy)}, follow_redirects=True
    )
    assert linked.status_code == 200 and "当前关联:常主任" in linked.text
    vice = _created_id(
        await client.post(
            f"{base}/committee",
            data={"_csrf": csrf, "term_id": str(term), "name": "严副主任", "position": "vice_chair"},
            follow_redirects=False,
        ),
        "committee",
    )
    tab = await client.get(base, params={"tab": "committee", "term_id": str(term)})
    assert "主任会议成员:" in tab.text and "常主任(主任)、严副主任(副主任)" in tab.text

    body_name = unique("代表工作委员会")
    body = _created_id(
        await client.post(
            f"{base}/bodies",
            data={"_csrf": csrf, "kind": "working_commission", "name": body_name},
            follow_redirects=False,
        ),
        "bodies",
    )
    joined = await client.post(
        f"{base}/bodies/{body}/members", data={"_csrf": csrf, "committee_member_id": vice, "role": "chair"}
    )
    assert joined.status_code == 200 and "严副主任" in joined.text
    # The clerk chooses the kind of member; only that kind's field counts.
    staffed = await client.post(
        f"{base}/bodies/{body}/members",
        data={"_csrf": csrf, "member_kind": "staff", "committee_member_id": vice, "person_id": "", "name": "韩干事"},
    )
    assert staffed.status_code == 200 and "韩干事" in staffed.text and "工作人员" in staffed.text
    empty = await client.post(f"{base}/bodies/{body}/members", data={"_csrf": csrf, "member_kind": "deputy"})
    assert empty.status_code == 400
    ended = await client.post(
        f"{base}/committee/{vice}/edit",
        data={
            "_csrf": csrf,
            "name": "严副主任",
            "position": "vice_chair",
            "on_council": ["0", "1"],
            "ended_on": "2020-01-01",
        },
    )
    assert ended.status_code == 400 and "离任日期" in ended.text
    shown = await client.get(f"{base}/committee/{vice}")
    assert body_name in shown.text and "主任会议成员" in shown.text

    deleted = await client.post(f"{base}/committee/{chair}/delete", data={"_csrf": csrf}, follow_redirects=False)
    assert deleted.status_code in (302, 303)
    assert (await client.get(f"{base}/committee/{chair}")).status_code == 404


async def test_readers_see_the_pages_without_forms(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    viewer = await make_caller(database, "只看组织机构的人", {a: ["viewer"]})
    await signed_in(database, client, viewer.user_id)
    for tab in ("committee", "bodies", "groups", "stations"):
        page = await client.get(f"/t/{a}/organisation", params={"tab": tab})
        assert page.status_code == 200
        assert not any(form in page.text for form in ("录入组成人员", "新增委员会", "新建小组", "新建家站室"))
