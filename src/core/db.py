"""Database engine, declarative bases and sessions.

Platform tables name their schema (`platform`); tenant tables name none and are mapped onto one
tenant's schema by `schema_translate_map` (see `renda.tenants.scoping`). A session that was not
opened for a tenant maps them onto a schema that cannot exist, so a tenant table queried without a
tenant fails loudly instead of reaching some other tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import DateTime, Executable, MetaData, Row, event, exc, func
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.util import await_only

from renda.core.errors import AppError, Conflict, DatabaseUnavailable, InvalidInput

PLATFORM_SCHEMA = "platform"
NO_TENANT_SCHEMA = "no_tenant_selected"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class PlatformBase(DeclarativeBase):
    """Tables shared by all offices, in schema `platform`."""

    metadata = MetaData(schema=PLATFORM_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Tables of one office; the schema is chosen per session."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


# A transaction pooler hands each transaction whichever server connection is free, so a statement
# prepared in one transaction is not there in the next, and two clients' statements meet on one
# server connection. So: no statement kept between transactions (asyncpg's cache and SQLAlchemy's
# both off), and the statements SQLAlchemy still prepares within a transaction named uniquely, so
# they never clash with another client's (SQLAlchemy's asyncpg dialect documents this set-up).
TRANSACTION_POOLER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": _unique_statement_name,
}

# PostgreSQL compiles a statement whose estimated cost passes `jit_above_cost` to machine code, tens of
# milliseconds each time it is planned. Renda's statements are short reads and writes and per-office
# counts planned once per office schema, never long enough to repay it (a full rollup recompute spends
# about a sixth of its time compiling), so its sessions run without it. A transaction pooler does not
# pass such settings on: there, set `jit = off` on the database (docs/scaling.md).
SERVER_SETTINGS = {"jit": "off"}

CONNECT_TIMEOUT_SECONDS = 5.0  # for PostgreSQL to accept a new connection
POOL_TIMEOUT_SECONDS = 10.0  # for a pooled connection to come free


class Database:
    """One engine per event loop (asyncpg connections belong to the loop that opened them).

    Connections are not pinged on checkout: the transaction is begun right away instead (the BEGIN a
    transaction sends anyway), and a connection that fails it is replaced (see `begin_on_checkout`),
    so the pool heals by itself after PostgreSQL restarts. While PostgreSQL cannot be reached, a new
    connection fails within `timeout` and a wait for a pooled one within `pool_timeout`: seconds."""

    def __init__(
        self, url: str, *, transaction_pooler: bool = False, direct_url: str | None = None, **engine_kwargs: Any
    ) -> None:
        self.url = url
        # Where the work that needs a server session of its own goes (LISTEN, migrations): the server
        # itself when `url` is a transaction pooler's address.
        self.direct_url = direct_url or url
        self.transaction_pooler = transaction_pooler
        connect_args = {
            # Statements are cached per connection and per office schema (the schema is in the SQL):
            # room for the common statements of many offices.
            "prepared_statement_cache_size": 1000,
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "server_settings": SERVER_SETTINGS,
            **engine_kwargs.pop("connect_args", {}),
        }
        if transaction_pooler:
            connect_args.update(TRANSACTION_POOLER_CONNECT_ARGS)
            del connect_args["server_settings"]
        self.engine_kwargs = {
            "pool_size": 10,
            "max_overflow": 10,
            "pool_pre_ping": False,
            "pool_timeout": POOL_TIMEOUT_SECONDS,
            "connect_args": connect_args,
            "query_cache_size": 2000,
            **engine_kwargs,
        }
        self._engines: dict[int, AsyncEngine] = {}
        self._direct: Database | None = None

    @property
    def engine(self) -> AsyncEngine:
        loop_id = id(asyncio.get_running_loop())
        engine = self._engines.get(loop_id)
        if engine is None:
            engine = create_async_engine(self.url, **self.engine_kwargs).execution_options(
                schema_translate_map={None: NO_TENANT_SCHEMA}
            )
            event.listen(engine.sync_engine, "do_connect", connect_or_unavailable)
            event.listen(engine.sync_engine, "checkout", begin_on_checkout)
            event.listen(engine.sync_engine, "before_cursor_execute", guard_statement)
            self._engines[loop_id] = engine
        return engine

    def direct(self) -> Database:
        """This database without the transaction pooler (itself when there is none): for migrations,
        whose long transactions would hold one of the pooler's few server connections away from the
        requests, and whose revisions may need a session of their own (`CREATE INDEX CONCURRENTLY`)."""
        if self.direct_url == self.url:
            return self
        if self._direct is None:
            kwargs = {**self.engine_kwargs, "pool_size": 2, "max_overflow": 2}
            kwargs["connect_args"] = {
                k: v for k, v in kwargs["connect_args"].items() if k not in TRANSACTION_POOLER_CONNECT_ARGS
            }
            self._direct = Database(self.direct_url, **kwargs)
        return self._direct

    def platform_session(self) -> AsyncSession:
        """A session for platform tables; inside a request, on the request's connection."""
        unit = current_unit()
        if unit is not None:
            return unit.session()
        return async_sessionmaker(self.engine, expire_on_commit=False)()

    def session_for_schema(self, schema: str) -> AsyncSession:
        """Use `renda.tenants.scoping.tenant_session` instead: it checks the tenant exists."""
        bind = self.engine.execution_options(schema_translate_map={None: schema})
        session = async_sessionmaker(bind, expire_on_commit=False)()
        session.info["tenant_schema"] = schema
        return session

    async def dispose(self) -> None:
        """Close the current event loop's connections (others belong to other loops)."""
        engine = self._engines.pop(id(asyncio.get_running_loop()), None)
        if engine is not None:
            await engine.dispose()
        if self._direct is not None:
            await self._direct.dispose()


