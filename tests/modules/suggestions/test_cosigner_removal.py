"""The lead deputy (or staff) takes a co-signer off a suggestion before it is submitted, through the API
and from the draft's page: the timeline and the audit log say who did it; a co-signer, another deputy or
a submitted suggestion are refused with a Chinese message and a code, and nothing changes."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from renda.modules.audit.models import AuditLog
from renda.modules.notifications.models import NotificationDelivery, Status
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.suggestions.support import ACTOR, HTML, inbox, loop_counts, office, steps

BODY = {
    "category": "transport",
    "title": "关于在曾集镇中心路口增设红绿灯的建议",
    "content": "曾集镇中心路口车流量大,没有信号灯,上下学时段事故隐患突出,建议增设红绿灯。",
}


def api(code: str) -> str:
    return f"/api/v1/t/{code}/suggestions/items"


async def audited_removals(code: str) -> list[AuditLog]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(AuditLog).where(AuditLog.entity == "suggestion_cosigners", AuditLog.action == "delete")
        return list((await session.execute(query.order_by(AuditLog.at))).scalars())


async def test_the_lead_removes_co_signers_before_submitting_and_not_after(client, database, offices) -> None:
    place = await office(database, offices["a"], "沙洋移除联名")
    base, lead, staff = api(place.code), place.deputy.headers, place.staff.headers
    asked, confirming = place.cosigner_persons
    made = await client.post(base, json={**BODY, "cosigner_person_ids": [str(asked), str(confirming)]}, headers=lead)
    assert made.status_code == 201, made.text
    sid = made.json()["item"]["id"]
    confirmed = await client.post(f"{base}/{sid}/cosigners/confirm", headers=place.cosigners[1].headers)
    assert confirmed.status_code == 200, confirmed.text
    removed_before = len(await audited_removals(place.code))

    # Neither a co-signer nor a deputy of another suggestion takes anyone off; an unknown deputy is not found.
    before = await loop_counts(place.code)
    refused = await client.delete(f"{base}/{sid}/cosigners/{asked}", headers=place.cosigners[1].headers)
    assert refused.status_code == 403 and refused.json()["code"] == "suggestions_lead_only"
    unknown = await client.delete(f"{base}/{sid}/cosigners/{uuid.uuid4()}", headers=lead)
    assert unknown.status_code == 404 and unknown.json()["code"] == "cosigner_not_found"
    assert await loop_counts(place.code) == before

    # The lead takes off the one still asked: the request's messages not yet sent are withdrawn.
    gone = await client.delete(f"{base}/{sid}/cosigners/{asked}", headers=lead)
    assert gone.status_code == 200, gone.text
    assert [c["person_id"] for c in gone.json()["cosigners"]] == [str(confirming)]
    [request] = await inbox(place.code, place.cosigners[0].user_id, "suggestion_cosign_requested")
    async with tenant_session(await load_tenant(place.code), actor=ACTOR, read_only=True) as session:
        waiting = await session.scalar(
            select(NotificationDelivery.id).where(
                NotificationDelivery.notification_id == request.id,
                NotificationDelivery.status.in_((Status.PENDING, Status.DEFERRED, Status.DIGEST)),
            )
        )
    assert waiting is None
    # The one taken off no longer sees the draft.
    hidden = await client.get(f"{base}/{sid}", headers=place.cosigners[0].headers)
    assert hidden.status_code == 404

    # Staff take off the confirmed one (for a deputy filing on paper, say).
    gone = await client.delete(f"{base}/{sid}/cosigners/{confirming}", headers=staff)
    assert gone.status_code == 200 and gone.json()["cosigners"] == [] and gone.json()["confirmed_cosigners"] == 0
    timeline = [(s.kind, s.note) for s in await steps(place.code, uuid.UUID(sid)) if s.kind == "cosigner_removed"]
    assert len(timeline) == 2 and "(待确认)" in timeline[0][1] and "(已确认)" in timeline[1][1]
    removals = (await audited_removals(place.code))[removed_before:]
    assert len(removals) == 2
    assert removals[0].actor.startswith(f"user:{place.deputy.user_id}:")
    assert removals[1].actor.startswith(f"user:{place.staff.user_id}:")

    # Invited again and submitted: the co-signers now stay with it.
    again = await client.post(f"{base}/{sid}/cosigners", json={"person_ids": [str(asked)]}, headers=lead)
    assert again.status_code == 200, again.text
    assert (await client.post(f"{base}/{sid}/submit", headers=lead)).status_code == 200
    before = await loop_counts(place.code)
    for headers in (lead, staff):
        late = await client.delete(f"{base}/{sid}/cosigners/{asked}", headers=headers)
        assert late.status_code == 409 and late.json()["code"] == "cosigner_not_removable"
        assert "建议已提交,不能再移除联名代表" in late.json()["message"]
    assert await loop_counts(place.code) == before
    shown = (await client.get(f"{base}/{sid}", headers=lead)).json()
    assert [c["person_id"] for c in shown["cosigners"]] == [str(asked)]


async def test_the_draft_page_has_a_button_for_each_co_signer(client, database, offices) -> None:
    place = await office(database, offices["a"], "沙洋移除页面")
    base = api(place.code)
    lead, cosigner = {**place.deputy.headers, **HTML}, {**place.cosigners[0].headers, **HTML}
    person = place.cosigner_persons[0]
    made = await client.post(base, json={**BODY, "cosigner_person_ids": [str(person)]}, headers=place.deputy.headers)
    sid = made.json()["item"]["id"]
    url = f"/t/{place.code}/suggestions/items/{sid}"
    button = f'action="{url}/cosigners/{person}/remove"'

    page = await client.get(url, headers=lead)
    assert page.status_code == 200 and button in page.text and "移除</button>" in page.text
    assert button not in (await client.get(url, headers=cosigner)).text  # only the lead (or staff) sees it

    removed = await client.post(f"{url}/cosigners/{person}/remove", headers=lead, follow_redirects=False)
    assert removed.status_code in (302, 303), removed.text
    after = await client.get(url, headers=lead)
    assert button not in after.text and "暂无联名代表" in after.text

    # Submitted, the page offers no removal, and a stale form says why.
    await client.post(f"{base}/{sid}/cosigners", json={"person_ids": [str(person)]}, headers=place.deputy.headers)
    await client.post(f"{base}/{sid}/submit", headers=place.deputy.headers)
    assert button not in (await client.get(url, headers=lead)).text
    before = await loop_counts(place.code)
    stale = await client.post(f"{url}/cosigners/{person}/remove", headers=lead)
    assert stale.status_code == 409 and "不能再移除联名代表" in stale.text
    assert await loop_counts(place.code) == before
