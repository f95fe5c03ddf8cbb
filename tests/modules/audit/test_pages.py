"""The operation log as a clerk reads it: names instead of ids, Chinese labels and values, local times,
the system's own jobs hidden until asked for; the office's home page shows people's work only."""

from __future__ import annotations

import html
import re
import uuid

from renda.modules.organisation.models import DeputyGroup
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import make_caller
from tests.modules.deputies.helpers import add_person, api, mobile
from tests.test_member_pages import signed_in

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ENGLISH_WORD = re.compile(r"\b[a-z_]{3,}\b")


def visible_text(page: str) -> str:
    """What the reader sees: the page without its tags and attributes (links' addresses hold ids)."""
    body = page.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def assert_readable(page: str) -> None:
    text = visible_text(page)
    assert not UUID.search(text), UUID.search(text)
    for raw in ("{'", '{"', "None", "user:", "system:", "+00:00"):
        assert raw not in text, raw
    assert not re.search(r"(?<![\d*])\*\*\*(?![\d*])", text), "a redacted value shown as stored"
    # File names and types of uploads are shown as they are (名单.xlsx, image/png): not words to translate.
    words = re.sub(r"\b[a-z]+/[a-z.+-]+\b|\.[a-z0-9]{2,4}\b", " ", text)
    assert not ENGLISH_WORD.search(words), ENGLISH_WORD.findall(words)


async def test_the_log_reads_in_chinese_with_names_and_hides_the_system(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    marker = uuid.uuid4().hex[:6]
    clerk = await make_caller(database, f"审计员{marker}", {a: ["staff"]})
    # A person's work: a deputy with a mobile (kept out of the log), a correction, a group made and removed.
    person = await add_person(client, clerk, a, f"李文{marker}", mobile=mobile())
    changed = await client.patch(f"{api(a)}/persons/{person['id']}", json={"gender": "female"}, headers=clerk.headers)
    assert changed.status_code == 200, changed.text
    group = await client.post(
        f"{api(a)}/organisation/groups",
        json={"kind": "professional", "name": f"农业组{marker}", "leader_person_id": person["id"]},
        headers=clerk.headers,
    )
    assert group.status_code == 201, group.text
    removed = await client.delete(f"{api(a)}/organisation/groups/{group.json()['id']}", headers=clerk.headers)
    assert removed.status_code == 204, removed.text
    # The system's own work: a worker makes a group.
    async with tenant_session(await load_tenant(a), actor="system:worker:代表名册") as session:
        session.add(DeputyGroup(kind="geographic", name=f"系统小组{marker}"))
        await session.commit()

    await signed_in(database, client, clerk.user_id)
    page = await client.get(f"/t/{a}/audit", params={"actor": marker})
    assert page.status_code == 200
    assert_readable(page.text)
    text = " ".join(visible_text(page.text).split())
    assert f"审计员{marker}" in text
    # The deputy by name, linked to their page; the update as 字段: 旧值 → 新值; the mobile hidden.
    assert f'<a href="/t/{a}/deputies/{person["id"]}">李文{marker}</a>' in page.text
    assert "性别 : 男 → 女" in text
    assert "手机号码 : (已隐藏)" in text
    # The group's leader by name (set after the group was made), and the removed group by its name.
    assert f"组长 : 空 → 李文{marker}" in text
    assert f"删除 代表小组 农业组{marker}(已删除) 类别 : 专业小组 名称 : 农业组{marker}" in text  # what was deleted
    assert "类别 : 专业小组" in text

    # Hidden by default, shown (as 系统 with the job's name) when asked for.
    everyone = await client.get(f"/t/{a}/audit")
    assert f"系统小组{marker}" not in everyone.text
    with_system = await client.get(f"/t/{a}/audit", params={"system": "true"})
    assert with_system.status_code == 200
    assert_readable(with_system.text)
    assert f"系统小组{marker}" in with_system.text
    assert "系统 (代表名册)" in " ".join(visible_text(with_system.text).split())
    assert 'name="system" value="true" checked' in with_system.text

    # The office's home page: the person's work, not the system's.
    home = await client.get(f"/t/{a}/")
    assert home.status_code == 200
    recent = home.text.split("最近操作", 1)[1]
    assert f"李文{marker}" in recent and f"系统小组{marker}" not in recent
    assert_readable(home.text)


async def test_the_export_reads_like_the_page(client, database, hierarchy, monkeypatch) -> None:
    """操作日志's Excel export: the page's columns and wording, names instead of ids."""
    from renda.modules.audit import service as audit

    monkeypatch.setattr(audit, "EXPORT_BATCH", 1)  # names looked up while the log is still being read

    a = hierarchy["a"]
    marker = uuid.uuid4().hex[:6]
    clerk = await make_caller(database, f"导出员{marker}", {a: ["staff"]})
    person = await add_person(client, clerk, a, f"周平{marker}")
    changed = await client.patch(f"{api(a)}/persons/{person['id']}", json={"gender": "female"}, headers=clerk.headers)
    assert changed.status_code == 200, changed.text

    async with tenant_session(await load_tenant(a), actor="system:test", read_only=True) as session:
        rows = [row async for row in audit.export_rows(session, {"actor": marker})]
    assert audit.EXPORT_HEADERS == ["时间", "操作人", "操作", "对象", "变更内容"]
    assert [row[1:4] for row in rows] == [
        [f"导出员{marker}", "修改", f"代表 周平{marker}"],
        [f"导出员{marker}", "新增", f"代表 周平{marker}"],
    ]
    assert rows[0][4] == "性别: 男 → 女"
    assert f"姓名: 周平{marker}" in rows[1][4].splitlines()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rows[0][0])
    for row in rows:
        assert not any(UUID.search(str(cell)) for cell in row), row