def connect_or_unavailable(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a new connection; whatever stops it being made (refused, unreachable, timed out, the server
    starting up or shutting down, no connection slot left) raises `DatabaseUnavailable`, so every
    caller (a request, a job, the outbox relay) can tell the database's absence from a fault."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as error:
        if isinstance(error, OSError) or database_unavailable(error):
            raise DatabaseUnavailable() from error
        raise


def begin_on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Begin the transaction as the connection leaves the pool. A connection that the server closed
    (a restart, an idle timeout) fails here rather than in the middle of a request's work, and the
    pool then tries another (DisconnectionError makes it retry the checkout)."""
    if getattr(dbapi_connection, "isolation_level", None) == "autocommit" or dbapi_connection._transaction:
        return
    try:
        await_only(dbapi_connection._start_transaction())
    except Exception as error:
        raise exc.DisconnectionError(f"connection lost: {error}") from error


# --- the unit of work of a request ---------------------------------------------------------------
class UnitOfWork:
    """One request's database work: one connection, one transaction, at most one office.

    Every session a request opens (the platform's and its office's) is bound to this connection and
    joins its transaction; `session.commit()` only flushes, and the request's outcome decides at the
    end: committed when the handler returned (its session dependency says so) or, for a handler
    without one, when the response is a success or a redirect; rolled back otherwise."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.connection: AsyncConnection | None = None
        self.schema: str | None = None  # the office schema this request is bound to, once resolved
        self.office_code: str | None = None
        # Set when a handler's session dependency saw it return: commit whatever the status.
        self.succeeded = False

    async def connect(self) -> AsyncConnection:
        if self.connection is None:
            try:
                connection = await self.database.engine.connect()
            except Exception as error:
                # None made (`connect_or_unavailable` says so already), or none free within the pool's timeout.
                if isinstance(error, DatabaseUnavailable) or not database_unavailable(error):
                    raise
                raise DatabaseUnavailable() from error
            await connection.begin()
            self.connection = connection
        return self.connection

    async def bind_office(self, code: str, schema: str, *, read_only: bool = False) -> None:
        """Tie the request to one office: its tables resolve to `schema` from here on. A caller who
        may only read there gets a read-only transaction."""
        if self.schema is not None and self.schema != schema:
            raise OfficeBoundaryError(f"request for office {self.office_code} asked for office {code}")
        self.schema, self.office_code = schema, code
        connection = await self.connect()
        await connection.execution_options(schema_translate_map={None: schema})
        if read_only:
            await connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    def session(self) -> AsyncSession:
        """A session on this request's connection (`connect()` must have run: `UnitOfWork.open`
        connects before the app runs)."""
        assert self.connection is not None, "the request's connection is opened before the app runs"
        return AsyncSession(bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only")

    async def finish(self, commit: bool) -> None:
        """Commit or roll back, and give the connection back. A connection lost meanwhile is dropped
        from the pool (not reset: that would fail again); losing it rolled the transaction back, so a
        rollback has nothing left to do, and a commit raises `DatabaseUnavailable`."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await (connection.commit() if commit else connection.rollback())
        except Exception as error:
            if not database_unavailable(error):
                raise
            with contextlib.suppress(Exception):
                await connection.invalidate()
            if commit:
                raise DatabaseUnavailable() from error
        finally:
            await connection.close()


class OfficeBoundaryError(RuntimeError):
    """Code inside a request (or a job) for one office asked for another office's data."""


_unit: ContextVar[UnitOfWork | None] = ContextVar("renda_unit_of_work", default=None)
# The office a background job works for (the office its message names): see `tenants.scoping.office_job`.
job_office: ContextVar[str | None] = ContextVar("renda_job_office", default=None)


def current_unit() -> UnitOfWork | None:
    return _unit.get()


OFFICE_SCHEMA = re.compile(r"\bt_(\d{6,9})\b")


def guard_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    """Every statement, before it is sent: inside a request or an office's job, it may name no office
    schema but that office's. Platform work (migrations, the rollups across offices) has neither."""
    unit = _unit.get()
    office = unit.office_code if unit is not None else job_office.get()
    if unit is None and office is None:
        return
    other = _other_office(statement, office)
    if other is not None:
        where = "request" if unit is not None else "job"
        raise OfficeBoundaryError(f"a {where} for office {office or '(none)'} sent a statement for office {other}")


@functools.lru_cache(maxsize=4096)
def _other_office(statement: str, office: str | None) -> str | None:
    """The first office schema `statement` names other than `office`'s. Cached: the same statements
    come again and again, and scanning a long one costs more than looking it up."""
    return next((code for code in OFFICE_SCHEMA.findall(statement) if code != office), None)


async def copy_records(
    session: AsyncSession,
    table: str,
    columns: list[str],
    records: Iterable[tuple[Any, ...]] | AsyncIterable[tuple[Any, ...]],
) -> None:
    """COPY into `table` of the session's schema (its office's, or `platform`: the table's own schema
    wins), in the session's transaction, through the same guard as every other statement."""
    connection = await session.connection()
    sync = connection.sync_connection
    assert sync is not None
    driver = (await connection.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")  # begins the transaction the COPY joins
    schema, _, name = table.rpartition(".")
    if not schema:
        schema = (sync.get_execution_options().get("schema_translate_map") or {}).get(None) or NO_TENANT_SCHEMA
    statement = f'COPY "{schema}"."{name}" ({", ".join(columns)}) FROM STDIN'
    sync.dispatch.before_cursor_execute(sync, None, statement, (), None, False)
    await driver.copy_records_to_table(name, schema_name=schema, columns=columns, records=records)


@asynccontextmanager
async def unit_of_work(database: Database) -> AsyncIterator[UnitOfWork]:
    """Make `unit` the current request's: sessions opened inside share its connection. The caller
    finishes it (commit or roll back); leaving the block without doing so rolls back."""
    unit = UnitOfWork(database)
    token = _unit.set(unit)
    try:
        await unit.connect()
        yield unit
    finally:
        _unit.reset(token)
        await unit.finish(commit=False)


_database: Database | None = None


def configure_database(
    url: str, *, transaction_pooler: bool = False, direct_url: str | None = None, **engine_kwargs: Any
) -> Database:
    global _database
    _database = Database(url, transaction_pooler=transaction_pooler, direct_url=direct_url, **engine_kwargs)
    return _database


def configured_database() -> Database | None:
    return _database


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database is not configured: call configure_database() at start-up")
    return _database


async def read_rows(
    session: AsyncSession, statement: Executable, params: dict[str, Any] | None = None
) -> list[Row[Any]]:
    """Plain rows of a read, executed on the session's connection without the ORM's per-statement
    work (no identity map); what the session holds unwritten is flushed first, as the ORM would."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    return list((await connection.execute(statement, params)).all())


async def flush_or_conflict(session: AsyncSession, conflicts: dict[str, tuple[str, str]]) -> None:
    """Flush; a constraint named in `conflicts` (name → code, message) becomes that Conflict: a unique
    constraint, or a foreign key that keeps a row others still refer to."""
    try:
        await session.flush()
    except exc.IntegrityError as error:
        cause = getattr(error.orig, "__cause__", None)
        name = getattr(cause, "constraint_name", None) or next((n for n in conflicts if n in str(error.orig)), None)
        if name in conflicts:
            code, message = conflicts[name]
            raise Conflict(message, code=code) from error
        raise


# What PostgreSQL refused in what a caller sent (SQLSTATE → status, code, message), for the statements
# no service turned into its own error first: a 4xx with a code, never a 500.
REFUSED_INPUT: dict[str, tuple[type[AppError], str, str]] = {
    "23503": (InvalidInput, "unknown_reference", "引用的记录不存在"),
    "23505": (Conflict, "duplicate", "与已有记录重复"),
    "23514": (InvalidInput, "constraint_violated", "数据不符合要求"),
    "23502": (InvalidInput, "missing_value", "缺少必填的数据"),
    "22021": (InvalidInput, "invalid_text", "请求中含有无法识别的字符(空字符或无效的 UTF-8 编码)"),
    "22P05": (InvalidInput, "invalid_text", "请求中含有无法保存的字符(如 \\u0000)"),
    "22003": (InvalidInput, "number_out_of_range", "请求中的数字超出允许的范围"),
    "22001": (InvalidInput, "text_too_long", "填写的内容过长"),
    "22008": (InvalidInput, "invalid_date", "日期或时间超出允许的范围"),
}
IN_USE = (Conflict, "in_use", "该记录仍被其他数据引用,不能删除或修改")


# SQLSTATEs of a server that is not there for us: connection exceptions (class 08), an administrator's
# or a crash's shutdown, a server starting up or shutting down, every connection slot taken.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means PostgreSQL could not be reached or was lost (stopped, restarting,
    unreachable, the pool exhausted) rather than refusing what was sent: the cause a 503 names."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        found = pending.pop()
        if found is None or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, DatabaseUnavailable | exc.TimeoutError | exc.DisconnectionError):
            return True  # exc.TimeoutError: no pooled connection came free within the pool's timeout
        if isinstance(found, exc.DBAPIError) and found.connection_invalidated:
            return True
        state = str(getattr(found, "sqlstate", None) or "")
        if state.startswith("08") or state in UNAVAILABLE_SQLSTATES:
            return True
        if isinstance(found, asyncpg.InterfaceError) and "connection is closed" in str(found):
            return True
        pending += [getattr(found, "orig", None), found.__cause__]
    return False


def root_cause(error: BaseException) -> BaseException:
    """The first error of a chain (`raise … from …`): for a log line, what really happened."""
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def sqlstate_of(error: exc.DBAPIError) -> str | None:
    """The SQLSTATE of a driver error (asyncpg's, under SQLAlchemy's adapter)."""
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if state:
            return str(state)
    return None


def refused_input(error: exc.DBAPIError) -> AppError | None:
    """The 4xx for input PostgreSQL refused, or None when the error is the server's or the code's.
    A foreign key still referenced (a delete) is a conflict; one naming no row (an insert) bad input.
    A value the driver could not encode for its parameter (out of range) is class 22 too."""
    state = sqlstate_of(error)
    if state is None:
        return None
    if state == "23503" and "update or delete on table" in str(error.orig):
        kind, code, message = IN_USE
    elif state == "22000" and "range" in str(error.orig):  # asyncpg: a parameter its column cannot hold
        kind, code, message = REFUSED_INPUT["22003"]
    elif state in REFUSED_INPUT:
        kind, code, message = REFUSED_INPUT[state]
    elif state.startswith("22"):
        kind, code, message = InvalidInput, "invalid_value", "请求中的数据无法保存,请检查后重新提交"
    else:
        return None
    cause = getattr(error.orig, "__cause__", None)
    return kind(message, code=code, details={"constraint": getattr(cause, "constraint_name", None)})


@asynccontextmanager
async def committed_on_success(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """For request dependencies: commit when the handler returns, roll back when it raises. Inside a
    request the commit is the request's (`UnitOfWork.succeeded`), whatever status the handler chose:
    a handler may answer 400 and still keep what it recorded (an import's error report)."""
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    unit = current_unit()
    if unit is not None:
        unit.succeeded = True


async def provide_platform_session(request: Any) -> AsyncIterator[AsyncSession]:
    """Litestar dependency: a platform session acting as the caller, committed when the handler succeeds."""
    async with get_database().platform_session() as session, committed_on_success(session):
        session.info["actor"] = request.user.actor if request.user else "anonymous"
        yield session
