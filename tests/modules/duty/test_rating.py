"""The yearly star rating through the API as the real roles: the full path from the deputy's
self-assessment to publication, every step recorded with who and when, and each step out of order
refused with its code while nothing changes.

Each test rates its own deputies in a year of its own (the offices are shared by the duty tests, and a
year's window and publication are the office's)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.modules.duty.support import duty_office, person_name
from tests.modules.duty.support_rating import (
    add_points,
    assess,
    at,
    notices,
    rating_row,
    ratings_api,
    state_of,
    step,
    steps_of,
)

pytestmark = pytest.mark.date_sensitive


async def test_the_full_path_from_self_assessment_to_publication(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安评价", deputies=1)
    code, staff, deputy = office.code, office.staff, office.deputy
    await add_points(code, office.person, 2030, 20)
    await add_points(code, office.person, 2030, 5, kind="inspection")
    with at(date(2030, 12, 10)):
        assessed = await assess(client, deputy, code, 2030, grade="excellent", summary="出席大会,视察两次。")
        assert assessed.status_code == 200, assessed.text
        rating_id = assessed.json()["id"]
        assert assessed.json()["step"] == "self" and assessed.json()["self_grade_label"] == "优秀"
        # Revised before the group check: the latest counts, both are recorded.
        assessed = await assess(client, deputy, code, 2030, grade="good", summary="出席大会,视察两次,进站接待。")
        assert assessed.json()["self_grade"] == "good"

        for name, grade in (("group", "good"), ("township", "good")):
            taken = await step(client, staff, code, rating_id, name, grade, note=f"{name}意见")
            assert taken.status_code == 200, taken.text
            assert taken.json()["step"] == name
        await add_points(code, office.person, 2030, 5, kind="key_suggestion")
        decided = await step(client, staff, code, rating_id, "committee", "good", note="常委会主任会议审定")
        assert decided.status_code == 200, decided.text
        shown = decided.json()
        assert (shown["grade_label"], shown["stars"], Decimal(shown["points"])) == ("良好", 4, Decimal(30))
        assert shown["advise_resign"] is False and shown["next_step"] == "published"

        # Before publication the deputy sees where the rating stands, not the grades others gave.
        mine = (await client.get(ratings_api(code, "/mine"), headers=deputy.headers)).json()
        assert mine["year"] == 2030 and mine["rating"]["step"] == "committee"
        assert mine["rating"]["grade"] is None and mine["rating"]["group_grade"] is None
        assert mine["may_assess"] is False and "常委会审定" in mine["reason"]

        published = await client.post(
            ratings_api(code, "/publish"), json={"year": 2030, "public_list": True}, headers=staff.headers
        )
        assert published.status_code == 200, published.text
        assert published.json()["published"] >= 1 and published.json()["public_list"] is True

        mine = (await client.get(ratings_api(code, "/mine"), headers=deputy.headers)).json()
        assert mine["rating"]["published"] is True
        assert (mine["rating"]["grade_label"], mine["rating"]["stars"]) == ("良好", 4)

    recorded = await steps_of(code, rating_id)
    assert [(s.step, s.grade) for s in recorded] == [
        ("self", "excellent"),
        ("self", "good"),
        ("group", "good"),
        ("township", "good"),
        ("committee", "good"),
        ("published", "good"),
    ]
    assert all(s.actor.startswith("user:") for s in recorded)
    assert recorded[0].actor.endswith("远安评价代表0") and recorded[2].actor.endswith("远安评价工作人员")
    assert [s.created_at for s in recorded] == sorted(s.created_at for s in recorded)
    (told,) = await notices(code, deputy.user_id, "duty_rating_published")
    name = await person_name(code, office.person)
    assert told.title == "您的2030年度履职星级评价结果:良好"
    assert f"{name}代表" in told.body and "★★★★☆" in told.body and "30.0 分" in told.body
    assert told.link == f"/t/{code}/duty/ratings/mine"


async def _at_step(client, office, year: int, target: str) -> str:
    """A rating of the office's first deputy taken as far as `target`."""
    code = office.code
    assessed = await assess(client, office.deputy, code, year)
    assert assessed.status_code == 200, assessed.text
    rating_id = assessed.json()["id"]
    for name in ("group", "township", "committee"):
        if target == "self":
            break
        taken = await step(client, office.staff, code, rating_id, name, "competent")
        assert taken.status_code == 200, taken.text
        if name == target:
            break
    if target == "published":
        published = await client.post(ratings_api(code, "/publish"), json={"year": year}, headers=office.staff.headers)
        assert published.status_code == 200, published.text
    return rating_id


