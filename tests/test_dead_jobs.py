"""Dead jobs: a message that failed its last retry is recorded in `platform.dead_jobs` (whatever the
broker), listed and sent again by `renda jobs dead|retry` and the platform API, and counted on
`/ready` and on the office's home page for its staff."""

from __future__ import annotations

import asyncio
import json
import uuid

import dramatiq
import pytest

from renda.core import db as core_db
from renda.core.db import Database
from renda.workers.broker import actor
from tests.conftest import broker_params, make_caller, raw_fetchval, running_worker
from tests.test_cli import renda


class Broken(Exception):
    pass


@actor(queue_name="default", max_retries=0)
def always_fails(export_id: str) -> None:
    raise Broken(f"导出 {export_id} 无法完成")


def failing_message(code: str | None) -> dramatiq.Message:
    """As the outbox relay sends it: the office in the options."""
    return dramatiq.Message(
        queue_name=always_fails.queue_name,
        actor_name=always_fails.actor_name,
        args=(str(uuid.uuid4()),),
        kwargs={},
        options={"tenant_code": code} if code else {},
        message_id=str(uuid.uuid4()),
    )


async def wait_for_value(query, *args, database_url: str, seconds: float = 30.0) -> object:
    for _ in range(int(seconds / 0.1)):
        value = await raw_fetchval(database_url, query, *args)
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing for {query} {args}")


async def insert_dead(database_url: str, code: str | None, actor_name: str = "build_export") -> int:
    return await raw_fetchval(  # type: ignore[return-value]
        database_url,
        "insert into platform.dead_jobs (message_id, queue_name, actor_name, args, kwargs, tenant_code, error,"
        " failed_at) values ($1, 'exports', $2, $3::jsonb, '{}', $4,"
        " E'Traceback (most recent call last):\\n  File \"x.py\"\\nValueError: 工作簿写入失败', now()) returning id",
        str(uuid.uuid4()),
        actor_name,
        json.dumps([code, str(uuid.uuid4())]),
        code,
    )


@pytest.mark.parametrize("kind", broker_params())
async def test_last_failure_is_recorded(kind, database, database_url, hierarchy) -> None:
    message = failing_message(hierarchy["a"])
    with running_worker(kind) as broker:
        broker.enqueue(message)
        row_id = await wait_for_value(
            "select id from platform.dead_jobs where message_id = $1", message.message_id, database_url=database_url
        )
    row = json.loads(
        await raw_fetchval(database_url, "select row_to_json(d)::text from platform.dead_jobs d where id = $1", row_id)  # type: ignore[arg-type]
    )
    assert row["actor_name"] == "always_fails" and row["queue_name"] == "default"
    assert row["args"] == list(message.args) and row["kwargs"] == {}
    assert row["tenant_code"] == hierarchy["a"] and row["retried_at"] is None
    assert row["error"].splitlines()[-1].endswith(f"Broken: 导出 {message.args[0]} 无法完成")
    assert "Traceback" in row["error"] or "File" in row["error"]


async def test_unreachable_database_does_not_stop_the_worker(database, database_url, monkeypatch, caplog) -> None:
    lost, kept = failing_message(None), failing_message(None)
    with running_worker("stub") as broker:
        monkeypatch.setattr(core_db, "_database", Database("postgresql+asyncpg://postgres@127.0.0.1:9/x"))
        broker.enqueue(lost)
        broker.join(always_fails.queue_name, fail_fast=False)
        assert [m.message_id for m in broker.dead_letters] == [lost.message_id]  # the broker still has it
        for _ in range(100):  # the recorder runs right after the broker's own dead-lettering
            if "dead job not recorded" in caplog.text:
                break
            await asyncio.sleep(0.1)
        assert "dead job not recorded" in caplog.text
        monkeypatch.setattr(core_db, "_database", database)
        broker.enqueue(kept)  # the same worker goes on, and records once the database is back
        await wait_for_value(
            "select id from platform.dead_jobs where message_id = $1", kept.message_id, database_url=database_url
        )
    assert (
        await raw_fetchval(
            database_url, "select count(*) from platform.dead_jobs where message_id = $1", lost.message_id
        )
        == 0
    )


