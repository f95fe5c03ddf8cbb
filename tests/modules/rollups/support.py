"""A city of two counties with townships, each office keeping its own register, and waiting for the
workers (directory publishing, then the debounced rollup refresh) to catch up."""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text

from renda.modules.deputies.idcard import with_check_digit
from renda.modules.rollups.models import RollupFigure, RollupPending
from renda.workers.models import OutboxMessage
from tests.conftest import Caller, ensure_tenant, make_caller
from tests.modules.deputies.helpers import add_mandate, add_person, api

CITY = "610500"
COUNTIES = {"610522": ["610522100", "610522101"], "610523": ["610523100"]}
OFFICES = [
    (CITY, "渭南市人大常委会", "city", None),
    ("610522", "潼关县人大常委会", "county", CITY),
    ("610522100", "潼关县城关街道人大工委", "township", "610522"),
    ("610522101", "潼关县秦东镇人大主席团", "township", "610522"),
    ("610523", "大荔县人大常委会", "county", CITY),
    ("610523100", "大荔县城关镇人大主席团", "township", "610523"),
]
LEVEL_OF = {"city": "city", "county": "county", "township": "township"}
TERM = {"number": 19, "starts_on": "2026-10-01", "ends_on": "2031-09-30"}
TODAY_TERM_START = date(2026, 10, 1)


@dataclass
class Office:
    code: str
    level: str
    parent: str | None
    term_id: str = ""
    beneath: list[str] = field(default_factory=list)  # offices a mandate here may be organised in
    mandates: list[str] = field(default_factory=list)  # live ones


_built: list[tuple[Caller, dict[str, Office]]] = []


async def build_city(client: Any, database: Any) -> tuple[Caller, dict[str, Office]]:
    """Made once per test run; later tests go on changing the same registers."""
    if _built:
        return _built[0]
    for office in OFFICES:
        await ensure_tenant(database, *office)
    caller = await make_caller(database, "渭南市统计员", {code: ["staff"] for code, *_ in OFFICES})
    offices = {code: Office(code, level, parent) for code, _, level, parent in OFFICES}
    for office in offices.values():
        office.beneath = [o.code for o in offices.values() if o.code == office.code or _under(offices, o, office)]
        body = {"level": LEVEL_OF[office.level], "division_code": office.code, "name": f"{office.code}人民代表大会"}
        congress = await client.post(f"{api(office.code)}/congresses", json=body, headers=caller.headers)
        if congress.status_code == 201:
            congress_id = congress.json()["id"]
            term = await client.post(
                f"{api(office.code)}/congresses/{congress_id}/terms", json=TERM, headers=caller.headers
            )
            assert term.status_code == 201, term.text
            office.term_id = term.json()["id"]
        else:
            raise AssertionError(congress.text)
    _built.append((caller, offices))
    return caller, offices


def _under(offices: dict[str, Office], office: Office, ancestor: Office) -> bool:
    parent = office.parent
    while parent:
        if parent == ancestor.code:
            return True
        parent = offices[parent].parent
    return False


_serial = itertools.count(1)


def unique_id_number(male: bool, born: date) -> str:
    """Never the same twice in a run (the register refuses a second person with one ID number)."""
    sequence = next(_serial) % 500 * 2 + (1 if male else 0)
    return with_check_digit(f"610522{born:%Y%m%d}{sequence:03d}")


async def add_deputy(client: Any, caller: Caller, office: Office, rng: random.Random, **fields: Any) -> str:
    born = date(rng.randrange(1960, 1995), rng.randrange(1, 13), rng.randrange(1, 29))
    gender = rng.choice(["male", "female"])
    person = await add_person(
        client,
        caller,
        office.code,
        f"代表{rng.randrange(10**6)}",
        gender=gender,
        ethnicity=rng.choice(["汉族", "汉族", "回族"]),
        party=rng.choice(["中共党员", "群众", "无党派人士"]),
        birth_date=str(born),
        id_number=unique_id_number(gender == "male", born),
    )
    organised = rng.choice(office.beneath)
    fields.setdefault("organised_in", None if organised == office.code else organised)
    mandate = await add_mandate(client, caller, office.code, person["id"], office.term_id, **fields)
    office.mandates.append(mandate["id"])
    return mandate["id"]


