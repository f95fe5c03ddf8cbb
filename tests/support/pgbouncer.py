"""A private PgBouncer in transaction mode in front of the test PostgreSQL server.

    python -m tests.support.pgbouncer .venv/bin/pytest -q -p no:randomly -m smoke

starts one on a free port (its own configuration and user list in a temporary directory; any
database name is forwarded to the server of RENDA_TEST_DATABASE_URL, so the tests' per-session
databases pass through it), runs the command with RENDA_TEST_DATABASE_URL pointed through it and
RENDA_TEST_DATABASE_DIRECT_URL at the server (tests/conftest.py then configures the app as
`RENDA_DATABASE_TRANSACTION_POOLER` and `RENDA_DATABASE_DIRECT_URL` would), stops it, and exits
with the command's status. `running_pgbouncer()` does the same for one test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def available() -> bool:
    return os.access(PGBOUNCER, os.X_OK)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(directory: Path, port: int, host: str, server_port: int, pool_size: int) -> str:
    return f"""[databases]
* = host={host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
server_reset_query =
; a client waiting this long for a server connection gets an error, not a hang
query_wait_timeout = 30
; what asyncpg sends at start-up that PgBouncer does not pass on itself
ignore_startup_parameters = extra_float_digits,options
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


@contextmanager
def running_pgbouncer(server_url: str | None = None, *, pool_size: int = 10) -> Iterator[str]:
    """A PgBouncer (transaction mode, at most `pool_size` server connections per database and user)
    in front of `server_url`'s server; yields the same URL with PgBouncer's host and port."""
    server_url = server_url or os.environ.get("RENDA_TEST_DATABASE_URL") or DEFAULT_SERVER
    server = urlsplit(server_url)
    user = server.username or "postgres"
    # A server on a Unix socket (the embedded one: `?host=<directory>`) is forwarded to that socket.
    query = dict(part.split("=", 1) for part in server.query.split("&") if "=" in part)
    host = query.pop("host", None) or server.hostname or "127.0.0.1"
    directory = Path(tempfile.mkdtemp(prefix="renda-pgbouncer-"))
    port = _free_port()
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(_config(directory, port, host, server.port or 5432, pool_size))
    command = [PGBOUNCER, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: as the postgres user then
        shutil.chown(directory, "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (directory / "pgbouncer.log").read_text() if (directory / "pgbouncer.log").exists() else ""
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"PgBouncer did not start: {error} {log[-2000:]}") from None
                time.sleep(0.05)
        rest = "&".join(f"{key}={value}" for key, value in query.items())
        yield server._replace(netloc=f"{user}@127.0.0.1:{port}", query=rest).geturl()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    direct = os.environ.get("RENDA_TEST_DATABASE_URL") or DEFAULT_SERVER
    with running_pgbouncer(direct) as pooled:
        env = {**os.environ, "RENDA_TEST_DATABASE_URL": pooled, "RENDA_TEST_DATABASE_DIRECT_URL": direct}
        print(f"PgBouncer (transaction mode) at {pooled}, in front of {direct}", file=sys.stderr)
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
