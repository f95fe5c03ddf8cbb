"""Contact records: a committee member records and sees only their own, staff all; issues become
people's opinions or suggestion drafts; attachments with a size limit and allowed types."""

from __future__ import annotations

import uuid
from datetime import timedelta

from renda.core.timezone import local_today
from tests.conftest import make_caller, raw_fetchval
from tests.modules.contacts.support import (
    BEFORE_TERM,
    COUNTY,
    OTHER_COUNTY,
    QUARTER_START,
    TODAY,
    contacts_state,
    deputies,
    fresh_term,
    members,
)

API = "/api/v1/t/{code}/contacts"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _setup(client, database):
    office = await fresh_term(COUNTY)
    staff = await make_caller(database, "德城区记录管理员", {COUNTY: ["staff"]})
    wang = await make_caller(database, "组成人员王某", {COUNTY: ["committee_member"]})
    li = await make_caller(database, "组成人员李某", {COUNTY: ["committee_member"]})
    wang_seat, li_seat = await members(office, 2, user_ids=[wang.user_id, li.user_id])
    people = await deputies(office, 6)
    api = API.format(code=COUNTY)
    for seat, chosen in ((wang_seat, people[:3]), (li_seat, people[3:])):
        for person in chosen:
            added = await client.post(
                f"{api}/assignments",
                json={"committee_member_id": str(seat), "person_id": str(person)},
                headers=staff.headers,
            )
            assert added.status_code == 201, added.text
    return office, staff, wang, li, wang_seat, li_seat, people, api


