"""The baseline of bench/requests.py: a bare Litestar app that sends the SQL Renda sends.

For each endpoint it replays, inside one transaction on one asyncpg pool connection, the statements
`bench/requests.py` recorded while Renda served the same request (with their parameters), and
answers with the rows of the main statement as JSON. No authentication, no ORM, no sessions: what
is left of a request is HTTP, Litestar's routing and JSON, asyncpg and PostgreSQL. The gap to Renda
is what Renda adds on top.

Usage (started by bench/requests.py): python bench/bare_app.py STATEMENTS_JSON PORT DSN POOL_SIZE
"""

from __future__ import annotations

import base64
import json
import sys
import traceback
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, post


# --- the recorded statements, as JSON ------------------------------------------------------------
def encode(value: Any) -> Any:
    """A DBAPI parameter as JSON; the types asyncpg takes that JSON has not are tagged."""
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot record a parameter of type {type(value).__name__}")


TAGS = {
    "$uuid": uuid.UUID,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$decimal": Decimal,
    "$bytes": base64.b64decode,
}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return TAGS[tag](text)
    return value


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[Any, ...]
    fresh_id: int | None = None  # index of the `id` parameter of an INSERT, made new on each replay

    def to_json(self) -> dict[str, Any]:
        return {"sql": self.sql, "params": encode(list(self.params)), "fresh_id": self.fresh_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Statement:
        return cls(data["sql"], tuple(decode(data["params"])), data["fresh_id"])

    def parameters(self) -> tuple[Any, ...]:
        if self.fresh_id is None:
            return self.params
        params = list(self.params)
        params[self.fresh_id] = uuid.uuid4()
        return tuple(params)


@dataclass(frozen=True)
class Replay:
    """What one endpoint sends, in order, and which statement's rows are the response."""

    statements: list[Statement]
    main: int

    def to_json(self) -> dict[str, Any]:
        return {"statements": [s.to_json() for s in self.statements], "main": self.main}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replay:
        return cls([Statement.from_json(s) for s in data["statements"]], data["main"])


def load(path: Path) -> dict[str, Replay]:
    return {name: Replay.from_json(data) for name, data in json.loads(path.read_text()).items()}


# --- the app -------------------------------------------------------------------------------------
def create_bare_app(replays: dict[str, Replay], dsn: str, pool_size: int) -> Litestar:
    """Renda's engine keeps `pool_size` connections and opens as many again under load: the pool
    here keeps as many and grows to the same maximum."""
    pool: asyncpg.Pool | None = None

    async def open_pool() -> None:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=2 * pool_size)

    async def close_pool() -> None:
        if pool is not None:
            await pool.close()

    async def replay(name: str) -> list[dict[str, Any]]:
        assert pool is not None
        spec = replays[name]
        rows: list[asyncpg.Record] = []
        async with pool.acquire() as conn, conn.transaction():
            for number, statement in enumerate(spec.statements):
                found = await conn.fetch(statement.sql, *statement.parameters())
                if number == spec.main:
                    rows = found
        return [dict(row) for row in rows]

    # The paths are Renda's, so the same wrk scripts drive both apps (the baseline ignores the token).
    @get("/api/v1/t/{code:str}/deputies")
    async def register(code: str) -> list[dict[str, Any]]:
        return await replay("register")

    @post("/api/v1/t/{code:str}/persons", status_code=201)
    async def create(code: str, data: dict[str, Any]) -> dict[str, Any]:
        await replay("create")  # an INSERT returns no rows: the body is echoed, as Renda echoes the person
        return data

    @get("/api/v1/me")
    async def me() -> list[dict[str, Any]]:
        return await replay("me")

    @get("/api/v1/t/{code:str}/suggestions/items")
    async def suggestions(code: str, request: Request) -> list[dict[str, Any]]:
        # bench/suggestions.py: one replay per list, named by its query string.
        return await replay(f"suggestions?{request.scope['query_string'].decode()}")

    @get("/api/v1/t/{code:str}/duty/points/ranking")
    async def duty_ranking(code: str, request: Request) -> list[dict[str, Any]]:
        # bench/duty_ranking.py: one replay per ranking, named by its query string.
        return await replay(f"duty_ranking?{request.scope['query_string'].decode()}")

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    async def log_error(error: Exception, _: Any) -> None:
        # Logging is off, as in Renda's server; a failed replay must still say why.
        traceback.print_exception(error, file=sys.stderr)

    return Litestar(
        route_handlers=[register, create, me, suggestions, duty_ranking, health],
        on_startup=[open_pool],
        on_shutdown=[close_pool],
        after_exception=[log_error],
        debug=False,
        logging_config=None,
    )


def main() -> None:
    import uvicorn

    statements, port, dsn, pool_size = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    app = create_bare_app(load(statements), dsn, pool_size)
    # `renda serve`'s settings: one process, uvicorn's default loop and HTTP implementation, no
    # access log, no proxy headers.
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, proxy_headers=False)


if __name__ == "__main__":
    main()
