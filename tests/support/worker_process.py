"""A real `renda worker` process for the crash and reconnect tests, and exports as its real jobs."""

from __future__ import annotations

import asyncio
import contextlib
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


def worker_env(database_url: str, broker_url: str, *, production: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a `renda worker`. Unless `production`, a killed worker's unacknowledged
    Redis messages go back to their queues within seconds instead of the production 35."""
    env = {
        **os.environ,
        "RENDA_DATABASE_URL": database_url,
        "RENDA_BROKER_URL": broker_url,
        "RENDA_SECRET_KEY": "test-secret",
        "RENDA_LOG_LEVEL": "INFO",
        **extra,
    }
    if not production:
        env |= {
            "RENDA_BROKER_HEARTBEAT_SECONDS": "2",
            "RENDA_BROKER_SWEEP_SECONDS": "0.5",
            "RENDA_BROKER_MAINTENANCE_CHANCE": "1000000",
        }
    return env


def start_worker(
    database_url: str, broker_url: str, log_path: Path, threads: int = 4, *, production: bool = False, **extra: str
) -> WorkerProcess:
    env = worker_env(database_url, broker_url, production=production, **extra)
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "renda.cli", "worker", "--threads", str(threads)],
        env=env,
        stdout=log,
        stderr=log,
    )
    log.close()
    return WorkerProcess(process, log_path)


class WorkerLauncher:
    """`renda worker` processes forked from one that imported renda once (tests/support/worker_launcher.py):
    a replacement for a killed worker starts in a fraction of a second instead of seconds of CPU."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.log_dir = log_dir
        root = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.worker_launcher"],
            env={**env, "PYTHONPATH": str(root)},
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(log_dir / "launcher.log").open("ab"),
        )
        assert self._read() == "ready", "the worker launcher did not start"
        self.started = 0

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().decode().strip()

    def start(self, threads: int = 4) -> ForkedWorker:
        assert self.process.stdin is not None
        self.started += 1
        log_path = self.log_dir / f"worker-{self.started}.log"
        self.process.stdin.write(f"start {threads} {log_path}\n".encode())
        self.process.stdin.flush()
        return ForkedWorker(int(self._read()), log_path)

    def close(self) -> None:
        """Stops the launcher, which kills the workers still running."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class ForkedWorker:
    pid: int
    log_path: Path

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def ready(self) -> bool:
        return self.log_path.exists() and '"worker started"' in self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


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
