"""Benchmark Renda's request path against a bare Litestar app sending the same SQL, in the same run.

What is compared, and why: a request to Renda identifies the caller, resolves the office and the
caller's roles there, opens its sessions on one connection in one transaction, runs the module's
queries and answers in JSON. The database's share of that cannot be made smaller by Renda; the rest
can. So each endpoint is measured twice on this machine, alternately: Renda (`renda serve`, one
uvicorn process) and a bare Litestar app (bench/bare_app.py, the same uvicorn settings) that
replays, on one asyncpg pool in one transaction per request, exactly the statements Renda sent for
that request (recorded here with an SQLAlchemy cursor listener). Their ratio is Renda's own cost.

1. own register list `GET /api/v1/t/{code}/deputies` (office API token, ~200 deputies), 1 and 16
   connections; goal: Renda at least half the baseline's requests per second.
2. a create `POST /api/v1/t/{code}/persons`; the baseline's INSERTs get fresh ids; goal 0.5.
3. `GET /api/v1/me` with the office token; goal 0.5.
4. `/health` against a bare endpoint with the same body; goal 0.7.
5. the register list rotating over 100 offices against the same load on one office (both Renda:
   the cost of many offices' statements and caches); goal 0.8.
6. memory: the Renda process's RSS after start, after one office, after every office once.

Usage: .venv/bin/python bench/requests.py [--duration 5] [--warmup 1] [--repeat 5] [--offices 500] [--register 200]
       [--rotate 100] [--profile] [--database-url URL] [--broker-url URL]
See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bare_app import Replay, Statement  # bench/bare_app.py, beside this script
from register_search import GIVEN, SURNAMES, free_port
from sqlalchemy import event
from sqlalchemy.engine import Engine

from renda.config import Settings
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from tenants import asyncpg_dsn, describe_server, offices, server_url, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SECRET = "bench-secret"
REGISTER_SIZE = 200  # deputies in the office whose register is listed (--register)
SMALL_REGISTER = 3  # deputies in every other office
TOKEN_SCOPES = ["office.read", "deputies.read", "deputies.write"]
CREATE_BODY = {"name": "基准新建", "gender": "female"}
GOALS = {"register": 0.5, "create": 0.5, "me": 0.5, "health": 0.7, "offices": 0.8}
RENDA = [sys.executable, "-c", "from renda.cli import main; main()"]


def progress(label: str, done: int, total: int) -> None:
    print(f"\r  {label}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)


# --- offices, callers and registers --------------------------------------------------------------
@dataclass
class Setup:
    codes: list[str]  # every office
    register_office: str  # --register deputies: its list is measured
    create_office: str  # where the creates add persons
    rotation: list[str]  # offices with a small register, for the many-offices run
    office_token: str  # a staff member's office API token for `register_office`
    create_token: str  # the same staff member's office API token for `create_office`
    user_token: str  # the same staff member's own API token (staff in every office)
    register_size: int


async def provision(database: Any, count: int) -> dict[str, str]:
    """`count` offices (a city, its counties and townships) as `renda tenants create` makes them."""
    levels = {}
    for number, (code, level, parent) in enumerate(offices(count), start=1):
        await create_tenant(database, TenantCreate(code, f"基准机关{code}", level, parent), actor="system:bench")
        levels[code] = str(level)
        progress("offices provisioned", number, count)
    return levels


async def make_staff(database: Any, codes: list[str], token_offices: list[str]) -> tuple[str, list[str]]:
    """One staff member of every office: their own API token, and an office token in each of
    `token_offices` (what an integration of that office would use)."""
    from renda.modules.accounts import service as accounts
    from renda.modules.members import service as members
    from renda.modules.members.schemas import ApiTokenIn
    from renda.tenants.scoping import load_tenant

    async with database.platform_session() as session:
        session.info["actor"] = "system:bench"
        user = await accounts.create_user(session, "基准工作人员")
        for code in codes:
            await accounts.grant_membership(session, user, code, ["staff"])
        user_token = await accounts.issue_api_token(session, user, "bench")
        office_tokens = []
        for code in token_offices:
            tenant = await load_tenant(code)
            _, token = await members.issue_office_token(session, tenant, user.id, ApiTokenIn("基准", TOKEN_SCOPES))
            office_tokens.append(token)
        await session.commit()
    return user_token, office_tokens


async def call(client: httpx.AsyncClient, method: str, path: str, token: str, body: Any = None) -> Any:
    response = await client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


async def in_parallel(items: list[Any], work: Callable[[Any], Awaitable[None]], label: str, width: int = 4) -> None:
    """`work` on every item, `width` at a time (in-process requests overlap their database waits)."""
    queue, done = list(reversed(items)), 0

    async def worker() -> None:
        nonlocal done
        while queue:
            await work(queue.pop())
            done += 1
            progress(label, done, len(items))

    await asyncio.gather(*(worker() for _ in range(width)))


async def seed_register(client: httpx.AsyncClient, token: str, code: str, level: str, persons: int) -> None:
    """Through the API, as staff would: the office's own congress and term, `persons` persons, one
    mandate each."""
    api = f"/api/v1/t/{code}"
    congress = await call(client, "POST", f"{api}/congresses", token, {"level": level})
    term = await call(
        client, "POST", f"{api}/congresses/{congress['id']}/terms", token, {"number": 18, "starts_on": "2021-10-01"}
    )

    async def deputy(n: int) -> None:
        name = SURNAMES[n % 20] + GIVEN[(n // 20) % 24] + GIVEN[(n // 480 + n) % 24]
        person = await call(client, "POST", f"{api}/persons", token, {"name": name, "gender": "male"})
        mandate = {"person_id": person["id"], "term_id": term["id"], "constituency": f"第{n % 40 + 1}选区"}
        await call(client, "POST", f"{api}/mandates", token, mandate)

    if persons > SMALL_REGISTER:
        await in_parallel(list(range(persons)), deputy, f"deputies of {code}")
    else:
        for n in range(persons):
            await deputy(n)


async def set_up(app: Any, database: Any, count: int, rotate: int, register_size: int) -> Setup:
    await upgrade_platform(database)
    levels = await provision(database, count)
    codes = list(levels)
    register_office, create_office, *others = codes
    user_token, (office_token, create_token) = await make_staff(database, codes, [register_office, create_office])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        await seed_register(client, user_token, register_office, levels[register_office], register_size)

        async def small(code: str) -> None:
            await seed_register(client, user_token, code, levels[code], SMALL_REGISTER)

        await in_parallel([create_office, *others], small, "small registers seeded")
    return Setup(
        codes, register_office, create_office, others[:rotate], office_token, create_token, user_token, register_size
    )


# --- the same SQL: recorded from Renda, replayed by the baseline ---------------------------------
@contextmanager
def recorded() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every statement SQLAlchemy hands to asyncpg meanwhile (`$1` placeholders, a parameter tuple).
    BEGIN and COMMIT are not among them: the baseline's `conn.transaction()` sends its own."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if executemany:
            raise RuntimeError(f"an executemany cannot be replayed: {statement[:100]}")
        seen.append((statement, tuple(parameters or ())))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def top_level_values(sql: str) -> list[str]:
    """The comma-separated expressions of an INSERT's first `VALUES (…)`."""
    start = sql.index("VALUES (") + len("VALUES (")
    values, depth, current = [], 0, ""
    for char in sql[start:]:
        if char == ")" and depth == 0:
            return [*values, current.strip()]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    raise ValueError(f"no end to VALUES in {sql[:100]}")


