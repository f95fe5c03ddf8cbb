"""一年一归档: on 1 January at 00:30 every archive of the year just ended is closed, its content frozen;
a later change to that year's records leaves it as it was, and staff add a correction entry instead,
which the deputy cannot."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.archive_tasks import close_duty_archives
from renda.modules.duty.models import Archive, Attendance
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.scheduler import Yearly, registered_jobs
from tests.modules.duty.support import ACTOR, duty_office
from tests.modules.duty.support_archives import YEAR, activity, entry, fill_year

pytestmark = pytest.mark.date_sensitive

NEW_YEAR = datetime(YEAR + 1, 1, 1, 0, 30, tzinfo=LOCAL_TZ)  # the yearly job's hour
LATER = datetime(YEAR + 1, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def api(code: str) -> str:
    return f"/api/v1/t/{code}/duty/archives"


async def archive_rows(code: str, year: int) -> dict:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        rows = (await session.execute(select(Archive).where(Archive.year == year))).scalars()
        return {row.person_id: (row.status, row.closed_at, row.content) for row in rows}


def test_the_closing_runs_on_new_years_day() -> None:
    job = registered_jobs()["duty.close_archives"]
    assert job.schedule == Yearly(month=1, day=1, hour=0, minute=30)
    assert job.schedule.period_start(NEW_YEAR + timedelta(hours=3)) == NEW_YEAR
    assert job.schedule.period_start(datetime(YEAR + 1, 6, 1, tzinfo=UTC)) == NEW_YEAR


async def test_new_year_closes_the_year_and_a_later_change_becomes_a_correction(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山归档", deputies=2)
    other = await duty_office(database, offices["a"], "远安不归档", deputies=1)
    await fill_year(office.code, office.person)
    url = f"{api(office.code)}/{office.person}"

    with time_machine.travel(NEW_YEAR, tick=True):
        period = NEW_YEAR.isoformat(timespec="minutes")
        await asyncio.to_thread(close_duty_archives.fn, office.code, period)
        closed = await archive_rows(office.code, YEAR)
        await asyncio.to_thread(close_duty_archives.fn, office.code, period)  # delivered twice
        assert await archive_rows(office.code, YEAR) == closed
        frozen = await client.get(url, params={"year": YEAR}, headers=office.deputy.headers)
    mine = closed[office.person]
    assert mine[0] == "closed" and mine[1] is not None and mine[2]["person"]["id"] == str(office.person)
    assert closed[office.persons[1]][0] == "closed"  # every deputy of the year, records or not
    elsewhere = await archive_rows(other.code, YEAR)
    assert not any(p in elsewhere for p in other.persons)  # B's job leaves A alone
    body = frozen.json()
    assert (body["status"], body["status_label"]) == ("closed", "已归档")
    assert body["content"] == mine[2] and body["content"]["points"]["total"] == "37"

    # March: a late reception, an attendance changed: the closed archive stays as it was.
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        late = activity("inspection", "补录的视察", date(YEAR, 11, 3))
        session.add(late)
        await session.flush()
        session.add(
            Attendance(activity_id=late.id, person_id=office.person, status="present", source="list", recorded_by=ACTOR)
        )
        session.add(
            entry(office.person, "reception", "people", "2", "补录的接待", date(YEAR, 11, 20), source="reception")
        )
        await session.commit()
    with time_machine.travel(LATER, tick=True):
        after = (await client.get(url, params={"year": YEAR}, headers=office.staff.headers)).json()
        assert after["content"] == mine[2] and after["corrections"] == []
        this_year = (await client.get(url, headers=office.staff.headers)).json()
        assert (this_year["year"], this_year["status"]) == (YEAR + 1, "open")

        # Staff record the change as a correction, shown with the archive; a deputy cannot.
        correction = {
            "year": YEAR,
            "section": "receptions",
            "content": f"补录{YEAR}年11月20日进站接待选民一次",
            "reason": "联络站台账补报",
        }
        by_deputy = await client.post(f"{url}/corrections", json=correction, headers=office.deputy.headers)
        assert (by_deputy.status_code, by_deputy.json()["code"]) == (403, "duty_staff_only")
        made = await client.post(f"{url}/corrections", json=correction, headers=office.staff.headers)
        assert made.status_code == 201, made.text
        assert (made.json()["section_label"], made.json()["reason"]) == ("进站接待选民", "联络站台账补报")
        shown = (await client.get(url, params={"year": YEAR}, headers=office.deputy.headers)).json()
        assert shown["content"] == mine[2]
        assert [(c["section"], c["content"]) for c in shown["corrections"]] == [("receptions", correction["content"])]

        # Bad corrections change nothing.
        for bad, status, code in (
            ({**correction, "year": YEAR + 1}, 409, "archive_open"),  # the open year: its records are the archive
            ({**correction, "section": "mood"}, 400, None),
            ({**correction, "content": "   "}, 400, "empty_correction"),
            ({**correction, "year": 1999}, 400, None),
        ):
            refused = await client.post(f"{url}/corrections", json=bad, headers=office.staff.headers)
            assert refused.status_code == status, (bad, refused.text)
            assert code is None or refused.json()["code"] == code
        again = (await client.get(url, params={"year": YEAR}, headers=office.staff.headers)).json()
        assert len(again["corrections"]) == 1 and again["content"] == mine[2]

        # By hand: nothing more to close; the year under way cannot be closed, nor by a deputy.
        by_hand = await client.post(f"{api(office.code)}/close", json={"year": YEAR}, headers=office.staff.headers)
        assert by_hand.json() == {"year": YEAR, "closed": 0}
        running = await client.post(f"{api(office.code)}/close", json={"year": YEAR + 1}, headers=office.staff.headers)
        assert (running.status_code, running.json()["code"]) == (400, "year_not_over")
        deputy = await client.post(f"{api(office.code)}/close", json={"year": YEAR}, headers=office.deputy.headers)
        assert deputy.status_code == 403

        # The correction form on the archive page, for staff only.
        html = {"Accept": "text/html"}
        page = await client.get(
            f"/t/{office.code}/duty/archives/{office.person}",
            params={"year": YEAR},
            headers={**html, **office.staff.headers},
        )
        assert "添加更正记录" in page.text and correction["content"] in page.text and "已归档" in page.text
