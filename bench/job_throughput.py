"""Jobs per second through Redis: an empty actor against a per-recipient job, worker in its own process.
Usage: .venv/bin/python bench/job_throughput.py [--messages 10000] [--broker-url redis://…] [--database-url URL]
See bench/README.md for what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import dramatiq
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from renda.workers.broker import actor, create_broker, use_broker  # noqa: E402
from renda.workers.outbox import claim_message  # noqa: E402
from tenants import asyncpg_dsn, server_url, with_database  # noqa: E402

GOAL_JOBS_PER_SECOND = 1_000
OFFICES = [("610900", "安康市人大常委会", "city", None), ("610922", "石泉县人大常委会", "county", "610900")]
COUNTER = "renda-bench:done"
QUEUE = "bench"
BENCH_SECRET = "bench-secret"


# --- the actors (declared in both processes; only the worker process runs them) ------------------
_counter_client: redis.Redis | None = None


def count_done() -> None:
    """Both actors pay this one Redis INCR, so the parent can tell when all are done."""
    global _counter_client
    if _counter_client is None:
        _counter_client = redis.Redis.from_url(os.environ["RENDA_BENCH_BROKER_URL"])
    _counter_client.incr(COUNTER)


@actor(queue_name=QUEUE, max_retries=0)
def empty_job(n: int) -> None:
    count_done()


@actor(queue_name=QUEUE, max_retries=0)
async def per_recipient_job(tenant_code: str, recipient: int) -> None:
    """What every per-recipient job pays before its own work: the office's session, the
    exactly-once claim, the commit (as `build_export` and the per-office jobs do)."""
    from renda.tenants.scoping import load_tenant, tenant_session

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor="system:bench") as session:
        if await claim_message(session):
            await session.commit()
    count_done()


class CountingEmail:
    """The worker's email transport: the message is built and handed over, then counted."""

    async def send(self, message: Any) -> None:
        count_done()


async def notification_delivery_jobs(url: str, count: int) -> tuple[list[dramatiq.Message[Any]], float]:
    """One office notice to `count` users, through `notify` as a module calls it: their inbox items,
    deliveries and outbox rows. Returns the `deliver` messages (one per 100 recipients) and the seconds
    `notify` took for all of them (the fan-out itself)."""
    from sqlalchemy import select

    from renda.core.crypto import configure_secrets
    from renda.core.db import configure_database
    from renda.modules.accounts.models import User
    from renda.modules.notifications.service import notify
    from renda.tenants.scoping import load_tenant, tenant_session
    from renda.workers.models import OutboxMessage

    configure_secrets(BENCH_SECRET)
    database = configure_database(url)
    async with database.platform_session() as session:
        session.info["actor"] = "system:bench"
        users = [User(display_name=f"代表{i}", contact_email=f"deputy{i}@example.cn") for i in range(count)]
        session.add_all(users)
        await session.commit()
        user_ids = [u.id for u in users]
    started = time.perf_counter()
    async with tenant_session(await load_tenant(OFFICES[1][0]), actor="system:bench") as session:
        variables = {"office": "石泉县人大常委会", "subject": "代表培训", "content": "请准时参加。"}
        await notify(session, kind="office_notice", event_key="bench:notice", recipients=user_ids, variables=variables)
        await session.commit()
    fan_out = time.perf_counter() - started
    async with database.platform_session() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.actor_name == "deliver"))).scalars()
        found = [
            dramatiq.Message(
                queue_name=r.queue_name, actor_name=r.actor_name, args=tuple(r.args), kwargs={}, options={},
                message_id=r.message_id,
            )
            for r in rows
        ]  # fmt: skip
    await database.dispose()
    return found, fan_out


def messages_for(kind: str, count: int) -> list[dramatiq.Message[Any]]:
    if kind == "empty":
        return [empty_job.message(i) for i in range(count)]
    codes = [code for code, *_ in OFFICES]
    return [per_recipient_job.message(codes[i % len(codes)], i) for i in range(count)]


# --- the worker process --------------------------------------------------------------------------
def run_worker(threads: int) -> None:
    from renda.config import Settings
    from renda.core.crypto import configure_secrets
    from renda.core.db import configure_database
    from renda.modules.notifications.channels import configure_channels

    configure_secrets(BENCH_SECRET)
    configure_channels(Settings(environment="development", secret_key=BENCH_SECRET), email=CountingEmail())
    configure_database(os.environ["RENDA_BENCH_DATABASE_URL"])
    broker = use_broker(create_broker(os.environ["RENDA_BENCH_BROKER_URL"]))
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, queues={QUEUE, "notifications"}, worker_threads=threads)
    worker.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    worker.stop()
    broker.close()


