"""What the staff workbench costs: one statement per card on the request's one connection, however much
work waits (no statement per item), counted as the SQL the app sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.modules.workbench.support import Office, busy_office, county

pytestmark = pytest.mark.date_sensitive

# The page's statements with the workbench: the caller with the office and roles, the shell (memberships,
# unread notices), the recent audit entries (a page and its count) and the dead jobs, then one per card:
# opinions, suggestions, contacts, evidence, groups and stations, exports, the offices beneath (the
# overdue card is made of the first two).
STAFF_HOME_STATEMENTS = 13


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement: str, *args: object) -> None:
        seen.append(statement.strip().splitlines()[0][:120])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def staff_home(app, office: Office) -> list[str]:
    # No lifespan: the outbox relay and the in-process worker would add their statements to the count.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        await client.get(f"/t/{office.code}/", headers=office.staff.headers)  # warm: caches, prepared statements
        with statements() as seen:
            page = await client.get(f"/t/{office.code}/", headers=office.staff.headers)
    assert page.status_code == 200
    return seen


async def test_the_staff_workbench_costs_one_statement_per_card_whatever_waits(app, database) -> None:
    quiet = await busy_office(database, await county(database, "430105", "岳麓区"), "岳麓区")
    busy = await busy_office(database, await county(database, "430111", "望城区"), "望城区")
    for _ in range(3):  # three times the work in every module
        await busy_office(database, busy.code, "望城区")
    few, many = await staff_home(app, quiet), await staff_home(app, busy)
    assert len(many) == len(few), (few, many)
    assert len(few) <= STAFF_HOME_STATEMENTS, few
