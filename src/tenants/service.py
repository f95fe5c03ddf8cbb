"""The tenant registry: creating (provisioning), listing and changing the status of offices."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import Database, current_unit
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import Page, paginate
from renda.tenants.divisions import Level, schema_for, validate_code, validate_parent
from renda.tenants.migrations import TENANT_SCRIPTS, script_directory, upgrade_schema
from renda.tenants.models import Tenant, TenantStatus
from renda.tenants.schemas import TenantCreate
from renda.tenants.scoping import TenantRef, enter_office, load_tenant


@cache
def _tenant_script() -> ScriptDirectory:
    return script_directory(TENANT_SCRIPTS)


async def get_by_code(session: AsyncSession, code: str) -> Tenant:
    tenant = (await session.execute(select(Tenant).where(Tenant.code == code))).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"机关 {code} 不存在", code="tenant_not_found")
    return tenant


async def create_tenant(database: Database, data: TenantCreate, *, actor: str) -> Tenant:
    """Register an office and give it its schema at the current revision, in one transaction."""
    try:
        level = Level(data.level)
    except ValueError:
        raise InvalidInput("层级应为 city、county 或 township", code="invalid_level") from None
    code = validate_code(data.code, level)
    name = data.name.strip()
    async with database.platform_session() as session:
        session.info["actor"] = actor
        parent = await get_by_code(session, data.parent) if data.parent else None
        validate_parent(code, level, parent.code if parent else None, Level(parent.level) if parent else None)
        if parent is not None and parent.status != TenantStatus.ACTIVE:
            raise InvalidInput(f"上级机关 {parent.name} 当前不是正常状态,不能在其下开通机关", code="parent_inactive")
        duplicate = (
            await session.execute(select(Tenant).where(or_(Tenant.code == code, Tenant.name == name)))
        ).scalar()
        if duplicate is not None:
            field = "行政区划代码" if duplicate.code == code else "名称"
            raise Conflict(f"{field}已被机关“{duplicate.name}”({duplicate.code})使用", code="tenant_exists")
        tenant = Tenant(
            code=code,
            name=name,
            level=level.value,
            parent_id=parent.id if parent else None,
            path=f"{parent.path}/{code}" if parent else code,
            status=TenantStatus.ACTIVE,
            schema_name=schema_for(code),
        )
        session.add(tenant)
        try:
            await session.flush()
            unit = current_unit()
            if unit is not None:  # a request that opens an office works in that office from here on
                await unit.bind_office(code, tenant.schema_name)
            connection = await session.connection()
            await connection.execute(text(f'CREATE SCHEMA "{tenant.schema_name}"'))
            await upgrade_schema(connection, _tenant_script(), tenant.schema_name)
            if parent is not None:
                _placed_beneath(session, code)
            await session.commit()
        except IntegrityError:  # a concurrent request registered the same office first
            raise Conflict(f"行政区划代码 {code} 已被使用", code="tenant_exists") from None
        return tenant


def _placed_beneath(session: AsyncSession, code: str) -> None:
    """What the modules copy between neighbouring offices reaches a new office once it commits: the
    repeated-suggestion check's copies of the office above."""
    from renda.modules.suggestions import service as suggestions

    suggestions.office_placed(session, code)


async def list_tenants(
    session: AsyncSession,
    *,
    level: str | None = None,
    status: str | None = None,
    parent: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Tenant]:
    query = select(Tenant).order_by(Tenant.path)
    if level:
        query = query.where(Tenant.level == level)
    if status:
        query = query.where(Tenant.status == status)
    if parent:
        parent_tenant = await get_by_code(session, parent)
        query = query.where(Tenant.parent_id == parent_tenant.id)
    if q:
        query = query.where(or_(Tenant.name.contains(q), Tenant.code.startswith(q)))
    return await paginate(session, query, page, page_size)


async def set_status(database: Database, code: str, status: TenantStatus, *, actor: str, reason: str | None) -> Tenant:
    async with database.platform_session() as session:
        session.info["actor"] = actor
        tenant = await get_by_code(session, code)
        if tenant.status == status:
            return tenant
        tenant.status = status
        tenant.status_reason = reason
        await session.commit()
        return tenant


async def published_office(code: str) -> TenantRef:
    """An office whose public pages (portal, opinions) are shown: only an active one; an unknown,
    suspended or archived office simply has none."""
    if not code.isdigit() or len(code) not in (6, 9):
        raise NotFound("该机关没有公开页面", code="portal_not_found")
    try:
        tenant = await load_tenant(code)
    except NotFound:
        raise NotFound("该机关没有公开页面", code="portal_not_found") from None
    if tenant.status != TenantStatus.ACTIVE:
        raise NotFound("该机关没有公开页面", code="portal_not_found")
    await enter_office(tenant)  # the request is this office's now: no other office's data is reachable
    return tenant
