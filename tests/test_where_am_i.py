"""Where am I: the header's switcher names the office being viewed and lists every office the user
reaches (their own, and read-only the ones beneath), and breadcrumbs lead from the city down."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import make_caller
from tests.test_member_pages import signed_in

CITY, A, TOWNSHIP, B = "安康市人大常委会", "石泉县人大常委会", "石泉县城关镇人大主席团", "汉阴县人大常委会"


def switcher(page: str) -> list[tuple[str, str, bool]]:
    """(code, text, selected) of each office in the header's switcher."""
    select = page.split('<select id="office"', 1)[1].split("</select>", 1)[0]
    return [
        (code, html.unescape(label).strip(), bool(selected))
        for code, selected, label in re.findall(r'<option value="(\d+)" ?(selected)?>([^<]*)</option>', select)
    ]


def breadcrumbs(page: str) -> list[tuple[str, str | None]]:
    """(name, link or None) of each step of the breadcrumbs."""
    if 'aria-label="当前位置"' not in page:
        return []
    nav = page.split('aria-label="当前位置"', 1)[1].split("</nav>", 1)[0]
    steps = []
    for item in re.findall(r"<li>(.*?)</li>", nav):
        link = re.search(r'<a href="([^"]+)">([^<]+)</a>', item)
        steps.append((link.group(2), link.group(1)) if link else (re.sub(r"<[^>]+>", "", item), None))
    return steps


@pytest.mark.smoke
async def test_the_city_drills_down_into_a_county_and_a_township(client, database, hierarchy) -> None:
    city_admin = await make_caller(database, "市人大管理员", {hierarchy["city"]: ["office_admin"]})
    await signed_in(database, client, city_admin.user_id)

    county = await client.get(f"/t/{hierarchy['a']}/reports")
    assert county.status_code == 200
    # The header names the county being viewed, not the city of the membership.
    offices = switcher(county.text)
    assert [(code, selected) for code, _, selected in offices if selected] == [(hierarchy["a"], True)]
    labels = {code: label for code, label, _ in offices}
    assert labels[hierarchy["city"]] == CITY
    assert labels[hierarchy["a"]] == f"{A}(只读)" and labels[hierarchy["b"]] == f"{B}(只读)"
    assert labels[hierarchy["a_township"]] == f"{TOWNSHIP}(只读)"
    # Back up to the city's figures: the drill-down keeps the page.
    assert breadcrumbs(county.text) == [(CITY, f"/t/{hierarchy['city']}/reports"), (A, None)]

    township = await client.get(f"/t/{hierarchy['a_township']}/")
    assert township.status_code == 200
    assert breadcrumbs(township.text) == [
        (CITY, f"/t/{hierarchy['city']}/"),
        (A, f"/t/{hierarchy['a']}/"),
        (TOWNSHIP, None),
    ]
    assert [code for code, _, selected in switcher(township.text) if selected] == [hierarchy["a_township"]]


async def test_a_county_reaches_down_not_up_or_sideways(client, database, hierarchy) -> None:
    clerk = await make_caller(database, "县工作人员", {hierarchy["a"]: ["staff"]})
    await signed_in(database, client, clerk.user_id)

    own = await client.get(f"/t/{hierarchy['a']}/")
    codes = [code for code, _, _ in switcher(own.text)]
    assert hierarchy["a"] in codes and hierarchy["a_township"] in codes
    assert hierarchy["city"] not in codes and hierarchy["b"] not in codes
    assert dict((code, label) for code, label, _ in switcher(own.text))[hierarchy["a"]] == A  # their own: not 只读
    # The city above is named (where the county sits) but is no link: the clerk cannot open it.
    assert breadcrumbs(own.text) == [(CITY, None), (A, None)]

    township = await client.get(f"/t/{hierarchy['a_township']}/")
    assert breadcrumbs(township.text) == [(CITY, None), (A, f"/t/{hierarchy['a']}/"), (TOWNSHIP, None)]


async def test_a_township_member_sees_only_their_township(client, database, hierarchy) -> None:
    member = await make_caller(database, "乡镇工作人员", {hierarchy["a_township"]: ["staff"]})
    await signed_in(database, client, member.user_id)
    page = await client.get(f"/t/{hierarchy['a_township']}/")
    assert switcher(page.text) == [(hierarchy["a_township"], TOWNSHIP, True)]
    assert breadcrumbs(page.text) == [(CITY, None), (A, None), (TOWNSHIP, None)]
