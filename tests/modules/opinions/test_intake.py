"""Intake from other modules (reception, contact, staff) and suggestion drafts made through the services."""

from __future__ import annotations

import uuid

import pytest

from renda.core.errors import InvalidInput
from renda.modules.opinions.common import format_ticket, parse_ticket
from renda.modules.opinions.intake import intake
from renda.modules.opinions.models import OpinionStep
from renda.modules.suggestions import service as suggestions
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.organisation.support import add_persons


async def test_intake_gives_a_ticket_and_a_first_step(database, offices) -> None:
    a = offices["a"]
    [deputy] = await add_persons(a, "岐山接待代表")
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test:意见") as session:
        opinion = await intake(
            session,
            tenant,
            source="reception",
            content="村口道路坑洼,雨天积水严重,希望尽快修补。",
            category="transport",
            submitter_name="王大伯",
            submitter_phone="138 0000 1234",
            deputy_person_id=deputy,
        )
        await session.commit()
        assert len(opinion.ticket) == 12 and parse_ticket(format_ticket(opinion.ticket))
        assert opinion.submitter_phone_masked == "138****1234"
        assert "13800001234" not in (opinion.submitter_phone_encrypted or "")
        steps = (await session.execute(OpinionStep.__table__.select())).all()
        assert any(s.opinion_id == opinion.id and s.kind == "intake" for s in steps)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"content": "   "}, "content_required"),
        ({"content": "长" * 1001}, "content_too_long"),
        ({"content": "<script>alert(1)</script>"}, "markup_not_allowed"),
        ({"content": "路灯不亮", "deputy_person_id": uuid.uuid4()}, "unknown_deputy"),
        ({"content": "路灯不亮", "station_id": uuid.uuid4()}, "unknown_station"),
        ({"content": "路灯不亮", "category": "nonsense"}, "invalid_category"),
        ({"content": "路灯不亮", "submitter_phone": "12345"}, "invalid_mobile"),
    ],
)
async def test_intake_refuses_bad_input(database, offices, kwargs, code) -> None:
    tenant = await load_tenant(offices["a"])
    async with tenant_session(tenant, actor="system:test:意见") as session:
        with pytest.raises(InvalidInput) as refused:
            await intake(session, tenant, source="staff", **kwargs)
        assert refused.value.code == code


async def test_create_draft(database, offices) -> None:
    a = offices["a"]
    [deputy] = await add_persons(a, "岐山建议代表")
    tenant = await load_tenant(a)
    async with tenant_session(tenant, actor="system:test:建议") as session:
        draft = await suggestions.create_draft(
            session,
            tenant,
            deputy_person_id=deputy,
            title="关于修缮村道的建议",
            content="多名群众反映村道坑洼。",
            source="staff",
            source_id=None,
        )
        await session.commit()
        assert draft.status == "draft" and draft.id
        with pytest.raises(InvalidInput):
            await suggestions.create_draft(
                session, tenant, deputy_person_id=uuid.uuid4(), title="x", content="y", source="staff", source_id=None
            )
