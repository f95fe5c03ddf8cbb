"""The star rating's pages: the deputy's self-assessment and rating on a phone, a leader's group check,
the staff overview with its counts, filters and bulk actions, one rating with the next step and the
talk, publication with the optional public list on the portal, the advice-to-resign list, and the
Excel export of the year."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from renda.modules.duty.models import Talk
from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office, person_name
from tests.modules.duty.support_rating import assess, at, make_leader, rating_row, state_of, step

pytestmark = pytest.mark.date_sensitive
HTML = {"Accept": "text/html"}


def html(caller) -> dict[str, str]:
    return {**caller.headers, **HTML}


async def test_the_deputy_assesses_themselves_on_the_phone_page(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安手机", deputies=1)
    code, deputy = office.code, office.deputy
    url = f"/t/{code}/duty/ratings/mine"
    with at(date(2045, 12, 2)):
        page = await client.get(url, headers=html(deputy))
        assert page.status_code == 200 and 'name="viewport"' in page.text
        assert "我的星级评价" in page.text and "2045年度" in page.text and "提交自评" in page.text
        assert 'type="radio" name="grade" value="excellent"' in page.text
        before = await state_of(code, office.persons)
        missing = await client.post(url, data={"year": "2045", "summary": "参加视察三次"}, headers=html(deputy))
        assert missing.status_code == 400 and "请选择自评等次" in missing.text and "参加视察三次" in missing.text
        assert await state_of(code, office.persons) == before
        saved = await client.post(
            url,
            data={"year": "2045", "summary": "参加视察三次", "grade": "good"},
            headers=html(deputy),
            follow_redirects=False,
        )
        assert saved.status_code in (302, 303) and saved.headers["location"].endswith("/duty/ratings/mine?saved=1")
        page = await client.get(saved.headers["location"], headers=html(deputy))
        assert "自评已保存" in page.text and "修改自评" in page.text and "参加视察三次" in page.text
        assert (await rating_row(code, 2045, office.person)).self_grade == "good"
        staff_page = await client.get(url, headers=html(office.staff))
        assert staff_page.status_code == 403
    with at(date(2046, 1, 3)):
        closed = await client.get(url, headers=html(deputy))
        assert "2046年度代表自评自2046年12月01日起开放" in closed.text and "提交自评" not in closed.text
        assert "往年评价" in closed.text and "2045年度" in closed.text
        late = await client.post(
            url, data={"year": "2045", "summary": "补写", "grade": "excellent"}, headers=html(deputy)
        )
        assert late.status_code == 409 and "已于2045年12月31日截止" in late.text


async def test_staff_run_the_year_from_the_overview(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山总览", deputies=3)
    code, staff = office.code, office.staff
    names = [await person_name(code, p) for p in office.persons]
    url = f"/t/{code}/duty/ratings"
    with at(date(2046, 12, 10)):
        ids = [(await assess(client, d, code, 2046)).json()["id"] for d in office.deputies[:2]]
        page = await client.get(f"{url}?year=2046&group_id={office.group_id}", headers=html(staff))
        assert page.status_code == 200 and "2046年度代表履职星级评价" in page.text
        assert all(name in page.text for name in names) and "为全部代表发起评价" in page.text
        assert f'name="rating_ids" value="{ids[0]}"' in page.text and "批量评议" in page.text
        filtered = await client.get(f"{url}?year=2046&step=none&group_id={office.group_id}", headers=html(staff))
        assert names[2] in filtered.text and names[0] not in filtered.text
        bad_filter = await client.get(f"{url}?year=2046&step=later", headers=html(staff))
        assert bad_filter.status_code == 200 and "评价环节不正确" in bad_filter.text

        nothing = await client.post(
            f"{url}/bulk", data={"year": "2046", "step": "group", "grade": "good"}, headers=html(staff)
        )
        assert nothing.status_code == 400 and "请先勾选" in nothing.text
        bulk = {
            "year": "2046",
            "step": "group",
            "grade": "good",
            "rating_ids": ids,
            "back_group_id": str(office.group_id),
        }
        done = await client.post(f"{url}/bulk", data=bulk, headers=html(staff), follow_redirects=False)
        assert done.status_code in (302, 303) and f"group_id={office.group_id}" in done.headers["location"]
        assert {(await rating_row(code, 2046, p)).step for p in office.persons[:2]} == {"group"}
        twice = await client.post(f"{url}/bulk", data=bulk, headers=html(staff))
        assert twice.status_code == 409 and "下一步应为“乡镇(街道)审核”" in twice.text

        started = await client.post(f"{url}/start", data={"year": "2046"}, headers=html(staff), follow_redirects=False)
        assert started.status_code in (302, 303)
        assert (await rating_row(code, 2046, office.persons[2])).step == "opened"

        # One rating: the next step's form, a low decision with its talk.
        detail = await client.get(f"{url}/{ids[0]}", headers=html(staff))
        assert "提交乡镇(街道)审核" in detail.text and "代表自评" in detail.text
        taken = await client.post(
            f"{url}/{ids[0]}/step",
            data={"step": "township", "grade": "basic"},
            headers=html(staff),
            follow_redirects=False,
        )
        assert taken.status_code in (302, 303)
        detail = await client.get(f"{url}/{ids[0]}", headers=html(staff))
        assert "同时安排提醒约谈" in detail.text
        decided = await client.post(
            f"{url}/{ids[0]}/step",
            data={"step": "committee", "grade": "basic", "talk_on": "2047-01-06", "talk_place": "常委会会议室"},
            headers=html(staff),
            follow_redirects=False,
        )
        assert decided.status_code in (302, 303), decided.text
        async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
            talk = (await session.execute(select(Talk).where(Talk.rating_id == uuid.UUID(ids[0])))).scalar_one()
        assert (talk.scheduled_on, talk.place) == (date(2047, 1, 6), "常委会会议室")
        moved = await client.post(
            f"{url}/talks/{talk.id}",
            data={"scheduled_on": "2047-01-07", "place": "", "talker": "李主任"},
            headers=html(staff),
            follow_redirects=False,
        )
        assert moved.status_code in (302, 303), moved.text
        detail = await client.get(f"{url}/{ids[0]}", headers=html(staff))
        assert "2047年01月07日 · 地点待定 · 约谈人:李主任" in detail.text
        held = await client.post(
            f"{url}/talks/{talk.id}", data={"status": "held"}, headers=html(staff), follow_redirects=False
        )
        assert held.status_code in (302, 303)
        detail = await client.get(f"{url}/{ids[0]}", headers=html(staff))
        assert "已约谈" in detail.text and "★★☆☆☆" in detail.text

        advise = await client.get(f"{url}/advise-resign?year=2046", headers=html(office.viewer))
        assert advise.status_code == 200 and "连续两年等次靠后" in advise.text and names[0] in advise.text
        denied = await client.get(f"{url}/advise-resign", headers=html(office.deputy))
        assert denied.status_code == 403

        # The window, then publication with the public list; the portal shows the grades.
        window = await client.post(
            f"{url}/window",
            data={"year": "2046", "opens_on": "2046-12-01", "closes_on": "2047-01-15"},
            headers=html(staff),
            follow_redirects=False,
        )
        assert window.status_code in (302, 303)
        bad_window = await client.post(
            f"{url}/window",
            data={"year": "2046", "opens_on": "2046-12-01", "closes_on": "2047-05-01"},
            headers=html(staff),
        )
        assert bad_window.status_code == 400 and "不晚于2047年03月31日" in bad_window.text
        portal = f"/p/{code}/duty/ratings?year=2046"
        assert (await client.get(portal, headers=HTML)).status_code == 404
        published = await client.post(
            f"{url}/publish",
            data={"year": "2046", "public_list": ["0", "1"]},
            headers=html(staff),
            follow_redirects=False,
        )
        assert published.status_code in (302, 303)
        page = await client.get(f"{url}?year=2046", headers=html(staff))
        assert "在门户网站公开等次名单" in page.text and "2047年01月15日" in page.text
        shown = await client.get(portal, headers=HTML)
        assert shown.status_code == 200 and names[0] in shown.text and "基本称职" in shown.text
        assert names[1] not in shown.text  # not decided, not published

        exported = await client.post(
            f"{url}/export",
            data={"year": "2046", "group_id": str(office.group_id)},
            headers=html(staff),
            follow_redirects=False,
        )
        assert exported.status_code in (302, 303), exported.text
        rows = await _built(code, exported.headers["location"])
    assert rows[0][:4] == ("年度", "姓名", "代表小组", "评价环节")
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == set(names)
    assert by_name[names[0]][3] == "已公示" and by_name[names[0]][7] == "基本称职" and by_name[names[0]][8] == "★★☆☆☆"
    assert by_name[names[0]][11] == "已约谈" and by_name[names[2]][3] == "待代表自评"


async def _built(code: str, location: str) -> list[tuple]:
    export_id = uuid.UUID(location.split("export=")[1])
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()
        if export.status == "pending":
            await exports.build(session, export)
        await session.commit()
        content = (await exports.get_export(session, export_id, with_content=True)).content
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


async def test_a_leader_checks_the_group_on_its_page(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安小组页", deputies=2)
    code = office.code
    leader, member = office.deputies
    await make_leader(code, office.group_id, office.persons[0])
    name = await person_name(code, office.persons[1])
    with at(date(2047, 12, 9)):
        rating_id = (await assess(client, member, code, 2047)).json()["id"]
        mine = await client.get(f"/t/{code}/duty/ratings/mine", headers=html(leader))
        assert "代表小组评议" in mine.text
        page = await client.get(f"/t/{code}/duty/ratings/group?year=2047", headers=html(leader))
        assert page.status_code == 200 and name in page.text and "提交小组评议" in page.text
        done = await client.post(
            f"/t/{code}/duty/ratings/{rating_id}/step",
            data={"step": "group", "grade": "competent", "back": "group"},
            headers=html(leader),
            follow_redirects=False,
        )
        assert done.status_code in (302, 303) and done.headers["location"].endswith("/duty/ratings/group?year=2047")
        assert (await rating_row(code, 2047, office.persons[1])).group_grade == "competent"
        again = await client.post(
            f"/t/{code}/duty/ratings/{rating_id}/step",
            data={"step": "group", "grade": "good", "back": "group"},
            headers=html(leader),
        )
        assert again.status_code == 409 and "不能进行“代表小组评议”" in again.text
        assert (await step(client, office.staff, code, rating_id, "township", "good")).status_code == 200
        page = await client.get(f"/t/{code}/duty/ratings/group?year=2047", headers=html(leader))
        assert "没有需要您评议的代表" not in page.text and "提交小组评议" not in page.text
