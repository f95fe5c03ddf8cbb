"""A PostgreSQL server of the test's own (Debian's binaries), to stop and start at will: never the
machine's shared one. Run as root, the server runs as the `postgres` user (PostgreSQL refuses root).

Also what the fault tests share: a deployment provisioned on such a server (the platform migrated,
one office, an office administrator with an API token), and a `renda serve` process against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

PG_BIN = Path(os.environ.get("RENDA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
OFFICE = "610900"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs: as `postgres` when the tests run as root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PrivatePostgres:
    """One throwaway cluster in `directory`, on 127.0.0.1:`port` (trust authentication, fsync off)."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*_as_server_user(), *args], check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL's server programs are not in {PG_BIN} (set RENDA_TEST_PG_BIN)")
    directory = Path(tempfile.mkdtemp(prefix="renda-fault-pg-"))
    server = PrivatePostgres(directory, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        if server.running():
            with contextlib.suppress(Exception):
                server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


# --- a deployment on it ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deployment:
    server: PrivatePostgres
    office: str
    token: str  # an office administrator's API token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def provision(server: PrivatePostgres) -> Deployment:
    """Migrate the platform, open one office and give it an administrator with an API token. The
    app's configured database is this server's only while this runs (the other tests' stays theirs)."""
    from renda.core.crypto import configure_secrets
    from renda.tenants.migrations import upgrade_platform
    from tests.conftest import ensure_tenant, make_caller
    from tests.support.demo_database import configured

    configure_secrets("test-secret")
    async with configured(server.url) as database:
        await upgrade_platform(database)
        await ensure_tenant(database, OFFICE, "安康市人大常委会", "city", None)
        caller = await make_caller(database, "故障测试管理员", {OFFICE: ["office_admin"]})
    return Deployment(server, OFFICE, caller.token)


async def sql(server: PrivatePostgres, statement: str, *args: Any) -> Any:
    """One statement on the server, outside the app."""
    connection = await asyncpg.connect(server.dsn)
    try:
        return await connection.fetch(statement, *args)
    finally:
        await connection.close()


# --- `renda serve` against it ------------------------------------------------------------------------
@dataclass
class Service:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[dict[str, Any]]:
        """The service's log: JSON lines (anything else, a traceback printed raw say, as {"raw": line})."""
        lines = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"raw": line})
        return lines

    def tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]


def start_service(server: PrivatePostgres, log_path: Path, **env: str) -> Service:
    """`renda serve` on a free port against `server`, with the in-process broker and its worker threads."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RENDA_")},
        "RENDA_DATABASE_URL": server.url,
        "RENDA_SECRET_KEY": "test-secret",
        "RENDA_PORT": str(port),
        "RENDA_LOG_LEVEL": "INFO",
        "RENDA_DATA_DIR": str(log_path.parent / f"data-{uuid.uuid4().hex[:6]}"),
        **env,
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "renda.cli", "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    return Service(process, port, log_path)


@contextlib.asynccontextmanager
async def serving(server: PrivatePostgres, log_path: Path, **env: str) -> AsyncIterator[Service]:
    """A service (`start_service`) answering `/ready`, stopped at the end."""
    service = start_service(server, log_path, **env)
    process = service.process
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=5) as client:

            async def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"renda serve exited: {service.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    return (await client.get("/ready")).status_code == 200
                return False

            await wait_until(ready, what="renda serve ready", seconds=60)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_until(probe: Callable[[], Awaitable[Any]], *, what: str, seconds: float = 30) -> Any:
    """The first truthy result of `probe()`, polled; fails the test when `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        await asyncio.sleep(0.1)
