"""Seeded demo offices and users: 汉中市 with two counties, each with two townships."""

from __future__ import annotations

from sqlalchemy import select

from renda.core.db import Database
from renda.core.permissions import Role
from renda.modules import import_module_parts
from renda.modules.accounts import service as accounts
from renda.modules.accounts.models import User
from renda.tenants import service as tenants
from renda.tenants.divisions import Level
from renda.tenants.models import Tenant
from renda.tenants.schemas import TenantCreate

DEMO_ACTOR = "system:demo:演示数据"

# Real places: 安康市 (610900) with 石泉县 (610922) and 汉阴县 (610921).
DEMO_OFFICES = [
    ("610900", "安康市人大常委会", Level.CITY, None),
    ("610922", "石泉县人大常委会", Level.COUNTY, "610900"),
    ("610922100", "石泉县城关镇人大主席团", Level.TOWNSHIP, "610922"),
    ("610922101", "石泉县饶峰镇人大主席团", Level.TOWNSHIP, "610922"),
    ("610921", "汉阴县人大常委会", Level.COUNTY, "610900"),
    ("610921100", "汉阴县城关镇人大主席团", Level.TOWNSHIP, "610921"),
    ("610921101", "汉阴县涧池镇人大主席团", Level.TOWNSHIP, "610921"),
]

DEMO_USERS = [
    ("平台管理员(演示)", None, None),
    ("安康市 代表工委 王芳(演示)", "610900", [Role.OFFICE_ADMIN]),
    ("石泉县 代表工委 李强(演示)", "610922", [Role.OFFICE_ADMIN]),
    ("石泉县 工作人员 张敏(演示)", "610922", [Role.STAFF]),
    ("石泉县 常委会组成人员 陈明(演示)", "610922", [Role.COMMITTEE_MEMBER]),
    ("石泉县 人大代表 王建国(演示)", "610922", [Role.DEPUTY]),
    ("石泉县 承办单位 赵静(演示)", "610922", [Role.HANDLING_UNIT]),
    ("石泉县 只读用户 孙丽(演示)", "610922", [Role.VIEWER]),
    ("城关镇 人大主席团 周杰(演示)", "610922100", [Role.OFFICE_ADMIN]),
    ("汉阴县 代表工委 吴刚(演示)", "610921", [Role.OFFICE_ADMIN]),
]

# Every demo user has an address, so their notification email reaches the demo mailbox (`/demo/mailbox`)
# instead of being skipped; example.cn is a reserved-looking domain no one receives mail at.
DEMO_EMAILS = {
    "平台管理员(演示)": "admin@renda.example.cn",
    "安康市 代表工委 王芳(演示)": "wangfang@ankang.example.cn",
    "石泉县 代表工委 李强(演示)": "liqiang@shiquan.example.cn",
    "石泉县 工作人员 张敏(演示)": "zhangmin@shiquan.example.cn",
    "石泉县 常委会组成人员 陈明(演示)": "chenming@shiquan.example.cn",
    "石泉县 人大代表 王建国(演示)": "wangjianguo@shiquan.example.cn",
    "石泉县 承办单位 赵静(演示)": "zhaojing@shiquan.example.cn",
    "石泉县 只读用户 孙丽(演示)": "sunli@shiquan.example.cn",
    "城关镇 人大主席团 周杰(演示)": "zhoujie@chengguan.example.cn",
    "汉阴县 代表工委 吴刚(演示)": "wugang@hanyin.example.cn",
}


async def seed_demo(database: Database) -> bool:
    """Create the demo offices and users unless they exist; returns whether anything was created."""
    async with database.platform_session() as session:
        existing = set((await session.execute(select(Tenant.code))).scalars())
    created = False
    for code, name, level, parent in DEMO_OFFICES:
        if code not in existing:
            await tenants.create_tenant(database, TenantCreate(code, name, level, parent), actor=DEMO_ACTOR)
            created = True
    async with database.platform_session() as session:
        session.info["actor"] = DEMO_ACTOR
        if (await session.execute(select(User).where(User.is_demo))).first() is None:
            for name, code, roles in DEMO_USERS:
                user = await accounts.create_user(
                    session, name, email=DEMO_EMAILS.get(name), platform_admin=code is None, demo=True
                )
                if code:
                    await accounts.grant_membership(session, user, code, roles or [])
            created = True
        else:  # a demo seeded before the users had addresses gets them now
            for user in await accounts.demo_users(session):
                address = DEMO_EMAILS.get(user.display_name)
                if user.email is None and user.contact_email is None and address:
                    user.email = address
        await session.commit()
    from renda.demo_levels import seed_levels
    from renda.demo_register import roll_up_register, seed_register

    registered = await seed_register()
    registered = await seed_levels() or registered
    await link_demo_deputy(database)
    await seed_notifications(database)
    for module in import_module_parts("demo"):  # each module's own demo data, idempotent
        await module.seed_demo()
    await roll_up_register()
    return registered or created


DEMO_DEPUTY = ("石泉县 人大代表 王建国(演示)", "610922", "王建国")


async def link_demo_deputy(database: Database) -> None:
    """The demo deputy signs in as 王建国 of the register: his rosters, receptions and opinions."""
    from renda.modules.deputies.models import Person
    from renda.tenants.scoping import load_tenant, tenant_session

    display_name, code, person_name = DEMO_DEPUTY
    async with database.platform_session() as session:
        user = next((u for u in await accounts.demo_users(session) if u.display_name == display_name), None)
    if user is None:
        return
    async with tenant_session(await load_tenant(code), actor=DEMO_ACTOR) as session:
        person = (await session.execute(select(Person).where(Person.name == person_name))).scalars().first()
        if person is not None and person.user_id is None:
            person.user_id = user.id
            await session.commit()


DEMO_NOTICES = [
    ("demo:notice:1", "关于召开第四季度代表小组活动的通知", "请各代表小组于本月25日前报送活动计划。", "/organisation"),
    ("demo:notice:2", "代表履职培训班报名开始", "县人大常委会将于下月举办代表履职培训班,请有意参加的代表报名。", None),
    ("demo:notice:3", "本月逢十接待日安排已发布", "本月10日、20日、30日在各代表联络站开展接待选民活动。", "/"),
]


async def seed_notifications(database: Database) -> None:
    """A few notices in every demo user's inbox (the event keys make this safe to repeat)."""
    from renda.modules.accounts.models import Membership
    from renda.modules.notifications import service as notifications
    from renda.tenants.scoping import load_tenant, tenant_session

    async with database.platform_session() as session:
        rows = (
            await session.execute(
                select(Tenant.code, Tenant.name, Membership.user_id)
                .join(Membership, Membership.tenant_id == Tenant.id)
                .join(User, User.id == Membership.user_id)
                .where(User.is_demo)
            )
        ).all()
    offices: dict[tuple[str, str], list] = {}
    for code, name, user_id in rows:
        offices.setdefault((code, name), []).append(user_id)
    for (code, name), users in offices.items():
        async with tenant_session(await load_tenant(code), actor=DEMO_ACTOR) as session:
            for key, subject, content, link in DEMO_NOTICES:
                await notifications.notify(
                    session,
                    kind="office_notice",
                    event_key=key,
                    recipients=users,
                    variables={"office": name, "subject": subject, "content": content},
                    link=f"/t/{code}{link}" if link else None,
                )
            await session.commit()
