"""Forms that help: a form with several bad fields is refused once, naming every field beside it (marked
`aria-invalid`, described by its message, linked from a summary), and keeps what was typed; pickers offer
an office's own townships, offices and deputies instead of typed codes and ids."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import msgspec
import pytest

from renda.core.errors import InvalidFields
from renda.web.forms import convert_form
from tests.conftest import ensure_tenant, make_caller
from tests.modules.deputies.helpers import add_person, township_term
from tests.test_member_pages import signed_in


class Sample(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    held_on: date
    count: Annotated[int, msgspec.Meta(ge=1)] = 1
    note: Annotated[str, msgspec.Meta(max_length=5)] | None = None


LABELS = {"name": "名称", "held_on": "日期", "count": "人数", "note": "备注"}


@pytest.fixture
async def hierarchy(database) -> dict[str, str]:
    """临沧市 → 永德县 (A) → 永康镇, and 镇康县 (B) beside it: offices of these tests only, so the demo's
    石泉县 (seeded for the browser tests only while it has no congress) stays untouched."""
    offices = [
        ("530900", "临沧市人大常委会", "city", None),
        ("530923", "永德县人大常委会", "county", "530900"),
        ("530923101", "永德县永康镇人大主席团", "township", "530923"),
        ("530924", "镇康县人大常委会", "county", "530900"),
    ]
    for office in offices:
        await ensure_tenant(database, *office)
    return {"city": "530900", "a": "530923", "a_township": "530923101", "b": "530924"}


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidFields) as refused:
        convert_form({"held_on": "2026-02-30", "count": "0", "note": "太长的一段备注"}, Sample, LABELS)
    assert refused.value.fields == {
        "name": "请填写“名称”",
        "held_on": "“日期”应为日期,如 2026-03-10",
        "count": "“人数”不能小于 1",
        "note": "“备注”不能超过 5 个字",
    }
    assert refused.value.status_code == 400 and refused.value.details == {"fields": refused.value.fields}
    assert convert_form({"name": "会议", "held_on": "2026-03-10"}, Sample, LABELS).count == 1


def test_a_form_with_one_bad_field_says_so_as_before() -> None:
    with pytest.raises(InvalidFields) as refused:
        convert_form({"name": "会议", "held_on": "昨天"}, Sample, LABELS)
    assert refused.value.message == "“日期”应为日期,如 2026-03-10" and list(refused.value.fields) == ["held_on"]


def marked(page: str, field: str, within: str = "") -> str:
    """The message shown beside `field` (the first after the text `within`), checking the field points at
    it and the summary links to it."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{field}"[^>]*>', page[page.index(within) :])
    assert tag, f"no field {field}"
    assert f'id="f-{field}"' in tag.group(0) and 'aria-invalid="true"' in tag.group(0), tag.group(0)
    assert f'aria-describedby="f-{field}-error"' in tag.group(0)
    message = re.search(rf'<span class="field-error" id="f-{field}-error">([^<]+)</span>', page)
    assert message, f"no message beside {field}"
    summary = re.search(r'<div class="notice error error-summary"[^>]*role="alert">(.*?)</div>', page, re.S)
    assert summary and f'href="#f-{field}"' in summary.group(1)
    return message.group(1)