@pytest.mark.parametrize(
    ("at_step", "attempt", "expected"),
    [
        ("self", ("township", "competent"), "下一步应为“代表小组评议”"),
        ("self", ("committee", "competent"), "下一步应为“代表小组评议”"),
        ("group", ("committee", "competent"), "不能进行“常委会审定”"),
        ("group", ("group", "good"), "当前为“代表小组评议”"),
        ("group", ("self", "good"), "不能再修改代表自评"),
        ("township", ("group", "good"), "下一步应为“常委会审定”"),
        ("committee", ("committee", "good"), "下一步应为“已公示”"),
        ("published", ("self", "good"), "已公示"),
        ("published", ("group", "good"), "已公示"),
        ("published", ("committee", "excellent"), "已公示"),
    ],
)
async def test_a_step_out_of_order_is_refused_and_changes_nothing(
    client, database, offices, at_step: str, attempt: tuple[str, str], expected: str
) -> None:
    office = await duty_office(database, offices["b"], "兴山顺序", deputies=1)
    code = office.code
    with at(date(2031, 12, 15)):
        rating_id = await _at_step(client, office, 2031, at_step)
        before = await state_of(code, office.persons)
        name, grade = attempt
        if name == "self":
            refused = await assess(client, office.deputy, code, 2031, grade=grade, summary="改过的总结")
        else:
            refused = await step(client, office.staff, code, rating_id, name, grade)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "rating_step_out_of_order"
        assert expected in refused.json()["message"]
        assert await person_name(code, office.person) in refused.json()["message"]
        assert await state_of(code, office.persons) == before


async def test_publishing_with_nothing_decided_and_bulk_steps_out_of_order_change_nothing(
    client, database, offices
) -> None:
    office = await duty_office(database, offices["b"], "兴山批量", deputies=3)
    code, staff = office.code, office.staff
    with at(date(2031, 12, 20)):
        ids = []
        for deputy in office.deputies:
            assessed = await assess(client, deputy, code, 2031)
            ids.append(assessed.json()["id"])
        assert (await step(client, staff, code, ids[1], "group", "good")).status_code == 200
        before = await state_of(code, office.persons)
        # The township review of all three: the second is ready, the others are not: none is taken.
        body = {"step": "township", "grade": "good", "rating_ids": ids}
        refused = await client.post(ratings_api(code, "/steps"), json=body, headers=staff.headers)
        assert refused.status_code == 409 and refused.json()["code"] == "rating_step_out_of_order"
        assert await state_of(code, office.persons) == before
        # The group check of all three: the second had it already.
        body = {"step": "group", "grade": "good", "rating_ids": ids}
        refused = await client.post(ratings_api(code, "/steps"), json=body, headers=staff.headers)
        assert refused.status_code == 409 and await state_of(code, office.persons) == before
        # Now the two others, in one go.
        body = {"step": "group", "grade": "competent", "rating_ids": [ids[0], ids[2]], "note": "小组集中评议"}
        done = await client.post(ratings_api(code, "/steps"), json=body, headers=staff.headers)
        assert done.status_code == 200 and done.json() == {"step": "group", "done": 2}
        assert (await rating_row(code, 2031, office.persons[2])).group_grade == "competent"
        # Publishing a year with nothing decided yet.
        before = await state_of(code, office.persons)
        nothing = await client.post(ratings_api(code, "/publish"), json={"year": 2039}, headers=staff.headers)
        assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_publish"
        assert await state_of(code, office.persons) == before


async def test_bad_input_is_refused_with_its_code(client, database, offices) -> None:
    office = await duty_office(database, offices["b"], "兴山输入", deputies=2)
    code, staff, deputy = office.code, office.staff, office.deputy
    with at(date(2031, 12, 5)):
        rating_id = (await assess(client, deputy, code, 2031)).json()["id"]
        before = await state_of(code, office.persons)
        for caller, method, path, body, status, error in (
            (deputy, "POST", "/mine", {"year": 2031, "summary": "总结", "grade": "great"}, 400, "validation_error"),
            (deputy, "POST", "/mine", {"year": 2031, "summary": "   ", "grade": "good"}, 400, "summary_required"),
            (deputy, "POST", "/mine", {"year": 1999, "summary": "总结", "grade": "good"}, 400, "validation_error"),
            (staff, "POST", "/mine", {"year": 2031, "summary": "总结", "grade": "good"}, 403, "duty_deputy_only"),
            (staff, "POST", f"/{rating_id}/steps", {"step": "self", "grade": "good"}, 400, "validation_error"),
            (deputy, "POST", f"/{rating_id}/steps", {"step": "group", "grade": "good"}, 403, "rating_not_your_group"),
            (deputy, "POST", f"/{rating_id}/steps", {"step": "township", "grade": "good"}, 403, "duty_staff_only"),
            (office.deputies[1], "POST", f"/{rating_id}/steps", {"step": "group", "grade": "good"}, 404, None),
            (office.viewer, "POST", f"/{rating_id}/steps", {"step": "group", "grade": "good"}, 403, None),
            (staff, "POST", "/steps", {"step": "group", "grade": "good", "rating_ids": []}, 400, "validation_error"),
            (staff, "POST", "/publish", {"year": 2031, "extra": 1}, 400, "validation_error"),
        ):
            response = await client.request(method, ratings_api(code, path), json=body, headers=caller.headers)
            assert response.status_code == status, (path, body, response.text)
            if error:
                assert response.json()["code"] == error, response.text
            assert await state_of(code, office.persons) == before
