"""The office boundary at run time: inside a request (or a job for an office), a session for any
other office is refused, and so is any statement, a COPY included, that names another office's schema."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from renda.core.db import OfficeBoundaryError, copy_records, job_office, unit_of_work
from renda.modules.deputies.models import Congress
from renda.tenants.scoping import enter_office, load_tenant, office_job, tenant_session
from renda.workers.broker import actor
from tests.conftest import running_worker

CONGRESSES = Congress.__table__


async def test_a_request_reaches_its_own_office_only(database, hierarchy) -> None:
    a, b = await load_tenant(hierarchy["a"]), await load_tenant(hierarchy["b"])
    async with unit_of_work(database) as unit:
        with pytest.raises(OfficeBoundaryError):  # no office resolved yet: none at all
            async with tenant_session(a, actor="system:test"):
                pass
        await enter_office(a)
        async with tenant_session(a, actor="system:test") as session:
            assert (await session.execute(select(func.count()).select_from(CONGRESSES))).scalar_one() >= 0
        with pytest.raises(OfficeBoundaryError):
            async with tenant_session(b, actor="system:test"):
                pass
        with pytest.raises(OfficeBoundaryError):
            await enter_office(b)
        async with database.platform_session() as session:
            with pytest.raises(OfficeBoundaryError):
                await session.execute(text(f"select count(*) from {b.schema}.persons"))
        assert unit.office_code == a.code


async def test_the_bulk_copy_passes_the_same_guard(database, hierarchy) -> None:
    a, b = await load_tenant(hierarchy["a"]), await load_tenant(hierarchy["b"])
    async with unit_of_work(database):
        await enter_office(a)
        async with tenant_session(a, actor="system:test") as session:
            with pytest.raises(OfficeBoundaryError):
                await copy_records(session, f"{b.schema}.congresses", ["id"], [])


async def test_a_job_for_an_office_reaches_that_office_only(database, hierarchy) -> None:
    a, b = await load_tenant(hierarchy["a"]), await load_tenant(hierarchy["b"])
    with office_job(a.code):
        async with tenant_session(a, actor="system:test") as session:
            await session.execute(select(func.count()).select_from(CONGRESSES))
            with pytest.raises(OfficeBoundaryError):
                await session.execute(text(f"select 1 from {b.schema}.congresses limit 1"))
        with pytest.raises(OfficeBoundaryError):
            async with tenant_session(b, actor="system:test"):
                pass
    async with tenant_session(b, actor="system:test") as session:  # platform work: any office, one at a time
        await session.execute(select(func.count()).select_from(CONGRESSES))


def test_an_actor_naming_an_office_runs_as_a_job_for_it(hierarchy) -> None:
    seen: list[str | None] = []

    @actor(queue_name="boundary_test")
    async def office_work(tenant_code: str, note: str) -> None:
        seen.append(job_office.get())

    @actor(queue_name="boundary_test")
    async def platform_work(note: str) -> None:
        seen.append(job_office.get())

    with running_worker("stub") as broker:
        office_work.send(hierarchy["a"], "x")
        broker.join("boundary_test")
        platform_work.send("y")
        broker.join("boundary_test")
    assert seen == [hierarchy["a"], None]
