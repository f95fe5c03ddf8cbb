"""A real `renda worker` process for the crash and reconnect tests, and exports as its real jobs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from renda.core.auth import Principal
from renda.modules.audit.models import AuditLog
from renda.modules.exports.models import Export
from renda.tenants.scoping import TenantAccess, load_tenant, tenant_session


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_lines(self) -> list[dict[str, object]]:
        lines = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def start_worker(database_url: str, broker_url: str, log_path: Path, threads: int = 4) -> WorkerProcess:
    env = {
        **os.environ,
        "RENDA_DATABASE_URL": database_url,
        "RENDA_BROKER_URL": broker_url,
        "RENDA_SECRET_KEY": "test-secret",
        "RENDA_LOG_LEVEL": "INFO",
        # A killed worker's unacknowledged Redis messages go back to their queues within seconds.
        "RENDA_BROKER_HEARTBEAT_SECONDS": "2",
        "RENDA_BROKER_MAINTENANCE_CHANCE": "1000000",
    }
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "renda.cli", "worker", "--threads", str(threads)],
        env=env,
        stdout=log,
        stderr=log,
    )
    log.close()
    return WorkerProcess(process, log_path)


async def request_exports(code: str, count: int) -> list[uuid.UUID]:
    """Exports requested as a user would (the service writes the outbox message in its transaction)."""
    from renda.modules.exports.service import request_export

    tenant = await load_tenant(code)
    principal = Principal(uuid.uuid4(), "崩溃测试", False)
    access = TenantAccess(tenant, principal, frozenset({"office_admin"}))
    ids = []
    async with tenant_session(tenant, actor=principal.actor) as session:
        for _ in range(count):
            ids.append((await request_export(session, access, "audit_log", {})).id)
        await session.commit()
    return ids


async def export_effects(code: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, int]]:
    """Per export: its status and how many times it was written (audit rows of its updates)."""
    async with tenant_session(await load_tenant(code), actor="test") as session:
        statuses = dict((await session.execute(select(Export.id, Export.status).where(Export.id.in_(ids)))).all())
        updates = dict(
            (
                await session.execute(
                    select(AuditLog.entity_id, func.count())
                    .where(AuditLog.entity == "exports", AuditLog.action == "update")
                    .where(AuditLog.entity_id.in_([str(i) for i in ids]))
                    .group_by(AuditLog.entity_id)
                )
            ).all()
        )
    return {i: (statuses[i], updates.get(str(i), 0)) for i in ids}


async def wait_until(predicate, seconds: float = 60.0, what: str = "condition") -> None:
    for _ in range(int(seconds / 0.2)):
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not met within {seconds} s")
