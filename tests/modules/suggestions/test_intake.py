"""Intake review through the API as staff: accept, return for revision with a reason (the lead edits and
submits again, keeping the number), merge with a same-topic suggestion (every deputy of the merged one
is still answered), turn into a people's opinion (through the converter the opinions module registers)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from renda.modules.opinions.models import Opinion
from renda.modules.suggestions.common import SYSTEM_CALLER, get_suggestion
from renda.modules.suggestions.models import SuggestionCosigner
from renda.modules.suggestions.service import deputies_to_answer
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.suggestions.support import ACTOR, HTML, get, inbox, loop_counts, make_suggestion, office, steps


def api(code: str) -> str:
    return f"/api/v1/t/{code}/suggestions/items"


@pytest.mark.date_sensitive  # a returned one keeps the year's number
async def test_returned_for_revision_the_lead_edits_and_submits_again(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山退回")
    base, staff, lead = api(place.code), place.staff.headers, place.deputy.headers
    made = await client.post(
        base, json={"category": "other", "title": "关于我家宅基地纠纷的建议", "content": "请帮忙解决。"}, headers=lead
    )
    sid = made.json()["item"]["id"]
    number = (await client.post(f"{base}/{sid}/submit", headers=lead)).json()["item"]["number"]

    # Only staff review, and only a filed suggestion; "other" needs the reason spelled out.
    assert (await client.post(f"{base}/{sid}/return", json={"reason": "personal"}, headers=lead)).status_code == 403
    before = await loop_counts(place.code)
    bad = await client.post(f"{base}/{sid}/return", json={"reason": "weather"}, headers=staff)
    assert bad.status_code == 400
    other = await client.post(f"{base}/{sid}/return", json={"reason": "other", "note": " "}, headers=staff)
    assert other.status_code == 400 and other.json()["code"] == "return_note_required"
    assert await loop_counts(place.code) == before

    returned = await client.post(
        f"{base}/{sid}/return", json={"reason": "personal", "note": "属于个人宅基地纠纷"}, headers=staff
    )
    assert returned.status_code == 200, returned.text
    item = returned.json()["item"]
    assert item["status"] == "returned" and item["return_reason"] == "personal"
    assert item["return_reason_label"] == "属于个人或家庭私事" and item["return_note"] == "属于个人宅基地纠纷"
    told = await inbox(place.code, place.deputy.user_id, "suggestion_returned")
    assert len(told) == 1 and "属于个人或家庭私事" in told[0].body
    # Returned, not accepted: it cannot be accepted until submitted again.
    assert (await client.post(f"{base}/{sid}/accept", headers=staff)).json()["code"] == "suggestion_not_submitted"

    edited = await client.patch(
        f"{base}/{sid}",
        json={"title": "关于规范农村宅基地审批程序的建议", "content": "建议公开农村宅基地审批流程和时限。"},
        headers=lead,
    )
    assert edited.status_code == 200, edited.text
    again = await client.post(f"{base}/{sid}/submit", headers=lead)
    assert again.status_code == 200
    item = again.json()["item"]
    assert item["status"] == "submitted" and item["number"] == number and item["return_reason"] is None
    accepted = await client.post(f"{base}/{sid}/accept", headers=staff)
    assert accepted.json()["item"]["status"] == "accepted"
    kinds = [s.kind for s in await steps(place.code, uuid.UUID(sid))]
    assert kinds == ["created", "submitted", "returned", "submitted", "accepted"]


async def test_merged_suggestions_keep_every_deputy_to_answer(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山并案")
    base, staff = api(place.code), place.staff.headers
    first, second = place.cosigner_persons
    # The target, led by the second co-signer; the one merged into it, led by the lead deputy with the
    # first co-signer confirmed; and an earlier one merged into that (its lead is answered too).
    target = await make_suggestion(
        place, lead_person_id=second, lead_mandate_id=place.mandates[second], title="关于整治县城交通拥堵的建议"
    )
    merged = await make_suggestion(place, title="关于缓解县城上下班交通拥堵的建议")
    earlier = await make_suggestion(place, title="关于县城早晚高峰交通的建议")
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        session.add(
            SuggestionCosigner(
                suggestion_id=merged.id, person_id=first, mandate_id=place.mandates[first], status="confirmed"
            )
        )
        await session.commit()
    into_merged = await client.post(f"{base}/{earlier.id}/merge", json={"target_id": str(merged.id)}, headers=staff)
    assert into_merged.status_code == 200, into_merged.text

    # Not into itself, not into one that has ended; a deputy may not merge.
    assert (await client.post(f"{base}/{merged.id}/merge", json={"target_id": str(merged.id)}, headers=staff)).json()[
        "code"
    ] == "merge_into_self"
    assert (await client.post(f"{base}/{merged.id}/merge", json={"target_id": str(earlier.id)}, headers=staff)).json()[
        "code"
    ] == "merge_target_closed"
    deputy = await client.post(
        f"{base}/{merged.id}/merge", json={"target_id": str(target.id)}, headers=place.deputy.headers
    )
    assert deputy.status_code == 403

    done = await client.post(
        f"{base}/{merged.id}/merge", json={"target_id": str(target.id), "note": "同一问题"}, headers=staff
    )
    assert done.status_code == 200, done.text
    assert done.json()["item"]["status"] == "merged" and done.json()["item"]["merged_into_id"] == str(target.id)
    assert (await get(place.code, earlier.id)).merged_into_id == target.id  # follows to the final target

    shown = (await client.get(f"{base}/{target.id}", headers=staff)).json()
    assert {m["id"] for m in shown["merged"]} == {str(merged.id), str(earlier.id)}
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        found = await get_suggestion(session, SYSTEM_CALLER, target.id)
        answered = await deputies_to_answer(session, found)
    assert [(a.person_id, a.suggestion_id, a.role) for a in answered] == [
        (second, target.id, "lead"),
        (place.deputy_person, merged.id, "lead"),
        (first, merged.id, "cosigner"),
    ]


async def test_turned_into_a_peoples_opinion_end_to_end(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山转意见")
    base, staff = api(place.code), place.staff.headers
    made = await client.post(
        base,
        json={
            "category": "urban_construction",
            "title": "城关镇解放路路灯不亮",
            "content": "解放路北段十余盏路灯损坏,夜间出行不便。",
        },
        headers=place.deputy.headers,
    )
    sid = made.json()["item"]["id"]
    await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    assert (await client.post(f"{base}/{sid}/convert", json={}, headers=place.deputy.headers)).status_code == 403

    converted = await client.post(f"{base}/{sid}/convert", json={"note": "属于具体民生问题"}, headers=staff)
    assert converted.status_code == 200, converted.text
    item = converted.json()["item"]
    assert item["status"] == "converted" and item["opinion_id"]
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        opinion = (
            await session.execute(select(Opinion).where(Opinion.id == uuid.UUID(item["opinion_id"])))
        ).scalar_one()
    assert opinion.content == "城关镇解放路路灯不亮:解放路北段十余盏路灯损坏,夜间出行不便。"
    assert opinion.deputy_person_id == place.deputy_person and opinion.source_id == uuid.UUID(sid)
    assert opinion.status == "received" and opinion.category == "urban_construction"
    # Staff find it in the opinions' own API, its source saying it came from a deputy's suggestion.
    opinions = f"/api/v1/t/{place.code}/opinions"
    shown = await client.get(f"{opinions}/{item['opinion_id']}", headers=staff)
    assert shown.status_code == 200 and "解放路北段" in shown.text
    assert (shown.json()["opinion"]["source"], shown.json()["opinion"]["source_label"]) == (
        "suggestion",
        "代表建议转来",
    )
    listed = await client.get(f"{opinions}/", params={"source": "suggestion", "page_size": 100}, headers=staff)
    assert listed.status_code == 200, listed.text
    assert item["opinion_id"] in [o["id"] for o in listed.json()["items"]]
    # Only intake review of a suggestion gives that source: staff entering an opinion cannot claim it.
    for entered in (
        client.post(f"{opinions}/", json={"content": "路灯不亮", "source": "suggestion"}, headers=staff),
        client.post(
            f"/t/{place.code}/opinions", data={"content": "路灯不亮", "source": "suggestion"}, headers={**staff, **HTML}
        ),
    ):
        refused = await entered
        assert refused.status_code == 400 and "代表建议转来的意见由审查代表建议时转入" in refused.text, refused.text
    page = (await client.get(f"/t/{place.code}/opinions", headers={**staff, **HTML})).text
    filters, entry_form = page.split("录入群众意见", 1)
    assert 'value="suggestion"' in filters and 'value="suggestion"' not in entry_form
    # Converted: nothing more to review.
    assert (await client.post(f"{base}/{sid}/accept", headers=staff)).status_code == 409


async def test_similar_earlier_suggestions_are_shown_when_filing_and_reviewing(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山重复")
    title, content = (
        "关于加快竹山县城区老旧小区改造的建议",
        "竹山县城区老旧小区管网老化、道路破损,建议纳入改造计划加快实施。",
    )
    earlier = await make_suggestion(
        place, status="closed", year=2024, title=title, content=content, reply_class="A", reply_text="已纳入改造计划"
    )
    unrelated = await make_suggestion(place, title="关于增加乡村教师编制的建议", content="乡村学校教师缺编严重。")
    base = api(place.code)
    made = await client.post(
        base,
        json={
            "category": "urban_construction",
            "title": title,
            "content": "城区老旧小区管网老化、道路破损,建议加快改造。",
        },
        headers=place.deputy.headers,
    )
    assert made.status_code == 201, made.text
    similar = made.json()["similar"]
    assert [s["suggestion_id"] for s in similar] == [str(earlier.id)], similar
    assert similar[0]["score"] > 0.5 and similar[0]["flag_resolved_a"] is True and similar[0]["year"] == 2024
    assert str(unrelated.id) not in made.text

    sid = made.json()["item"]["id"]
    await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    page = await client.get(f"/t/{place.code}/suggestions/items/{sid}", headers={**place.staff.headers, **HTML})
    assert "相似的往年建议" in page.text and "已办结为A类" in page.text and "相似度" in page.text
    assert f"/suggestions/items/{earlier.id}" in page.text
    # Once reviewed, the check has done its work.
    accepted = await client.post(f"{base}/{sid}/accept", headers=place.staff.headers)
    assert accepted.json()["similar"] == []