INSERT = re.compile(r"^\s*INSERT INTO \S+ \(([^)]*)\) VALUES \(")


def id_parameter(sql: str) -> int | None:
    """Index of the parameter that carries an INSERT's `id` column: the baseline makes it new on
    every replay, as each create makes a new row."""
    match = INSERT.match(sql)
    if match is None:
        return None
    columns = [c.strip() for c in match.group(1).split(",")]
    if "id" not in columns:
        return None
    value = top_level_values(sql)[columns.index("id")]
    placeholder = re.match(r"\$(\d+)", value)
    if placeholder is None:
        raise RuntimeError(f"the id of this INSERT is not a parameter: {sql[:200]}")
    return int(placeholder.group(1)) - 1


# The statement whose rows the baseline answers with: the register's page, the new person, the
# caller's memberships (the last of /me's statements).
MAIN: dict[str, Callable[[str], bool]] = {
    "register": lambda sql: " LIMIT " in sql,
    "create": lambda sql: re.search(r"INSERT INTO \S+\.persons ", sql) is not None,
    "me": lambda sql: True,
}


def replay_of(name: str, seen: list[tuple[str, tuple[Any, ...]]]) -> Replay:
    statements = [Statement(sql, params, id_parameter(sql)) for sql, params in seen]
    mains = [n for n, s in enumerate(statements) if MAIN[name](s.sql)]
    if not mains:
        raise RuntimeError(f"no main statement among what {name} sent: {[first_line(s.sql) for s in statements]}")
    return Replay(statements, mains[-1])