# --- the measurement -----------------------------------------------------------------------------
def measure(kind: str, count: int, broker_url: str, database_url: str, threads: int) -> dict[str, float]:
    broker = use_broker(create_broker(broker_url))
    broker.flush_all()
    client = redis.Redis.from_url(broker_url)
    client.delete(COUNTER)
    fan_out = None
    if kind == "notification":
        batch, fan_out = asyncio.run(notification_delivery_jobs(database_url, count))
    else:
        batch = messages_for(kind, count)
    started = time.perf_counter()
    for message in batch:
        broker.enqueue(message)
    enqueue_seconds = time.perf_counter() - started
    env = {**os.environ, "RENDA_BENCH_BROKER_URL": broker_url, "RENDA_BENCH_DATABASE_URL": database_url}
    worker = subprocess.Popen(
        [sys.executable, __file__, "--worker", "--threads", str(threads)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == b"ready"
        while int(client.get(COUNTER) or 0) == 0:  # clock starts at the first finished job
            time.sleep(0.001)
        first = time.perf_counter()
        while (done := int(client.get(COUNTER) or 0)) < count:
            if worker.poll() is not None:
                raise SystemExit(f"worker exited after {done} jobs")
            time.sleep(0.005)
        seconds = time.perf_counter() - first
    finally:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(timeout=120)
        broker.close()
        client.close()
    return {
        "jobs": count,
        "broker_messages": len(batch),
        "seconds": round(seconds, 3),
        "jobs_per_second": round((count - 1) / seconds, 1),
        "enqueue_per_second": round(count / enqueue_seconds, 1),
        **({"notify_seconds": round(fan_out, 2)} if fan_out is not None else {}),
    }


async def prepare_database(server: str, name: str) -> str:
    from renda.core.db import configure_database
    from renda.modules.audit.recorder import install_audit_recorder
    from renda.tenants.divisions import Level
    from renda.tenants.migrations import upgrade_platform
    from renda.tenants.schemas import TenantCreate
    from renda.tenants.service import create_tenant

    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server, name)
    install_audit_recorder()
    database = configure_database(url)
    await upgrade_platform(database)
    for code, office, level, parent in OFFICES:
        await create_tenant(database, TenantCreate(code, office, Level(level), parent), actor="system:bench")
    await database.dispose()
    return url


async def drop_database(server: str, name: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8, help="worker threads in the worker process")
    parser.add_argument("--broker-url", default=os.environ.get("RENDA_BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.threads)
        return
    if not args.broker_url.startswith("redis://"):
        parser.error("--broker-url must be a redis:// URL")

    server = server_url(args.database_url)
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    url = asyncio.run(prepare_database(server, name))
    try:
        results = {"empty": measure("empty", args.messages, args.broker_url, url, args.threads)}
        results["per_recipient"] = measure("per_recipient", args.messages, args.broker_url, url, args.threads)
        results["notification"] = measure("notification", args.messages, args.broker_url, url, args.threads)
    finally:
        asyncio.run(drop_database(server, name))
    empty = results["empty"]["jobs_per_second"]
    print(f"{'job':<16}{'jobs':>8}{'messages':>10}{'seconds':>10}{'jobs/s':>10}{'ratio':>8}")
    for kind, figures in results.items():
        ratio = figures["jobs_per_second"] / empty
        print(
            f"{kind:<16}{figures['jobs']:>8}{figures['broker_messages']:>10}{figures['seconds']:>10.2f}"
            f"{figures['jobs_per_second']:>10.0f}{ratio:>8.2f}"
        )
    real = results.get("notification", results["per_recipient"])["jobs_per_second"]
    verdict = "meets" if real >= GOAL_JOBS_PER_SECOND else "misses"
    print(f"goal: at least {GOAL_JOBS_PER_SECOND} jobs/s for the real job: {verdict} ({real:.0f} jobs/s)")
    print(json.dumps({"messages": args.messages, "threads": args.threads, "results": results}))


if __name__ == "__main__":
    main()
