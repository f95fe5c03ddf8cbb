"""The outbox and the workers, on every configured broker (in-process always; RabbitMQ and Redis in CI).

A sender killed (SIGKILL) right after its commit still gets its message out, exactly once; a message
delivered twice changes nothing the second time; a worker only touches the office of its message.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import textwrap
import uuid

import dramatiq
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from renda.modules.audit.models import AuditLog
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.models import OutboxMessage, ProcessedMessage
from renda.workers.outbox import OutboxRelay
from tests.conftest import broker_params, raw_fetchval, running_worker

SENDER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from renda.core.db import configure_database
    from renda.core.auth import Principal
    from renda.modules.audit.recorder import install_audit_recorder
    from renda.modules.exports.service import request_export
    from renda.tenants.scoping import TenantAccess, load_tenant, tenant_session
    from renda.workers.outbox import install_outbox_notify
    import uuid

    async def main():
        install_audit_recorder(); install_outbox_notify()
        configure_database(sys.argv[1])
        tenant = await load_tenant(sys.argv[2])
        principal = Principal(uuid.uuid4(), "被杀死的发送者", False)
        access = TenantAccess(tenant, principal, frozenset({"office_admin"}))
        async with tenant_session(tenant, actor=principal.actor) as session:
            export = await request_export(session, access, "audit_log", {})
            await session.commit()
        print(export.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies after commit, before any relay could send

    asyncio.run(main())
    """
)


@pytest.fixture(params=broker_params())
def broker(request):
    with running_worker(request.param) as broker:
        yield broker


async def wait_for(predicate, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def export_state(code: str, export_id: uuid.UUID) -> Export:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        return (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()


async def update_count(code: str, export_id: uuid.UUID) -> int:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        query = select(func.count()).where(
            AuditLog.entity == "exports", AuditLog.entity_id == str(export_id), AuditLog.action == "update"
        )
        return (await session.execute(query)).scalar_one()


async def test_killed_sender_message_goes_out_once(broker, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SENDER, database_url, code, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(sender.communicate(), timeout=60)
    assert sender.returncode == -9, stderr.decode()
    export_id = uuid.UUID(stdout.decode().strip())
    assert (await export_state(code, export_id)).status == "pending"
    unsent = await raw_fetchval(database_url, "select count(*) from platform.outbox where sent_at is null")
    assert unsent >= 1

    relay = OutboxRelay(database, broker)
    assert await relay.drain() >= 1

    async def built() -> bool:
        return (await export_state(code, export_id)).status == "done"

    await wait_for(built)
    async with database.platform_session() as session:
        row = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.args[1].astext == str(export_id)))
        ).scalar_one()
        assert row.sent_at is not None and row.tenant_code == code

    # The broker delivers the same message again (e.g. a relay died before marking it sent).
    broker.enqueue(
        dramatiq.Message(
            queue_name=row.queue_name,
            actor_name=row.actor_name,
            args=tuple(row.args),
            kwargs={},
            options={},
            message_id=row.message_id,
        )
    )

    async def processed() -> bool:
        async with database.platform_session() as session:
            count = await session.execute(
                select(func.count()).select_from(ProcessedMessage).where(ProcessedMessage.message_id == row.message_id)
            )
            return count.scalar_one() == 1

    await wait_for(processed)
    await asyncio.sleep(1.0)  # give the duplicate every chance to do harm
    assert await update_count(code, export_id) == 1  # built exactly once

    # The workbook holds the office's audit log.
    async with tenant_session(await load_tenant(code), actor="test") as session:
        from renda.modules.exports.service import get_export

        export = await get_export(session, export_id, with_content=True)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[1]] == ["时间", "操作人", "操作", "对象", "变更内容"]
    assert sheet.max_row == export.row_count + 1 and export.row_count >= 1


@pytest.mark.smoke
async def test_worker_stays_in_its_office(broker, client, database, hierarchy) -> None:
    """An export of office A contains only A's audit log, never B's."""
    from tests.conftest import make_caller

    a, b = hierarchy["a"], hierarchy["b"]
    marker = f"汉阴县专属{uuid.uuid4().hex[:6]}"
    async with tenant_session(await load_tenant(b), actor=f"user:{uuid.uuid4()}:{marker}") as session:
        session.add(Export(kind="audit_log", params={}, requested_by=f"user:x:{marker}", status="done"))
        await session.commit()
    caller = await make_caller(database, "石泉县导出员", {a: ["staff"]})
    created = await client.post(
        f"/api/v1/t/{a}/exports", json={"kind": "audit_log", "params": {}}, headers=caller.headers
    )
    assert created.status_code == 202, created.text
    export_id = uuid.UUID(created.json()["id"])
    await OutboxRelay(database, broker).drain()

    async def built() -> bool:
        return (await export_state(a, export_id)).status == "done"

    await wait_for(built)
    download = await client.get(f"/api/v1/t/{a}/exports/{export_id}/file", headers=caller.headers)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert marker not in cells
    assert "石泉县导出员" in cells or sheet.max_row >= 2


async def test_unknown_export_kind_is_refused(client, database, hierarchy) -> None:
    from tests.conftest import make_caller

    caller = await make_caller(database, "石泉县工作人员乙", {hierarchy["a"]: ["staff"]})
    before = await raw_count_exports(database, hierarchy["a"])
    response = await client.post(
        f"/api/v1/t/{hierarchy['a']}/exports", json={"kind": "everything", "params": {}}, headers=caller.headers
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_export_kind"
    assert await raw_count_exports(database, hierarchy["a"]) == before


async def raw_count_exports(database, code: str) -> int:
    async with tenant_session(await load_tenant(code), actor="test") as session:
        return (await session.execute(select(func.count()).select_from(Export))).scalar_one()
