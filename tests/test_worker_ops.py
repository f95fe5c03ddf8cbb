"""Operating the workers: every actor has bounded limits; a `renda worker` killed mid-job (SIGKILL)
loses nothing and does nothing twice; a worker survives its broker connections being dropped; worker
and scheduler log JSON and stop cleanly on SIGTERM. Real RabbitMQ and Redis (the in-process broker
dies with its process, so it has no crash to survive)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import pytest

from renda.workers.broker import DEFAULT_ACTOR_OPTIONS, load_actor_modules, registered_actors, use_broker
from tests.conftest import _asyncpg_dsn, broker_params, make_broker
from tests.support.worker_process import export_effects, request_exports, start_worker, wait_until

REAL_BROKERS = [kind for kind in broker_params() if kind != "stub"]
BROKER_URL_ENV = {"rabbitmq": "RENDA_TEST_RABBITMQ_URL", "redis": "RENDA_TEST_REDIS_URL"}


def test_every_actor_has_bounded_limits() -> None:
    load_actor_modules()
    actors = registered_actors()
    assert {"build_export", "fan_out", "purge_outbox"} <= set(actors)
    for name, declared in actors.items():
        options = declared.options
        assert 0 <= options.get("max_retries", -1) <= 20, f"{name}: max_retries"
        assert 0 < options.get("time_limit", 0) <= 2 * 3_600_000, f"{name}: time_limit"
        assert 0 < options.get("max_age", 0) <= 7 * 24 * 3_600_000, f"{name}: max_age"
        assert 0 < options.get("max_backoff", 0) <= 3_600_000, f"{name}: max_backoff"
    assert DEFAULT_ACTOR_OPTIONS["max_retries"] < 20  # dramatiq's own default is 20 retries over a month


@pytest.fixture(params=REAL_BROKERS)
def broker_url(request) -> str:
    broker = use_broker(make_broker(request.param))  # declares every queue, so flush_all empties them all
    broker.flush_all()
    broker.close()
    return os.environ[BROKER_URL_ENV[request.param]]


async def blocked_by(connection: asyncpg.Connection) -> int:
    """How many other sessions wait for a lock `connection` holds."""
    await connection.execute("select pg_stat_clear_snapshot()")  # it holds a transaction open: see now, not then
    return await connection.fetchval(
        "select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))", connection.get_server_pid()
    )


async def test_worker_killed_mid_job_loses_and_repeats_nothing(
    broker_url, database, database_url, hierarchy, tmp_path: Path
) -> None:
    code = hierarchy["a"]
    ids = await request_exports(code, 6)
    held = ids[:2]
    schema = f"t_{code}"
    # Holding two exports' rows makes the worker stop inside those jobs: claimed, built, writing, not committed.
    locker = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    lock = locker.transaction()
    await lock.start()
    await locker.execute(f"select 1 from {schema}.exports where id = any($1::uuid[]) for update", held)
    first = start_worker(database_url, broker_url, tmp_path / "first.log")
    try:

        async def others_done_and_held_in_progress() -> bool:
            effects = await export_effects(code, ids)
            return all(effects[i][0] == "done" for i in ids[2:]) and await blocked_by(locker) == len(held)

        await wait_until(others_done_and_held_in_progress, what="worker busy with the held exports")
        first.kill()
    finally:
        if first.process.poll() is None:
            first.kill()
        await lock.rollback()
        await locker.close()
    assert first.process.returncode == -signal.SIGKILL
    assert {status for status, _ in (await export_effects(code, held)).values()} == {"pending"}

    second = start_worker(database_url, broker_url, tmp_path / "second.log")
    try:

        async def all_done() -> bool:
            return all(status == "done" for status, _ in (await export_effects(code, ids)).values())

        await wait_until(all_done, seconds=90, what="every export built after the restart")
        await asyncio.sleep(1.0)  # give a duplicate delivery every chance to do harm
        effects = await export_effects(code, ids)
        assert effects == {i: ("done", 1) for i in ids}  # none lost, none built twice
        assert second.terminate() == 0
    finally:
        if second.process.poll() is None:
            second.kill()

    # Structured logs: the start line names the queues; each job's start and end name actor, message and office.
    entries = second.log_lines()
    started = next(e for e in entries if e["msg"] == "worker started")
    assert {"exports", "scheduler", "maintenance"} <= set(started["queues"])  # type: ignore[arg-type]
    done = [e for e in entries if e["msg"] == "job done" and e["actor"] == "build_export"]
    assert len(done) >= len(held) and all(e["office"] == code and e["message_id"] and "duration_ms" in e for e in done)
    assert any(e["msg"] == "job started" and e["actor"] == "build_export" for e in entries)
    assert entries[-1]["msg"] == "worker stopped"


def drop_broker_connections(broker_url: str) -> int:
    """Close every connection of the test's own vhost / Redis database (not other users')."""
    parsed = urlparse(broker_url)
    if parsed.scheme.startswith("amqp"):
        vhost = parsed.path[1:] or "/"
        subprocess.run(["rabbitmqctl", "close_all_connections", "-p", vhost, "test"], check=True, capture_output=True)
        return -1
    import redis

    client = redis.Redis.from_url(broker_url)
    own = client.client_id()
    db = client.connection_pool.connection_kwargs.get("db", 0)
    killed = 0
    for entry in client.client_list():
        if int(entry["db"]) == db and int(entry["id"]) != own and entry.get("flags") == "N":
            client.client_kill_filter(_id=entry["id"])
            killed += 1
    client.close()
    return killed


async def test_worker_survives_dropped_broker_connections(
    broker_url, database, database_url, hierarchy, tmp_path: Path
) -> None:
    code = hierarchy["a"]
    worker = start_worker(database_url, broker_url, tmp_path / "worker.log")
    try:
        [before] = await request_exports(code, 1)

        async def built(export_id) -> bool:
            return (await export_effects(code, [export_id]))[export_id][0] == "done"

        await wait_until(lambda: built(before), what="first export built")
        killed = await asyncio.to_thread(drop_broker_connections, broker_url)
        assert killed != 0
        [after] = await request_exports(code, 1)  # its message is sent by the same worker's relay
        await wait_until(lambda: built(after), seconds=90, what="export built after the connections dropped")
        assert worker.process.poll() is None  # the same process, reconnected
        assert worker.terminate() == 0
    finally:
        if worker.process.poll() is None:
            worker.kill()


async def test_scheduler_logs_and_stops_on_sigterm(database, database_url, tmp_path: Path) -> None:
    log_path = tmp_path / "scheduler.log"
    env = {**os.environ, "RENDA_DATABASE_URL": database_url, "RENDA_SECRET_KEY": "test-secret"}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "renda.cli", "scheduler", env=env, stdout=log, stderr=log
        )
    try:
        for _ in range(300):
            if "scheduler started" in log_path.read_text() or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    import json

    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    started = next(e for e in entries if e["msg"] == "scheduler started")
    assert "maintenance.purge_outbox" in started["jobs"]  # type: ignore[operator]
    assert entries[-1]["msg"] == "scheduler stopped"
