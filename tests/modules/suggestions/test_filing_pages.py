"""The filing and intake pages as their users meet them: the deputy files from 我的建议, invites a
co-signer who confirms in one tap, uploads a photo and submits; a refused form shows its Chinese error
and changes nothing; staff find it in 待审查 and accept it."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.modules.suggestions.support import HTML, PNG, get, loop_counts, office, set_settings


@pytest.mark.smoke
async def test_a_deputy_files_from_the_pages_and_staff_accept_from_the_queue(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山页面")
    pages = f"/t/{place.code}/suggestions/items"
    lead, staff = {**place.deputy.headers, **HTML}, {**place.staff.headers, **HTML}
    cosigner = {**place.cosigners[0].headers, **HTML}

    mine = await client.get(f"{pages}/mine", headers=lead)
    assert mine.status_code == 200 and "我的建议" in mine.text and "提出建议" in mine.text
    form = await client.get(f"{pages}/new", headers=lead)
    assert form.status_code == 200 and "提出建议或议案" in form.text and 'name="lead_person_id"' not in form.text

    before = await loop_counts(place.code)
    empty = await client.post(f"{pages}/new", data={"category": "transport", "title": "", "content": "x"}, headers=lead)
    assert empty.status_code == 400 and "请填写建议标题" in empty.text
    assert await loop_counts(place.code) == before

    created = await client.post(
        f"{pages}/new",
        data={
            "category": "education",
            "kind": "suggestion",
            "title": "关于改善宝丰镇中心小学午餐条件的建议",
            "content": "宝丰镇中心小学食堂面积小,学生分三批就餐,建议扩建食堂。",
            "during_session": "1",
        },
        headers=lead,
        follow_redirects=False,
    )
    assert created.status_code in (302, 303), created.text
    url = created.headers["location"]
    sid = uuid.UUID(url.rsplit("/", 1)[1])
    detail = await client.get(url, headers=lead)
    assert detail.status_code == 200 and "宝丰镇中心小学" in detail.text and "发送联名邀请" in detail.text
    assert "大会期间" in detail.text and "上传附件" in detail.text

    invited = await client.post(
        f"{url}/cosigners", data={"person_ids": str(place.cosigner_persons[0])}, headers=lead, follow_redirects=False
    )
    assert invited.status_code in (302, 303), invited.text
    uploaded = await client.post(
        f"{url}/attachments", files={"file": ("食堂.png", PNG, "image/png")}, headers=lead, follow_redirects=False
    )
    assert uploaded.status_code in (302, 303), uploaded.text
    wrong = await client.post(
        f"{url}/attachments", files={"file": ("a.exe", b"MZ", "application/x-msdownload")}, headers=lead
    )
    assert wrong.status_code == 400 and "不支持该文件类型" in wrong.text

    # The co-signer's 我的建议 asks; one tap confirms.
    asked = await client.get(f"{pages}/mine", headers=cosigner)
    assert "待确认的联名邀请" in asked.text and "关于改善宝丰镇中心小学午餐条件的建议" in asked.text
    assert f"{pages}/{sid}/cosigners/confirm" in asked.text
    on_page = await client.get(url, headers=cosigner)
    assert "邀请您联名" in on_page.text and "确认联名" in on_page.text and 'id="cosign"' in on_page.text
    tapped = await client.post(f"{url}/cosigners/confirm", headers=cosigner, follow_redirects=False)
    assert tapped.status_code in (302, 303)
    after = await client.get(url, headers=cosigner)
    assert "已确认" in after.text and "确认联名</button>" not in after.text

    submitted = await client.post(f"{url}/submit", headers=lead, follow_redirects=False)
    assert submitted.status_code in (302, 303)
    assert (await get(place.code, sid)).status == "submitted"

    queue = await client.get(f"{pages}/intake", headers=staff)
    assert queue.status_code == 200 and "待审查的建议" in queue.text and str(sid) in queue.text
    review = await client.get(url, headers=staff)
    assert all(w in review.text for w in ("审查立案", "并案", "退回修改", "转为群众意见"))
    assert "食堂.png" in review.text
    accepted = await client.post(f"{url}/accept", headers=staff, follow_redirects=False)
    assert accepted.status_code in (302, 303)
    assert (await get(place.code, sid)).status == "accepted"


async def test_a_refused_page_action_shows_why_and_changes_nothing(client, database, offices) -> None:
    place = await office(database, offices["b"], "竹溪页面")
    await set_settings(place.code, motion_min_cosigners=3)
    pages = f"/t/{place.code}/suggestions/items"
    lead = {**place.deputy.headers, **HTML}
    created = await client.post(
        f"{pages}/new",
        data={
            "category": "agriculture",
            "kind": "motion",
            "title": "关于制定茶叶产业促进条例的议案",
            "content": "内容",
        },
        headers=lead,
        follow_redirects=False,
    )
    url = created.headers["location"]
    before = await loop_counts(place.code)
    short = await client.post(f"{url}/submit", headers=lead)
    assert short.status_code == 400 and re.search(r"role=\"alert\">议案须有至少 3 名代表联名", short.text)
    returned = await client.post(f"{url}/return", data={"reason": "empty"}, headers=lead)
    assert returned.status_code == 403 and "只有代表工作人员" in returned.text
    assert await loop_counts(place.code) == before
    # Another deputy of the office cannot open it.
    other = await client.get(url, headers={**place.cosigners[1].headers, **HTML})
    assert other.status_code == 404


async def test_staff_file_a_draft_for_its_deputy_from_the_pages(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山草稿页")
    staff = {**place.staff.headers, **HTML}
    draft = await client.post(
        f"/api/v1/t/{place.code}/suggestions",
        json={
            "title": "关于整治擂鼓镇集镇环境卫生的建议",
            "content": "集镇垃圾清运不及时。",
            "deputy_person_id": str(place.deputy_person),
        },
        headers=place.staff.headers,
    )
    draft_id = draft.json()["id"]
    lead = {**place.deputy.headers, **HTML}
    waiting = await client.get(f"/t/{place.code}/suggestions/items/mine", headers=lead)
    assert "待提出的建议草稿" in waiting.text and f"new?draft_id={draft_id}" in waiting.text
    shown = await client.get(f"/t/{place.code}/suggestions/{draft_id}", headers=staff)
    assert f"/suggestions/items/new?draft_id={draft_id}" in shown.text
    form = await client.get(f"/t/{place.code}/suggestions/items/new?draft_id={draft_id}", headers=staff)
    assert "关于整治擂鼓镇集镇环境卫生的建议" in form.text and f'value="{draft_id}"' in form.text
    assert 'name="lead_person_id"' in form.text
    created = await client.post(
        f"/t/{place.code}/suggestions/items/new",
        data={
            "draft_id": draft_id,
            "lead_person_id": str(place.deputy_person),
            "category": "environment",
            "title": "关于整治擂鼓镇集镇环境卫生的建议",
            "content": "集镇垃圾清运不及时,建议增加清运频次。",
        },
        headers=staff,
        follow_redirects=False,
    )
    assert created.status_code in (302, 303), created.text
    made = await get(place.code, uuid.UUID(created.headers["location"].rsplit("/", 1)[1]))
    assert str(made.draft_id) == draft_id and made.lead_person_id == place.deputy_person and made.source == "staff"
    # Filed, the draft no longer waits.
    assert (
        f"new?draft_id={draft_id}"
        not in (await client.get(f"/t/{place.code}/suggestions/items/mine", headers=lead)).text
    )
