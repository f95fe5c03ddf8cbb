"""Supervision (督办): key suggestions with a supervising leader and checkpoints; the status board of the
office, which the city above reads through the county's address and cannot write to."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from renda.core.timezone import LOCAL_TZ
from renda.modules.suggestions.models import SuggestionCheckpoint
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.suggestions.support import ACTOR, get, make_suggestion, office, reply, reset_settings, steps

# Dates matter here (the key suggestions' checkpoints through the year, overdue on the board):
# CI runs these again with the clock pinned (tests/conftest.py).
pytestmark = pytest.mark.date_sensitive


@pytest.fixture(autouse=True)
async def default_rules(offices):
    """Each test starts from the offices' default rules and leaves them so."""
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)
    yield
    for code in (offices["a"], offices["b"]):
        await reset_settings(code)


HTML = {"Accept": "text/html"}
SPRING = datetime(2026, 3, 20, 10, 0, tzinfo=LOCAL_TZ)


def api(code: str, suggestion_id=None) -> str:
    base = f"/api/v1/t/{code}/suggestions/items"
    return f"{base}/{suggestion_id}" if suggestion_id else base


async def checkpoint_count(code: str) -> int:
    from sqlalchemy import func, select

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return await session.scalar(select(func.count()).select_from(SuggestionCheckpoint)) or 0


