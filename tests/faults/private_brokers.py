"""Private Redis and RabbitMQ servers for the fault tests: each on free loopback ports with its data in
a temporary folder, started by the test and stoppable and restartable in it. The machine's shared
brokers (6379, 5672) are never flushed, stopped or restarted here.

Redis keeps nothing on disk (`--save "" --appendonly no`), as in production without persistence: a
restart loses every queued message. RabbitMQ keeps its durable queues across a restart. Its node
runs as the `rabbitmq` user when the tests run as root (as the machine's own node does), with a
node name, ports, data, logs, config and an empty plugin list of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# A RabbitMQ node starts in about 10 s on an idle machine; with the whole suite running beside it on two
# cores it has been seen to take over a minute.
START_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, what: str, seconds: float = START_SECONDS, process=None, log: Path | None = None) -> None:
    """Waits for `predicate`; a server `process` that exits meanwhile fails at once. Either failure quotes
    the end of the server's `log`, so a start that went wrong says why."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the server exited with {process.returncode}{_tail(log)}")
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached within {seconds} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    return "\n--- end of " + str(log) + " ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class PrivateRedis:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        log = (self.root / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        _wait(self._answers, f"private redis on {self.port}", process=self.process, log=self.root / "redis.log")

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stopped at once (SIGKILL): whatever it held is gone, as after a crash without persistence."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None
        _wait(lambda: not port_open(self.port), f"private redis on {self.port} gone")

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivateRabbitmq:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.node = f"renda_test_{uuid.uuid4().hex[:10]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.running = False
        self.process: subprocess.Popen[bytes] | None = None
        as_root = os.geteuid() == 0
        self.user = "rabbitmq" if as_root else None
        for folder in ("mnesia", "log", "home"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\ndisk_free_limit.absolute = 50MB\n"
        )
        (root / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq/rabbitmq-env.conf
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in [root, *root.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(self.root / "home"),  # its own Erlang cookie, shared with rabbitmqctl below
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _command(self, script: str, *args: str) -> list[str]:
        path = f"/usr/lib/rabbitmq/bin/{script}"
        if not os.path.exists(path):
            path = shutil.which(script) or script
        env = [f"{k}={v}" for k, v in self._env().items()]
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, "env", "-i", *env, path, *args]

    def start(self) -> None:
        assert not self.running, "already running"
        log = (self.root / "server.out").open("ab")
        self.process = subprocess.Popen(
            self._command("rabbitmq-server"), stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        self.running = True
        _wait(
            self._answers,
            f"private rabbitmq {self.node} on {self.port}",
            process=self.process,
            log=self.root / "server.out",
        )

    def _answers(self) -> bool:
        import pika

        if not port_open(self.port):
            return False
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.url + "?connection_attempts=1"))
        except Exception:
            return False
        connection.close()
        return True

    def stop(self) -> None:
        if not self.running:
            return
        try:
            subprocess.run(self._command("rabbitmqctl", "-n", self.node, "stop"), capture_output=True, timeout=120)
            _wait(lambda: not port_open(self.port), f"private rabbitmq {self.node} stopped", seconds=30)
        except (AssertionError, subprocess.TimeoutExpired):
            if self.process is not None:  # its own process group: runuser, the script and the Erlang VM
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process = None
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()


def _folder(prefix: str) -> Path:
    # Not under pytest's tmp_path: the rabbitmq user must reach it, and /tmp/pytest-of-root is private.
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(_folder("renda-redis-"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def private_rabbitmq() -> Iterator[PrivateRabbitmq]:
    server = PrivateRabbitmq(_folder("renda-rabbitmq-"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


PRIVATE_BROKERS = ("private_rabbitmq", "private_redis")


@pytest.fixture(params=PRIVATE_BROKERS)
def private_broker(request) -> PrivateRedis | PrivateRabbitmq:
    """Each test that takes it runs once on a private RabbitMQ and once on a private Redis."""
    return request.getfixturevalue(request.param)