async def test_a_member_records_and_sees_only_their_own(client, database, database_url, offices) -> None:
    office, staff, wang, li, _wang_seat, li_seat, people, api = await _setup(client, database)
    day = QUARTER_START
    own = await client.post(
        f"{api}/records",
        json={
            "contacted_on": day.isoformat(),
            "mode": "visit",
            "topics": "走访了解代表履职情况",
            "person_ids": [str(people[0]), str(people[3])],
            "issues": [{"content": "村道年久失修,群众出行不便", "person_id": str(people[0])}],
        },
        headers=wang.headers,
    )
    assert own.status_code == 201, own.text
    record = own.json()
    assert record["member_name"].startswith("委员") and record["mode_label"] == "走访"
    assert {d["deputy"]["id"]: d["assigned"] for d in record["deputies"]} == {
        str(people[0]): True,
        str(people[3]): False,
    }
    assert record["issues"][0]["status_label"] == "待处理"
    theirs = await client.post(
        f"{api}/records",
        json={"contacted_on": TODAY.isoformat(), "mode": "call", "topics": "电话联系", "person_ids": [str(people[4])]},
        headers=li.headers,
    )
    assert theirs.status_code == 201
    for_li = await client.post(
        f"{api}/records",
        json={
            "committee_member_id": str(li_seat),
            "contacted_on": TODAY.isoformat(),
            "mode": "meeting",
            "topics": "座谈",
            "person_ids": [str(people[5])],
        },
        headers=staff.headers,
    )
    assert for_li.status_code == 201

    mine = (await client.get(f"{api}/records", headers=wang.headers)).json()
    assert [r["id"] for r in mine["items"]] == [record["id"]]
    this_term = {"term_id": str(office.term_id)}
    everyone = (await client.get(f"{api}/records", params=this_term, headers=staff.headers)).json()
    assert everyone["total"] == 3
    assert (await client.get(f"{api}/records/{theirs.json()['id']}", headers=wang.headers)).status_code == 404
    assert (await client.get(f"{api}/records/{theirs.json()['id']}", headers=staff.headers)).status_code == 200
    searched = await client.get(
        f"{api}/records", params={**this_term, "q": "座谈", "page_size": 1}, headers=staff.headers
    )
    assert searched.json()["total"] == 1 and searched.json()["items"][0]["id"] == for_li.json()["id"]
    by_mode = await client.get(
        f"{api}/records",
        params={**this_term, "mode": "call", "since": QUARTER_START.isoformat()},
        headers=staff.headers,
    )
    assert [r["id"] for r in by_mode.json()["items"]] == [theirs.json()["id"]]
    by_deputy = await client.get(f"{api}/records", params={"person_id": str(people[3])}, headers=staff.headers)
    assert [r["id"] for r in by_deputy.json()["items"]] == [record["id"]]

    before = await contacts_state(database_url, COUNTY)
    other = await fresh_term(OTHER_COUNTY)
    (foreign,) = await deputies(other, 1)
    base = {
        "contacted_on": QUARTER_START.isoformat(),
        "mode": "visit",
        "topics": "走访",
        "person_ids": [str(people[0])],
    }
    refusals = [
        (wang, {**base, "committee_member_id": str(li_seat)}, 403, "not_own_record"),
        (staff, base, 400, "committee_member_required"),
        (wang, {**base, "contacted_on": (local_today() + timedelta(days=1)).isoformat()}, 400, "invalid_date"),
        (wang, {**base, "contacted_on": BEFORE_TERM.isoformat()}, 400, "invalid_date"),
        (wang, {**base, "person_ids": [str(foreign)]}, 400, "unknown_deputy"),
        (wang, {**base, "person_ids": []}, 400, "validation_error"),
        (wang, {**base, "mode": "letter"}, 400, "validation_error"),
        (wang, {**base, "topics": "   "}, 400, "topics_required"),
        (
            wang,
            {**base, "issues": [{"content": "某问题", "person_id": str(people[1])}]},
            400,
            "issue_person_not_contacted",
        ),
    ]
    for who, body, status, code in refusals:
        refused = await client.post(f"{api}/records", json=body, headers=who.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), (body, refused.text)
    changed = await client.patch(f"{api}/records/{theirs.json()['id']}", json={"topics": "改"}, headers=wang.headers)
    assert changed.status_code == 404
    assert (await client.delete(f"{api}/records/{theirs.json()['id']}", headers=wang.headers)).status_code == 404
    assert await contacts_state(database_url, COUNTY) == before

    updated = await client.patch(
        f"{api}/records/{record['id']}",
        json={"topics": "走访并座谈", "person_ids": [str(people[0]), str(people[1])], "summary": "  "},
        headers=wang.headers,
    )
    assert updated.status_code == 200, updated.text
    assert {d["deputy"]["id"] for d in updated.json()["deputies"]} == {str(people[0]), str(people[1])}
    assert updated.json()["summary"] is None
    dropped = await client.patch(
        f"{api}/records/{record['id']}", json={"person_ids": [str(people[1])]}, headers=wang.headers
    )
    assert dropped.status_code == 400 and dropped.json()["code"] == "issue_person_removed"
    unlinked = await make_caller(database, "未关联的组成人员", {COUNTY: ["committee_member"]})
    nobody = await client.post(f"{api}/records", json=base, headers=unlinked.headers)
    assert nobody.status_code == 403 and nobody.json()["code"] == "not_a_committee_member"
    assert (await client.get(f"{api}/records", headers=unlinked.headers)).json()["total"] == 0
    assert office


