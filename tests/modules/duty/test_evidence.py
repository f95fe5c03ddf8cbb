"""Evidence: a deputy submits proof of duty done elsewhere with photos or documents; the wrong type or a
file too large refuses it and stores nothing; staff are told, list what is pending, verify it or reject
it with a reason the deputy is told; a deputy sees only their own."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from renda.modules.notifications.models import Notification
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, person_name
from tests.modules.duty.support_activities import JPEG, PDF, PNG, START, activity_office, api, at, duty_state, refused

pytestmark = pytest.mark.date_sensitive

TRAINING = {"kind": "training", "title": "参加省人大代表履职培训", "occurred_on": "2027-04-20", "hours": "6"}


async def submit(client, office, caller=None, fields=None, files=None):
    return await client.post(
        f"{api(office.code)}/evidence",
        data=TRAINING if fields is None else fields,
        files=files if files is not None else [("files", ("结业证书.jpg", JPEG, "image/jpeg"))],
        headers=(caller or office.deputy).headers,
    )


async def notifications_of(code: str, user_id: uuid.UUID, kind: str) -> list[Notification]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        return list((await session.execute(query.order_by(Notification.created_at))).scalars())


async def test_a_deputy_submits_and_staff_verify(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=2)
    with at(START):
        made = await submit(
            client,
            office,
            fields={**TRAINING, "description": "在省人大常委会培训中心参加为期一天的培训。"},
            files=[
                ("files", ("结业证书.jpg", JPEG, "image/jpeg")),
                ("files", ("课程表.pdf", PDF, "application/pdf")),
                ("files", ("合影.png", PNG, "image/png")),
            ],
        )
        assert made.status_code == 201, made.text
        out = made.json()
        assert (out["status"], out["status_label"], out["kind_label"], out["hours"]) == (
            "pending",
            "待核实",
            "参加培训",
            6.0,
        )
        assert out["year"] == 2027 and out["person_name"] == await person_name(office.code, office.person)
        assert sorted(f["filename"] for f in out["files"]) == ["合影.png", "结业证书.jpg", "课程表.pdf"]
        assert {f["content_type"] for f in out["files"]} == {"image/jpeg", "application/pdf", "image/png"}

        # Staff are told; they find it among the pending.
        (told,) = await notifications_of(office.code, office.staff.user_id, "duty_evidence_to_verify")
        assert "参加省人大代表履职培训" in told.body and told.link == f"/t/{office.code}/duty/evidence/{out['id']}"
        pending = await client.get(
            f"{api(office.code)}/evidence", params={"status": "pending"}, headers=office.staff.headers
        )
        assert out["id"] in [e["id"] for e in pending.json()["items"]]

        # The file comes back as sent, to the deputy and to staff, not to another deputy.
        photo = next(f for f in out["files"] if f["filename"] == "合影.png")
        url = f"{api(office.code)}/evidence/{out['id']}/files/{photo['id']}"
        for caller in (office.deputy, office.staff, office.viewer):
            got = await client.get(url, headers=caller.headers)
            assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
        refused(await client.get(url, headers=office.deputies[1].headers), 404, "evidence_not_found")

        verified = await client.post(f"{api(office.code)}/evidence/{out['id']}/verify", headers=office.staff.headers)
        assert verified.status_code == 200 and verified.json()["status_label"] == "已核实"
        assert verified.json()["reviewed_by"].startswith(f"user:{office.staff.user_id}")
        refused(
            await client.post(f"{api(office.code)}/evidence/{out['id']}/verify", headers=office.staff.headers),
            409,
            "evidence_already_verified",
        )
        (verified_note,) = await notifications_of(office.code, office.deputy.user_id, "duty_evidence_verified")
        assert "已核实" in verified_note.body
        # Verified, it can no longer be withdrawn.
        refused(
            await client.delete(f"{api(office.code)}/evidence/{out['id']}", headers=office.deputy.headers),
            409,
            "evidence_not_pending",
        )


async def test_staff_reject_with_a_reason_the_deputy_reads(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    with at(START):
        made = (await submit(client, office)).json()
        url = f"{api(office.code)}/evidence/{made['id']}"
        refused(
            await client.post(f"{url}/reject", json={"reason": "  "}, headers=office.staff.headers),
            400,
            "reason_required",
        )
        refused(await client.post(f"{url}/reject", json={}, headers=office.staff.headers), 400, "validation_error")
        refused(
            await client.post(f"{url}/reject", json={"reason": "不行"}, headers=office.deputy.headers),
            403,
            "duty_staff_only",
        )
        rejected = await client.post(
            f"{url}/reject", json={"reason": "请补充培训结业证明"}, headers=office.staff.headers
        )
        assert rejected.status_code == 200
        assert (rejected.json()["status"], rejected.json()["reject_reason"]) == ("rejected", "请补充培训结业证明")
        (told,) = await notifications_of(office.code, office.deputy.user_id, "duty_evidence_rejected")
        assert "请补充培训结业证明" in told.body
        mine = await client.get(f"{api(office.code)}/evidence", headers=office.deputy.headers)
        assert [(e["id"], e["status_label"], e["reject_reason"]) for e in mine.json()["items"]] == [
            (made["id"], "已退回", "请补充培训结业证明")
        ]


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("files", ("病毒.exe", b"MZ\x90\x00", "application/octet-stream"))], 400, "attachment_type"),
        ([("files", ("伪装.pdf", b"<html>not a pdf</html>", "application/pdf"))], 400, "attachment_type"),
        ([("files", ("大照片.jpg", JPEG + b"0" * (10 * 1024 * 1024), "image/jpeg"))], 413, "attachment_too_large"),
        ([("files", ("空.png", b"", "image/png"))], 400, "empty_file"),
        ([("files", (f"照片{i}.png", PNG, "image/png")) for i in range(11)], 400, "too_many_files"),
        # A good file beside a bad one: nothing of either is stored.
        ([("files", ("好.png", PNG, "image/png")), ("files", ("坏.gif", PNG, "image/gif"))], 400, "attachment_type"),
    ],
)
async def test_wrong_or_oversize_files_store_nothing(client, database, offices, files, status, code) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    before = await duty_state(office.code)
    with at(START):
        refused(await submit(client, office, files=files), status, code)
    assert await duty_state(office.code) == before
    assert await notifications_of(office.code, office.staff.user_id, "duty_evidence_to_verify") == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({**TRAINING, "hours": ""}, "hours_required"),
        ({**TRAINING, "hours": "-2"}, "invalid_hours"),
        ({"kind": "award", "title": "获评优秀人大代表", "occurred_on": "2027-04-20"}, "award_level_required"),
        ({**TRAINING, "award_level": "city"}, "award_level_only_for_award"),
        (
            {"kind": "inspection", "title": "参加视察", "occurred_on": "2027-04-20", "hours": "2"},
            "hours_only_for_training",
        ),
        ({**TRAINING, "occurred_on": "2027-05-11"}, "occurred_in_future"),
        ({**TRAINING, "occurred_on": "2025-12-31"}, "occurred_too_early"),
        ({**TRAINING, "title": "   "}, "validation_error"),
        ({**TRAINING, "kind": "picnic"}, "validation_error"),
        ({**TRAINING, "occurred_on": "昨天"}, "validation_error"),
    ],
)
async def test_what_evidence_may_not_be(client, database, offices, fields, code) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    before = await duty_state(office.code)
    with at(START):
        refused(await submit(client, office, fields=fields), 400, code)
    assert await duty_state(office.code) == before


async def test_evidence_needs_a_text_or_a_file_and_a_deputy(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=1)
    with at(START):
        refused(await submit(client, office, files=[]), 400, "evidence_empty")
        refused(await submit(client, office, caller=office.staff), 403, "duty_deputy_only")
        award = await submit(
            client,
            office,
            fields={
                "kind": "award",
                "title": "获评市级优秀人大代表",
                "occurred_on": "2026-12-30",
                "award_level": "city",
            },
            files=[],
        )
        assert award.status_code == 400  # no text and no file
        award = await submit(
            client,
            office,
            fields={
                "kind": "award",
                "title": "获评市级优秀人大代表",
                "occurred_on": "2026-12-30",
                "award_level": "city",
                "description": "市人大常委会表彰决定第 3 号",
            },
            files=[],
        )
        assert award.status_code == 201, award.text
        assert (award.json()["year"], award.json()["award_level_label"]) == (2026, "市级")


async def test_a_deputy_withdraws_pending_evidence_and_sees_only_their_own(client, database, offices) -> None:
    office = await activity_office(database, offices["a"], "远安", deputies=2)
    one, two = office.deputies
    with at(START):
        mine = (await submit(client, office, caller=one)).json()
        theirs = (await submit(client, office, caller=two)).json()
        listed = await client.get(
            f"{api(office.code)}/evidence", params={"person_id": str(office.persons[1])}, headers=one.headers
        )
        assert [e["id"] for e in listed.json()["items"]] == [mine["id"]]  # their own, whatever is asked
        refused(
            await client.get(f"{api(office.code)}/evidence/{theirs['id']}", headers=one.headers),
            404,
            "evidence_not_found",
        )
        refused(
            await client.delete(f"{api(office.code)}/evidence/{theirs['id']}", headers=one.headers),
            404,
            "evidence_not_found",
        )
        staff_view = await client.get(
            f"{api(office.code)}/evidence",
            params={"person_id": str(office.persons[1])},
            headers=office.committee.headers,
        )
        assert [e["id"] for e in staff_view.json()["items"]] == [theirs["id"]]
        gone = await client.delete(f"{api(office.code)}/evidence/{mine['id']}", headers=one.headers)
        assert gone.status_code == 204
        refused(
            await client.get(f"{api(office.code)}/evidence/{mine['id']}", headers=one.headers),
            404,
            "evidence_not_found",
        )


async def test_the_pending_list_is_first_come_first_served_and_filters(client, database, offices) -> None:
    office = await activity_office(database, offices["b"], "兴山", deputies=1)
    marker = uuid.uuid4().hex[:6]
    with at(START):
        first = (await submit(client, office, fields={**TRAINING, "title": f"{marker}甲"})).json()
    with at(START + timedelta(minutes=5)):
        second = (
            await submit(
                client,
                office,
                fields={"kind": "people", "title": f"{marker}乙", "occurred_on": "2027-05-01", "description": "走访"},
            )
        ).json()
        listed = await client.get(
            f"{api(office.code)}/evidence", params={"status": "pending", "q": marker}, headers=office.staff.headers
        )
        assert [e["id"] for e in listed.json()["items"]] == [first["id"], second["id"]]
        everything = await client.get(
            f"{api(office.code)}/evidence", params={"q": marker}, headers=office.staff.headers
        )
        assert [e["id"] for e in everything.json()["items"]] == [second["id"], first["id"]]
        people = await client.get(
            f"{api(office.code)}/evidence", params={"kind": "people", "q": marker}, headers=office.staff.headers
        )
        assert [e["id"] for e in people.json()["items"]] == [second["id"]]
        refused(
            await client.get(f"{api(office.code)}/evidence", params={"status": "done"}, headers=office.staff.headers),
            400,
            "invalid_status",
        )
    assert date.fromisoformat(first["occurred_on"]) == date(2027, 4, 20)
