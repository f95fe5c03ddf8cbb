"""Linking the platform user who signs in as a deputy: only a member of the office, one deputy per
user, unlinking, from the API and the profile page; another office's deputy stays out of reach."""

from __future__ import annotations

from tests.conftest import make_caller, raw_fetchval
from tests.modules.deputies.helpers import add_person, api
from tests.test_member_pages import signed_in


async def test_a_deputy_is_linked_to_one_member_of_the_office(client, database, database_url, hierarchy) -> None:
    a, b = hierarchy["a"], hierarchy["b"]
    staff = await make_caller(database, "账号关联管理员", {a: ["staff"]})
    member = await make_caller(database, "代表本人账号", {a: ["deputy"]})
    stranger = await make_caller(database, "外机关账号", {b: ["deputy"]})
    first = await add_person(client, staff, a, "关联甲")
    second = await add_person(client, staff, a, "关联乙")
    url = f"{api(a)}/persons/{first['id']}/user"

    linked = await client.put(url, json={"user_id": str(member.user_id)}, headers=staff.headers)
    assert linked.status_code == 200, linked.text
    assert linked.json()["user_id"] == str(member.user_id)
    shown = await client.get(f"{api(a)}/persons/{first['id']}", headers=staff.headers)
    assert shown.json()["user_id"] == str(member.user_id)

    twice = await client.put(
        f"{api(a)}/persons/{second['id']}/user", json={"user_id": str(member.user_id)}, headers=staff.headers
    )
    assert twice.status_code == 409 and twice.json()["code"] == "user_already_linked"
    outsider = await client.put(
        f"{api(a)}/persons/{second['id']}/user", json={"user_id": str(stranger.user_id)}, headers=staff.headers
    )
    assert outsider.status_code == 400 and outsider.json()["code"] == "invalid_user"
    wrong_type = await client.put(f"{api(a)}/persons/{second['id']}/user", json={"user_id": 5}, headers=staff.headers)
    assert wrong_type.status_code == 400
    assert (
        await raw_fetchval(
            database_url,
            f"select count(*) from t_{a}.persons where user_id is not null and id = $1::uuid",
            second["id"],
        )
        == 0
    )

    # Another office's staff can't reach this deputy; a deputy can't link themselves.
    other = await make_caller(database, "外机关工作人员", {b: ["staff"]})
    assert (
        await client.put(f"{api(b)}/persons/{first['id']}/user", json={"user_id": None}, headers=other.headers)
    ).status_code == 404
    assert (await client.put(url, json={"user_id": None}, headers=member.headers)).status_code == 403

    csrf = await signed_in(database, client, staff.user_id)
    page = await client.get(f"/t/{a}/deputies/{first['id']}")
    assert page.status_code == 200 and "代表本人账号" in page.text and "关联登录账号" in page.text
    unlinked = await client.post(
        f"/t/{a}/deputies/{first['id']}/user", data={"_csrf": csrf, "user_id": ""}, follow_redirects=False
    )
    assert unlinked.status_code in (302, 303)
    assert (
        await raw_fetchval(database_url, f"select user_id from t_{a}.persons where id = $1::uuid", first["id"]) is None
    )
    bad = await client.post(f"/t/{a}/deputies/{first['id']}/user", data={"_csrf": csrf, "user_id": "not-a-uuid"})
    assert bad.status_code == 400 and "所选用户无效" in bad.text