async def test_a_key_suggestion_has_its_leader_and_checkpoints(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山督办")
    with time_machine.travel(SPRING, tick=True):
        made = await make_suggestion(place, status="assigned")
        plain = await make_suggestion(place, status="assigned")
        # A checkpoint for a suggestion that is not key: refused, nothing made.
        before = await checkpoint_count(place.code)
        refused = await client.post(
            f"{api(place.code, plain.id)}/checkpoints",
            json={"stage": "middle", "due_on": "2026-06-30"},
            headers=place.staff.headers,
        )
        assert refused.status_code == 409 and refused.json()["code"] == "not_key_suggestion"
        assert "不是重点建议" in refused.json()["message"] and await checkpoint_count(place.code) == before

        no_leader = await client.put(
            f"{api(place.code, made.id)}/key", json={"is_key": True}, headers=place.staff.headers
        )
        assert no_leader.status_code == 400 and no_leader.json()["code"] == "key_leader_required"
        by_unit = await client.put(
            f"{api(place.code, made.id)}/key",
            json={"is_key": True, "leader_name": "王明", "leader_title": "常委会副主任"},
            headers=place.unit_user.headers,
        )
        assert by_unit.status_code == 403 and not (await get(place.code, made.id)).is_key

        key = await client.put(
            f"{api(place.code, made.id)}/key",
            json={"is_key": True, "leader_name": "王明", "leader_title": "常委会副主任"},
            headers=place.staff.headers,
        )
        assert key.status_code == 200, key.text
        body = key.json()
        assert body["is_key"] and body["key_leader"] == "王明" and body["key_leader_title"] == "常委会副主任"
        assert [(c["stage_label"], c["due_on"]) for c in body["checkpoints"]] == [
            ("年初部署", "2026-03-31"),
            ("年中推进", "2026-06-30"),
            ("年底总结", "2026-11-30"),
        ]
        moved = await client.post(
            f"{api(place.code, made.id)}/checkpoints",
            json={"stage": "middle", "due_on": "2026-07-15"},
            headers=place.staff.headers,
        )
        assert moved.json()["due_on"] == "2026-07-15"
        start = body["checkpoints"][0]["id"]
        done = await client.post(
            f"{api(place.code, made.id)}/checkpoints/{start}/done",
            json={"done_on": "2026-03-20", "note": "召开督办座谈会,明确时间表"},
            headers=place.staff.headers,
        )
        assert done.status_code == 200 and done.json()["done_on"] == "2026-03-20"
        twice = await client.post(
            f"{api(place.code, made.id)}/checkpoints/{start}/done",
            json={"done_on": "2026-03-20", "note": "再记一次"},
            headers=place.staff.headers,
        )
        assert twice.status_code == 409 and twice.json()["code"] == "checkpoint_done"
        # A checkpoint of another suggestion is not found through this one.
        other_key = await make_suggestion(place, status="accepted")
        await client.put(
            f"{api(place.code, other_key.id)}/key",
            json={"is_key": True, "leader_name": "李华", "leader_title": "主任"},
            headers=place.staff.headers,
        )
        wrong = await client.post(
            f"{api(place.code, other_key.id)}/checkpoints/{body['checkpoints'][1]['id']}/done",
            json={"done_on": "2026-03-20", "note": "x"},
            headers=place.staff.headers,
        )
        assert wrong.status_code == 404 and wrong.json()["code"] == "checkpoint_not_found"
        closed = await make_suggestion(place, status="closed")
        not_open = await client.put(
            f"{api(place.code, closed.id)}/key",
            json={"is_key": True, "leader_name": "王明", "leader_title": "副主任"},
            headers=place.staff.headers,
        )
        assert not_open.status_code == 409 and not_open.json()["code"] == "cannot_be_key"

        notes = [s.note for s in await steps(place.code, made.id) if s.kind in ("key_chosen", "checkpoint")]
        assert notes == ["列为重点建议:常委会副主任王明领衔督办", "2026年年初部署(03月20日):召开督办座谈会,明确时间表"]
        page = await client.get(
            f"/t/{place.code}/suggestions/items/{made.id}/supervision", headers={**HTML, **place.staff.headers}
        )
        assert page.status_code == 200 and "常委会副主任王明领衔督办" in page.text and "召开督办座谈会" in page.text
        key_board = (await client.get(f"{api(place.code)}/board?key=true", headers=place.staff.headers)).json()
        assert {r["id"] for r in key_board["items"]} == {str(made.id), str(other_key.id)}


async def test_the_board_lists_every_item_with_days_left_and_the_city_reads_it(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山台账")
    city_staff = await make_caller(database, "十堰市人大工作人员", {offices["city"]: ["staff"]})
    neighbour = await make_caller(database, "竹溪县人大工作人员", {offices["b"]: ["staff"]})
    with time_machine.travel(SPRING, tick=True):
        soon = await make_suggestion(place, status="assigned", deadline=date(2026, 3, 30))
        late = await make_suggestion(place, status="assigned", deadline=date(2026, 3, 15))
        answered = await make_suggestion(place, status="assigned")
        await reply(place, answered.id, "B")
        draft = await make_suggestion(place, status="draft")
        board = (
            await client.get(f"{api(place.code)}/board?year=2026&page_size=200", headers=place.staff.headers)
        ).json()
        rows = {r["id"]: r for r in board["items"]}
        assert str(draft.id) not in rows
        assert rows[str(soon.id)]["days_left"] == 10 and rows[str(late.id)]["days_left"] == -5
        assert rows[str(answered.id)]["days_left"] is None and rows[str(answered.id)]["reply_class"] == "B"
        assert rows[str(soon.id)]["unit"] and rows[str(soon.id)]["lead_deputy"]
        overdue = (
            await client.get(f"{api(place.code)}/board?overdue=true&page_size=200", headers=place.staff.headers)
        ).json()
        assert str(late.id) in {r["id"] for r in overdue["items"]} and str(soon.id) not in {
            r["id"] for r in overdue["items"]
        }
        page = await client.get(
            f"/t/{place.code}/suggestions/items/board?year=2026", headers={**HTML, **place.staff.headers}
        )
        assert page.status_code == 200 and "逾期5天" in page.text and "10天" in page.text

        # The city above reads the county's board through the county's address, and writes nothing.
        seen = await client.get(f"{api(place.code)}/board?year=2026&page_size=200", headers=city_staff.headers)
        assert seen.status_code == 200 and str(late.id) in {r["id"] for r in seen.json()["items"]}
        city_page = await client.get(f"/t/{place.code}/suggestions/items/board", headers={**HTML, **city_staff.headers})
        assert city_page.status_code == 200 and "只读" in city_page.text
        for method, path, body in (
            ("PUT", f"{api(place.code, soon.id)}/key", {"is_key": True, "leader_name": "张三", "leader_title": "主任"}),
            ("POST", f"{api(place.code)}/carry-over", {"year": 2026}),
            ("PUT", f"{api(place.code, soon.id)}/public", {"hidden": True}),
        ):
            refused = await client.request(method, path, json=body, headers=city_staff.headers)
            assert refused.status_code == 403 and refused.json()["code"] == "read_only_access", refused.text
        assert not (await get(place.code, soon.id)).is_key and not (await get(place.code, soon.id)).public_hidden
        # A county beside it reads nothing of it.
        assert (await client.get(f"{api(place.code)}/board", headers=neighbour.headers)).status_code == 403
        # A unit sees only its own on the board.
        mine = (
            await client.get(f"{api(place.code)}/board?page_size=200", headers=place.other_unit_user.headers)
        ).json()
        assert mine["items"] == []
