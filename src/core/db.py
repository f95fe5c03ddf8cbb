"""Database engine, declarative bases and sessions.

Platform tables name their schema (`platform`); tenant tables name none and are mapped onto one
tenant's schema by `schema_translate_map` (see `renda.tenants.scoping`). A session that was not
opened for a tenant maps them onto a schema that cannot exist, so a tenant table queried without a
tenant fails loudly instead of reaching some other tenant.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Database:
    """One engine per event loop (asyncpg connections belong to the loop that opened them)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine_kwargs = {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True, **engine_kwargs}
        self._engines: dict[int, AsyncEngine] = {}

    @property
    def engine(self) -> AsyncEngine:
        loop_id = id(asyncio.get_running_loop())
        engine = self._engines.get(loop_id)
        if engine is None:
            engine = create_async_engine(self.url, **self.engine_kwargs).execution_options(
                schema_translate_map={None: NO_TENANT_SCHEMA}
            )
            self._engines[loop_id] = engine
        return engine

    def platform_session(self) -> AsyncSession:
        """A session for platform tables only."""
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


_database: Database | None = None


def configure_database(url: str, **engine_kwargs: Any) -> Database:
    global _database
    _database = Database(url, **engine_kwargs)
    return _database


def configured_database() -> Database | None:
    return _database


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database is not configured: call configure_database() at start-up")
    return _database


@asynccontextmanager
async def committed_on_success(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """For request dependencies: commit when the handler returns, roll back when it raises."""
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()


async def provide_platform_session(request: Any) -> AsyncIterator[AsyncSession]:
    """Litestar dependency: a platform session acting as the caller, committed when the handler succeeds."""
    async with get_database().platform_session() as session, committed_on_success(session):
        session.info["actor"] = request.user.actor if request.user else "anonymous"
        yield session
