"""QR sign-in: the code works from 30 minutes before the start to the end, for the office's own deputies
only; a forged, old (regenerated) or another activity's token is refused; signing in twice counts once;
a deputy already recorded on leave is not silently made present."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_caller
from tests.modules.duty.support_activities import (
    END,
    START,
    activity_office,
    api,
    at,
    attendance_of,
    duty_state,
    new_activity,
    refused,
    sign_in_token,
)

pytestmark = pytest.mark.date_sensitive


async def test_the_code_works_from_half_an_hour_before_until_the_end(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=3)
    first, second, third = office.deputies
    made = await new_activity(client, office)
    token = await sign_in_token(client, office, made["id"])
    url = f"{api(office.code)}/activities/{made['id']}/sign-in"

    with at(START - timedelta(minutes=31)):
        early = await client.post(url, json={"token": token}, headers=first.headers)
        refused(early, 409, "sign_in_closed")
        assert "签到尚未开始" in early.json()["message"] and "08:30" in early.json()["message"]
    assert await attendance_of(office.code, made["id"]) == {}

    with at(START - timedelta(minutes=29)):
        signed = await client.post(url, json={"token": token}, headers=first.headers)
        assert signed.status_code == 200, signed.text
        assert signed.json()["already"] is False and signed.json()["message"] == "签到成功"
    with at(START + timedelta(hours=1)):
        again = await client.post(url, json={"token": token}, headers=first.headers)
        assert again.status_code == 200 and again.json()["already"] is True
        assert again.json()["message"] == "已签到,无需重复签到"
        assert again.json()["recorded_at"] == signed.json()["recorded_at"]
    with at(END - timedelta(seconds=30)):
        assert (await client.post(url, json={"token": token}, headers=second.headers)).status_code == 200
    with at(END + timedelta(minutes=1)):
        late = await client.post(url, json={"token": token}, headers=third.headers)
        refused(late, 409, "sign_in_closed")
        assert "签到已关闭" in late.json()["message"]

    assert await attendance_of(office.code, made["id"]) == {
        office.persons[0]: ("present", "qr"),
        office.persons[1]: ("present", "qr"),
    }
    shown = await client.get(f"{api(office.code)}/activities/{made['id']}", headers=office.staff.headers)
    assert shown.json()["counts"]["present"] == 2


async def test_forged_old_and_other_tokens_are_refused(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    other = await new_activity(client, office, title="另一项活动")
    token = await sign_in_token(client, office, made["id"])
    url = f"{api(office.code)}/activities/{made['id']}/sign-in"
    with at(START):
        before = await duty_state(office.code)
        for forged in (
            "x" * 22,
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            await sign_in_token(client, office, other["id"]),
            "签到",
        ):
            refused(
                await client.post(url, json={"token": forged}, headers=office.deputy.headers), 403, "sign_in_invalid"
            )
        assert await duty_state(office.code) == before

        # Regenerated: the printed code no longer works, the new one does.
        regenerated = await client.post(
            f"{api(office.code)}/activities/{made['id']}/sign-in-code", headers=office.staff.headers
        )
        assert regenerated.status_code == 200
        fresh = regenerated.json()["url"].rsplit("/", 1)[1]
        assert fresh != token and regenerated.json()["open_now"] is True
        refused(await client.post(url, json={"token": token}, headers=office.deputy.headers), 403, "sign_in_invalid")
        assert (await client.post(url, json={"token": fresh}, headers=office.deputy.headers)).status_code == 200


async def test_only_the_office_s_own_deputies_sign_in(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    other = await activity_office(database, offices["b"], "兴山", deputies=1)
    made = await new_activity(client, office)
    theirs = await new_activity(client, other)
    token = await sign_in_token(client, office, made["id"])
    their_token = await sign_in_token(client, other, theirs["id"])
    with at(START):
        before = await duty_state(office.code)
        # Office B's deputy with office A's code: not a member of A.
        refused(
            await client.post(
                f"{api(office.code)}/activities/{made['id']}/sign-in",
                json={"token": token},
                headers=other.deputy.headers,
            ),
            403,
            "not_a_member",
        )
        # Office B's activity under office A: not found, whatever the token.
        refused(
            await client.post(
                f"{api(office.code)}/activities/{theirs['id']}/sign-in",
                json={"token": their_token},
                headers=office.deputy.headers,
            ),
            404,
            "activity_not_found",
        )
        # Staff who are no deputy, and a deputy account not linked to the register.
        refused(
            await client.post(
                f"{api(office.code)}/activities/{made['id']}/sign-in",
                json={"token": token},
                headers=office.staff.headers,
            ),
            403,
            "duty_deputy_only",
        )
        unlinked = await make_caller(database, "未关联代表", {office.code: ["deputy"]})
        refused(
            await client.post(
                f"{api(office.code)}/activities/{made['id']}/sign-in", json={"token": token}, headers=unlinked.headers
            ),
            403,
            "duty_deputy_only",
        )
        assert await duty_state(office.code) == before


async def test_signing_in_after_being_recorded_on_leave_is_refused(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    token = await sign_in_token(client, office, made["id"])
    await client.post(
        f"{api(office.code)}/activities/{made['id']}/attendance",
        json={"entries": [{"person_id": str(office.person), "status": "leave"}]},
        headers=office.staff.headers,
    )
    with at(START):
        response = await client.post(
            f"{api(office.code)}/activities/{made['id']}/sign-in", json={"token": token}, headers=office.deputy.headers
        )
    refused(response, 409, "attendance_recorded_twice")
    assert "请假" in response.json()["message"]
    assert await attendance_of(office.code, made["id"]) == {office.person: ("leave", "list")}


async def test_a_cancelled_activity_s_code_is_closed(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    token = await sign_in_token(client, office, made["id"])
    await client.post(f"{api(office.code)}/activities/{made['id']}/cancel", headers=office.staff.headers)
    with at(START):
        response = await client.post(
            f"{api(office.code)}/activities/{made['id']}/sign-in", json={"token": token}, headers=office.deputy.headers
        )
    refused(response, 409, "sign_in_closed")
    assert "已取消" in response.json()["message"]


async def test_the_code_is_for_staff_only(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    made = await new_activity(client, office)
    for caller in (office.deputy, office.viewer):
        refused(
            await client.get(f"{api(office.code)}/activities/{made['id']}/sign-in-code", headers=caller.headers),
            403,
            "duty_staff_only",
        )
    code = await client.get(f"{api(office.code)}/activities/{made['id']}/sign-in-code", headers=office.staff.headers)
    assert code.json()["url"].split("/t/", 1)[1].startswith(f"{office.code}/duty/sign-in/{made['id']}/")
    assert code.json()["opens_at"].startswith("2027-05-10T00:30:00")
