"""The reminder the day before: the rostered deputies of tomorrow are notified once (a rerun of the job,
or its message delivered twice, sends nothing new); deputies nobody can reach are recorded as such."""

from __future__ import annotations

import asyncio

import pytest

from renda.modules.receptions.tasks import reminder_day, roster_reminder, send_roster_reminders
from renda.workers.scheduler import office_job
from tests.conftest import broker_params, make_caller, raw_fetchval, running_worker
from tests.modules.receptions.support import YEAR, A, add_deputies, add_directory_mandate, add_station, api, unique


@pytest.fixture(params=broker_params())
def broker(request):
    with running_worker(request.param) as broker:
        yield broker


async def _inbox(database_url: str, user_id, kind: str = "reception_roster") -> int:
    sql = f'select count(*) from "t_{A}".notifications where user_id = $1 and kind = $2'
    return int(await raw_fetchval(database_url, sql, user_id, kind))


async def _rostered_station(client, database, day: str):
    """A station receiving on `day` with two linked deputies, one unlinked and one recorded elsewhere."""
    staff = await make_caller(database, unique("三原县排班干事"), {A: ["staff"]})
    users = [await make_caller(database, unique("三原县代表账号"), {A: ["deputy"]}) for _ in range(3)]
    names = [unique("三原值班代表") for _ in range(4)]
    persons = await add_deputies(A, *names, user_ids={names[i]: users[i].user_id for i in range(3)})
    mandate = await add_directory_mandate(database, unique("省值班代表"), "provincial")
    station = await add_station(
        A, unique("三原县鲁桥镇代表联络站"), days=[10, 20, 30], persons=persons, mandates=[mandate]
    )
    for deputy in [{"person_id": str(p)} for p in persons[:2] + persons[3:]] + [{"mandate_id": str(mandate)}]:
        added = await client.post(
            f"{api(A)}/roster", json={"station_id": str(station), "day": day, "deputy": deputy}, headers=staff.headers
        )
        assert added.status_code == 201, added.text
    return staff, users, station


def test_the_period_names_the_day_before() -> None:
    assert reminder_day(f"{YEAR}-01-09T16:00+08:00").isoformat() == f"{YEAR}-01-10"
    actor, levels = office_job("receptions.roster_reminder")
    assert actor is roster_reminder and levels is None


async def test_tomorrows_rostered_deputies_are_reminded_once(client, database, database_url, offices) -> None:
    staff, users, station = await _rostered_station(client, database, f"{YEAR}-07-10")
    first = await send_roster_reminders(A, f"{YEAR}-07-09T16:00+08:00")
    assert (first.sent, first.already, first.unreachable) == (2, 0, 2)
    second = await send_roster_reminders(A, f"{YEAR}-07-09T16:00+08:00")
    assert (second.sent, second.already, second.unreachable) == (0, 2, 2)
    # Exactly the rostered deputies, once each; the third account was not on the roster.
    assert [await _inbox(database_url, u.user_id) for u in users] == [1, 1, 0]
    roster = await client.get(
        f"{api(A)}/roster", params={"year": YEAR, "month": 7, "station_id": str(station)}, headers=staff.headers
    )
    labels = sorted(e["reminder_label"] for e in roster.json())
    assert labels == ["已提醒", "已提醒", "无法提醒(未关联账号)", "无法提醒(未关联账号)"]
    # The day before another day reminds nobody of this one.
    other = await send_roster_reminders(A, f"{YEAR}-07-10T16:00+08:00")
    assert other.sent == 0
    body = await raw_fetchval(
        database_url, f'select body from "t_{A}".notifications where user_id = $1', users[0].user_id
    )
    assert "7月10日" in body and "轮值接待选民" in body


async def test_a_day_cancelled_after_rostering_reminds_nobody(client, database, database_url, offices) -> None:
    staff, users, station = await _rostered_station(client, database, f"{YEAR}-07-20")
    cancelled = await client.post(
        f"{api(A)}/exceptions",
        json={"day": f"{YEAR}-07-20", "kind": "cancelled", "station_id": str(station), "reason": "临时停止接待"},
        headers=staff.headers,
    )
    assert cancelled.status_code == 201
    result = await send_roster_reminders(A, f"{YEAR}-07-19T16:00+08:00")
    assert (result.sent, result.unreachable) == (0, 0)
    assert await _inbox(database_url, users[0].user_id) == 0


async def _labels(client, staff, station, month: int) -> list[str]:
    roster = await client.get(
        f"{api(A)}/roster", params={"year": YEAR, "month": month, "station_id": str(station)}, headers=staff.headers
    )
    return sorted(e["reminder_label"] for e in roster.json())


async def _waiting(database_url: str, user_id) -> int:
    """Messages of the user's reception reminders that have not gone out (nor been withdrawn)."""
    sql = (
        f'select count(*) from "t_{A}".notification_deliveries d join "t_{A}".notifications n '
        "on n.id = d.notification_id where n.user_id = $1 and n.kind = 'reception_roster' "
        "and d.status in ('pending', 'deferred', 'digest')"
    )
    return int(await raw_fetchval(database_url, sql, user_id))


async def test_cancelling_a_day_cancels_its_reminders_at_once_and_restoring_brings_them_back(
    client, database, database_url, offices
) -> None:
    staff, users, station = await _rostered_station(client, database, f"{YEAR}-08-20")
    assert await _labels(client, staff, station, 8) == ["待提醒"] * 4
    holiday = {"day": f"{YEAR}-08-20", "kind": "cancelled", "station_id": str(station), "reason": "临时停止接待"}
    cancelled = await client.post(f"{api(A)}/exceptions", json=holiday, headers=staff.headers)
    assert cancelled.status_code == 201, cancelled.text
    # At once, not at the next generation of the roster: nobody waits to be reminded of that day.
    assert await _labels(client, staff, station, 8) == ["已停止接待,不提醒"] * 4
    result = await send_roster_reminders(A, f"{YEAR}-08-19T16:00+08:00")
    assert (result.sent, result.already, result.unreachable) == (0, 0, 0)
    assert await _inbox(database_url, users[0].user_id) == 0

    # Restored: the day's entries wait again, and the job reminds them.
    restored = await client.delete(f"{api(A)}/exceptions/{cancelled.json()['id']}", headers=staff.headers)
    assert restored.status_code == 204
    assert await _labels(client, staff, station, 8) == ["待提醒"] * 4
    result = await send_roster_reminders(A, f"{YEAR}-08-19T16:00+08:00")
    assert (result.sent, result.unreachable) == (2, 2)
    assert await _waiting(database_url, users[0].user_id) > 0

    # Cancelled after the reminder went out: what has not been delivered yet is withdrawn.
    again = await client.post(f"{api(A)}/exceptions", json=holiday, headers=staff.headers)
    assert again.status_code == 201, again.text
    assert await _labels(client, staff, station, 8) == ["已停止接待,不提醒"] * 4
    assert [await _waiting(database_url, u.user_id) for u in users] == [0, 0, 0]


@pytest.mark.smoke
async def test_the_actor_run_twice_through_the_broker_notifies_once(
    broker, client, database, database_url, offices
) -> None:
    _, users, _ = await _rostered_station(client, database, f"{YEAR}-07-30")
    period = f"{YEAR}-07-29T16:00+08:00"
    roster_reminder.send(A, period)
    roster_reminder.send(A, period)
    await asyncio.to_thread(broker.join, roster_reminder.queue_name)
    assert [await _inbox(database_url, u.user_id) for u in users] == [1, 1, 0]
