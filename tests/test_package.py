"""The wheel as an operator installs it: built from the tracked files alone, installed into a clean
virtual environment with only its declared dependencies (pinned by requirements.lock), and run from
a directory outside the source tree, so nothing is imported from `src/`. Real processes: `renda
migrate` and `renda tenants create` on a throwaway database, `renda serve` answering `/ready` and
serving a page and a static file from the wheel, `renda scheduler` enqueueing the periodic jobs and
`renda worker` running them through Redis (a database of its own, `REDIS_DB`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import _asyncpg_dsn, _server_url, _with_database

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 13  # the worker suites use database 0 and flush it; this test keeps to its own
SECRET = "package-test-secret"


def tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", *paths], cwd=ROOT, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def uv() -> str:
    found = Path(sys.executable).parent / "uv"  # scripts/setup-env.sh installs it into .venv
    return str(found) if found.exists() else shutil.which("uv") or pytest.fail("uv is not installed")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel .` of a copy holding only the tracked files: a stale build/ or an untracked file
    in the working tree must not hide one the wheel lacks."""
    clone = tmp_path_factory.mktemp("clone")
    for name in tracked("src", "setup.py", "pyproject.toml"):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(dist)], cwd=clone, check=True
    )
    (built,) = dist.glob("renda-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel and its declared dependencies at the locked versions
    (no test tools: a module the service imports but does not declare fails here)."""
    target = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([uv(), "venv", "-q", "--python", sys.executable, str(target)], check=True)
    python, lock = str(target / "bin" / "python"), str(ROOT / "requirements.lock")
    subprocess.run([uv(), "pip", "install", "-q", "--python", python, str(wheel), "-c", lock], check=True)
    return target


@pytest.fixture(scope="module")
async def installed_database_url() -> AsyncIterator[str]:
    server = _server_url()
    name = f"renda_package_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield _with_database(server, name)
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def redis_url() -> str:
    url = os.environ.get("RENDA_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set RENDA_TEST_REDIS_URL")
        pytest.skip("the worker needs a broker: set RENDA_TEST_REDIS_URL")
    return f"{url.rsplit('/', 1)[0]}/{REDIS_DB}"


class Installed:
    """Runs the installed `renda` in an empty directory with a minimal environment."""

    def __init__(self, venv: Path, workdir: Path, database_url: str) -> None:
        self.venv, self.workdir = venv, workdir
        self.env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "RENDA_ENV": "production",
            "RENDA_DATABASE_URL": database_url,
            "RENDA_SECRET_KEY": SECRET,
            "RENDA_PUBLIC_URL": "https://renda.example.test",
            "RENDA_LOG_LEVEL": "INFO",
        }

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "renda"), *args],
            cwd=self.workdir,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, log: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(self.venv / "bin" / "renda"), *args],
                cwd=self.workdir,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )


@pytest.fixture(scope="module")
def installed(venv: Path, installed_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return Installed(venv, tmp_path_factory.mktemp("workdir"), installed_database_url)


@pytest.fixture(scope="module")
def migrated(installed: Installed) -> dict[str, subprocess.CompletedProcess[str]]:
    """`renda migrate` on the empty database, an office provisioned (the tenant history from the
    wheel), then `renda migrate` again."""
    first = installed.run("migrate")
    assert first.returncode == 0, first.stderr[-3000:]
    created = installed.run("tenants", "create", "--code", "610900", "--name", "安康市人大常委会", "--level", "city")
    assert created.returncode == 0, created.stderr[-3000:]
    again = installed.run("migrate")
    assert again.returncode == 0, again.stderr[-3000:]
    return {"first": first, "created": created, "again": again}


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_for(check: Callable[[], bool], what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if check():
            return
        if process.poll() is not None:
            pytest.fail(f"{what}: the process exited with {process.returncode}\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"{what}: not within 60 s\n{log.read_text()[-3000:]}")


@pytest.fixture
def stop() -> Iterator[Callable[[subprocess.Popen[bytes]], int]]:
    """SIGTERM and wait; whatever a test started is stopped at its end, also when it fails."""
    started: list[subprocess.Popen[bytes]] = []

    def stop(process: subprocess.Popen[bytes]) -> int:
        started.append(process)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=60)

    yield stop
    for process in started:
        if process.poll() is None:
            process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wheel_holds_every_file_of_the_source_tree(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    expected = {"renda/" + name.removeprefix("src/") for name in tracked("src")}
    assert expected - names == set()
    # The histories and what the pages need, spelled out: the reason this test exists.
    for name in (
        "renda/migrations/alembic.ini",
        "renda/migrations/platform/env.py",
        "renda/migrations/platform/versions/p0001_platform_schema.py",
        "renda/migrations/tenant/env.py",
        "renda/migrations/tenant/script.py.mako",
        "renda/migrations/tenant/versions/t0001_tenant_schema.py",
        "renda/web/templates/base.html",
        "renda/web/templates/portal/sheet.html",
        "renda/web/static/renda.css",
        "renda/web/static/renda.js",
    ):
        assert name in names
    assert not {n for n in names if n.startswith(("tests/", "bench/", "renda/tests/")) or "__pycache__" in n}
    assert "renda = renda.cli:main" in entry_points


def test_installed_renda_imports_from_the_environment(installed: Installed) -> None:
    found = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import renda, sys; print(renda.__file__); print(sys.path)"],
        cwd=installed.workdir,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    location = Path(found.splitlines()[0])
    assert location.is_relative_to(installed.venv)
    assert str(ROOT) not in found


async def test_migrate_from_the_wheel(installed_database_url: str, migrated) -> None:
    def head(history: str) -> str:
        return max(p.name.split("_")[0] for p in (ROOT / "src/migrations" / history / "versions").glob("[pt]0*.py"))

    assert "0 tenants: 0 ok, 0 failed" in migrated["first"].stderr
    assert migrated["created"].stdout.split("\t")[0] == "610900"
    (report,) = [line for line in json_lines(migrated["again"].stdout) if "tenant" in line]
    assert {k: report[k] for k in ("tenant", "result", "to", "error")} == {
        "tenant": "610900",
        "result": "up-to-date",
        "to": head("tenant"),
        "error": None,
    }
    connection = await asyncpg.connect(_asyncpg_dsn(installed_database_url))
    try:
        assert await connection.fetchval("select version_num from platform.alembic_version") == head("platform")
        assert await connection.fetchval("select version_num from t_610900.alembic_version") == head("tenant")
    finally:
        await connection.close()


def test_serve_from_the_wheel_is_ready(installed: Installed, migrated, stop, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    server = installed.start(log, "serve", "--host", "127.0.0.1", "--port", str(port), RENDA_BROKER_URL=redis_url())
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready, "renda serve answering /ready", server, log)
    # A page from the wheel's templates and a file from its static folder.
    portal = httpx.get(f"{base}/p/610900", timeout=10)
    assert portal.status_code == 200, portal.text[:500]
    assert "安康市人大常委会" in portal.text
    css = httpx.get(f"{base}/static/renda.css", timeout=10)
    assert css.status_code == 200
    assert css.content == (ROOT / "src/web/static/renda.css").read_bytes()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for its parent to see.
    assert stop(server) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in log.read_text()


def test_scheduler_and_worker_from_the_wheel_run_jobs(installed: Installed, migrated, stop, tmp_path: Path) -> None:
    import redis

    broker = redis_url()
    redis.Redis.from_url(broker).flushdb()  # this test's own database: leftovers of an interrupted run
    scheduler_log, worker_log = tmp_path / "scheduler.log", tmp_path / "worker.log"
    scheduler = installed.start(scheduler_log, "scheduler", RENDA_BROKER_URL=broker)

    def enqueued() -> list[str]:
        lines = json_lines(scheduler_log.read_text())
        return [str(line["job"]) for line in lines if line["msg"] == "periodic job enqueued"]

    wait_for(lambda: bool(enqueued()), "renda scheduler enqueueing the periodic jobs", scheduler, scheduler_log)
    assert stop(scheduler) == 0

    worker = installed.start(worker_log, "worker", "--threads", "2", RENDA_BROKER_URL=broker)

    def done() -> set[str]:
        return {str(line["actor"]) for line in json_lines(worker_log.read_text()) if line["msg"] == "job done"}

    wait_for(lambda: "purge_outbox" in done(), "renda worker running purge_outbox", worker, worker_log)
    assert stop(worker) == 0
    lines = json_lines(worker_log.read_text())
    assert any(line["msg"] == "worker started" for line in lines)
    assert lines[-1]["msg"] == "worker stopped"
    assert not [line for line in lines if line["level"] in ("error", "critical")]
