"""The contacts pages as a 代表工委 clerk and a committee member use them, through a browser session."""

from __future__ import annotations

import re

from tests.conftest import make_caller
from tests.modules.contacts.support import (
    COUNTY,
    TODAY,
    contacts_state,
    deputies,
    fresh_term,
    members,
    quarter_key,
    township,
)
from tests.test_member_pages import signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _location(response, pattern: str) -> str:
    assert response.status_code in (302, 303), response.text
    found = re.search(pattern, response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def test_clerk_arranges_records_reports_and_invites_from_the_pages(
    client, database, database_url, offices
) -> None:
    office = await fresh_term(COUNTY)
    clerk = await make_caller(database, "德城区页面干部", {COUNTY: ["staff"]})
    await township(office, "371402109", "长河街道")
    council, plain = await members(office, 2, council=1, names=["孙副主任", "周委员"])
    people = await deputies(office, 8, township_code="371402109")
    csrf = await signed_in(database, client, clerk.user_id)
    base = f"/t/{COUNTY}/contacts"

    overview = await client.get(base)
    assert overview.status_code == 200
    for text in ("联系代表", "联系安排", "联系记录", "联系情况统计", "邀请列席", "生成建议安排", "未覆盖的代表"):
        assert text in overview.text, text

    suggested = await client.post(
        f"{base}/proposals", data={"_csrf": csrf, "keep_existing": "1"}, follow_redirects=False
    )
    proposal_id = _location(suggested, r"/contacts/proposals/([0-9a-f-]{36})$")
    review = await client.get(f"{base}/proposals/{proposal_id}")
    assert review.status_code == 200 and "联系安排建议" in review.text and "保存为本届联系安排" in review.text
    assert "孙副主任" in review.text and "长河街道" in review.text
    applied = await client.post(f"{base}/proposals/{proposal_id}/apply", data={"_csrf": csrf}, follow_redirects=False)
    assert applied.status_code in (302, 303)
    board = await client.get(f"{base}?tab=assignments")
    assert "在任代表已全部覆盖" in board.text

    # A refused form shows the page again with the reason and changes nothing.
    before = await contacts_state(database_url, COUNTY)
    refused = await client.post(
        f"{base}/assignments",
        data={
            "_csrf": csrf,
            "committee_member_id": str(plain),
            "person_id": str(people[0]),
            "term_id": str(office.term_id),
        },
    )
    assert refused.status_code == 409 and 'role="alert"' in refused.text and "固定联系" in refused.text
    assert await contacts_state(database_url, COUNTY) == before

    form = {
        "_csrf": csrf,
        "committee_member_id": str(plain),
        "contacted_on": TODAY.isoformat(),
        "mode": "meeting",
        "topics": "座谈听取代表意见",
        "person_ids": [str(people[0]), str(people[1])],
        "issues": "农贸市场环境脏乱\n学校门口交通拥堵",
        "issue_person_id": str(people[0]),
    }
    created = await client.post(f"{base}/records", data=form, follow_redirects=False)
    record_id = _location(created, r"/contacts/records/([0-9a-f-]{36})$")
    record = await client.get(f"{base}/records/{record_id}")
    assert record.status_code == 200 and "座谈听取代表意见" in record.text and "农贸市场环境脏乱" in record.text
    uploaded = await client.post(
        f"{base}/records/{record_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("座谈纪要.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert uploaded.status_code in (302, 303), uploaded.text
    too_big = await client.post(
        f"{base}/records/{record_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), "application/pdf")},
    )
    assert too_big.status_code == 413 and "超过 10 MB" in too_big.text
    record = await client.get(f"{base}/records/{record_id}")
    assert "座谈纪要.png" in record.text
    attachment = re.search(rf"/records/{record_id}/attachments/([0-9a-f-]{{36}})\"", record.text).group(1)
    download = await client.get(f"{base}/records/{record_id}/attachments/{attachment}")
    assert download.status_code == 200 and download.content == PNG
    issue = re.search(r"/issues/([0-9a-f-]{36})/opinion", record.text).group(1)
    converted = await client.post(f"{base}/records/{record_id}/issues/{issue}/opinion", data={"_csrf": csrf})
    assert converted.status_code == 200 and "已转为群众意见" in converted.text

    listing = await client.get(base, params={"tab": "records", "q": "座谈"})
    assert listing.status_code == 200 and "座谈听取代表意见" in listing.text
    coverage = await client.get(base, params={"tab": "coverage"})
    assert coverage.status_code == 200 and "联系滞后" in coverage.text and "各季度联系情况" in coverage.text
    exported = await client.post(
        f"{base}/export", data={"_csrf": csrf, "list": "members", "quarter": quarter_key(TODAY)}, follow_redirects=False
    )
    _location(exported, r"export=([0-9a-f-]{36})")
    bad_export = await client.post(
        f"{base}/export", data={"_csrf": csrf, "list": "members", "quarter": f"{TODAY.year}-13"}
    )
    assert bad_export.status_code == 400 and 'role="alert"' in bad_export.text

    meetings = await client.get(base, params={"tab": "meetings"})
    assert meetings.status_code == 200 and "登记常委会会议" in meetings.text
    meeting = await client.post(
        f"{base}/meetings",
        data={"_csrf": csrf, "number": "2", "title": "审议年度计划", "held_on": TODAY.isoformat(), "observers": "8"},
        follow_redirects=False,
    )
    meeting_id = _location(meeting, r"/contacts/meetings/([0-9a-f-]{36})$")
    page = await client.get(f"{base}/meetings/{meeting_id}", params={"count": "3"})
    assert page.status_code == 200 and "轮流邀请建议" in page.text and "从未受邀" in page.text
    suggested_ids = re.findall(r'name="person_ids" value="([0-9a-f-]{36})"', page.text)
    assert len(suggested_ids) == 3
    invited = await client.post(
        f"{base}/meetings/{meeting_id}/invitations", data={"_csrf": csrf, "person_ids": suggested_ids}
    )
    assert invited.status_code == 200 and "邀请列席 3 名" in invited.text
    assert council


async def test_a_committee_member_sees_their_own_page(client, database, offices) -> None:
    office = await fresh_term(COUNTY)
    me = await make_caller(database, "页面上的组成人员", {COUNTY: ["committee_member"]})
    mine, theirs = await members(office, 2, user_ids=[me.user_id], names=["本人委员", "他人委员"])
    people = await deputies(office, 2)
    staff = await make_caller(database, "安排联系的干部", {COUNTY: ["staff"]})
    for seat, person in ((mine, people[0]), (theirs, people[1])):
        await client.post(
            f"/api/v1/t/{COUNTY}/contacts/assignments",
            json={"committee_member_id": str(seat), "person_id": str(person)},
            headers=staff.headers,
        )
    csrf = await signed_in(database, client, me.user_id)
    base = f"/t/{COUNTY}/contacts"
    page = await client.get(base)
    assert page.status_code == 200 and "登记联系记录" in page.text and "仅显示本人" in page.text
    assert "生成建议安排" not in page.text
    board = await client.get(base, params={"tab": "assignments"})
    assert "本人委员" in board.text and "他人委员" not in board.text
    created = await client.post(
        f"{base}/records",
        data={
            "_csrf": csrf,
            "contacted_on": TODAY.isoformat(),
            "mode": "call",
            "topics": "电话问候",
            "person_ids": str(people[0]),
        },
        follow_redirects=False,
    )
    assert created.status_code in (302, 303), created.text
    coverage = await client.get(base, params={"tab": "coverage"})
    assert coverage.status_code == 200 and "本人委员" in coverage.text and "他人委员" not in coverage.text
    assert "导出 Excel" not in coverage.text
    refused = await client.post(
        f"{base}/assignments",
        data={"_csrf": csrf, "committee_member_id": str(mine), "person_id": str(people[1])},
    )
    assert refused.status_code == 403 and "工作人员" in refused.text
