"""Supervision: overdue opinions flagged in the lists and reminded to the unit's users and the staff
once per opinion and day by the `opinions.overdue` job; and who sees what (a unit only its own, a
deputy those addressed to them) and who may do what."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ, local_today
from renda.modules.notifications.models import Notification
from renda.modules.opinions.common import overdue_clause
from renda.modules.opinions.models import Opinion
from renda.modules.opinions.tasks import remind_overdue
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.scheduler import office_job, registered_jobs
from tests.modules.opinions.support import HTML, intake, office, set_deadline, steps


async def overdue_notices(code: str, user_id, opinion_id) -> list[Notification]:
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        query = select(Notification).where(
            Notification.user_id == user_id,
            Notification.kind == "opinion_overdue",
            Notification.event_key.like(f"opinion-overdue:{opinion_id}:%"),
        )
        return list((await session.execute(query)).scalars())


async def test_overdue_is_flagged_and_reminded_once_a_day(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山督办")
    opinion = await intake(a, "督办测试:菜市场周边占道经营")
    api = f"/api/v1/t/{a}/opinions"
    await client.post(
        f"{api}/{opinion.id}/assignment", json={"unit_id": str(people.unit_id)}, headers=people.staff.headers
    )
    on_time = await intake(a, "督办测试:未逾期的意见")
    await client.post(
        f"{api}/{on_time.id}/assignment", json={"unit_id": str(people.unit_id)}, headers=people.staff.headers
    )
    today = local_today()
    await set_deadline(a, opinion.id, today - timedelta(days=3))

    listed = (await client.get(f"{api}?overdue=true", headers=people.staff.headers)).json()
    ids = [o["id"] for o in listed["items"]]
    assert str(opinion.id) in ids and str(on_time.id) not in ids
    assert next(o for o in listed["items"] if o["id"] == str(opinion.id))["overdue"] is True
    page = await client.get(f"/t/{a}/opinions?overdue=1", headers={**people.staff.headers, **HTML})
    assert page.status_code == 200 and "已逾期" in page.text
    units = (await client.get(f"{api}/units", headers=people.staff.headers)).json()
    assert next(u for u in units if u["id"] == str(people.unit_id))["overdue_count"] >= 1

    period = datetime.combine(today, time(9), tzinfo=LOCAL_TZ).isoformat(timespec="minutes")
    await asyncio.to_thread(remind_overdue.fn, a, period)
    await asyncio.to_thread(remind_overdue.fn, a, period)  # the job's message delivered twice
    for user in (people.unit_user, people.staff):
        assert len(await overdue_notices(a, user.user_id, opinion.id)) == 1
    assert await overdue_notices(a, people.other_unit_user.user_id, opinion.id) == []
    assert await overdue_notices(a, people.unit_user.user_id, on_time.id) == []
    reminders = [s for s in await steps(a, opinion.id) if s.kind == "reminder"]
    assert len(reminders) == 1 and "3 天" in (reminders[0].note or "")

    tomorrow = datetime.combine(today + timedelta(days=1), time(9), tzinfo=LOCAL_TZ).isoformat(timespec="minutes")
    await asyncio.to_thread(remind_overdue.fn, a, tomorrow)
    assert len(await overdue_notices(a, people.unit_user.user_id, opinion.id)) == 2

    # Once answered it is no longer overdue, nor reminded.
    await client.post(f"{api}/{opinion.id}/answer", json={"answer": "已清理占道"}, headers=people.unit_user.headers)
    assert str(opinion.id) not in [
        o["id"] for o in (await client.get(f"{api}?overdue=true", headers=people.staff.headers)).json()["items"]
    ]
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test") as session:
        later = today + timedelta(days=5)
        assert opinion.id not in [
            o.id for o in (await session.execute(select(Opinion).where(overdue_clause(later)))).scalars()
        ]


def test_the_reminder_is_a_daily_job_for_every_office() -> None:
    job = registered_jobs()["opinions.overdue"]
    assert job.schedule.hour == 9
    declared, levels = office_job("opinions.overdue")
    assert declared is remind_overdue and levels is None


async def test_each_sees_only_their_own(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山可见")
    api = f"/api/v1/t/{a}/opinions"
    to_unit = await intake(a, "可见性测试:交通局的")
    to_other = await intake(a, "可见性测试:教育局的")
    to_deputy = await intake(a, "可见性测试:反映给代表的", deputy_person_id=people.deputy_person)
    for opinion, unit in ((to_unit, people.unit_id), (to_other, people.other_unit_id)):
        done = await client.post(
            f"{api}/{opinion.id}/assignment", json={"unit_id": str(unit)}, headers=people.staff.headers
        )
        assert done.status_code == 200

    def ids(response) -> set[str]:
        return {o["id"] for o in response.json()["items"]}

    unit_sees = ids(await client.get(f"{api}?page_size=200", headers=people.unit_user.headers))
    assert str(to_unit.id) in unit_sees and not unit_sees & {str(to_other.id), str(to_deputy.id)}
    deputy_sees = ids(await client.get(f"{api}?page_size=200", headers=people.deputy.headers))
    assert deputy_sees == {str(to_deputy.id)}
    for caller in (people.staff, people.viewer, people.committee):
        assert {str(to_unit.id), str(to_other.id), str(to_deputy.id)} <= ids(
            await client.get(f"{api}?page_size=200&q=可见性测试", headers=caller.headers)
        )
    assert (await client.get(f"{api}/{to_other.id}", headers=people.unit_user.headers)).status_code == 404
    assert (await client.get(f"{api}/{to_unit.id}", headers=people.deputy.headers)).status_code == 404
    wrong_unit = await client.post(
        f"{api}/{to_other.id}/answer", json={"answer": "x"}, headers=people.unit_user.headers
    )
    assert wrong_unit.status_code == 404
    page = await client.get(f"/t/{a}/opinions", headers={**people.unit_user.headers, **HTML})
    assert page.status_code == 200 and "交通局的" in page.text and "教育局的" not in page.text


async def test_roles_decide_what_may_be_done(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山权限")
    api = f"/api/v1/t/{a}/opinions"
    opinion = await intake(a, "权限测试:小区电梯老旧")
    body = {"unit_id": str(people.unit_id)}
    # Not assigned to the unit: not there for it at all.
    assert (
        await client.post(f"{api}/{opinion.id}/assignment", json=body, headers=people.unit_user.headers)
    ).status_code == 404
    assert (
        await client.post(f"{api}/{opinion.id}/assignment", json=body, headers=people.committee.headers)
    ).status_code == 403
    assert (
        await client.post(f"{api}/{opinion.id}/assignment", json=body, headers=people.viewer.headers)
    ).status_code == 403
    assert (await client.post(api, json={"content": "单位录入"}, headers=people.unit_user.headers)).json()[
        "code"
    ] == "opinions_staff_only"
    assert (
        await client.post(f"{api}/units", json={"name": "某单位"}, headers=people.unit_user.headers)
    ).status_code == 403
    early = await client.post(f"{api}/{opinion.id}/answer", json={"answer": "x"}, headers=people.staff.headers)
    assert early.status_code == 409 and early.json()["code"] == "cannot_answer"
    past = await client.post(
        f"{api}/{opinion.id}/assignment", json={**body, "deadline": "2020-01-01"}, headers=people.staff.headers
    )
    assert past.status_code == 400 and past.json()["code"] == "invalid_deadline"
    assert (await client.get(f"{api}/{opinion.id}", headers=people.staff.headers)).json()["opinion"][
        "status"
    ] == "received"
