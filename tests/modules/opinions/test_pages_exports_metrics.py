"""The staff pages and their forms (a refused form changes nothing), the Excel export of the list,
and the rollup metrics (received, closed, overdue, rated, score, and the derived average)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.modules.opinions.common import SYSTEM_VIEWER, format_ticket
from renda.modules.opinions.handling import answer, assign, rate_on_behalf
from renda.modules.opinions.intake import intake as record_intake
from renda.modules.opinions.models import Opinion
from renda.modules.opinions.units import create_unit
from renda.modules.rollups.periods import containing
from renda.modules.rollups.registry import RatioMetric
from renda.modules.rollups.registry import metrics as registered_metrics
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.opinions.support import HTML, get, intake, office, set_deadline, unique
from tests.modules.rollups import legacy_metrics as metrics  # the per-period functions the counting replaced


async def test_staff_pages_take_the_loop_through_forms(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山页面")
    staff, unit = {**people.staff.headers, **HTML}, {**people.unit_user.headers, **HTML}
    listing = await client.get(f"/t/{a}/opinions", headers=staff)
    assert listing.status_code == 200 and "群众意见" in listing.text and "录入群众意见" in listing.text
    created = await client.post(
        f"/t/{a}/opinions",
        data={"source": "contact", "content": "页面测试:公交站牌字迹模糊", "submitter_phone": "13933334444"},
        headers=staff,
        follow_redirects=False,
    )
    assert created.status_code in (302, 303), created.text
    detail_url = created.headers["location"]
    opinion_id = uuid.UUID(detail_url.rsplit("/", 1)[1])
    detail = await client.get(detail_url, headers=staff)
    assert (
        detail.status_code == 200
        and "办理过程" in detail.text
        and "分析归类" in detail.text
        and "139****4444" in detail.text
    )

    bad = await client.post(f"{detail_url}/assignment", data={"deadline": "2030-01-01"}, headers=staff)
    assert bad.status_code == 400 and "请选择承办单位" in bad.text
    assert (await get(a, opinion_id)).status == "received"
    empty = await client.post(f"/t/{a}/opinions", data={"content": " "}, headers=staff)
    assert empty.status_code == 400 and "请填写意见内容" in empty.text

    for path, data in (
        ("analysis", {"category": "transport"}),
        ("assignment", {"unit_id": str(people.unit_id), "deadline": str(local_today() + timedelta(days=10))}),
    ):
        done = await client.post(f"{detail_url}/{path}", data=data, headers=staff, follow_redirects=False)
        assert done.status_code in (302, 303), done.text
    unit_view = await client.get(detail_url, headers=unit)
    assert unit_view.status_code == 200 and "提交答复" in unit_view.text and "分析归类" not in unit_view.text
    answered = await client.post(
        f"{detail_url}/answer", data={"answer": "已更换站牌"}, headers=unit, follow_redirects=False
    )
    assert answered.status_code in (302, 303)
    after = await client.get(detail_url, headers=staff)
    assert "记录回访评价" in after.text and "已更换站牌" in after.text
    rated = await client.post(f"{detail_url}/rating", data={"rating": "solved"}, headers=staff, follow_redirects=False)
    assert rated.status_code in (302, 303) and (await get(a, opinion_id)).rating == "solved"

    # Duplicate by typed ticket, and escalation, through the page.
    first = await intake(a, "页面测试:农村饮水工程水质浑浊")
    second = await intake(a, "页面测试:饮水工程的水浑浊")
    wrong = await client.post(f"/t/{a}/opinions/{second.id}/duplicate", data={"ticket": "XXXX"}, headers=staff)
    assert wrong.status_code == 400 and "没有找到该编号" in wrong.text
    merged = await client.post(
        f"/t/{a}/opinions/{second.id}/duplicate",
        data={"ticket": format_ticket(first.ticket)},
        headers=staff,
        follow_redirects=False,
    )
    assert merged.status_code in (302, 303) and (await get(a, second.id)).duplicate_of_id == first.id
    escalated = await client.post(
        f"/t/{a}/opinions/{first.id}/escalation", data={"title": ""}, headers=staff, follow_redirects=False
    )
    assert escalated.status_code in (302, 303)
    draft_id = (await get(a, first.id)).suggestion_draft_id
    draft_page = await client.get(f"/t/{a}/suggestions/{draft_id}", headers=staff)
    assert draft_page.status_code == 200 and "完善草稿" in draft_page.text and "群众意见" in draft_page.text
    edited = await client.post(
        f"/t/{a}/suggestions/{draft_id}/edit",
        data={"title": "关于改善农村饮水水质的建议", "content": "内容"},
        headers=staff,
        follow_redirects=False,
    )
    assert edited.status_code in (302, 303)
    drafts = await client.get(f"/t/{a}/suggestions", headers=staff)
    assert drafts.status_code == 200 and "关于改善农村饮水水质的建议" in drafts.text
    new_draft = await client.post(f"/t/{a}/suggestions", data={"title": "", "content": "x"}, headers=staff)
    assert new_draft.status_code == 400 and "请填写建议标题" in new_draft.text
    withdrawn = await client.post(f"/t/{a}/suggestions/{draft_id}/withdraw", headers=staff, follow_redirects=False)
    assert withdrawn.status_code in (302, 303)
    assert "已撤回" in (await client.get(f"/t/{a}/suggestions/{draft_id}", headers=staff)).text


async def test_units_page_manages_units_and_their_users(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山单位页")
    staff = {**people.staff.headers, **HTML}
    page = await client.get(f"/t/{a}/opinions/units", headers=staff)
    assert page.status_code == 200 and "添加承办单位" in page.text and "岐山单位页交通局经办人" in page.text
    name = unique("岐山县住房和城乡建设局")
    created = await client.post(
        f"/t/{a}/opinions/units", data={"name": name, "contact_name": "周科长"}, headers=staff, follow_redirects=False
    )
    assert created.status_code in (302, 303)
    twice = await client.post(f"/t/{a}/opinions/units", data={"name": name}, headers=staff)
    assert twice.status_code == 409 and "已有名为" in twice.text
    units = (await client.get(f"/api/v1/t/{a}/opinions/units", headers=people.staff.headers)).json()
    unit_id = next(u["id"] for u in units if u["name"] == name)
    added = await client.post(
        f"/t/{a}/opinions/units/{unit_id}/users",
        data={"user_id": str(people.other_unit_user.user_id)},
        headers=staff,
        follow_redirects=False,
    )
    assert added.status_code in (302, 303)
    not_unit_role = await client.post(
        f"/t/{a}/opinions/units/{unit_id}/users", data={"user_id": str(people.viewer.user_id)}, headers=staff
    )
    assert not_unit_role.status_code == 400 and "承办单位" in not_unit_role.text
    edited = await client.post(
        f"/t/{a}/opinions/units/{unit_id}/edit",
        data={"name": name, "is_active": "0"},
        headers=staff,
        follow_redirects=False,
    )
    assert edited.status_code in (302, 303)
    shown = (await client.get(f"/api/v1/t/{a}/opinions/units/{unit_id}", headers=people.staff.headers)).json()
    assert shown["is_active"] is False and [u["display_name"] for u in shown["users"]] == ["岐山单位页教育局经办人"]
    removed = await client.post(
        f"/t/{a}/opinions/units/{unit_id}/users/{people.other_unit_user.user_id}/remove",
        headers=staff,
        follow_redirects=False,
    )
    assert removed.status_code in (302, 303)
    # A unit that has been assigned opinions cannot be deleted, only deactivated.
    opinion = await intake(a, "单位删除测试")
    await client.post(
        f"/api/v1/t/{a}/opinions/{opinion.id}/assignment",
        json={"unit_id": str(people.unit_id)},
        headers=people.staff.headers,
    )
    in_use = await client.post(f"/t/{a}/opinions/units/{people.unit_id}/delete", headers=staff)
    assert in_use.status_code == 409 and "改为停用" in in_use.text
    gone = await client.post(f"/t/{a}/opinions/units/{unit_id}/delete", headers=staff, follow_redirects=False)
    assert gone.status_code in (302, 303)
    assert (
        await client.get(f"/api/v1/t/{a}/opinions/units/{unit_id}", headers=people.staff.headers)
    ).status_code == 404
    # Units and their users for readers, but not for changing.
    assert (await client.get(f"/t/{a}/opinions/units", headers={**people.viewer.headers, **HTML})).status_code == 200
    assert (
        await client.post(f"/t/{a}/opinions/units", data={"name": "x"}, headers={**people.viewer.headers, **HTML})
    ).status_code == 403


async def test_the_list_exports_to_excel(client, database, offices) -> None:
    a = offices["a"]
    people = await office(database, a, "岐山导出")
    marker = unique("导出测试")
    await intake(
        a, f"{marker}:社区健身器材损坏", submitter_name="吴大爷", submitter_phone="13655556666", category="governance"
    )
    staff = {**people.staff.headers, **HTML}
    requested = await client.post(f"/t/{a}/opinions/export", data={"q": marker}, headers=staff, follow_redirects=False)
    assert requested.status_code in (302, 303), requested.text
    export_id = uuid.UUID(requested.headers["location"].split("export=")[1])
    async with tenant_session(await load_tenant(a), actor="system:test") as session:
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()
        assert export.kind == "opinions" and export.params == {"q": marker}
        if export.status == "pending":
            await exports.build(session, export)
        await session.commit()
        content = (await exports.get_export(session, export_id, with_content=True)).content
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("编号", "受理时间", "来源", "类别", "意见内容")
    assert len(rows) == 2 and marker in rows[1][4] and rows[1][3] == "社会治理"
    assert rows[1][6] == "136****6666" and "13655556666" not in str(rows)
    # A unit's user may not export the office's list (nor has the export permission).
    assert (
        await client.post(f"/t/{a}/opinions/export", data={}, headers={**people.unit_user.headers, **HTML})
    ).status_code == 403
    bad = await client.post(f"/t/{a}/opinions/export", data={"status": "bogus"}, headers=staff)
    assert bad.status_code == 400


async def test_metrics_count_the_loop(database, offices) -> None:
    code = offices["a_township"]  # an office only this test writes opinions to
    tenant = await load_tenant(code)
    today = local_today()
    async with tenant_session(tenant, actor="system:test") as session:
        from renda.modules.opinions.schemas import UnitIn

        unit = await create_unit(session, SYSTEM_VIEWER, UnitIn(name=unique("凤鸣镇综合执法办")))
        made = []
        for n, (category, source) in enumerate(
            [("transport", "portal"), ("transport", "reception"), ("education", "staff"), (None, "contact")]
        ):
            made.append(await record_intake(session, tenant, source=source, content=f"指标测试{n}", category=category))
        for opinion, rating in zip(made[:3], ["solved", "partly", None], strict=True):
            await assign(session, SYSTEM_VIEWER, tenant, opinion, unit_id=unit.id)
            if rating:
                await answer(session, SYSTEM_VIEWER, tenant, opinion, text="已办理")
                await rate_on_behalf(session, SYSTEM_VIEWER, opinion, rating=rating)
        await session.commit()
    await set_deadline(code, made[2].id, today - timedelta(days=1))

    month = containing("month", today)
    async with tenant_session(tenant, actor="system:test") as session:
        received = await metrics.received(session, month, today)
        closed = await metrics.closed(session, month, today)
        overdue = await metrics.overdue(session, month, today)
        rated = await metrics.rated(session, month, today)
        score = await metrics.rating_score(session, month, today)
        previous = await metrics.received(session, month.previous(), today)
        opinions_total = len((await session.execute(select(Opinion.id))).all())
    as_dict = {(f.dimension, f.member): f.value for f in received}
    assert as_dict[("", "")] == opinions_total == 4
    assert as_dict[("category", "交通出行")] == 2 and as_dict[("category", "未分类")] == 1
    assert as_dict[("source", "网上提交")] == 1 and as_dict[("source", "接待选民")] == 1
    assert [f.value for f in closed] == [2] and [f.value for f in rated] == [2]
    assert [f.value for f in score] == [150] and [f.value for f in overdue] == [1]
    assert [f.value for f in previous if not f.dimension] == [0]

    found = registered_metrics()
    assert {
        "opinions.received",
        "opinions.closed",
        "opinions.overdue",
        "opinions.rated",
        "opinions.rating_score",
    } <= set(found)
    ratio = found["opinions.satisfaction"]
    assert isinstance(ratio, RatioMetric) and ratio.of(150, 2) == 75.0
    assert found["opinions.overdue"].stock and not found["opinions.received"].stock


async def test_demo_seed_is_idempotent(database, offices) -> None:
    """The demo's seed (for 石泉县) run twice on one of this suite's offices: seeded once."""
    from renda.modules.opinions import demo

    code = offices["b"]
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        before = sorted((await session.execute(select(Opinion.status))).scalars())
    await demo.seed_office(code)
    await demo.seed_office(code)
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        statuses = sorted((await session.execute(select(Opinion.status))).scalars())
    assert len(statuses) - len(before) == 7
    assert statuses.count("assigned") - before.count("assigned") == 2 and {
        "received",
        "answered",
        "closed",
        "duplicate",
        "escalated",
    } <= set(statuses)
