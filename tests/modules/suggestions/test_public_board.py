"""The public board on the portal: only when the office turns it on, only the fields it chose, never the
text or anyone's personal data; a hidden suggestion never appears, not even by its id; a public title
replaces the real one."""

from __future__ import annotations

import pytest

from tests.modules.suggestions.support import get, make_suggestion, office, reset_settings, set_settings


@pytest.fixture(autouse=True)
async def default_rules(offices):
    """Each test starts from the offices' default rules and leaves them so."""
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)
    yield
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)


HTML = {"Accept": "text/html"}
SECRET = "反映人张某某,电话13912345678,家住城关镇某村三组"


async def test_the_public_board_shows_the_chosen_fields_with_redactions(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山公开")
    code = place.code
    await set_settings(code, public_board=False)
    settings_api = f"/api/v1/t/{code}/suggestions/settings/public-board"
    shown = await make_suggestion(place, status="assigned", title="关于修建竹山县城关镇停车场的建议", content=SECRET)
    renamed = await make_suggestion(place, status="closed", title="关于某单位负责人违纪问题的意见", rating="satisfied")
    hidden = await make_suggestion(place, status="assigned", title="关于某村个人宅基地纠纷的建议")
    draft = await make_suggestion(place, status="submitted", title="尚未立案的建议")

    assert (await client.get(f"/p/{code}/suggestions", headers=HTML)).status_code == 404
    assert (await client.get(f"/p/{code}/suggestions/{shown.id}", headers=HTML)).status_code == 404
    assert "代表建议办理公开" not in (await client.get(f"/p/{code}/", headers=HTML)).text

    # Staff turn it on with their fields, and redact two suggestions.
    bad = await client.put(settings_api, json={"enabled": True, "fields": ["content"]}, headers=place.staff.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_public_field"
    refused = await client.put(
        settings_api, json={"enabled": True, "fields": ["title"]}, headers=place.unit_user.headers
    )
    assert refused.status_code == 403
    on = await client.put(
        settings_api,
        json={"enabled": True, "fields": ["status", "number", "title", "units", "rating"]},
        headers=place.staff.headers,
    )
    assert on.json() == {"enabled": True, "fields": ["number", "title", "units", "status", "rating"]}
    items = f"/api/v1/t/{code}/suggestions/items"
    hide = await client.put(f"{items}/{hidden.id}/public", json={"hidden": True}, headers=place.staff.headers)
    assert hide.json()["public_hidden"] is True
    rename = await client.put(
        f"{items}/{renamed.id}/public",
        json={"hidden": False, "title": "关于加强干部监督的建议"},
        headers=place.staff.headers,
    )
    assert rename.json()["public_title"] == "关于加强干部监督的建议"
    by_deputy = await client.put(f"{items}/{shown.id}/public", json={"hidden": True}, headers=place.deputy.headers)
    assert by_deputy.status_code == 403 and not (await get(code, shown.id)).public_hidden

    board = await client.get(f"/p/{code}/suggestions", headers=HTML)
    assert board.status_code == 200
    text = board.text
    assert "关于修建竹山县城关镇停车场的建议" in text and "办理中" in text and "交通运输局" in text
    assert "关于加强干部监督的建议" in text and "满意" in text
    for never in ("宅基地纠纷", "违纪问题", "尚未立案", SECRET, "13912345678", "类别", "领衔代表"):
        assert never not in text, never
    assert str(hidden.id) not in text and str(draft.id) not in text
    one = await client.get(f"/p/{code}/suggestions/{shown.id}", headers=HTML)
    assert one.status_code == 200 and "停车场" in one.text and SECRET not in one.text
    for unseen in (hidden, draft):
        missing = await client.get(f"/p/{code}/suggestions/{unseen.id}", headers=HTML)
        assert missing.status_code == 404 and "宅基地" not in missing.text
    assert (await client.get(f"/p/{code}/suggestions/{renamed.id}", headers=HTML)).text.count("违纪") == 0
    assert "代表建议办理公开" in (await client.get(f"/p/{code}/", headers=HTML)).text

    # Another office's suggestion is not found through this office's board.
    other = await office(database, offices["b"], "竹溪公开")
    await set_settings(other.code, public_board=True)
    theirs = await make_suggestion(other, status="assigned", title="竹溪县的建议")
    assert (await client.get(f"/p/{code}/suggestions/{theirs.id}", headers=HTML)).status_code == 404
    assert (await client.get(f"/p/{other.code}/suggestions/{theirs.id}", headers=HTML)).status_code == 200

    # The staff page form turns it off again.
    off = await client.post(
        f"/t/{code}/suggestions/items/public-board",
        data={"fields": ["number", "title"]},
        headers={**HTML, **place.staff.headers},
    )
    assert off.status_code in (200, 302, 303)
    assert (await client.get(f"/p/{code}/suggestions", headers=HTML)).status_code == 404
