"""Kill `renda worker` mid-job (SIGKILL) over and over; count the jobs lost and the jobs done twice.
Usage: .venv/bin/python bench/worker_crash.py [--kills 100] [--broker-url redis://…|amqp://…] [--database-url URL]
See bench/README.md for how each kill is made to land inside a job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from job_throughput import drop_database, prepare_database  # noqa: E402

from renda.core.db import configure_database  # noqa: E402
from renda.modules.audit.recorder import install_audit_recorder  # noqa: E402
from renda.workers.broker import create_broker, use_broker  # noqa: E402
from renda.workers.outbox import install_outbox_notify  # noqa: E402
from tenants import asyncpg_dsn, server_url  # noqa: E402
from tests.support.worker_process import export_effects, request_exports, start_worker, wait_until  # noqa: E402

OFFICE = "610922"
JOBS_PER_ROUND = 3  # one held mid-job, the others done around it


async def blocked_by(connection: asyncpg.Connection) -> int:
    await connection.execute("select pg_stat_clear_snapshot()")  # it holds a transaction open: see now, not then
    return await connection.fetchval(
        "select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))", connection.get_server_pid()
    )


async def run(url: str, broker_url: str, kills: int, logs: Path) -> dict[str, object]:
    install_audit_recorder()
    install_outbox_notify()
    configure_database(url)
    all_ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for round_no in range(kills):
        ids = await request_exports(OFFICE, JOBS_PER_ROUND)
        all_ids += ids
        locker = await asyncpg.connect(asyncpg_dsn(url))
        lock = locker.transaction()
        await lock.start()
        # The held export's worker thread stops inside the job: claimed and built, not committed.
        await locker.execute(f"select 1 from t_{OFFICE}.exports where id = $1 for update", ids[0])
        worker = start_worker(url, broker_url, logs / f"worker-{round_no}.log")
        try:

            async def in_the_held_job(locker: asyncpg.Connection = locker) -> bool:
                return await blocked_by(locker) >= 1

            try:
                await wait_until(in_the_held_job, seconds=120, what=f"round {round_no}: worker inside the held job")
            except AssertionError:
                print(worker.log_path.read_text()[-3000:], file=sys.stderr)
                raise
            worker.kill()
        finally:
            if worker.process.poll() is None:
                worker.kill()
            await lock.rollback()
            await locker.close()
        print(f"kill {round_no + 1}/{kills}", end="\r", file=sys.stderr, flush=True)
    kill_seconds = time.perf_counter() - started

    worker = start_worker(url, broker_url, logs / "final.log")
    drain_started = time.perf_counter()
    try:

        async def all_settled() -> bool:
            return all(status == "done" for status, _ in (await export_effects(OFFICE, all_ids)).values())

        try:
            await wait_until(all_settled, seconds=300, what="every export built")
        except AssertionError:
            pass  # counted as lost below
        drain_seconds = time.perf_counter() - drain_started
        await asyncio.sleep(2.0)  # late duplicates would show now
        effects = await export_effects(OFFICE, all_ids)
    finally:
        worker.terminate()
    return {
        "kills": kills,
        "jobs": len(all_ids),
        "lost": sum(1 for status, writes in effects.values() if status != "done" or writes == 0),
        "doubled": sum(1 for _, writes in effects.values() if writes > 1),
        "seconds_killing": round(kill_seconds, 1),
        "seconds_per_kill": round(kill_seconds / kills, 2),
        "seconds_final_drain": round(drain_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--broker-url", default=os.environ.get("RENDA_BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    broker = use_broker(create_broker(args.broker_url))  # declares the queues flush_all empties
    broker.flush_all()
    broker.close()
    server = server_url(args.database_url)
    name = f"renda_bench_{uuid.uuid4().hex[:10]}"
    url = asyncio.run(prepare_database(server, name))
    try:
        with tempfile.TemporaryDirectory(prefix="renda-crash-") as logs:
            result = asyncio.run(run(url, args.broker_url, args.kills, Path(logs)))
    finally:
        asyncio.run(drop_database(server, name))
    print(
        f"{result['kills']} kills mid-job, {result['jobs']} jobs: {result['lost']} lost, {result['doubled']} doubled;"
        f" {result['seconds_per_kill']} s per kill (worker start to kill),"
        f" final drain {result['seconds_final_drain']} s"
    )
    print(json.dumps({"broker": args.broker_url.split("://")[0], **result}))


if __name__ == "__main__":
    main()