async def test_jobs_commands(database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    first, second, other = (
        await insert_dead(database_url, a),
        await insert_dead(database_url, a),
        await insert_dead(database_url, b),
    )

    status, out, err = await renda(database_url, "jobs", "dead", "--office", a)
    assert status == 0, err
    listed = [line.split("\t") for line in out.splitlines()]
    assert {int(line[0]) for line in listed} >= {first, second} and other not in {int(line[0]) for line in listed}
    assert all(line[2] == a for line in listed)
    seeded = [line for line in listed if int(line[0]) in (first, second)]
    assert all(line[3] == "build_export" and line[-1] == "ValueError: 工作簿写入失败" for line in seeded)

    status, out, err = await renda(database_url, "jobs", "dead", "--json")
    assert status == 0, err
    rows = {row["id"]: row for row in map(json.loads, out.splitlines())}
    assert rows[other]["office"] == b and rows[other]["actor"] == "build_export"

    status, out, err = await renda(database_url, "jobs", "retry", str(first), "987654321")
    assert status != 0 and "987654321" in err
    assert await raw_fetchval(database_url, "select retried_at from platform.dead_jobs where id = $1", first) is None

    status, out, err = await renda(database_url, "jobs", "retry", str(first))
    assert status == 0, err
    assert out.startswith(f"{first}\tretried\tbuild_export\t{a}\tnew message ")
    new_id = out.split()[-1]
    original = await raw_fetchval(database_url, "select message_id from platform.dead_jobs where id = $1", first)
    assert new_id != original
    sent = json.loads(
        await raw_fetchval(  # type: ignore[arg-type]
            database_url, "select row_to_json(o)::text from platform.outbox o where message_id = $1", new_id
        )
    )
    args = await raw_fetchval(database_url, "select args::text from platform.dead_jobs where id = $1", first)
    assert sent["actor_name"] == "build_export" and sent["tenant_code"] == a and sent["args"] == json.loads(args)  # type: ignore[arg-type]
    assert await raw_fetchval(
        database_url, "select retried_at is not null from platform.dead_jobs where id = $1", first
    )

    status, out, _ = await renda(database_url, "jobs", "retry", str(first))
    assert status == 0 and "already retried" in out
    assert await raw_fetchval(database_url, "select count(*) from platform.outbox where args = $1::jsonb", args) == 1

    status, out, err = await renda(database_url, "jobs", "retry", "--all", "--office", a)
    assert status == 0, err
    assert f"{second}\tretried" in out and str(other) not in out.split("\t")[0]
    assert await raw_fetchval(database_url, "select retried_at from platform.dead_jobs where id = $1", other) is None

    status, _, err = await renda(database_url, "jobs", "retry")
    assert status != 0 and "--all" in err


async def test_platform_api_lists_and_retries(client, database, database_url, hierarchy, platform_admin) -> None:
    code = hierarchy["a_township"]
    job_id = await insert_dead(database_url, code, "refresh_office")
    staff = await make_caller(database, "城关镇工作人员", {code: ["office_admin"]})
    assert (await client.get("/api/v1/platform/jobs/dead", headers=staff.headers)).status_code == 403

    listed = await client.get(f"/api/v1/platform/jobs/dead?office={code}", headers=platform_admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == len(body["items"]) >= 1
    assert {item["id"] for item in body["items"]} >= {job_id} and {item["office"] for item in body["items"]} == {code}

    forbidden = await client.post("/api/v1/platform/jobs/dead/retry", json={"ids": [job_id]}, headers=staff.headers)
    assert forbidden.status_code == 403
    unknown = await client.post(
        "/api/v1/platform/jobs/dead/retry", json={"ids": [job_id, 987654321]}, headers=platform_admin.headers
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "dead_job_not_found"
    empty = await client.post("/api/v1/platform/jobs/dead/retry", json={}, headers=platform_admin.headers)
    assert empty.status_code == 400

    retried = await client.post(
        "/api/v1/platform/jobs/dead/retry", json={"ids": [job_id]}, headers=platform_admin.headers
    )
    assert retried.status_code == 200, retried.text
    [result] = retried.json()
    assert result["id"] == job_id and result["result"] == "retried"
    assert (
        await raw_fetchval(
            database_url, "select tenant_code from platform.outbox where message_id = $1", result["new_message_id"]
        )
        == code
    )
    again = await client.get(f"/api/v1/platform/jobs/dead?office={code}", headers=platform_admin.headers)
    assert job_id not in {item["id"] for item in again.json()["items"]}


async def test_ready_and_office_home_show_the_count(client, database, database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    await insert_dead(database_url, a)
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    total = await raw_fetchval(database_url, "select count(*) from platform.dead_jobs where retried_at is null")
    assert ready.json()["details"] == {"dead_jobs": total}

    in_a = await raw_fetchval(
        database_url, "select count(*) from platform.dead_jobs where retried_at is null and tenant_code = $1", a
    )
    staff = await make_caller(database, "石泉县工作人员丙", {a: ["staff"], b: ["staff"]})
    page = await client.get(f"/t/{a}/", headers=staff.headers)
    assert page.status_code == 200
    assert 'id="failed-jobs"' in page.text and f"<strong>{in_a}</strong>" in page.text

    deputy = await make_caller(database, "石泉县代表丁", {a: ["deputy"]})
    page = await client.get(f"/t/{a}/", headers=deputy.headers)
    assert page.status_code == 200 and 'id="failed-jobs"' not in page.text

    await raw_fetchval(database_url, "update platform.dead_jobs set retried_at = now() where tenant_code = $1", b)
    page = await client.get(f"/t/{b}/", headers=staff.headers)
    assert page.status_code == 200 and 'id="failed-jobs"' not in page.text
