"""The staff pages of the list and the rates: filters as pickers, cards, who reaches them, and the Excel
exports of both (requested on the page, built by the export worker)."""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook
from sqlalchemy import select

from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.suggestions.support import make_many, make_suggestion, office, unique, unkey
from tests.modules.suggestions.test_rates import hand_set

HTML = {"Accept": "text/html"}


async def _built(code: str, location: str) -> list[tuple]:
    export_id = uuid.UUID(location.split("export=")[1])
    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()
        if export.status == "pending":
            await exports.build(session, export)
        await session.commit()
        content = (await exports.get_export(session, export_id, with_content=True)).content
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


async def test_the_list_page_offers_pickers_and_cards(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    title = unique("关于乡村学校校车安全的建议")
    made = await make_suggestion(place, status="assigned", title=title, category="education", is_key=True)
    try:
        await _pickers_and_cards(client, place, made, title)
    finally:
        await unkey(place, made.id)


async def _pickers_and_cards(client, place, made, title) -> None:
    url = f"/t/{place.code}/suggestions/items"
    page = await client.get(url, params={"term_id": str(place.term_id)}, headers={**place.staff.headers, **HTML})
    assert page.status_code == 200
    html = page.text
    assert title in html and f"2026-{made.seq:04d}" in html and 'class="cards"' in html
    # Units, years and terms are chosen by name, never typed as ids.
    assert f'<option value="{place.unit_id}"' in html and '<option value="2026"' in html
    assert f'<option value="{place.term_id}" selected' in html
    assert "重点建议" in html and "导出 Excel" in html
    # A unit's user sees its own item, without the export; another unit's user does not see it.
    mine = await client.get(url, headers={**place.unit_user.headers, **HTML})
    assert mine.status_code == 200 and title in mine.text and "导出 Excel" not in mine.text
    other = await client.get(url, headers={**place.other_unit_user.headers, **HTML})
    assert other.status_code == 200 and title not in other.text
    deputy = await client.get(url, headers={**place.deputy.headers, **HTML})
    assert deputy.status_code == 200 and title in deputy.text
    # A bad filter on the page says why and still lists.
    bad = await client.get(url, params={"status": "lost"}, headers={**place.staff.headers, **HTML})
    assert bad.status_code == 200 and "状态筛选无效" in bad.text


async def test_the_list_exports_to_excel_as_filtered(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    title = unique("关于农村饮水安全的建议")
    made = await make_suggestion(place, status="replied", title=title, reply_class="A", replied_on_time=True)
    await make_suggestion(place, status="submitted")
    staff = {**place.staff.headers, **HTML}
    url = f"/t/{place.code}/suggestions/items/export"
    requested = await client.post(
        url, data={"term_id": str(place.term_id), "status": "replied"}, headers=staff, follow_redirects=False
    )
    assert requested.status_code in (302, 303), requested.text
    rows = await _built(place.code, requested.headers["location"])
    assert rows[0][:4] == ("编号", "类型", "标题", "分类")
    assert len(rows) == 2 and rows[1][0] == f"2026-{made.seq:04d}" and rows[1][2] == title
    assert rows[1][6] == "已答复" and rows[1][9] == "A"
    # Only those who see the whole office export; a bad filter is refused before any export is made.
    unit = await client.post(url, data={}, headers={**place.unit_user.headers, **HTML})
    assert unit.status_code == 403
    bad = await client.post(url, data={"class": "Z"}, headers=staff)
    assert bad.status_code == 400 and "答复类别筛选无效" in bad.text


async def test_the_rates_page_and_its_export(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    await make_many(place, hand_set(place))
    url = f"/t/{place.code}/suggestions/rates"
    params = {"by": "unit", "term_id": str(place.term_id)}
    city = await make_caller(database, unique("十堰市常委会组成人员"), {offices["city"]: ["committee_member"]})
    for caller in (place.staff, place.committee, place.viewer, city):
        page = await client.get(url, params=params, headers={**caller.headers, **HTML})
        assert page.status_code == 200, page.text
        assert "办结率" in page.text and "77.8%" in page.text and "83.3%" in page.text
    for caller in (place.deputy, place.unit_user):
        assert (await client.get(url, headers={**caller.headers, **HTML})).status_code == 403
    by_year = await client.get(url, params={**params, "by": "year"}, headers={**place.staff.headers, **HTML})
    assert "2025年" in by_year.text and "66.7%" in by_year.text

    requested = await client.post(
        f"{url}/export", data=params, headers={**place.staff.headers, **HTML}, follow_redirects=False
    )
    assert requested.status_code in (302, 303), requested.text
    rows = await _built(place.code, requested.headers["location"])
    assert rows[0][:3] == ("统计项", "交办件数", "已答复件数") and "办结率(%)" in rows[0]
    total = rows[-1]
    assert total[0] == "合计" and total[1:3] == (9, 7)
    assert total[rows[0].index("办结率(%)")] == 77.8 and total[rows[0].index("满意率(%)")] == 75.0
    assert len(rows) == 4  # header, two units, total