async def random_change(client: Any, caller: Caller, offices: dict[str, Office], rng: random.Random) -> str:
    """One change a register office makes in its daily work; returns what it did."""
    office = rng.choice(list(offices.values()))
    kind = rng.choice(["add", "add", "end", "move", "suspend"]) if office.mandates else "add"
    if kind == "add":
        await add_deputy(client, caller, office, rng)
        return f"add@{office.code}"
    mandate_id = rng.choice(office.mandates)
    url = f"{api(office.code)}/mandates/{mandate_id}"
    if kind == "end":
        body = {"ended_on": "2026-11-10", "reason": rng.choice(["resigned", "moved_out"])}
        if body["reason"] == "resigned":
            body["resignation_kind"] = "voluntary"
        response = await client.post(f"{url}/end", json=body, headers=caller.headers)
        office.mandates.remove(mandate_id)
    elif kind == "move":
        target = rng.choice(office.beneath)
        body = {"organised_in": None if target == office.code else target}
        response = await client.patch(url, json=body, headers=caller.headers)
    else:
        body = {"suspended_on": "2026-11-02", "reason": "custody"}
        response = await client.post(f"{url}/suspend", json=body, headers=caller.headers)
        if response.status_code == 409:  # already suspended
            return f"noop@{office.code}"
    assert response.status_code == 200, response.text
    return f"{kind}@{office.code}"


async def settled(database: Any, seconds: float = 120.0) -> None:
    """Wait until every outbox message is out and no office waits for a refresh, for five seconds
    on end: a refresh in flight keeps its office's pending row until it commits, and a publish in
    flight marks its offices within that time."""
    from renda.core.db import utcnow
    from renda.modules.rollups.service import resend_stale

    began, quiet = utcnow(), 0
    for turn in range(int(seconds / 0.5)):
        async with database.platform_session() as session:
            unsent = (await session.execute(select(func.count()).where(OutboxMessage.sent_at.is_(None)))).scalar_one()
            pending = (await session.execute(select(RollupPending.office_code, RollupPending.requested_at))).all()
        quiet = quiet + 1 if unsent == 0 and not pending else 0
        if quiet >= 10:
            return
        if pending and turn % 20 == 19:
            # An office marked in an earlier test whose message went with that test's broker (each
            # test's worker starts on an emptied one): sent again, as the maintenance job does.
            await resend_stale(timedelta(seconds=10))
        if turn == 120:
            # Still waiting after a minute on offices an earlier test marked: refreshed here, so that a
            # refresh that cannot run says why. Offices marked since this wait began are left to the workers.
            await _refresh_here([code for code, at in pending if at < began])
        await asyncio.sleep(0.5)
    raise AssertionError(
        f"workers did not settle: {unsent} unsent messages, offices pending: {[c for c, _ in pending]};"
        f" {await _sessions_in_transaction(database)}"
    )


async def _refresh_here(codes: list[str]) -> None:
    from renda.modules.rollups.service import refresh_office

    for code in codes:
        try:
            await asyncio.wait_for(refresh_office(code), 30)
        except Exception as error:
            raise AssertionError(f"office {code}'s refresh fails: {type(error).__name__}: {error}") from error


async def _sessions_in_transaction(database: Any) -> str:
    """The server's sessions in a transaction and the locks they wait for: one holding the rollups'
    lock would keep every refresh waiting."""
    async with database.platform_session() as session:
        rows = await session.execute(
            text(
                "SELECT a.pid, a.state, a.wait_event_type, left(a.query, 120), l.locktype, l.mode, l.granted"
                " FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory'"
                " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state <> 'idle'"
            )
        )
        return f"sessions: {[tuple(r) for r in rows]}"


async def snapshot(database: Any, codes: list[str]) -> dict[tuple[str, ...], int]:
    async with database.platform_session() as session:
        rows = await session.execute(
            select(
                RollupFigure.office_code,
                RollupFigure.metric,
                RollupFigure.period,
                RollupFigure.scope,
                RollupFigure.dimension,
                RollupFigure.member,
                RollupFigure.value,
            ).where(RollupFigure.office_code.in_(codes))
        )
        return {tuple(row[:6]): row[6] for row in rows.all()}