async def test_the_person_form_names_every_bad_field_and_keeps_the_values(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "表单登记员", {code: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)

    # What the form's own types refuse: no name, an impossible date, a sector too long.
    typed = {"_csrf": csrf, "name": "", "birth_date": "1970-02-30", "sector": "农" * 51, "workplace": "城关镇卫生院"}
    page = await client.post(f"/t/{code}/deputies/new", data=typed)
    assert page.status_code == 400
    assert marked(page.text, "name") == "请填写“姓名”"
    assert marked(page.text, "birth_date") == "“出生日期”应为日期,如 2026-03-10"
    assert marked(page.text, "sector") == "“界别/行业”不能超过 50 个字"
    assert 'value="城关镇卫生院"' in page.text and 'value="1970-02-30"' in page.text  # what was typed stays
    assert 'name="workplace" id=' not in page.text  # a field without a problem is not marked

    # What the register's rules refuse, all at once: the ID number, the age, the mobile.
    typed = {"_csrf": csrf, "name": "表单甲", "id_number": "61092219800101123X", "birth_date": "2020-01-01"}
    page = await client.post(f"/t/{code}/deputies/new", data={**typed, "mobile": "1234", "position": "村主任"})
    assert page.status_code == 400
    assert "身份证号码" in marked(page.text, "id_number")
    assert marked(page.text, "birth_date") == "出生日期无效:代表须年满十八周岁"
    assert marked(page.text, "mobile") == "手机号码应为 11 位中国大陆手机号"
    assert 'value="表单甲"' in page.text and 'value="村主任"' in page.text
    assert page.text.count('aria-invalid="true"') == 3


async def test_a_station_form_marks_its_fields_too(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "表单站点员", {code: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    typed = {"_csrf": csrf, "kind": "station", "name": "", "address": "路" * 201, "reception_days": "10,20"}
    page = await client.post(f"/t/{code}/organisation/stations", data=typed)
    assert page.status_code == 400
    assert marked(page.text, "name").startswith("请填写“名称")
    assert "200" in marked(page.text, "address")
    assert 'value="10,20"' in page.text


async def test_a_mandate_outside_its_term_is_marked_on_its_date(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "表单资格员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    person = await add_person(client, clerk, code, "表单乙")
    csrf = await signed_in(database, client, clerk.user_id)
    form = {"_csrf": csrf, "term_id": term_id, "starts_on": "2030-01-01", "constituency": "城关第三选区"}
    page = await client.post(f"/t/{code}/deputies/{person['id']}/mandates", data=form)
    assert page.status_code == 400
    assert "不在第十八届任期" in marked(page.text, "starts_on")
    assert 'value="城关第三选区"' in page.text


async def test_pickers_offer_the_offices_own_choices_and_nothing_of_another(client, database, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    clerk = await make_caller(database, "表单选择员", {a: ["staff"]})
    other = await make_caller(database, "表单汉阴员", {b: ["staff"]})
    ours = await add_person(client, clerk, a, "选择器甲")
    _, term_a = await township_term(client, clerk, a)
    _, term_b = await township_term(client, other, b)
    for caller, code, person, term in ((clerk, a, ours, term_a),):
        mandate = {"person_id": person["id"], "term_id": term}
        created = await client.post(f"/api/v1/t/{code}/mandates", json=mandate, headers=caller.headers)
        assert created.status_code == 201, created.text
    theirs = await add_person(client, other, b, "选择器乙")
    created = await client.post(
        f"/api/v1/t/{b}/mandates", json={"person_id": theirs["id"], "term_id": term_b}, headers=other.headers
    )
    assert created.status_code == 201, created.text
    await signed_in(database, client, clerk.user_id)

    found = (await client.get(f"/t/{a}/lookup/deputies", params={"q": "选择器"})).json()["items"]
    assert found == [{"value": ours["id"], "label": "选择器甲"}]
    by_initials = (await client.get(f"/t/{a}/lookup/deputies", params={"q": "xzqj"})).json()["items"]
    assert {"value": ours["id"], "label": "选择器甲"} in by_initials
    assert (await client.get(f"/t/{a}/lookup/deputies", params={"q": "选择器乙"})).json() == {"items": []}
    for kind in ("deputies", "townships", "offices", "units"):
        assert (await client.get(f"/t/{b}/lookup/{kind}", params={"q": "选择器"})).status_code == 403

    townships = (await client.get(f"/t/{a}/lookup/townships")).json()["items"]
    assert {"value": hierarchy["a_township"], "label": f"永康镇({hierarchy['a_township']})"} in townships
    assert all(item["value"].startswith(a) for item in townships)
    offices = (await client.get(f"/t/{a}/lookup/offices", params={"q": "永康"})).json()["items"]
    assert [item["value"] for item in offices] == [hierarchy["a_township"]]

    # The profile's 组织地 is a select of the offices beneath, searchable through the lookup.
    profile = (await client.get(f"/t/{a}/deputies/{ours['id']}")).text
    picker = re.search(r'<select name="organised_in"[^>]*>.*?</select>', profile, re.S).group(0)
    assert f'data-lookup="/t/{a}/lookup/offices"' in picker and f'value="{hierarchy["a_township"]}"' in picker
    # The new suggestion draft names its deputy from a list, not by a typed id.
    drafts = (await client.get(f"/t/{a}/suggestions/")).text
    assert 'name="deputy_person_id"' in drafts and "人员编号" not in drafts


async def test_api_tokens_are_on_the_admins_settings_not_in_any_menu(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "表单管理员", {a: ["office_admin"]})
    await signed_in(database, client, admin.user_id)
    sidebar = re.search(r'<nav class="sidebar".*?</nav>', (await client.get(f"/t/{a}/")).text, re.S).group(0)
    assert "成员与邀请" in sidebar and "接口令牌" not in sidebar and "api-tokens" not in sidebar
    members = (await client.get(f"/t/{a}/members")).text
    assert f'<a href="/t/{a}/api-tokens">接口令牌</a>' in members
    assert (await client.get(f"/t/{a}/api-tokens")).status_code == 200

    clerk = await make_caller(database, "表单办事员", {a: ["staff"]})
    await signed_in(database, client, clerk.user_id)
    sidebar = re.search(r'<nav class="sidebar".*?</nav>', (await client.get(f"/t/{a}/")).text, re.S).group(0)
    assert "代表名册" in sidebar and "接口令牌" not in sidebar
    assert (await client.get(f"/t/{a}/api-tokens")).status_code == 403


async def test_the_invitation_form_names_its_fields(client, database, hierarchy) -> None:
    a = hierarchy["a"]
    admin = await make_caller(database, "表单邀请员", {a: ["office_admin"]})
    csrf = await signed_in(database, client, admin.user_id)
    page = await client.post(f"/t/{a}/members/invite", data={"_csrf": csrf, "display_name": "", "contact": "12345"})
    assert page.status_code == 400
    assert marked(page.text, "display_name") == "请填写姓名"
    assert 'id="f-roles"' in page.text and "请至少选择一个角色" in page.text
    assert 'value="12345"' in page.text
    # What the service refuses lands on its field too; the roles chosen stay chosen.
    page = await client.post(
        f"/t/{a}/members/invite", data={"_csrf": csrf, "display_name": "邀请丙", "contact": "12345", "roles": "staff"}
    )
    assert page.status_code == 400 and marked(page.text, "contact") == "手机号应为 11 位中国大陆手机号"
    assert 'value="staff" checked' in page.text


async def test_of_several_forms_with_the_same_fields_only_the_refused_one_is_marked(client, database, hierarchy):
    a = hierarchy["a"]
    clerk = await make_caller(database, "表单单位员", {a: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    made = await client.post(
        f"/t/{a}/opinions/units", data={"_csrf": csrf, "name": "表单测试局"}, follow_redirects=False
    )
    assert made.status_code in (302, 303), made.text
    # The new unit's form (the page's second with these fields) is refused: only it is marked, as typed.
    units = await client.get(f"/t/{a}/opinions/units")
    new_unit = {**hidden_fields(units.text, f"/t/{a}/opinions/units"), "name": "表单测试局", "contact_name": "李科长"}
    page = await client.post(f"/t/{a}/opinions/units", data=new_unit)
    assert page.status_code == 409
    assert marked(page.text, "name", within="添加承办单位") == "已有名为“表单测试局”的承办单位"
    new_form = page.text[page.text.index("添加承办单位") :]
    assert 'id="f-name"' in new_form and 'value="李科长"' in new_form  # the new unit's form, as typed
    edit = re.search(r'<input name="name"[^>]*value="表单测试局">', page.text).group(0)
    assert "aria-invalid" not in edit  # the existing unit's own form is left alone
    assert page.text.count('aria-invalid="true"') == 1

    # The other way round: a unit's own form (the first) refused keeps what was typed there and is the one
    # marked; the new unit's form stays empty and unmarked.
    made = await client.post(
        f"/t/{a}/opinions/units", data={"_csrf": csrf, "name": "表单第二局", "note": "原备注"}, follow_redirects=False
    )
    assert made.status_code in (302, 303), made.text
    units = await client.get(f"/t/{a}/opinions/units")
    unit_id = re.search(
        r'action="/t/\d+/opinions/units/([0-9a-f-]+)/edit"[^>]*>(?:(?!</form>).)*value="表单第二局"', units.text, re.S
    )
    edit_action = f"/t/{a}/opinions/units/{unit_id.group(1)}/edit"
    typed = {"name": "表单测试局", "contact_name": "王主任", "note": "改过的备注", "is_active": "0"}
    page = await client.post(edit_action, data={**hidden_fields(units.text, edit_action), **typed})
    assert page.status_code == 409
    own = form_html(page.text, edit_action)
    assert re.search(r'<input name="name" id="f-name" aria-invalid="true"[^>]*value="表单测试局">', own), own
    assert 'value="王主任"' in own and 'value="改过的备注"' in own and '<option value="0" selected>' in own
    assert "表单第二局" not in own and "原备注" not in own  # the stored values do not come back
    new_form = form_html(page.text, f"/t/{a}/opinions/units")
    assert "aria-invalid" not in new_form and 'value="王主任"' not in new_form and 'value=""' in new_form
    assert page.text.count('aria-invalid="true"') == 1
    # Nothing was changed, and a first visit shows what is stored.
    again = form_html((await client.get(f"/t/{a}/opinions/units")).text, edit_action)
    assert 'value="表单第二局"' in again and 'value="原备注"' in again and '<option value="1" selected>' in again


def form_html(page: str, action: str) -> str:
    """The (first) form of the page posting to `action`."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>.*?</form>', page, re.S)
    assert found, f"no form posting to {action}"
    return found.group(0)


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """What the page's form posting to `action` sends besides what is typed: its CSRF token, its name."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form_html(page, action)))


async def test_a_refused_edit_form_of_a_detail_page_shows_what_was_typed(client, database, hierarchy) -> None:
    """The station's edit form is written from the stored station; refused, it shows what the clerk typed
    (text, select, textarea), marked, and the station is unchanged."""
    code = hierarchy["a"]
    clerk = await make_caller(database, "表单改站员", {code: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    stored = {"kind": "deputy_home", "name": "表单原站", "address": "原地址", "reception_days": "10,20"}
    made = await client.post(f"/t/{code}/organisation/stations", data={"_csrf": csrf, **stored}, follow_redirects=False)
    assert made.status_code in (302, 303), made.text
    station = made.headers["location"]
    edit_action = f"{station}/edit"
    first = form_html((await client.get(station)).text, edit_action)
    assert 'value="表单原站"' in first and 'value="原地址"' in first and 'value="10,20"' in first

    typed = {
        "kind": "workroom",
        "name": "",
        "address": "路" * 201,
        "reception_days": "5,15",
        "opening_rules": "新的接待规则",
        "is_active": "0",
    }
    page = await client.post(
        edit_action, data={**hidden_fields((await client.get(station)).text, edit_action), **typed}
    )
    assert page.status_code == 400
    assert marked(page.text, "name").startswith("请填写“名称")
    assert "200" in marked(page.text, "address")
    form = form_html(page.text, edit_action)
    assert 'value="5,15"' in form and f'value="{"路" * 201}"' in form and "新的接待规则</textarea>" in form
    assert '<option value="workroom" selected>' in form and '<option value="0" selected>' in form
    assert "原地址" not in form and 'value="10,20"' not in form and '<option value="deputy_home" selected>' not in form

    after = form_html((await client.get(station)).text, edit_action)  # unchanged, and shown as stored again
    assert 'value="表单原站"' in after and 'value="原地址"' in after and 'value="10,20"' in after
    assert "aria-invalid" not in after and '<option value="1" selected>' in after


async def test_a_body_refused_in_its_second_form_is_marked_there(client, database, hierarchy) -> None:
    """A committee's page has two forms with a `name`: adding a member and editing the committee. The
    edit form (the second) refused is the one marked, with what was typed; the first is left alone."""
    code = hierarchy["a"]
    clerk = await make_caller(database, "表单委员会员", {code: ["staff"]})
    csrf = await signed_in(database, client, clerk.user_id)
    made = await client.post(
        f"/t/{code}/organisation/bodies",
        data={"_csrf": csrf, "kind": "working_commission", "name": "表单专委会", "description": "原职责"},
        follow_redirects=False,
    )
    assert made.status_code in (302, 303), made.text
    body = made.headers["location"]
    shown = (await client.get(body)).text
    members, edit_action = f"{body}/members", f"{body}/edit"
    assert shown.index(f'action="{members}"') < shown.index(f'action="{edit_action}"')
    typed = {"name": "", "description": "新写的职责说明"}
    page = await client.post(edit_action, data={**hidden_fields(shown, edit_action), **typed})
    assert page.status_code == 400
    assert marked(page.text, "name", within=f'action="{edit_action}"').startswith("请填写“名称")
    assert "aria-invalid" not in form_html(page.text, members) and "field-error" not in form_html(page.text, members)
    form = form_html(page.text, edit_action)
    assert 'id="f-name"' in form and "新写的职责说明</textarea>" in form and "原职责" not in form
    assert "原职责" in (await client.get(body)).text  # unchanged