async def capture(app: Any, setup: Setup) -> dict[str, Replay]:
    """Each request twice in this process (the first warms caches and touches the token); the
    second one's statements are what the baseline replays."""
    requests = {
        "register": ("GET", f"/api/v1/t/{setup.register_office}/deputies", setup.office_token, None),
        "create": ("POST", f"/api/v1/t/{setup.create_office}/persons", setup.create_token, CREATE_BODY),
        "me": ("GET", "/api/v1/me", setup.office_token, None),
    }
    replays = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, (method, path, token, body) in requests.items():
            await call(client, method, path, token, body)
            with recorded() as seen:
                await call(client, method, path, token, body)
            replays[name] = replay_of(name, seen)
    return replays


def first_line(sql: str) -> str:
    line = next(line for line in sql.splitlines() if line.strip()).strip()
    return line if len(line) <= 110 else line[:107] + "..."


# --- servers -------------------------------------------------------------------------------------
@dataclass
class Server:
    label: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User and system time of the process so far (/proc/<pid>/stat, fields 14 and 15)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.label} (pid {self.process.pid})")


@dataclass
class Servers:
    """Every server process this run starts. Each is stopped at the end of the run; should the
    run die without that, an exit hook kills what is left."""

    workdir: Path
    database_url: str
    broker_url: str | None  # None: Renda's in-process broker, its worker threads in the web process
    running: list[Server] = field(default_factory=list)

    def __post_init__(self) -> None:
        atexit.register(self.kill_all)

    def renda_env(self) -> dict[str, str]:
        env = {
            "RENDA_DATABASE_URL": self.database_url,
            "RENDA_ENV": "development",
            "RENDA_LOG_LEVEL": "WARNING",
            "RENDA_SECRET_KEY": SECRET,
            "RENDA_HOST": "127.0.0.1",
        }
        return env | ({"RENDA_BROKER_URL": self.broker_url} if self.broker_url else {})

    async def renda(self) -> Server:
        command = [*RENDA, "serve"]
        return await self.start("renda", lambda port: command, {**self.renda_env(), "RENDA_PORT": "{port}"})

    async def worker(self) -> Server:
        """`renda worker`, for a run with a broker: the jobs the requests cause run as deployed."""
        return await self.start("worker", lambda port: [*RENDA, "worker"], self.renda_env(), http=False)

    async def bare(self, statements: Path, dsn: str) -> Server:
        pool = str(Settings.from_env().database_pool_size)  # RENDA_DATABASE_POOL_SIZE, as Renda's server reads it
        command = [sys.executable, str(BENCH / "bare_app.py"), str(statements)]
        return await self.start("baseline", lambda port: [*command, str(port), dsn, pool], {})

    async def start(
        self, label: str, command: Callable[[int], list[str]], env: dict[str, str], http: bool = True
    ) -> Server:
        port = free_port()
        log = self.workdir / f"{label}-{port}.log"
        environment = {**os.environ, **{key: value.format(port=port) for key, value in env.items()}}
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *command(port), env=environment, cwd=ROOT, stdout=out, stderr=out
            )
        server = Server(label, process, port, log)
        self.running.append(server)
        await (wait_ready(server) if http else still_running(server))
        return server

    async def stop(self, server: Server) -> None:
        if server.process.returncode is None:
            server.process.terminate()
            try:
                await asyncio.wait_for(server.process.wait(), 15)
            except TimeoutError:
                server.process.kill()
                await server.process.wait()
        self.running.remove(server)

    async def stop_all(self) -> None:
        for server in list(self.running):
            await self.stop(server)

    def kill_all(self) -> None:
        for server in self.running:
            try:
                os.kill(server.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def exited(server: Server) -> RuntimeError:
    tail = server.log.read_text(errors="replace")[-2000:]
    return RuntimeError(f"{server.label} exited with {server.process.returncode}:\n{tail}")


async def still_running(server: Server, seconds: float = 3) -> None:
    await asyncio.sleep(seconds)
    if server.process.returncode is not None:
        raise exited(server)


async def wait_ready(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                raise exited(server)
            try:
                if (await client.get(f"{server.base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.label} did not answer /health within {seconds:.0f} s (log: {server.log})")


async def wait_for_background_jobs(dsn: str) -> None:
    """Until the relay has sent every outbox message the seeding left (directory publication,
    rollups): they are written in the script's process, which runs no relay."""
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("select count(*) from platform.outbox where sent_at is null")
        while (left := await conn.fetchval("select count(*) from platform.outbox where sent_at is null")) > 0:
            progress("background jobs of the seeding sent", total - left, total)
            await asyncio.sleep(0.5)
        progress("background jobs of the seeding sent", total, total)
    finally:
        await conn.close()


async def wait_until_idle(servers: list[Server], limit: float = 600) -> None:
    """Until every one of `servers` has used under a tenth of a CPU for three seconds running (longer
    than the rollups' 2 s debounce): the jobs the seeding caused are done."""
    deadline, quiet = time.monotonic() + limit, 0
    while quiet < 3:
        before = [server.cpu_seconds() for server in servers]
        await asyncio.sleep(1)
        used = max(server.cpu_seconds() - b for server, b in zip(servers, before, strict=True))
        quiet = quiet + 1 if used < 0.1 else 0
        print(f"\r  waiting for the seeding's background jobs: {used:.2f} CPU s/s ", end="", file=sys.stderr)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(s.label for s in servers)} still busy after {limit:.0f} s")
    print(file=sys.stderr)


# --- load with wrk -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    """What wrk sends: one path, or a rotation over several (one request() call per request)."""

    paths: tuple[str, ...]
    token: str | None = None
    method: str = "GET"
    body: Any = None
    rotate: bool = False

    def lua(self) -> str:
        headers = {"Content-Type": "application/json"} if self.body is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = f"[==[{json.dumps(self.body, ensure_ascii=False)}]==]" if self.body is not None else "nil"
        lines = [f'wrk.method = "{self.method}"', f"wrk.body = {body}"]
        lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
        if self.rotate:
            lines += [
                "local paths = {" + ", ".join(f'"{p}"' for p in self.paths) + "}",
                "local i = 0",
                "request = function()",
                "  i = i % #paths + 1",
                "  return wrk.format(nil, paths[i])",
                "end",
            ]
        lines += [
            "done = function(summary, latency, requests)",
            "  local e = summary.errors",
            '  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,',
            "    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))",
            "end",
        ]
        return "\n".join(lines) + "\n"


@dataclass
class Probe:
    """A connection of the script's own to the benchmark database, to read PostgreSQL's count of
    sessions opened on it: a server that opens connections while under load shows here."""

    conn: asyncpg.Connection

    async def sessions(self) -> int:
        # pg_stat_database.sessions (PostgreSQL 14+); a backend reports its start within a second.
        return await self.conn.fetchval("select sessions from pg_stat_database where datname = current_database()")


async def wrk(
    server: Server, load: Load, connections: int, seconds: int, workdir: Path, probe: Probe
) -> dict[str, float]:
    """One wrk run (one thread: the machine is shared with both servers and PostgreSQL); with the
    CPU time the server process (all its threads) spent per request meanwhile, and the database
    connections opened meanwhile."""
    lua = load.lua()
    script = workdir / f"load-{hashlib.sha1(lua.encode()).hexdigest()[:12]}.lua"
    script.write_text(lua)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    cpu_before, sessions_before = server.cpu_seconds(), await probe.sessions()
    process = await asyncio.create_subprocess_exec(
        *command, server.base + load.paths[0], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output = (await process.communicate())[0].decode(errors="replace")
    finally:
        if process.returncode is None:  # interrupted: no wrk outlives the script
            process.kill()
    cpu, connects = server.cpu_seconds() - cpu_before, await probe.sessions() - sessions_before
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    requests, duration_us, p50, p99, errors, status_errors = map(int, line.split()[1:])
    if errors or status_errors or not requests:
        tail = server.log.read_text(errors="replace")[-3000:]
        raise RuntimeError(
            f"{server.label} {load.paths[0]}: {requests} requests, {errors} socket errors, {status_errors} not 2xx/3xx;"
            f" the end of its log:\n{tail}"
        )
    rps, cpu_ms = requests / (duration_us / 1e6), cpu / requests * 1000
    return {"rps": rps, "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "cpu_ms": cpu_ms, "connects": connects}


# --- the comparisons -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    goal: str
    label: str
    connections: int
    renda: Load  # sent to Renda
    base: Load  # sent to the baseline (to Renda again for the many-offices run)
    base_label: str = "bare app, same SQL"
    base_on_renda: bool = False

    @property
    def key(self) -> str:
        return f"{self.goal}_c{self.connections}"


def scenarios(setup: Setup) -> list[Scenario]:
    register = Load((f"/api/v1/t/{setup.register_office}/deputies",), setup.office_token)
    create = Load((f"/api/v1/t/{setup.create_office}/persons",), setup.create_token, "POST", CREATE_BODY)
    me = Load(("/api/v1/me",), setup.office_token)
    health = Load(("/health",))
    many = Load(tuple(f"/api/v1/t/{code}/deputies" for code in setup.rotation), setup.user_token, rotate=True)
    one = Load((many.paths[0],) * len(many.paths), setup.user_token, rotate=True)
    result = []
    for connections in (1, 16):
        result += [
            Scenario("register", f"GET register ({setup.register_size})", connections, register, register),
            Scenario("create", "POST person", connections, create, create),
            Scenario("me", "GET /api/v1/me", connections, me, me),
            Scenario("health", "GET /health", connections, health, health, "bare app, same body"),
        ]
    label = f"GET register, {len(setup.rotation)} offices"
    result.append(Scenario("offices", label, 16, many, one, "renda, 1 office", base_on_renda=True))
    return result


async def measure(
    servers: tuple[Server, Server], all_scenarios: list[Scenario], args: argparse.Namespace, workdir: Path, probe: Probe
) -> dict[str, Any]:
    """Per repetition, every scenario on both sides, in turn (the side that goes first alternates)."""
    renda, bare = servers
    runs: dict[str, dict[str, list[dict[str, float]]]] = {s.key: {"renda": [], "base": []} for s in all_scenarios}
    for rep in range(args.repeat):
        for number, scenario in enumerate(all_scenarios, start=1):
            base = renda if scenario.base_on_renda else bare
            sides = [("renda", renda, scenario.renda), ("base", base, scenario.base)]
            for side, server, load in sides if rep % 2 == 0 else reversed(sides):
                if args.warmup:
                    await wrk(server, load, scenario.connections, args.warmup, workdir, probe)
                figures = await wrk(server, load, scenario.connections, args.duration, workdir, probe)
                runs[scenario.key][side].append(figures)
            progress(f"repetition {rep + 1}/{args.repeat}, scenarios", number, len(all_scenarios))
    return {
        s.key: {side: median_figures(runs[s.key][side]) for side in ("renda", "base")}
        | {"ratio": median_figures(runs[s.key]["renda"])["rps"] / median_figures(runs[s.key]["base"])["rps"]}
        for s in all_scenarios
    }


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


# --- memory --------------------------------------------------------------------------------------
async def memory(servers: Servers, setup: Setup) -> dict[str, float]:
    """A fresh Renda process: RSS after start, after one office's register, after every office's."""
    server = await servers.renda()
    try:
        await asyncio.sleep(1)  # the lifespan's relay has started and swept
        figures = {"start_mb": server.rss_mb()}
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
            await call(client, "GET", f"/api/v1/t/{setup.codes[0]}/deputies", setup.user_token)
            figures["one_office_mb"] = server.rss_mb()
            for number, code in enumerate(setup.codes, start=1):
                await call(client, "GET", f"/api/v1/t/{code}/deputies", setup.user_token)
                progress("offices touched", number, len(setup.codes))
        figures["all_offices_mb"] = server.rss_mb()
    finally:
        await servers.stop(server)
    figures["offices"] = len(setup.codes)
    figures["mb_per_office"] = (figures["all_offices_mb"] - figures["one_office_mb"]) / max(1, len(setup.codes) - 1)
    return figures


# --- profile -------------------------------------------------------------------------------------
def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found:
        return found
    print("  installing py-spy into the environment", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"


async def profile(
    servers: tuple[Server, Server], scenario: Scenario, args: argparse.Namespace, workdir: Path, probe: Probe
) -> dict[str, Any]:
    """Extra runs of `scenario` on each side with py-spy attached (`--nonblocking`: the process is
    not paused per sample), their figures kept apart from the measured ones: one run for the flame
    graph, one for the raw stacks per thread summarised here, so that one sampler at a time takes
    its share of the machine. Renda's profile is then read against the baseline's."""
    spy = py_spy()
    result = {}
    for server, load in ((servers[0], scenario.renda), (servers[1], scenario.base)):
        svg, raw = (args.profile_dir / f"{server.label}-{scenario.key}.{ext}" for ext in ("svg", "txt"))
        if args.warmup:
            await wrk(server, load, scenario.connections, args.warmup, workdir, probe)
        run = functools.partial(wrk, server, load, scenario.connections, args.duration, workdir, probe)
        runs = [
            await sampled(spy, server, options, path, args.duration, run)
            for options, path in ((["--format", "flamegraph"], svg), (["--format", "raw", "--threads"], raw))
        ]
        summary = summarise_stacks(raw)
        # The process's CPU time per request, the event loop thread's part of it split as its samples are.
        loop_ms = runs[-1]["cpu_ms"] * (1 - summary["other_threads_share"])
        result[server.label] = {"svg": str(svg), "raw": str(raw), "run_while_sampled": runs[-1], "loop_cpu_ms": loop_ms}
        result[server.label] |= summary
    return result


async def sampled(
    spy: str, server: Server, options: list[str], output: Path, seconds: int, run: Callable[[], Awaitable[Any]]
) -> dict[str, float]:
    """`run` (a wrk run of `seconds`) with one py-spy sampler attached to `server`."""
    command = ["record", "--pid", str(server.process.pid), "--duration", str(seconds), "--rate", "100"]
    sampler = await asyncio.create_subprocess_exec(
        spy, *command, "--nonblocking", "--nolineno", *options, "--output", str(output),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        figures = await run()
        _, error = await sampler.communicate()
    finally:
        if sampler.returncode is None:
            sampler.kill()
    if sampler.returncode != 0:
        raise RuntimeError(f"py-spy failed: {error.decode(errors='replace')[-1000:]}")
    return figures


# Frames under which every sample of a server's main thread sits: left out of the total-time list.
OUTER_FRAMES = ("(click/", "(uvicorn/main.py)", "(uvicorn/server.py)", "(uvicorn/_compat.py)", "(asyncio/runners.py)",
                "(<string>)", "(src/cli.py)")  # fmt: skip


def summarise_stacks(raw: Path, top: int = 15) -> dict[str, Any]:
    """From py-spy's folded stacks (`thread;frame;frame;… count`, outermost first): per function
    its self and total share of the event loop thread's samples (where every request runs), self
    share per package, and the other threads' share of all samples. Total time leaves out the
    frames every request sits under (the CLI, uvicorn's runner, the event loop's)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    main = other = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        thread, *frames = stack.split(";")
        n = int(count)
        if not thread.endswith("MainThread"):
            other += n
            continue
        main += n
        leaf = frames[-1] if frames else "(no Python frame)"
        own[leaf] += n
        packages[package_of(leaf)] += n
        for frame in set(frames):
            if not any(marker in frame for marker in OUTER_FRAMES):
                total[frame] += n

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, k / max(1, main)) for name, k in counter.most_common(top)]

    return {
        "main_thread_samples": main,
        "other_threads_share": other / max(1, main + other),
        "self_by_package": shares(packages),
        "self": shares(own),
        "total": shares(total),
    }


def package_of(frame: str) -> str:
    """`name (path/to/file.py)` → the package of the file: its first part (`src/` is renda)."""
    if "(" not in frame:
        return frame
    path = frame.rpartition("(")[2].rstrip(")")
    first = path.split("/", 1)[0].removesuffix(".py")
    return "renda" if first == "src" else first


# --- report --------------------------------------------------------------------------------------
def print_statements(replays: dict[str, Replay]) -> None:
    print("\nstatements the baseline replays per request (first line of each; * = its response):")
    for name, replay in replays.items():
        print(f"  {name}:")
        for number, statement in enumerate(replay.statements):
            mark = "*" if number == replay.main else " "
            fresh = " [fresh id]" if statement.fresh_id is not None else ""
            print(f"   {mark} {first_line(statement.sql)}{fresh}")


def print_table(all_scenarios: list[Scenario], figures: dict[str, Any]) -> None:
    head = "  req/s  p50 ms  p99 ms  cpu ms  new db"
    print(f"\n{'':<35}{'renda':<39}{'baseline':<39}ratio")
    print(f"{'':<30}conns{head}{head}  req/s")
    for s in all_scenarios:
        row = f"  {s.label:<28}{s.connections:>5}"
        for side in ("renda", "base"):
            f = figures[s.key][side]
            row += f"{f['rps']:>7.0f}{f['p50_ms']:>8.2f}{f['p99_ms']:>8.2f}{f['cpu_ms']:>8.2f}{f['connects']:>8.0f}"
        print(f"{row}{figures[s.key]['ratio']:>7.2f}  {s.base_label}")
    print("  cpu ms: CPU time of the server process (all its threads) per request;")
    print("  new db: database connections opened during the run (PostgreSQL's session count)")


def print_memory(m: dict[str, float]) -> None:
    print(
        f"\nmemory of a fresh Renda process (VmRSS): {m['start_mb']:.1f} MB after start, "
        f"{m['one_office_mb']:.1f} MB after 1 office, {m['all_offices_mb']:.1f} MB after {m['offices']:.0f} offices"
        f" → {m['mb_per_office'] * 1024:.0f} KB per office"
    )


def print_profile(profiles: dict[str, Any]) -> None:
    renda, bare = profiles["renda"], profiles["baseline"]
    print("\nprofiles, register list at 16 connections (an extra run per side, sampled by py-spy)")
    for label, p in profiles.items():
        run = p["run_while_sampled"]
        print(f"  {label}: {run['rps']:.0f} req/s, {run['cpu_ms']:.2f} CPU ms per request while sampled")
        print(f"    flame graph {p['svg']}")
        print(
            f"    {p['main_thread_samples']} samples of the event loop thread;"
            f" other threads (worker, relay, thread pool) had {p['other_threads_share'] * 100:.1f}% of all samples"
        )
    print("  the event loop thread's CPU ms per request, by package    renda  baseline")
    mine, theirs = dict(renda["self_by_package"]), dict(bare["self_by_package"])
    for name in [*mine, *(name for name in theirs if name not in mine)]:
        ours, base = mine.get(name, 0) * renda["loop_cpu_ms"], theirs.get(name, 0) * bare["loop_cpu_ms"]
        print(f"    {name:<53}{ours:>7.3f}{base:>9.3f}")
    for title, key in (("self time", "self"), ("total time (below uvicorn's runner)", "total")):
        print(f"  renda, {title}, share of its event loop thread's samples:")
        for name, share in renda[key]:
            print(f"    {share * 100:5.1f}%  {name}")


def verdicts(all_scenarios: list[Scenario], figures: dict[str, Any]) -> dict[str, Any]:
    """A goal is met when Renda's throughput ratio reaches it at every connection count measured."""
    result = {}
    for goal, target in GOALS.items():
        ratios = {s.connections: figures[s.key]["ratio"] for s in all_scenarios if s.goal == goal}
        met = min(ratios.values()) >= target
        result[goal] = {"target": target, "ratios": ratios, "met": met}
    return result


def print_verdicts(result: dict[str, Any]) -> None:
    print()
    for goal, v in result.items():
        ratios = ", ".join(f"{r:.2f} at {c} conn" for c, r in v["ratios"].items())
        verdict = "met" if v["met"] else "NOT MET"
        print(f"goal {goal}: Renda ≥ {v['target']}× its baseline in req/s: {verdict} ({ratios})")


# --- main ----------------------------------------------------------------------------------------
async def start_servers(
    servers: Servers, app: Any, setup: Setup, url: str, workdir: Path
) -> tuple[Server, Server, dict[str, Replay]]:
    """Renda (and its worker, with a broker), once the seeding's jobs are sent; the statements to
    replay, recorded in process; then the baseline that replays them."""
    worker = await servers.worker() if servers.broker_url else None
    renda = await servers.renda()
    await wait_for_background_jobs(asyncpg_dsn(url))
    await wait_until_idle([renda] if worker is None else [renda, worker])
    replays = await capture(app, setup)
    statements = workdir / "statements.json"
    statements.write_text(json.dumps({name: r.to_json() for name, r in replays.items()}))
    bare = await servers.bare(statements, asyncpg_dsn(url))
    return renda, bare, replays


async def run(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, Any]:
    from renda.app import create_app
    from renda.core.db import get_database

    app = create_app(Settings(database_url=url, secret_key=SECRET, log_level="WARNING"), url)  # no lifespan: no relay
    database = get_database()
    servers = Servers(workdir, url, args.broker_url)
    probe = None
    try:
        started = time.perf_counter()
        setup = await set_up(app, database, args.offices, args.rotate, args.register)
        print(f"  set up in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        renda, bare, replays = await start_servers(servers, app, setup, url, workdir)
        await database.dispose()  # the script's own pool is not needed any more
        result: dict[str, Any] = {"setup": setup, "replays": replays, "memory": await memory(servers, setup)}
        result["scenarios"] = all_scenarios = scenarios(setup)
        probe = Probe(await asyncpg.connect(asyncpg_dsn(url)))
        result["figures"] = await measure((renda, bare), all_scenarios, args, workdir, probe)
        result["profile"] = None
        if args.profile:
            args.profile_dir.mkdir(parents=True, exist_ok=True)
            register_c16 = next(s for s in all_scenarios if s.key == "register_c16")
            result["profile"] = await profile((renda, bare), register_c16, args, workdir, probe)
        return result
    finally:
        if probe is not None:
            await probe.conn.close()
        await servers.stop_all()
        await database.dispose()


def report(args: argparse.Namespace, where: str, r: dict[str, Any]) -> None:
    setup: Setup = r["setup"]
    size = setup.register_size
    print(f"\nrenda request benchmark on {where}: {len(setup.codes)} offices, register of {size} deputies,")
    print(f"median of {args.repeat} runs of {args.duration} s (after {args.warmup} s warm-up) per figure, wrk 1 thread")
    print_statements(r["replays"])
    print_table(r["scenarios"], r["figures"])
    print_memory(r["memory"])
    if r["profile"]:
        print_profile(r["profile"])
    result = verdicts(r["scenarios"], r["figures"])
    print(
        json.dumps(
            {
                "offices": len(setup.codes),
                "rotation_offices": len(setup.rotation),
                "register_size": setup.register_size,
                "repeat": args.repeat,
                "duration_s": args.duration,
                "figures": r["figures"],
                "memory": r["memory"],
                "profile": r["profile"],
                "goals": result,
            }
        )
    )
    print_verdicts(result)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each measured run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (the median is kept)")
    parser.add_argument("--offices", type=int, default=500, help="offices provisioned (the memory figure)")
    parser.add_argument(
        "--register", type=int, default=REGISTER_SIZE, help="deputies in the office whose register is listed"
    )
    parser.add_argument("--rotate", type=int, default=100, help="offices the many-offices run rotates over")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    parser.add_argument(
        "--broker-url",
        help="run Renda with this broker (as deployed: no worker threads in the web process, a `renda worker` "
        "beside it); default: the in-process broker of `renda serve` without RENDA_BROKER_URL",
    )
    parser.add_argument("--profile", action="store_true", help="also profile Renda with py-spy (register, 16 conns)")
    parser.add_argument("--profile-dir", type=Path, default=ROOT / "var" / "bench-profile")
    args = parser.parse_args()
    if min(args.duration, args.repeat, args.rotate, args.register) < 1 or args.warmup < 0 or args.offices < 4:
        parser.error(
            "--duration, --repeat, --rotate and --register must be at least 1, --warmup at least 0,"
            " --offices at least 4"
        )
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    args.rotate = min(args.rotate, args.offices - 2)  # the two first offices have their own roles
    return args


async def main() -> None:
    args = parse_args()
    # SIGTERM ends the run as Ctrl-C does: servers stopped, database dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
    server = server_url(args.database_url)
    with tempfile.TemporaryDirectory(prefix="renda-bench-") as workdir:
        async with throwaway_database(server) as url:
            result = await run(args, url, Path(workdir))
    report(args, describe_server(server), result)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted: servers stopped, benchmark database dropped")
