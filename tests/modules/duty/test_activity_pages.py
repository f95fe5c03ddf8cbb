"""The pages of activities and evidence as their users meet them: staff create an activity, record the
sign-in list (a deputy twice is refused with the reason, nothing stored), change a status, print the QR
code and export the sheet; a deputy opens the code's page on the phone and taps 签到 (once counts once),
submits evidence with a photo (a wrong file shows the form again) and staff verify or reject it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from tests.modules.duty.support import person_name
from tests.modules.duty.support_activities import (
    END,
    PNG,
    START,
    activity_office,
    api,
    at,
    attendance_of,
    duty_state,
    new_activity,
    pages,
    sign_in_token,
)

pytestmark = pytest.mark.date_sensitive
HTML = {"Accept": "text/html"}


def as_page(caller) -> dict[str, str]:
    return {**caller.headers, **HTML}


def alert(text: str) -> str:
    found = re.search(r'role="alert">(.*?)<', text, re.S)
    return found.group(1).strip() if found else ""


async def test_staff_run_an_activity_from_the_pages(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=3)
    staff = as_page(office.staff)
    base = pages(office.code)
    listed = await client.get(f"{base}/activities", headers=staff)
    assert listed.status_code == 200 and "新建活动" in listed.text and "履职活动" in listed.text
    form = await client.get(f"{base}/activities/new", headers=staff)
    assert form.status_code == 200 and 'type="datetime-local"' in form.text

    fields = {
        "kind": "law_check",
        "title": "《食品安全法》执法检查",
        "starts_at": "2027-05-10T09:00",
        "ends_at": "2027-05-10T08:00",
        "place": "县市场监管局",
        "hours": "",
        "group_id": "",
        "station_id": "",
    }
    before = await duty_state(office.code)
    bad = await client.post(f"{base}/activities/new", data=fields, headers=staff)
    assert bad.status_code == 400 and alert(bad.text) == "结束时间应晚于开始时间"
    assert "县市场监管局" in bad.text  # what was typed is kept
    assert await duty_state(office.code) == before

    made = await client.post(
        f"{base}/activities/new", data={**fields, "ends_at": "2027-05-10T11:30"}, headers=staff, follow_redirects=False
    )
    assert made.status_code in (302, 303), made.text
    url = made.headers["location"]
    activity_id = url.rsplit("/", 1)[1]
    detail = await client.get(url, headers=staff)
    assert (
        detail.status_code == 200
        and "《食品安全法》执法检查" in detail.text
        and "2027-05-10 09:00 至 11:30" in detail.text
    )

    # The sign-in list: every deputy of the group, each a row of radio buttons.
    sheet = await client.get(f"{url}/attendance", params={"group_id": str(office.group_id)}, headers=staff)
    assert sheet.status_code == 200
    rows = dict(re.findall(r'name="person-(\d+)" value="([0-9a-f-]{36})"', sheet.text))
    assert set(rows.values()) == {str(p) for p in office.persons}
    # Each row's choices are its own radio group.
    assert sorted(re.findall(r'name="mark-(\d+)" value="present"', sheet.text)) == sorted(rows)
    index = {uuid.UUID(v): k for k, v in rows.items()}
    one, two, three = office.persons
    marked = {
        f"person-{index[one]}": str(one),
        f"mark-{index[one]}": "present",
        f"person-{index[two]}": str(two),
        f"mark-{index[two]}": "leave",
        f"note-{index[two]}": "外出学习",
        f"person-{index[three]}": str(three),
        f"mark-{index[three]}": "",  # left 未登记
    }
    saved = await client.post(f"{url}/attendance", data=marked, headers=staff, follow_redirects=False)
    assert saved.status_code in (302, 303), saved.text
    assert await attendance_of(office.code, activity_id) == {one: ("present", "list"), two: ("leave", "list")}
    detail = await client.get(url, headers=staff)
    assert "出席 1 人,请假 1 人,缺席 0 人" in detail.text and "外出学习" in detail.text

    # The same deputy again (an old copy of the page): refused with the reason, nothing stored.
    twice = await client.post(f"{url}/attendance", data={"person-1": str(one), "mark-1": "absent"}, headers=staff)
    assert twice.status_code == 409
    assert await person_name(office.code, one) in alert(twice.text) and "已登记" in alert(twice.text)
    nothing = await client.post(f"{url}/attendance", data={"person-1": str(three), "mark-1": ""}, headers=staff)
    assert nothing.status_code == 400 and "请至少为一名代表" in alert(nothing.text)
    assert await attendance_of(office.code, activity_id) == {one: ("present", "list"), two: ("leave", "list")}

    # The explicit change, from the activity's page.
    row_id = re.search(
        rf'/attendance/([0-9a-f-]{{36}})"[^>]*>\s*(?:<input type="hidden"[^<]*>\s*)+'
        rf'<select name="status" aria-label="{await person_name(office.code, two)}',
        detail.text,
    )
    assert row_id, "the change form of the deputy on leave"
    changed = await client.post(
        f"{url}/attendance/{row_id.group(1)}",
        data={"status": "present", "note": ""},
        headers=staff,
        follow_redirects=False,
    )
    assert changed.status_code in (302, 303)
    assert await attendance_of(office.code, activity_id) == {one: ("present", "list"), two: ("present", "list")}

    # The QR code: the page, the image (the sign-in address in it), the printable sheet.
    qr = await client.get(f"{url}/qr", headers=staff)
    assert qr.status_code == 200 and f'src="{url}/qr.svg"' in qr.text
    token = await sign_in_token(client, office, activity_id)
    svg = await client.get(f"{url}/qr.svg", headers=staff)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert f"/t/{office.code}/duty/sign-in/{activity_id}/{token}" in svg.text
    assert svg.headers["cache-control"] == "private, no-store"
    assert svg.headers.get_list("content-security-policy") == [
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ]
    png = await client.get(f"{url}/qr.png", headers=staff)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    pdf = await client.get(f"{url}/qr.pdf", headers=staff)
    assert (
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    )
    for caller in (office.viewer, office.deputy):
        assert (await client.get(f"{url}/qr.svg", headers=caller.headers)).status_code == 403
    regenerated = await client.post(f"{url}/qr/regenerate", headers=staff, follow_redirects=False)
    assert regenerated.status_code in (302, 303)
    assert await sign_in_token(client, office, activity_id) != token
    assert "已作废" in (await client.get(regenerated.headers["location"], headers=staff)).text

    exported = await client.post(f"{url}/export", headers=staff, follow_redirects=False)
    assert exported.status_code in (302, 303) and "?export=" in exported.headers["location"]
    assert "签到表" in (await client.get(exported.headers["location"], headers=staff)).text

    edit = await client.get(f"{url}/edit", headers=staff)
    assert 'value="2027-05-10T09:00"' in edit.text
    cancelled = await client.post(f"{url}/cancel", headers=staff, follow_redirects=False)
    assert cancelled.status_code in (302, 303)
    assert "已取消" in (await client.get(url, headers=staff)).text
    refused_edit = await client.post(f"{url}/edit", data={**fields, "ends_at": "2027-05-10T11:30"}, headers=staff)
    assert refused_edit.status_code == 409 and "已取消" in alert(refused_edit.text)


async def test_a_deputy_signs_in_on_the_code_s_page(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    deputy = as_page(office.deputy)
    made = await new_activity(client, office, title="代表小组进站活动")
    token = await sign_in_token(client, office, made["id"])
    page = f"{pages(office.code)}/sign-in/{made['id']}/{token}"

    with at(START - timedelta(hours=2)):
        early = await client.get(page, headers=deputy)
        assert early.status_code == 200 and "签到尚未开始" in early.text and "sign-in-button" not in early.text
        refused = await client.post(page, headers=deputy)
        assert refused.status_code == 409 and "签到尚未开始" in alert(refused.text)
    with at(START + timedelta(minutes=10)):
        ready = await client.get(page, headers=deputy)
        assert ready.status_code == 200 and "代表小组进站活动" in ready.text and "sign-in-button" in ready.text
        first = await client.post(page, headers=deputy, follow_redirects=False)
        assert first.status_code in (302, 303) and first.headers["location"].endswith("?result=new")
        assert "签到成功" in (await client.get(first.headers["location"], headers=deputy)).text
        second = await client.post(page, headers=deputy, follow_redirects=False)
        assert second.headers["location"].endswith("?result=already")
        assert "您已签到,无需重复签到" in (await client.get(second.headers["location"], headers=deputy)).text
    assert await attendance_of(office.code, made["id"]) == {office.person: ("present", "qr")}

    forged = await client.get(f"{pages(office.code)}/sign-in/{made['id']}/{'x' * 22}", headers=deputy)
    assert forged.status_code == 403 and "签到码无效或已失效" in alert(forged.text)
    staff_page = await client.get(page, headers=as_page(office.staff))
    assert "不能签到" in staff_page.text and "sign-in-button" not in staff_page.text
    with at(END + timedelta(hours=1)):
        late = await client.get(page, headers=deputy)
        assert "您已签到" in late.text  # what is recorded shows after the end too

    mine = await client.get(f"{pages(office.code)}/activities/mine", params={"year": 2027}, headers=deputy)
    assert (
        mine.status_code == 200
        and "代表小组进站活动" in mine.text
        and "出席 1 次" in mine.text
        and "扫码签到" in mine.text
    )


async def test_a_deputy_submits_evidence_and_staff_decide_on_the_pages(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    deputy, staff = as_page(office.deputy), as_page(office.staff)
    base = f"{pages(office.code)}/evidence"
    fields = {
        "kind": "research",
        "title": "参加市人大常委会组织的调研",
        "occurred_on": "2027-05-06",
        "description": "调研乡村振兴",
    }
    with at(START):
        form = await client.get(f"{base}/new", headers=deputy)
        assert (
            form.status_code == 200 and 'enctype="multipart/form-data"' in form.text and 'max="2027-05-10"' in form.text
        )
        before = await duty_state(office.code)
        wrong = await client.post(
            f"{base}/new",
            data=fields,
            files={"files": ("a.exe", b"MZ\x90", "application/x-msdownload")},
            headers=deputy,
        )
        assert wrong.status_code == 400 and "不支持该文件类型" in alert(wrong.text)
        assert "参加市人大常委会组织的调研" in wrong.text  # kept for another try
        assert await duty_state(office.code) == before
        sent = await client.post(
            f"{base}/new",
            data=fields,
            files={"files": ("调研照片.png", PNG, "image/png")},
            headers=deputy,
            follow_redirects=False,
        )
        assert sent.status_code in (302, 303), sent.text
        url = sent.headers["location"].split("?")[0]
        shown = await client.get(sent.headers["location"], headers=deputy)
        assert "已提交,等待代表工作机构核实" in shown.text and "调研照片.png" in shown.text and "待核实" in shown.text

        queue = await client.get(base, headers=staff)
        assert queue.status_code == 200 and "参加市人大常委会组织的调研" in queue.text and "待核实" in queue.text
        empty_reason = await client.post(f"{url}/reject", data={"reason": ""}, headers=staff)
        assert empty_reason.status_code == 400 and alert(empty_reason.text) == "请填写退回理由"
        rejected = await client.post(
            f"{url}/reject", data={"reason": "请补充调研通知"}, headers=staff, follow_redirects=False
        )
        assert rejected.status_code in (302, 303)
        mine = await client.get(f"{base}/mine", headers=deputy)
        assert "已退回" in mine.text and "请补充调研通知" in mine.text
        verified = await client.post(f"{url}/verify", headers=staff, follow_redirects=False)
        assert verified.status_code in (302, 303)
        assert "已核实" in (await client.get(url, headers=deputy)).text
        # A deputy lands on their own list.
        redirected = await client.get(base, headers=deputy, follow_redirects=False)
        assert redirected.status_code in (302, 303) and redirected.headers["location"].endswith("/evidence/mine")

        pending = await client.post(
            f"{base}/new", data={**fields, "title": "撤回用"}, headers=deputy, follow_redirects=False
        )
        pending_url = pending.headers["location"].split("?")[0]
        withdrawn = await client.post(f"{pending_url}/withdraw", headers=deputy, follow_redirects=False)
        assert withdrawn.status_code in (302, 303)
        assert (await client.get(pending_url, headers=deputy)).status_code == 404
    assert (await client.get(f"{api(office.code)}/evidence", headers=office.deputy.headers)).json()["total"] == 1
