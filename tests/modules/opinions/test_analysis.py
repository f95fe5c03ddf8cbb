"""Analysis: likely duplicates by similar text, marking one as a duplicate of another (closed with a
link, the public status shows the merged handling), and escalation to a suggestion draft with the
drafts' own list, detail, edit and withdraw."""

from __future__ import annotations

import uuid

from renda.modules.opinions.intake import SIMILAR_THRESHOLD, similarity
from tests.modules.opinions.support import HTML, get, intake, office, steps


def test_similarity_of_chinese_texts() -> None:
    same_issue = similarity("村口道路坑洼,雨天积水严重,希望尽快修补。", "村口的道路坑坑洼洼,一下雨就积水,请修补道路")
    other_issue = similarity("村口道路坑洼,雨天积水严重,希望尽快修补。", "学校门口缺少红绿灯,学生过马路很危险")
    assert same_issue >= SIMILAR_THRESHOLD > other_issue
    assert similarity("", "任何内容") == 0.0
    assert similarity("路灯不亮", "路灯不亮") == 1.0


async def test_likely_duplicates_are_shown_and_one_is_merged(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山重复")
    marker = uuid.uuid4().hex[:6]
    first = await intake(a, f"凤鸣镇{marker}村口道路坑洼,雨天积水严重,希望尽快修补。", submitter_name="孙女士")
    second = await intake(a, f"{marker}村口的道路坑坑洼洼,一下雨就积水,请修补道路", submitter_phone="13744445555")
    unrelated = await intake(a, "学校门口缺少红绿灯,学生过马路很危险")
    url = f"/api/v1/t/{a}/opinions/{second.id}"

    detail = (await client.get(url, headers=people.staff.headers)).json()
    similar_ids = [s["id"] for s in detail["similar"]]
    assert str(first.id) in similar_ids and str(unrelated.id) not in similar_ids
    # Likely duplicates are for staff to decide: a viewer does not get them.
    assert (await client.get(url, headers=people.viewer.headers)).json()["similar"] == []

    itself = await client.post(
        f"{url}/duplicate", json={"duplicate_of_id": str(second.id)}, headers=people.staff.headers
    )
    assert itself.status_code == 400 and itself.json()["code"] == "duplicate_of_itself"
    unknown = await client.post(
        f"{url}/duplicate", json={"duplicate_of_id": str(uuid.uuid4())}, headers=people.staff.headers
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_duplicate"
    by_unit = await client.post(
        f"{url}/duplicate", json={"duplicate_of_id": str(first.id)}, headers=people.unit_user.headers
    )
    assert by_unit.status_code == 404  # not assigned to the unit: not even there for it

    merged = await client.post(
        f"{url}/duplicate", json={"duplicate_of_id": str(first.id), "note": "同一路段"}, headers=people.staff.headers
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["opinion"]["status"] == "duplicate"
    assert merged.json()["opinion"]["duplicate_of_id"] == str(first.id)
    assert (await get(a, second.id)).closed_at is not None
    first_detail = (await client.get(f"/api/v1/t/{a}/opinions/{first.id}", headers=people.staff.headers)).json()
    assert [d["id"] for d in first_detail["duplicates"]] == [str(second.id)]
    assert first_detail["steps"][-1]["kind"] == "duplicate"
    closed = await client.post(f"{url}/assignment", json={"unit_id": str(people.unit_id)}, headers=people.staff.headers)
    assert closed.status_code == 409 and closed.json()["code"] == "opinion_closed"

    # A third one merged into the duplicate lands on the first (no chains).
    third = await intake(a, f"{marker}村口道路积水坑洼")
    await client.post(
        f"/api/v1/t/{a}/opinions/{third.id}/duplicate",
        json={"duplicate_of_id": str(second.id)},
        headers=people.staff.headers,
    )
    assert (await get(a, third.id)).duplicate_of_id == first.id

    # The duplicate's ticket shows its own text and the merged handling, never the other person's text.
    await client.post(
        f"/api/v1/t/{a}/opinions/{first.id}/assignment",
        json={"unit_id": str(people.unit_id)},
        headers=people.staff.headers,
    )
    await client.post(
        f"/api/v1/t/{a}/opinions/{first.id}/answer",
        json={"answer": "已安排修补村口道路"},
        headers=people.unit_user.headers,
    )
    status = await client.get(f"/p/{a}/opinions/status?ticket={second.ticket}", headers=HTML)
    assert status.status_code == 200
    assert "合并办理" in status.text and "已安排修补村口道路" in status.text
    assert "凤鸣镇" not in status.text and "孙女士" not in status.text


async def test_escalation_makes_a_suggestion_draft(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山建议")
    opinion = await intake(
        a,
        "全县农村客运班线太少,群众出行难,建议统筹增加班次。",
        deputy_person_id=people.deputy_person,
        category="transport",
    )
    url = f"/api/v1/t/{a}/opinions/{opinion.id}"
    by_viewer = await client.post(f"{url}/escalation", json={}, headers=people.viewer.headers)
    assert by_viewer.status_code == 403
    escalated = await client.post(f"{url}/escalation", json={"note": "涉及面广"}, headers=people.staff.headers)
    assert escalated.status_code == 200, escalated.text
    body = escalated.json()["opinion"]
    assert body["status"] == "escalated" and body["suggestion_draft_id"]
    assert [s.kind for s in await steps(a, opinion.id)][-1] == "escalation"

    drafts = f"/api/v1/t/{a}/suggestions"
    draft = (await client.get(f"{drafts}/{body['suggestion_draft_id']}", headers=people.staff.headers)).json()
    assert draft["status"] == "draft" and draft["source"] == "opinion" and draft["source_id"] == str(opinion.id)
    assert draft["deputy_person_id"] == str(people.deputy_person) and opinion.ticket[:4] in draft["content"]
    assert draft["title"].startswith("关于")
    # The deputy sees the draft made for them; a handling unit sees none.
    mine = (await client.get(drafts, headers=people.deputy.headers)).json()
    assert [d["id"] for d in mine["items"]] == [draft["id"]]
    assert (await client.get(drafts, headers=people.unit_user.headers)).json()["items"] == []
    assert (await client.get(f"{drafts}/{draft['id']}", headers=people.unit_user.headers)).status_code == 404

    edited = await client.patch(
        f"{drafts}/{draft['id']}", json={"title": "关于增加农村客运班次的建议"}, headers=people.staff.headers
    )
    assert edited.status_code == 200 and edited.json()["title"] == "关于增加农村客运班次的建议"
    empty = await client.patch(f"{drafts}/{draft['id']}", json={"title": "  "}, headers=people.staff.headers)
    assert empty.status_code == 400 and empty.json()["code"] == "title_required"
    by_deputy = await client.patch(f"{drafts}/{draft['id']}", json={"title": "改"}, headers=people.deputy.headers)
    assert by_deputy.status_code == 403
    withdrawn = await client.post(f"{drafts}/{draft['id']}/withdraw", headers=people.staff.headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await client.post(f"{drafts}/{draft['id']}/withdraw", headers=people.staff.headers)
    assert again.status_code == 409
    listed = (await client.get(f"{drafts}?status=withdrawn&q=客运", headers=people.staff.headers)).json()
    assert draft["id"] in [d["id"] for d in listed["items"]]

    created = await client.post(
        drafts,
        json={"title": "关于改善乡村学校条件的建议", "content": "多所村小校舍老旧。"},
        headers=people.staff.headers,
    )
    assert created.status_code == 201 and created.json()["source"] == "staff"
    twice = await client.post(f"{url}/escalation", json={}, headers=people.staff.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "opinion_closed"
