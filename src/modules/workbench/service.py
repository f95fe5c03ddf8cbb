"""The workbench (工作台) of the office home page, by the caller's roles there, and the platform
administrator's start page.

Every count comes from its module's service facade, one statement per card (`cards.py`), all on the
request's one connection and transaction; nothing here reads another module's tables. What each role
sees:

- office administrator, staff: overdue items, opinions to analyse, assign or chase, suggestions to review
  or overdue, contacts behind schedule, groups and stations without deputies, evidence to verify,
  failed exports and imports with errors; a city office also the offices beneath it;
- committee member: their deputies to contact this quarter;
- deputy: their next reception days, the opinions addressed to them, replies to rate, their points;
- handling unit: the suggestions and opinions their units handle, by deadline;
- viewer, and anyone reading an office through a parent office's membership: the offices beneath,
  falling behind first.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import Role
from renda.modules.deputies import service as deputies
from renda.modules.sso import service as sso
from renda.modules.units import service as units
from renda.modules.workbench import cards
from renda.modules.workbench.cards import Desk
from renda.modules.workbench.schemas import Card, Figure, PlatformWorkbench, Provider, Workbench
from renda.tenants import operations
from renda.tenants.scoping import TenantAccess

STAFF_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF})

__all__ = ["Workbench", "office_workbench", "platform_workbench"]


async def office_workbench(session: AsyncSession, access: TenantAccess, today: date) -> Workbench:
    """The cards of the caller's roles in the request's office, in this order: staff, committee member,
    deputy, handling unit, then the offices beneath (in a city office, first)."""
    roles = access.roles
    user_id = access.principal.user_id
    reading_only = access.read_only or access.scopes is not None
    person_id = None
    if Role.DEPUTY in roles and not reading_only:
        person = await deputies.person_of_user(session, user_id)
        person_id = person.id if person is not None else None
    unit_ids = frozenset()
    if Role.HANDLING_UNIT in roles and not reading_only:
        unit_ids = await units.unit_ids_of_user(session, user_id)
    desk = Desk(session, access.tenant, today, user_id, person_id, unit_ids)
    found: list[Card] = []
    if roles & STAFF_ROLES and not reading_only:
        opinion_card, opinion_work = await cards.staff_opinions(desk)
        suggestion_card, suggestion_work = await cards.staff_suggestions(desk)
        found += [
            cards.overdue_card(desk, opinion_work, suggestion_work),
            opinion_card,
            suggestion_card,
            await cards.staff_contacts(desk),
            await cards.staff_evidence(desk),
            await cards.staff_rosters(desk),
            await cards.staff_failures(desk),
        ]
    if Role.COMMITTEE_MEMBER in roles and not reading_only:
        found.append(await cards.member_contacts(desk))
    if Role.DEPUTY in roles and not reading_only:
        found += [
            await cards.deputy_receptions(desk),
            await cards.deputy_opinions(desk),
            await cards.deputy_ratings(desk),
            await cards.deputy_points(desk),
        ]
    if Role.HANDLING_UNIT in roles and not reading_only:
        found += [await cards.unit_suggestions(desk), await cards.unit_opinions(desk)]
    if access.can("reports.read") and (roles & STAFF_ROLES or Role.VIEWER in roles or reading_only):
        beneath = await cards.offices_beneath(desk)
        if beneath is not None:  # a city office's main work is its counties: first there
            found.insert(0 if access.tenant.level == "city" else len(found), beneath)
    return Workbench(today, found)


async def platform_workbench(session: AsyncSession) -> PlatformWorkbench:
    """The platform administrator's: the offices (by status, with those whose schema lags behind), the
    identity providers, and the background work's health; `session` is the platform's."""
    status = await operations.platform_status(session)
    offices = status.offices
    active = sum(1 for o in offices if o.status == "active")
    providers = await sso.list_providers(session)
    found = [
        Card(
            "offices",
            "机关",
            [
                Figure("机关总数", len(offices), "/platform/operations#offices"),
                Figure("在用", active, "/platform/operations#offices"),
                Figure("待升级数据库", len(status.offices_behind), "/platform/operations#offices", alert=True),
            ],
            more=("各机关数据库版本", "/platform/operations#offices"),
            empty="",
        ),
        Card(
            "health",
            "运行状况",
            [
                Figure("失败任务", status.dead_total, "/platform/operations#dead-jobs", alert=True),
                Figure("待发送任务", status.outbox.waiting, "/platform/operations#outbox"),
                Figure("发送重试中", status.outbox.retrying, "/platform/operations#outbox", alert=True),
            ],
            more=("平台运维", "/platform/operations"),
            empty="",
            note=f"任务最长等待 {status.outbox.lag_seconds:.1f} 秒。",
        ),
        Card(
            "providers",
            "统一身份认证",
            [Figure("已配置", len(providers), "#providers")],
            empty="",
            note="用 renda idp add / list / remove 维护身份认证服务。",
        ),
    ]
    return PlatformWorkbench(
        found,
        [Provider(p.name, p.issuer, "、".join(p.office_codes or []) or "全部机关") for p in providers],
    )