async def test_attachments_are_checked_stored_and_downloaded(client, database, database_url, offices) -> None:
    _, staff, wang, li, *_rest, people, api = await _setup(client, database)
    created = await client.post(
        f"{api}/records",
        json={
            "contacted_on": TODAY.isoformat(),
            "mode": "online",
            "topics": "网络联系",
            "person_ids": [str(people[0])],
        },
        headers=wang.headers,
    )
    record_id = created.json()["id"]
    url = f"{api}/records/{record_id}/attachments"
    photo = await client.post(url, files={"data": ("走访照片.png", PNG, "image/png")}, headers=wang.headers)
    assert photo.status_code == 201, photo.text
    assert photo.json()["content_type"] == "image/png" and photo.json()["size"] == len(PNG)
    download = await client.get(f"{url}/{photo.json()['id']}", headers=wang.headers)
    assert download.status_code == 200 and download.content == PNG
    assert "filename*=UTF-8''%E8%B5%B0" in download.headers["content-disposition"]
    assert (await client.get(f"{url}/{photo.json()['id']}", headers=li.headers)).status_code == 404
    assert (await client.get(f"{url}/{photo.json()['id']}", headers=staff.headers)).status_code == 200

    before = await contacts_state(database_url, COUNTY)
    oversize = await client.post(
        url,
        files={"data": ("大文件.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")},
        headers=wang.headers,
    )
    assert oversize.status_code == 413 and oversize.json()["code"] == "attachment_too_large"
    assert "10 MB" in oversize.json()["message"]
    refusals = [
        (("病毒.exe", b"MZ\x90\x00", "application/octet-stream"), "unsupported_file_type"),
        (("伪装.pdf", b"<html>not a pdf</html>", "application/pdf"), "unsupported_file_type"),
        (("空.txt", b"", "text/plain"), "empty_file"),
        (("乱码.txt", b"\xff\xfe\xfa", "text/plain"), "unsupported_file_type"),
    ]
    for file, code in refusals:
        refused = await client.post(url, files={"data": file}, headers=wang.headers)
        assert (refused.status_code, refused.json()["code"]) == (400, code), refused.text
    assert (
        await client.post(url, files={"data": ("x.txt", b"ok", "text/plain")}, headers=li.headers)
    ).status_code == 404
    assert await contacts_state(database_url, COUNTY) == before
    assert (
        await raw_fetchval(
            database_url,
            f'select count(*) from "t_{COUNTY}".contact_attachments where record_id = $1',
            uuid.UUID(record_id),
        )
        == 1
    )

    detail = (await client.get(f"{api}/records/{record_id}", headers=wang.headers)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["走访照片.png"] and detail["attachment_count"] == 1
    assert (await client.delete(f"{url}/{photo.json()['id']}", headers=wang.headers)).status_code == 204


async def test_issues_become_an_opinion_or_a_suggestion_draft_once(client, database, database_url, offices) -> None:
    _, staff, wang, li, *_rest, people, api = await _setup(client, database)
    created = await client.post(
        f"{api}/records",
        json={
            "contacted_on": TODAY.isoformat(),
            "mode": "visit",
            "topics": "走访",
            "person_ids": [str(people[0]), str(people[1])],
            "issues": [
                {"content": "小区停车难,希望增设停车位", "person_id": str(people[0])},
                {"content": "建议加强农村饮水安全保障", "person_id": str(people[1])},
                {"content": "未注明代表的问题"},
            ],
        },
        headers=wang.headers,
    )
    record = created.json()
    parking, water, unnamed = record["issues"]
    issues = f"{api}/records/{record['id']}/issues"
    opinion = await client.post(f"{issues}/{parking['id']}/opinion", json={}, headers=wang.headers)
    assert opinion.status_code == 201, opinion.text
    assert opinion.json()["opinion_id"] and opinion.json()["opinion_ticket"]
    assert opinion.json()["status_label"].startswith("已转为群众意见")
    source = await raw_fetchval(
        database_url,
        f'select source_id from "t_{COUNTY}".opinions where id = $1',
        uuid.UUID(opinion.json()["opinion_id"]),
    )
    assert str(source) == parking["id"]
    draft = await client.post(f"{issues}/{water['id']}/suggestion", json={}, headers=wang.headers)
    assert draft.status_code == 201, draft.text
    draft_id = uuid.UUID(draft.json()["suggestion_draft_id"])
    title = await raw_fetchval(
        database_url, f'select title from "t_{COUNTY}".suggestion_drafts where id = $1', draft_id
    )
    assert title == "建议加强农村饮水安全保障"

    before = await contacts_state(database_url, COUNTY)
    twice = await client.post(f"{issues}/{parking['id']}/suggestion", json={}, headers=wang.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "issue_converted"
    whose = await client.post(f"{issues}/{unnamed['id']}/opinion", json={}, headers=wang.headers)
    assert whose.status_code == 400 and whose.json()["code"] == "issue_person_required"
    not_theirs = await client.post(f"{issues}/{unnamed['id']}/opinion", json={}, headers=li.headers)
    assert not_theirs.status_code == 404
    locked = await client.delete(f"{api}/records/{record['id']}", headers=wang.headers)
    assert locked.status_code == 409 and locked.json()["code"] == "record_has_conversions"
    assert (await client.delete(f"{issues}/{parking['id']}", headers=wang.headers)).status_code == 409
    assert await contacts_state(database_url, COUNTY) == before
    assert (await client.delete(f"{issues}/{unnamed['id']}", headers=wang.headers)).status_code == 204
    added = await client.post(
        issues, json={"content": "补充一个问题", "person_id": str(people[1])}, headers=staff.headers
    )
    assert added.status_code == 201 and len(added.json()["issues"]) == 3
