"""The operators' view of the platform: the outbox's lag, dead jobs and each office's schema
revision, through the API, the page and `renda ops status`."""

from __future__ import annotations

from datetime import timedelta

from renda.core.db import utcnow
from renda.tenants import operations
from renda.workers.models import DeadJob, OutboxMessage
from tests.conftest import ensure_tenant, make_caller, raw_fetchval
from tests.test_cli import renda

BEHIND = ("610929", "白河县人大常委会")  # an office of its own: the test moves its revision back


async def test_outbox_lag_and_dead_jobs_are_counted(database) -> None:
    # In a transaction rolled back at the end: the relay never sees these rows.
    async with database.platform_session() as session:
        now = utcnow()
        session.add_all(
            [
                OutboxMessage(
                    message_id="lag-1", queue_name="default", actor_name="a", created_at=now - timedelta(minutes=3)
                ),
                OutboxMessage(message_id="lag-2", queue_name="default", actor_name="a", created_at=now, attempts=2),
                OutboxMessage(
                    message_id="lag-3",
                    queue_name="default",
                    actor_name="a",
                    created_at=now,
                    not_before=now + timedelta(hours=1),
                ),
                *(
                    DeadJob(message_id=f"dead-{i}", queue_name="default", actor_name=actor, error="boom")
                    for i, actor in enumerate(["ops_test.send", "ops_test.send", "ops_test.other"])
                ),
            ]
        )
        await session.flush()
        lag = await operations.outbox_lag(session)
        dead = {d.actor: d.count for d in await operations.dead_job_counts(session)}
        await session.rollback()
    assert lag.waiting >= 3 and lag.due >= 2 and lag.retrying >= 1
    assert lag.lag_seconds >= 180
    assert dead["ops_test.send"] == 2 and dead["ops_test.other"] == 1


async def test_an_office_behind_the_head_shows_everywhere(
    database, database_url, client, platform_admin, hierarchy
) -> None:
    await ensure_tenant(database, *BEHIND, "county", "610900")
    head = operations.tenant_head()
    schema = f"t_{BEHIND[0]}"
    api = "/api/v1/platform/operations"

    found = (await client.get(api, headers=platform_admin.headers)).json()
    assert found["head"] == head
    assert {o["code"]: o["revision"] for o in found["offices"]}[BEHIND[0]] == head

    set_revision = f'UPDATE "{schema}".alembic_version SET version_num = $1'
    await raw_fetchval(database_url, set_revision, "t0013")
    try:
        found = (await client.get(api, headers=platform_admin.headers)).json()
        office = next(o for o in found["offices"] if o["code"] == BEHIND[0])
        assert office == {"code": BEHIND[0], "name": BEHIND[1], "status": "active", "revision": "t0013", "behind": True}
        assert found["offices_behind"] >= 1

        page = await client.get("/platform/operations", headers=platform_admin.headers)
        assert page.status_code == 200
        assert "未升级到最新版本" in page.text and BEHIND[1] in page.text

        status, out, err = await renda(database_url, "ops", "status")
        assert status == 1, err
        assert f"{BEHIND[0]}\t{BEHIND[1]}\tt0013" in out
    finally:
        await raw_fetchval(database_url, set_revision, head)
    status, out, err = await renda(database_url, "ops", "status", "--json")
    assert status == 0, err


async def test_only_platform_administrators_see_it(database, client, hierarchy) -> None:
    staff = await make_caller(database, "石泉县工作人员", {hierarchy["a"]: ["office_admin"]})
    assert (await client.get("/api/v1/platform/operations", headers=staff.headers)).status_code == 403
    assert (await client.get("/platform/operations", headers=staff.headers)).status_code == 403
    assert (await client.get("/api/v1/platform/operations")).status_code == 401
