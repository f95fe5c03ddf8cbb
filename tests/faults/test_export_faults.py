"""An export or a batch of archives whose job runs out of time or of disk: the export ends failed with
a Chinese reason its page and the API show, no partial file is left (neither in the worker's scratch
space nor in the export's row), and the job is not tried again.

Out of disk for real: the jobs run in a process of their own whose files may not grow past a few
kilobytes (`export_job.py`, RLIMIT_FSIZE), so their writes fail with EFBIG as on a full disk. Out of
time for real: the build waits on a table another transaction holds locked, past a time limit of
two seconds set for the test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select

from renda.modules.duty.archive_batches import BATCH_KIND
from renda.modules.exports import tasks
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn, ensure_tenant, make_caller, running_worker
from tests.faults.private_postgres import wait_until
from tests.modules.organisation.support import add_persons, fresh_term

JOB = Path(__file__).with_name("export_job.py")
ROOT = Path(__file__).resolve().parents[2]
ACTOR = "system:test"
DISK_FULL = "磁盘空间不足,导出未完成,请联系系统管理员"
TIMED_OUT = "导出超时(超过 2 秒),请缩小导出范围后重试"


@pytest.fixture(scope="module")
async def office(database) -> str:
    """An office of these tests alone (its audit log is filled, its exports fail)."""
    await ensure_tenant(database, "640100", "银川市人大常委会", "city", None)
    await ensure_tenant(database, "640104", "银川市兴庆区人大常委会", "county", "640100")
    return "640104"


async def pending_export(code: str, kind: str, params: dict[str, Any]) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        export = Export(kind=kind, params=params, requested_by=f"{ACTOR}:故障测试")
        session.add(export)
        await session.commit()
        return export.id


async def export_row(code: str, export_id: uuid.UUID) -> dict[str, Any]:
    from sqlalchemy.orm import undefer

    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(Export).where(Export.id == export_id).options(undefer(Export.content))
        export = (await session.execute(query)).scalar_one()
        return {
            "status": export.status,
            "error": export.error,
            "content": export.content,
            "finished": export.finished_at is not None,
        }


async def fill_audit_log(database_url: str, code: str, rows: int) -> None:
    """Entries enough for an export bigger than the file size limit (written past the app: test data)."""
    connection = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    try:
        await connection.execute(
            f"insert into t_{code}.audit_log (id, at, actor, tenant_code, action, entity, entity_id, changes)"
            " select gen_random_uuid(), now(), 'system:test:故障测试', $1, 'update', 'exports', n::text,"
            " jsonb_build_object('说明', repeat('导出的内容', 10)) from generate_series(1, $2) n",
            code,
            rows,
        )
    finally:
        await connection.close()


def run_jobs(database_url: str, code: str, export_ids: list[uuid.UUID], max_bytes: int, scratch: Path) -> list[dict]:
    """The exports' jobs in a process of their own (TMPDIR: `scratch`); its log lines."""
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, str(JOB), database_url, code, str(max_bytes), *map(str, export_ids)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=180,
    )
    log = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


async def test_exports_that_fill_their_disk_fail_saying_so_and_leave_nothing(
    database, database_url, office, client, tmp_path
) -> None:
    await fill_audit_log(database_url, office, 3000)  # one Excel sheet of many rows
    sheet = await pending_export(office, "audit_log", {})
    [person] = await add_persons(office, "故障测试代表", level="county", term_id=await fresh_term(office))
    params = {"year": 2026, "person_id": str(person), "office": "银川市兴庆区人大常委会"}
    archives = await pending_export(office, BATCH_KIND, params)  # a year's archives: a PDF a deputy, in a zip
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    lines = run_jobs(database_url, office, [sheet, archives], 16 * 1024, scratch)

    assert list(scratch.iterdir()) == []  # nothing of either file was left behind
    jobs = [e for e in lines if e["msg"].startswith("job ")]
    assert sorted(e["msg"] for e in jobs) == ["job done"] * 2 + ["job started"] * 2  # each once: not tried again
    assert all(e["retries"] == 0 for e in jobs)
    failures = {e["export_id"]: e for e in lines if e["msg"] == "export failed"}
    assert set(failures) == {str(sheet), str(archives)}
    admin = await make_caller(database, "故障测试管理员", {office: ["office_admin"]})
    for export_id in (sheet, archives):
        assert await export_row(office, export_id) == {
            "status": "failed",
            "error": DISK_FULL,
            "content": None,
            "finished": True,
        }
        failed = failures[str(export_id)]
        assert failed["level"] == "warning" and failed["reason"] == DISK_FULL
        assert "File too large" in failed["error"] and "exc" not in failed
        # Said where its requester looks: the export in the API.
        shown = await client.get(f"/api/v1/t/{office}/exports/{export_id}", headers=admin.headers)
        assert (shown.json()["status"], shown.json()["error"]) == ("failed", DISK_FULL)
    # and the batch's own page
    page = await client.get(
        f"/t/{office}/duty/archives/batches/{archives}", headers={"Accept": "text/html", **admin.headers}
    )
    assert page.status_code == 200 and f"生成失败:{DISK_FULL}" in page.text


async def test_an_export_out_of_time_fails_saying_so_and_leaves_nothing(
    database, database_url, office, tmp_path, monkeypatch, caplog
) -> None:
    caplog.set_level(logging.INFO)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the process's scratch space, where builds write
    export_id = await pending_export(office, "audit_log", {})
    # The build reads the audit log: held locked by another transaction, it waits there past its limit.
    locker = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
    await locker.execute(f"begin; lock table t_{office}.audit_log in access exclusive mode")
    tasks.set_time_limit(2)
    try:
        with running_worker("stub") as broker:
            message = tasks.build_export.send(office, str(export_id))

            async def reported() -> list[logging.LogRecord]:
                return [r for r in caplog.records if r.getMessage() == "export failed"]

            [failed] = await wait_until(reported, what="the build given up")
            assert failed.levelname == "WARNING" and failed.reason == TIMED_OUT  # type: ignore[attr-defined]
            assert not failed.exc_info
            await locker.execute("rollback")  # the failure is recorded with an audit entry: let it in

            async def recorded() -> bool:
                return (await export_row(office, export_id))["status"] != "pending"

            await wait_until(recorded, what="the failure recorded")
            await asyncio.to_thread(broker.join, tasks.build_export.queue_name)
    finally:
        tasks.set_time_limit(tasks.TIME_LIMIT_SECONDS)
        await locker.close()

    assert await export_row(office, export_id) == {
        "status": "failed",
        "error": TIMED_OUT,
        "content": None,
        "finished": True,
    }
    assert list(scratch.iterdir()) == []  # the sheet half-written when time ran out is gone
    ours = [r for r in caplog.records if getattr(r, "message_id", None) == message.message_id]
    assert [r.getMessage() for r in ours] == ["job started", "job done"]  # once, not tried again
