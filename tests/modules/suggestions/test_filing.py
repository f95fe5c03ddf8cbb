"""Filing through the API as the real roles: a deputy files on their own account, co-signers confirm or
decline on theirs (told by a notification), attachments, the year's number on submitting, withdrawal;
staff file for a deputy from a draft; motions need their co-signers. Bad input of the issue: a clear
Chinese error with a code, and no row changed."""

from __future__ import annotations

import uuid

import pytest

from renda.core.timezone import local_today
from tests.conftest import make_caller
from tests.modules.suggestions.support import (
    PDF,
    PNG,
    end_mandate,
    get,
    inbox,
    loop_counts,
    office,
    set_settings,
    steps,
)

BODY = {
    "category": "transport",
    "title": "关于修复麻家渡镇至县城公路坑洼路段的建议",
    "content": "麻家渡镇至县城公路多处路面坑洼,雨天积水严重,建议交通运输部门尽快安排维修。",
}


def api(code: str) -> str:
    return f"/api/v1/t/{code}/suggestions/items"


@pytest.mark.date_sensitive  # the year's number is given on submitting
async def test_a_deputy_files_co_signers_answer_on_their_own_account_and_staff_accept(
    client, database, offices
) -> None:
    place = await office(database, offices["a"], "竹山提出")
    base, lead = api(place.code), place.deputy.headers
    first, second = place.cosigners
    made = await client.post(
        base, json={**BODY, "cosigner_person_ids": [str(p) for p in place.cosigner_persons]}, headers=lead
    )
    assert made.status_code == 201, made.text
    item = made.json()
    sid = item["item"]["id"]
    assert item["item"]["status"] == "draft" and item["item"]["number"] == "(未编号)"
    assert item["item"]["lead_person_id"] == str(place.deputy_person) and item["item"]["source"] == "deputy"
    assert item["item"]["term_id"] == str(place.term_id)
    assert [c["status"] for c in item["cosigners"]] == ["requested", "requested"]
    assert {"edit", "invite", "submit", "withdraw"} <= set(item["actions"])

    # Each invited co-signer is told, with a link to the page where one tap answers.
    asked = await inbox(place.code, first.user_id, "suggestion_cosign_requested")
    assert len(asked) == 1 and asked[0].link == f"/t/{place.code}/suggestions/items/{sid}#cosign"
    assert "邀请您联名" in asked[0].title and BODY["title"] in asked[0].body

    seen = await client.get(f"{base}/{sid}", headers=first.headers)
    assert seen.status_code == 200 and {"confirm", "decline"} <= set(seen.json()["actions"])
    assert "submit" not in seen.json()["actions"]
    confirmed = await client.post(f"{base}/{sid}/cosigners/confirm", headers=first.headers)
    assert confirmed.status_code == 200, confirmed.text
    declined = await client.post(f"{base}/{sid}/cosigners/decline", headers=second.headers)
    assert declined.status_code == 200
    assert {c["person_id"]: c["status"] for c in declined.json()["cosigners"]} == {
        str(place.cosigner_persons[0]): "confirmed",
        str(place.cosigner_persons[1]): "declined",
    }
    # Nobody answers for a co-signer: not staff, not the lead.
    for headers in (place.staff.headers, lead):
        refused = await client.post(f"{base}/{sid}/cosigners/confirm", headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "cosign_not_invited"

    uploaded = await client.post(
        f"{base}/{sid}/attachments", files={"data": ("路段照片.png", PNG, "image/png")}, headers=lead
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["content_type"] == "image/png" and attachment["size"] == len(PNG)
    download = await client.get(f"{base}/{sid}/attachments/{attachment['id']}", headers=first.headers)
    assert download.status_code == 200 and download.content == PNG
    assert "filename*=UTF-8''" in download.headers["content-disposition"]

    # A co-signer cannot submit: only the lead (or staff).
    assert (await client.post(f"{base}/{sid}/submit", headers=first.headers)).status_code == 403
    submitted = await client.post(f"{base}/{sid}/submit", headers=lead)
    assert submitted.status_code == 200, submitted.text
    done = submitted.json()["item"]
    year = local_today().year
    assert done["status"] == "submitted" and done["year"] == year and done["filed_at"]
    assert done["number"] == f"{year}-{done['seq']:04d}"
    # Submitted: no more edits, files or invitations.
    assert (await client.patch(f"{base}/{sid}", json={"title": "改"}, headers=lead)).json()["code"] == (
        "suggestion_not_editable"
    )

    mine = (await client.get(f"{base}/mine", headers=lead)).json()
    assert [r["id"] for r in mine["led"]] == [sid] and mine["cosigning"] == []
    theirs = (await client.get(f"{base}/mine", headers=first.headers)).json()
    assert [(r["id"], r["role"], r["cosign_status"]) for r in theirs["cosigning"]] == [(sid, "cosigner", "confirmed")]

    queue = await client.get(f"{base}/intake", headers=place.staff.headers)
    assert queue.status_code == 200 and sid in [r["id"] for r in queue.json()["items"]]
    accepted = await client.post(f"{base}/{sid}/accept", headers=place.staff.headers)
    assert accepted.status_code == 200 and accepted.json()["item"]["status"] == "accepted"
    assert accepted.json()["item"]["accepted_at"]
    # Accepted: the lead can no longer withdraw it.
    late = await client.post(f"{base}/{sid}/withdraw", headers=lead)
    assert late.status_code == 409 and late.json()["code"] == "suggestion_not_withdrawable"

    kinds = [s.kind for s in await steps(place.code, uuid.UUID(sid))]
    assert kinds == ["created", "cosign_requested", "cosigned", "cosign_declined", "submitted", "accepted"]


async def test_staff_file_for_a_deputy_from_a_draft_and_the_deputy_withdraws(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山代录")
    base = api(place.code)
    draft = await client.post(
        f"/api/v1/t/{place.code}/suggestions",
        json={"title": "关于增设城关镇农贸市场停车位的建议", "content": "农贸市场周边停车难,建议增设停车位。"},
        headers=place.staff.headers,
    )
    assert draft.status_code == 201, draft.text
    # Staff must say for whom.
    unnamed = await client.post(base, json={"category": "urban_construction"}, headers=place.staff.headers)
    assert unnamed.status_code == 400 and unnamed.json()["code"] == "lead_required"
    made = await client.post(
        base,
        json={
            "category": "urban_construction",
            "draft_id": draft.json()["id"],
            "lead_person_id": str(place.deputy_person),
            "during_session": True,
        },
        headers=place.staff.headers,
    )
    assert made.status_code == 201, made.text
    item = made.json()["item"]
    assert (
        item["title"] == "关于增设城关镇农贸市场停车位的建议"
        and item["content"] == "农贸市场周边停车难,建议增设停车位。"
    )
    assert item["draft_id"] == draft.json()["id"] and item["source"] == "staff" and item["during_session"] is True
    # A deputy files only on their own account.
    other = await client.post(
        base, json={**BODY, "lead_person_id": str(place.deputy_person)}, headers=place.cosigners[0].headers
    )
    assert other.status_code == 403 and other.json()["code"] == "lead_not_self"

    # The deputy sees it as theirs, edits it, and withdraws it before it is accepted.
    patched = await client.patch(
        f"{base}/{item['id']}",
        json={"title": "关于增设农贸市场停车位的建议", "broad": True},
        headers=place.deputy.headers,
    )
    assert patched.status_code == 200 and patched.json()["item"]["broad"] is True
    gone = await client.post(f"{base}/{item['id']}/withdraw", headers=place.deputy.headers)
    assert gone.status_code == 200 and gone.json()["item"]["status"] == "withdrawn"


async def test_a_motion_needs_its_confirmed_co_signers(client, database, offices) -> None:
    place = await office(database, offices["b"], "竹溪议案")
    await set_settings(place.code, motion_min_cosigners=2)
    base = api(place.code)
    made = await client.post(
        base,
        json={**BODY, "kind": "motion", "cosigner_person_ids": [str(p) for p in place.cosigner_persons]},
        headers=place.deputy.headers,
    )
    sid = made.json()["item"]["id"]
    await client.post(f"{base}/{sid}/cosigners/confirm", headers=place.cosigners[0].headers)

    before = await loop_counts(place.code)
    short = await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    assert short.status_code == 400 and short.json()["code"] == "motion_short_of_cosigners"
    assert "至少 2 名" in short.json()["message"] and short.json()["details"] == {"needed": 2, "confirmed": 1}
    assert await loop_counts(place.code) == before
    still = await get(place.code, uuid.UUID(sid))
    assert still.status == "draft" and still.seq is None and still.filed_at is None

    await client.post(f"{base}/{sid}/cosigners/confirm", headers=place.cosigners[1].headers)
    filed = await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    assert filed.status_code == 200, filed.text
    assert filed.json()["item"]["number"].startswith("议") and filed.json()["confirmed_cosigners"] == 2
    # Once a motion is submitted its co-signers stay: withdrawing a signature would leave it short.
    out = await client.post(f"{base}/{sid}/cosigners/decline", headers=place.cosigners[1].headers)
    assert out.status_code == 409 and out.json()["code"] == "cosign_closed"


async def test_bad_input_is_refused_with_a_code_and_changes_nothing(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山错误")
    elsewhere = await office(database, offices["b"], "竹溪错误")
    base = api(place.code)
    made = await client.post(base, json=BODY, headers=place.deputy.headers)
    sid = made.json()["item"]["id"]
    before = await loop_counts(place.code)

    # A co-signer from another office, named at filing or invited later.
    foreign = {"cosigner_person_ids": [str(elsewhere.deputy_person)]}
    refused = await client.post(base, json={**BODY, **foreign}, headers=place.deputy.headers)
    assert refused.status_code == 400 and refused.json()["code"] == "cosigner_not_in_office"
    assert "本机关" in refused.json()["message"]
    invited = await client.post(
        f"{base}/{sid}/cosigners", json={"person_ids": [str(elsewhere.deputy_person)]}, headers=place.deputy.headers
    )
    assert invited.status_code == 400 and invited.json()["code"] == "cosigner_not_in_office"

    # Attachments: too large, a type outside the list, bytes that are not what the name says.
    big = PDF + b"0" * (10 * 1024 * 1024)
    for name, content, code, status in (
        ("材料.pdf", big, "attachment_too_large", 413),
        ("程序.exe", b"MZ\x90\x00", "attachment_type", 400),
        ("伪装.pdf", b"<html>not a pdf</html>", "attachment_type", 400),
    ):
        sent = await client.post(
            f"{base}/{sid}/attachments",
            files={"data": (name, content, "application/pdf")},
            headers=place.deputy.headers,
        )
        assert sent.status_code == status and sent.json()["code"] == code, (name, sent.text)
        assert sent.json()["message"]

    # Malformed JSON, an unknown field, an unknown category.
    broken = await client.post(
        base,
        content=b'{"category": "transport", "title": ',
        headers={**place.deputy.headers, "Content-Type": "application/json"},
    )
    assert (
        broken.status_code == 400 and broken.json()["code"] == "malformed_json" and "JSON" in broken.json()["message"]
    )
    unknown = await client.post(base, json={**BODY, "colour": "red"}, headers=place.deputy.headers)
    assert unknown.status_code == 400
    category = await client.post(base, json={**BODY, "category": "weather"}, headers=place.deputy.headers)
    assert category.status_code == 400 and category.json()["code"] == "invalid_category"
    assert await loop_counts(place.code) == before

    # The lead's mandate ended: neither the deputy nor staff may file for them; a draft cannot be submitted.
    await end_mandate(place.code, place.deputy_person)
    ended = await client.post(base, json=BODY, headers=place.deputy.headers)
    assert (
        ended.status_code == 400 and ended.json()["code"] == "mandate_ended" and "代表资格" in ended.json()["message"]
    )
    for_them = await client.post(
        base, json={**BODY, "lead_person_id": str(place.deputy_person)}, headers=place.staff.headers
    )
    assert for_them.status_code == 400 and for_them.json()["code"] == "mandate_ended"
    late = await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    assert late.status_code == 400 and late.json()["code"] == "mandate_ended"
    # Nor may a deputy whose mandate ended be asked to co-sign.
    other = await client.post(
        base, json={**BODY, "cosigner_person_ids": [str(place.deputy_person)]}, headers=place.cosigners[0].headers
    )
    assert other.status_code == 400 and other.json()["code"] == "cosigner_mandate_ended"
    assert await loop_counts(place.code) == before
    assert (await get(place.code, uuid.UUID(sid))).status == "draft"


async def test_a_deputy_sees_only_their_own_and_those_they_co_sign(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山可见")
    base = api(place.code)
    made = await client.post(base, json=BODY, headers=place.deputy.headers)
    sid = made.json()["item"]["id"]
    stranger = await make_caller(database, "竹山其他代表", {place.code: ["deputy"]})
    for who in (place.cosigners[0], place.unit_user, stranger):
        seen = await client.get(f"{base}/{sid}", headers=who.headers)
        assert seen.status_code == 404 and seen.json()["code"] == "suggestion_not_found"
        assert (await client.post(f"{base}/{sid}/submit", headers=who.headers)).status_code == 404
    # The office's readers see it; they may not act on it.
    for who in (place.staff, place.viewer, place.committee):
        assert (await client.get(f"{base}/{sid}", headers=who.headers)).status_code == 200
    assert (await client.post(f"{base}/{sid}/submit", headers=place.viewer.headers)).status_code == 403
    # Invited, the co-signer sees it.
    await client.post(
        f"{base}/{sid}/cosigners", json={"person_ids": [str(place.cosigner_persons[0])]}, headers=place.deputy.headers
    )
    assert (await client.get(f"{base}/{sid}", headers=place.cosigners[0].headers)).status_code == 200
