"""Office A's objects for the isolation tests: every kind of object a route can address or name, made
fresh on demand through the office's own API (services only where no route makes one).

A maker returns the ids it made, keyed by the path parameter or body field that names them (a deputy is
`{"person_id", "mandate_id"}`), so a route's path and body take what they need from one call.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from openpyxl import Workbook
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ, local_today
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import Caller, make_caller
from tests.test_member_pages import signed_in

Ids = dict[str, str]
PDF = b"%PDF-1.4\n%%EOF\n"
TODAY = local_today()
_serial, _meetings = itertools.count(1), itertools.count(1)


def serial() -> int:
    """A number unique in the test run (names, division codes)."""
    return next(_serial)


def meeting_number() -> int:
    """The number of a standing-committee meeting, unique in the office's term for the run."""
    return next(_meetings)


def name(prefix: str = "隔离") -> str:
    return f"{prefix}{serial()}"


class Office:
    """An office with a current term, an admin signed in (API token and browser session), and makers
    for fresh objects."""

    def __init__(self, client: AsyncTestClient, database: Any, code: str, city: str) -> None:
        self.client, self.database, self.code, self.city = client, database, code, city
        self.api = f"/api/v1/t/{code}"
        self.congress_name = ""
        self.admin: Caller
        self.csrf = ""
        self.term_id = ""
        self.visitor = False  # pages are called with the admin's browser session, or as a visitor

    async def open(self) -> Office:
        self.admin = await make_caller(self.database, f"{self.code}机关管理员", {self.code: ["office_admin", "deputy"]})
        self.csrf = await signed_in(self.database, self.client, self.admin.user_id)
        self.term_id = await self._current_term()
        # The admin is also a deputy of the office's register (for "my roster").
        await self.call(
            "PUT", f"/persons/{(await self.new_deputy())['person_id']}/user", {"user_id": str(self.admin.user_id)}
        )
        return self

    def sign_out(self) -> None:
        """Pages are called as a visitor from now on (the portal); the API still as the admin."""
        self.client.cookies.clear()
        self.visitor = True

    async def call(
        self, method: str, path: str, json: Any = None, *, ok: tuple[int, ...] = (200, 201, 202), **kw
    ) -> Any:
        response = await self.client.request(method, self.api + path, json=json, headers=self.admin.headers, **kw)
        assert response.status_code in ok, f"making {method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def _current_term(self) -> str:
        """The office's own congress and its current term (made on the first call of the run)."""
        await self.call("POST", "/congresses", {"level": "county"}, ok=(201, 409))
        congress = next(c for c in await self.call("GET", "/congresses") if c["level"] == "county")
        self.congress_name = congress["name"]
        current = [t["id"] for t in congress["terms"] if t["is_current"]]
        if current:
            return current[0]
        start = TODAY - timedelta(days=400)
        term = {"number": 5, "starts_on": str(start), "ends_on": str(TODAY + timedelta(days=1400))}
        current = (await self.call("POST", f"/congresses/{congress['id']}/terms", term))["id"]
        earlier = {"number": 4, "starts_on": str(start - timedelta(days=1826)), "ends_on": str(start)}
        await self.call("POST", f"/congresses/{congress['id']}/terms", earlier)  # to carry contacts over from
        return current

    async def make(self, kind: str) -> Ids:
        maker: Callable[[], Awaitable[Ids]] | None = getattr(self, f"new_{kind}", None)
        assert maker is not None, f"no maker for {kind!r}: add Office.new_{kind}"
        return await maker()

    # --- the register ------------------------------------------------------------------------------
    async def new_person(self) -> Ids:
        person = await self.call("POST", "/persons", {"name": name("代表"), "gender": "female"})
        return {"person_id": person["id"]}

    async def new_deputy(self) -> Ids:
        """A person with a live mandate of the current term."""
        person = await self.new_person()
        body = {**person, "term_id": self.term_id}
        mandate = await self.call("POST", "/mandates", body)
        return {**person, "mandate_id": mandate["id"]}

    async def new_suspended_deputy(self) -> Ids:
        deputy = await self.new_deputy()
        body = {"suspended_on": str(TODAY), "reason": "custody"}
        await self.call("POST", f"/mandates/{deputy['mandate_id']}/suspend", body)
        return deputy

    async def new_congress(self) -> Ids:
        """A township congress (a township not on the platform) the county records."""
        division = f"{self.code}{200 + serial() % 700}"
        body = {"level": "township", "division_code": division, "name": f"{division}镇人民代表大会"}
        response = await self.client.post(f"{self.api}/congresses", json=body, headers=self.admin.headers)
        if response.status_code == 409:  # a number used earlier in the run: try the next
            return await self.new_congress()
        assert response.status_code == 201, response.text
        return {"congress_id": response.json()["id"], "township_code": division}

    async def new_unused_township(self) -> Ids:
        """A township division code of this county that no congress has yet."""
        congresses = await self.call("GET", "/congresses")
        taken = {c["division_code"] for c in congresses}
        code = next(f"{self.code}{n}" for n in range(200 + serial() % 700, 1000) if f"{self.code}{n}" not in taken)
        return {"division_code": code, "township_code": code}

    async def new_term(self) -> Ids:
        """The current term of a fresh township congress (to edit or close without touching the office's)."""
        congress = await self.new_congress()
        body = {"number": 5, "starts_on": str(TODAY - timedelta(days=300)), "ends_on": str(TODAY + timedelta(days=30))}
        term = await self.call("POST", f"/congresses/{congress['congress_id']}/terms", body)
        return {**congress, "term_id": term["id"]}

    async def new_photo(self) -> Ids:
        person = await self.new_person()
        await self.call("PUT", f"/persons/{person['person_id']}/photo", files={"data": ("p.png", PNG, "image/png")})
        return person

    async def new_external_mandate(self) -> Ids:
        """A city deputy, recorded by the city, organised in this county: in the platform's directory."""
        from renda.modules.deputies import service as deputies
        from renda.modules.deputies.directory import publish
        from renda.modules.deputies.models import Congress, Term
        from renda.modules.deputies.schemas import MandateIn, PersonIn

        city = await load_tenant(self.city)
        async with tenant_session(city, actor="system:test") as session:
            query = select(Term).join(Congress).where(Congress.level == "city", Term.is_current)
            term = (await session.execute(query)).scalars().first()
            if term is None:
                congress = Congress(level="city", name=f"{city.code}人民代表大会", division_code=city.code)
                session.add(congress)
                await session.flush()
                term = Term(congress_id=congress.id, number=5, starts_on=TODAY - timedelta(days=400), is_current=True)
                session.add(term)
                await session.flush()
            person = await deputies.create_person(session, PersonIn(name=name("市代表"), gender="male"))
            data = MandateIn(person_id=person.id, term_id=term.id, organised_in=self.code)
            mandate = await deputies.create_mandate(session, data)
            await session.commit()
            await publish(session, city, [mandate.id])
        return {"mandate_id": str(mandate.id)}

    # --- organisation ------------------------------------------------------------------------------
    async def new_committee_member(self) -> Ids:
        body = {"term_id": self.term_id, "position": "vice_chair", "name": name("委员")}
        return {"committee_member_id": (await self.call("POST", "/organisation/committee", body))["id"]}

    async def new_body(self) -> Ids:
        body = {"kind": "working_commission", "name": name("工委")}
        return {"body_id": (await self.call("POST", "/organisation/bodies", body))["id"]}

    async def new_special_committee(self) -> Ids:
        body = {"kind": "special_committee", "name": name("专委")}
        return {"body_id": (await self.call("POST", "/organisation/bodies", body))["id"]}

    async def new_body_committee_member(self) -> Ids:
        body, member = await self.new_body(), await self.new_committee_member()
        await self.call("POST", f"/organisation/bodies/{body['body_id']}/members", member)
        return {**body, **member}

    async def new_body_member(self) -> Ids:
        body = await self.new_body()
        detail = await self.call("POST", f"/organisation/bodies/{body['body_id']}/members", {"name": name("干部")})
        return {**body, "body_member_id": detail["members"][0]["id"]}

    async def new_group(self) -> Ids:
        body = {"kind": "professional", "name": name("专业小组")}
        return {"group_id": (await self.call("POST", "/organisation/groups", body))["id"]}

    async def new_group_member(self) -> Ids:
        group, deputy = await self.new_group(), await self.new_deputy()
        await self.call("POST", f"/organisation/groups/{group['group_id']}/members", {"person_id": deputy["person_id"]})
        return {**group, "person_id": deputy["person_id"]}

    async def new_group_external(self) -> Ids:
        group, mandate = await self.new_group(), await self.new_external_mandate()
        await self.call("POST", f"/organisation/groups/{group['group_id']}/external-members", mandate)
        return {**group, **mandate}

    async def new_station(self) -> Ids:
        # Every day a reception day: a roster entry or a reception record can be for today.
        body = {"kind": "liaison_station", "name": name("联络站"), "reception_days": list(range(1, 32))}
        return {"station_id": (await self.call("POST", "/organisation/stations", body))["id"]}

    async def new_station_deputy(self) -> Ids:
        station, deputy = await self.new_station(), await self.new_deputy()
        body = {"person_id": deputy["person_id"]}
        await self.call("POST", f"/organisation/stations/{station['station_id']}/deputies", body)
        return {**station, **deputy}

    async def new_station_external(self) -> Ids:
        station, mandate = await self.new_station(), await self.new_external_mandate()
        await self.call("POST", f"/organisation/stations/{station['station_id']}/external-deputies", mandate)
        return {**station, **mandate}

    # --- members, tokens, exports, notifications ---------------------------------------------------
    async def new_member(self, roles: tuple[str, ...] = ("staff",)) -> Ids:
        member = await make_caller(self.database, name("成员"), {self.code: list(roles)})
        return {"user_id": str(member.user_id)}

    async def new_unit_member(self) -> Ids:
        return await self.new_member(("handling_unit",))

    async def new_done_export(self) -> Ids:
        """An export the office's worker has built (the in-process worker of the test client's app)."""
        export = await self.new_export()
        for _ in range(100):
            if (await self.call("GET", f"/exports/{export['export_id']}"))["status"] == "done":
                return export
            await asyncio.sleep(0.1)
        raise AssertionError(f"export {export} not built")

    async def new_import_report(self) -> Ids:
        """The error report of a refused register import (a row without a name)."""
        files = {"data": ("名册.xlsx", register_xlsx(self, person=""), XLSX)}
        response = await self.client.post(f"{self.api}/register/import", files=files, headers=self.admin.headers)
        assert response.status_code == 400, response.text
        return {"export_id": response.json()["details"]["error_report_id"]}

    async def new_token(self) -> Ids:
        created = await self.call("POST", "/api-tokens", {"name": name("令牌"), "scopes": ["audit.read"]})
        return {"token_id": created["details"]["id"]}

    async def new_invitation(self) -> Ids:
        body = {"display_name": name("受邀"), "roles": ["viewer"], "email": f"i{serial()}@example.gov.cn"}
        return {"invitation_id": (await self.call("POST", "/invitations", body))["id"]}

    # --- duty archives ------------------------------------------------------------------------------
    async def new_closed_archive(self) -> Ids:
        """A deputy of last year whose archive of last year is closed (by hand, as the job would)."""
        person = await self.new_person()
        body = {**person, "term_id": self.term_id, "starts_on": str(TODAY - timedelta(days=380))}
        await self.call("POST", "/mandates", body)
        await self.call("POST", "/duty/archives/close", {"year": TODAY.year - 1})
        return person

    async def new_archive_batch(self) -> Ids:
        """A batch of a group's archives of this year (the in-process worker builds it)."""
        group = await self.new_group_member()
        batch = await self.call("POST", "/duty/archives/batches", {"year": TODAY.year, "group_id": group["group_id"]})
        return {"export_id": batch["id"]}

    async def new_export(self) -> Ids:
        return {"export_id": (await self.call("POST", "/exports", {"kind": "audit_log", "params": {}}))["id"]}

    async def new_notification(self) -> Ids:
        """An inbox item of the admin's, with a failed email delivery (to resend)."""
        from renda.modules.notifications import service as notifications
        from renda.modules.notifications.models import NotificationDelivery

        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            (item,) = await notifications.notify(
                session,
                kind="office_notice",
                event_key=f"isolation:{uuid.uuid4()}",
                recipients=[self.admin.user_id],
                variables={"office": self.code, "subject": "通知", "content": "内容"},
                link=f"/t/{self.code}/",
            )
            query = select(NotificationDelivery).where(NotificationDelivery.notification_id == item.id)
            delivery = (await session.execute(query)).scalars().first()
            if delivery is None:  # the admin has no address: an email that went out before it was removed
                delivery = NotificationDelivery(notification_id=item.id, user_id=self.admin.user_id, channel="email")
                session.add(delivery)
            delivery.status, delivery.attempts, delivery.last_error = "failed", 1, "邮件服务器无响应"
            await session.commit()
            return {"notification_id": str(item.id), "delivery_id": str(delivery.id)}

    # --- opinions and suggestions ------------------------------------------------------------------
    async def new_unit(self) -> Ids:
        return {"unit_id": (await self.call("POST", "/opinions/units", {"name": name("承办单位")}))["id"]}

    async def new_unit_user(self) -> Ids:
        unit, user = await self.new_unit(), await self.new_unit_member()
        await self.call("POST", f"/opinions/units/{unit['unit_id']}/users", user)
        return {**unit, **user}

    async def new_opinion(self) -> Ids:
        body = {"content": f"{name('意见')}:路灯不亮", "submitter_phone": "13900000000"}
        opinion = await self.call("POST", "/opinions", body)
        return {"opinion_id": opinion["id"], "ticket": opinion["ticket"]}

    async def new_assigned_opinion(self) -> Ids:
        opinion, unit = await self.new_opinion(), await self.new_unit()
        await self.call("POST", f"/opinions/{opinion['opinion_id']}/assignment", unit)
        return {**opinion, **unit}

    async def new_answered_opinion(self) -> Ids:
        opinion = await self.new_assigned_opinion()
        await self.call("POST", f"/opinions/{opinion['opinion_id']}/answer", {"answer": "已修复"})
        return opinion

    async def new_rating_token(self) -> Ids:
        """The token of the rating link texted to the person when their opinion was answered."""
        from renda.core.crypto import decrypt
        from renda.modules.opinions.models import OpinionSms

        opinion = await self.new_answered_opinion()
        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            query = select(OpinionSms.text_encrypted).where(OpinionSms.opinion_id == uuid.UUID(opinion["opinion_id"]))
            text = decrypt((await session.execute(query)).scalar_one())
        return {**opinion, "token": text.rsplit("/opinions/rate/", 1)[1].split()[0]}

    async def new_public_photo(self) -> Ids:
        """A deputy who publishes a photo."""
        deputy = await self.new_deputy()
        path = f"/persons/{deputy['person_id']}"
        await self.call("PATCH", path, {"public_fields": ["name", "photo"]})
        await self.call("PUT", f"{path}/photo", files={"data": ("p.png", PNG, "image/png")})
        return deputy

    async def new_draft(self) -> Ids:
        return {"draft_id": (await self.call("POST", "/suggestions", {"title": name("建议"), "content": "内容"}))["id"]}

    # --- the suggestion loop: filing and intake ------------------------------------------------------
    async def new_suggestion(self) -> Ids:
        """A draft suggestion of a new deputy, filed by the admin (staff) for them."""
        deputy = await self.new_deputy()
        body = {"category": "other", "title": name("建议"), "content": "内容", "lead_person_id": deputy["person_id"]}
        made = await self.call("POST", "/suggestions/items", body)
        return {**deputy, "suggestion_id": made["item"]["id"]}

    async def new_cosigner(self) -> Ids:
        return await self.new_deputy()

    async def new_suggestion_cosigner(self) -> Ids:
        """A draft suggestion and a deputy it asks to co-sign (the path's `person_id`)."""
        made, cosigner = await self.new_suggestion(), await self.new_deputy()
        body = {"person_ids": [cosigner["person_id"]]}
        await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/cosigners", body)
        return {"suggestion_id": made["suggestion_id"], "person_id": cosigner["person_id"]}

    async def new_submitted_suggestion(self) -> Ids:
        made = await self.new_suggestion()
        await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/submit")
        return made

    async def new_cosign_request(self) -> Ids:
        """A draft of another deputy that asks the admin (a deputy too) to co-sign."""
        from renda.modules.deputies.models import Person

        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            own = await session.scalar(select(Person.id).where(Person.user_id == self.admin.user_id))
        made = await self.new_suggestion()
        await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/cosigners", {"person_ids": [str(own)]})
        return made

    async def new_suggestion_attachment(self) -> Ids:
        made = await self.new_suggestion()
        files = {"data": ("材料.pdf", PDF, "application/pdf")}
        attachment = await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/attachments", files=files)
        return {**made, "attachment_id": attachment["id"]}

    async def new_accepted_suggestion(self) -> Ids:
        """A suggestion accepted at intake, led by a fresh deputy of the current term (written directly)."""
        from renda.modules.suggestions.models import Suggestion

        deputy = await self.new_deputy()
        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            suggestion = Suggestion(
                year=TODAY.year,
                seq=serial() + 10_000,
                term_id=uuid.UUID(self.term_id),
                lead_person_id=uuid.UUID(deputy["person_id"]),
                lead_mandate_id=uuid.UUID(deputy["mandate_id"]),
                category="transport",
                title=name("建议"),
                content="建议硬化村道",
                status="accepted",
            )
            session.add(suggestion)
            await session.commit()
            return {"suggestion_id": str(suggestion.id)}

    async def new_assigned_suggestion(self) -> Ids:
        """Assigned through the API to a fresh lead unit and a fresh co-handling unit."""
        made, lead, co = await self.new_accepted_suggestion(), await self.new_unit(), await self.new_unit()
        body = {"lead_unit_id": lead["unit_id"], "co_unit_ids": [co["unit_id"]]}
        await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/assignment", body)
        return {**made, "lead_unit_id": lead["unit_id"], "co_unit_id": co["unit_id"]}

    async def new_replied_suggestion(self) -> Ids:
        made = await self.new_assigned_suggestion()
        body = {"reply_class": "A", "reply_text": "已完成村道硬化"}
        await self.call("POST", f"/suggestions/items/{made['suggestion_id']}/reply", body)
        return made

    async def new_suggestion_request(self) -> Ids:
        """The lead unit's pending extension request (written directly: the admin answers for no unit)."""
        from renda.modules.suggestions.models import SuggestionRequest

        made = await self.new_assigned_suggestion()
        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            request = SuggestionRequest(
                suggestion_id=uuid.UUID(made["suggestion_id"]),
                unit_id=uuid.UUID(made["lead_unit_id"]),
                kind="extension",
                reason="需要更多时间",
                new_deadline=TODAY + timedelta(days=120),
                requested_by="system:test",
            )
            session.add(request)
            await session.commit()
            return {**made, "request_id": str(request.id)}

    # --- the suggestion loop: evaluation, follow-up, supervision, the public board --------------------
    async def _loop_suggestion(self, status: str, **fields: Any) -> Ids:
        """A suggestion led by the admin (a deputy of the current term), assigned to a fresh unit, made in
        the office's schema in the state the route starts from."""
        from sqlalchemy import func

        from renda.core.db import utcnow
        from renda.modules.deputies.models import Mandate, Person
        from renda.modules.suggestions.models import Suggestion, SuggestionUnit

        unit = await self.new_unit()
        async with tenant_session(await load_tenant(self.code), actor="system:test") as session:
            person = (await session.execute(select(Person.id).where(Person.user_id == self.admin.user_id))).scalar_one()
            query = select(Mandate.id).where(Mandate.person_id == person, Mandate.term_id == uuid.UUID(self.term_id))
            mandate = (await session.execute(query)).scalar_one()
            now = utcnow()
            suggestion = Suggestion(
                year=TODAY.year,
                seq=(await session.scalar(select(func.max(Suggestion.seq)).where(Suggestion.year == TODAY.year)) or 0)
                + 1,
                term_id=uuid.UUID(self.term_id),
                lead_person_id=person,
                lead_mandate_id=mandate,
                category="transport",
                title=name("建议"),
                content="建议硬化村道",
                status=status,
                filed_at=now,
                lead_unit_id=uuid.UUID(unit["unit_id"]),
                assigned_at=now,
                deadline=TODAY + timedelta(days=90),
                **fields,
            )
            session.add(suggestion)
            await session.flush()
            session.add(SuggestionUnit(suggestion_id=suggestion.id, unit_id=suggestion.lead_unit_id, role="lead"))
            await session.commit()
            return {"suggestion_id": str(suggestion.id)}

    async def new_led_suggestion(self) -> Ids:
        """Assigned, led by the admin (who may then rate it)."""
        return await self._loop_suggestion("assigned")

    async def new_admin_replied_suggestion(self) -> Ids:
        from renda.core.db import utcnow

        return await self._loop_suggestion(
            "replied",
            reply_class="B",
            reply_text="已列入计划",
            replied_at=utcnow(),
            rating_due=TODAY + timedelta(days=30),
        )

    async def new_followed_suggestion(self) -> Ids:
        from renda.core.db import utcnow

        return await self._loop_suggestion(
            "closed", reply_class="C", replied_at=utcnow(), rating="basic", closed_at=utcnow(), follow_up="open"
        )

    async def new_key_suggestion(self) -> Ids:
        made = await self.new_led_suggestion()
        body = {"is_key": True, "leader_name": "王明", "leader_title": "副主任"}
        key = await self.call("PUT", f"/suggestions/items/{made['suggestion_id']}/key", body)
        return {**made, "checkpoint_id": key["checkpoints"][0]["id"]}

    async def new_public_suggestion(self) -> Ids:
        """An accepted suggestion on the office's public board (turned on)."""
        await self.call("PUT", "/suggestions/settings/public-board", {"enabled": True, "fields": ["number", "title"]})
        return await self._loop_suggestion("assigned")

    # --- contacts ----------------------------------------------------------------------------------
    async def new_assignment(self) -> Ids:
        member, deputy = await self.new_committee_member(), await self.new_deputy()
        board = await self.call("POST", "/contacts/assignments", {**member, "person_id": deputy["person_id"]})
        rows = [d for m in board["members"] for d in m["deputies"] if d["deputy"]["id"] == deputy["person_id"]]
        return {**member, **deputy, "assignment_id": rows[0]["assignment_id"]}

    async def new_township_assignment(self) -> Ids:
        member, congress = await self.new_committee_member(), await self.new_congress()
        body = {**member, "township_code": congress["township_code"]}
        board = await self.call("POST", "/contacts/township-assignments", body)
        rows = [t for m in board["members"] for t in m["townships"] if t["township"]["code"] == body["township_code"]]
        return {**body, "township_assignment_id": rows[0]["township_assignment_id"]}

    async def new_proposal(self) -> Ids:
        return {"proposal_id": (await self.call("POST", "/contacts/proposals", {}))["id"]}

    async def new_proposal_item(self) -> Ids:
        proposal, member, deputy = await self.new_proposal(), await self.new_committee_member(), await self.new_deputy()
        body = {**member, "person_id": deputy["person_id"]}
        out = await self.call("POST", f"/contacts/proposals/{proposal['proposal_id']}/items", body)
        items = [
            d["item_id"] for m in out["members"] for d in m["deputies"] if d["deputy"]["id"] == deputy["person_id"]
        ]
        return {**proposal, **body, "item_id": items[0]}

    async def new_record(self) -> Ids:
        member, deputy = await self.new_committee_member(), await self.new_deputy()
        body = {
            **member,
            "contacted_on": str(TODAY),
            "mode": "visit",
            "topics": "走访",
            "person_ids": [deputy["person_id"]],
        }
        record = await self.call("POST", "/contacts/records", body)
        return {**member, **deputy, "record_id": record["id"]}

    async def new_record_issue(self) -> Ids:
        record = await self.new_record()
        body = {"content": "村道需要硬化", "person_id": record["person_id"]}
        detail = await self.call("POST", f"/contacts/records/{record['record_id']}/issues", body)
        return {**record, "issue_id": detail["issues"][-1]["id"]}

    async def new_record_attachment(self) -> Ids:
        record = await self.new_record()
        files = {"data": ("纪要.txt", "走访纪要".encode(), "text/plain")}
        attachment = await self.call("POST", f"/contacts/records/{record['record_id']}/attachments", files=files)
        return {**record, "attachment_id": attachment["id"]}

    async def new_meeting(self) -> Ids:
        body = {"number": meeting_number(), "title": name("常委会会议"), "held_on": str(TODAY)}
        meeting = await self.call("POST", "/contacts/meetings", body)
        return {"meeting_id": meeting["id"]}

    async def new_meeting_invitation(self) -> Ids:
        meeting, deputy = await self.new_meeting(), await self.new_deputy()
        body = {"person_ids": [deputy["person_id"]]}
        detail = await self.call("POST", f"/contacts/meetings/{meeting['meeting_id']}/invitations", body)
        return {**meeting, **deputy, "attendance_id": detail["invitations"][0]["id"]}

    # --- duty: activities and evidence -------------------------------------------------------------
    async def new_activity(self) -> Ids:
        """An inspection under way (its QR code open now), with the token its code carries."""
        now = datetime.now(LOCAL_TZ)
        body = {
            "kind": "inspection",
            "title": name("视察"),
            "starts_at": (now - timedelta(minutes=10)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        }
        made = await self.call("POST", "/duty/activities", body)
        code = await self.call("GET", f"/duty/activities/{made['id']}/sign-in-code")
        return {"activity_id": made["id"], "token": code["url"].rsplit("/", 1)[1]}

    async def new_duty_attendance(self) -> Ids:
        activity, deputy = await self.new_activity(), await self.new_deputy()
        body = {"entries": [{"person_id": deputy["person_id"], "status": "present"}]}
        (row,) = await self.call("POST", f"/duty/activities/{activity['activity_id']}/attendance", body)
        return {**activity, "person_id": deputy["person_id"], "attendance_id": row["id"]}

    async def new_evidence(self) -> Ids:
        """The admin's own evidence (the admin is a deputy of the office), pending, with a photo."""
        data = {"kind": "people", "title": name("佐证"), "occurred_on": str(TODAY), "description": "走访群众"}
        made = await self.call("POST", "/duty/evidence", data=data, files={"files": ("照片.png", PNG, "image/png")})
        return {"evidence_id": made["id"], "file_id": made["files"][0]["id"]}

    # --- receptions and the portal -----------------------------------------------------------------
    async def new_rule(self) -> Ids:
        station = await self.new_station()
        body = {"kind": "month_days", "valid_from": str(TODAY), "days": [5, 15]}
        rule = await self.call("POST", f"/receptions/stations/{station['station_id']}/rules", body)
        return {**station, "rule_id": rule["id"]}

    async def new_exception(self) -> Ids:
        station = await self.new_station()
        body = {**station, "day": str(TODAY + timedelta(days=serial() % 300)), "kind": "extra"}
        return {**station, "exception_id": (await self.call("POST", "/receptions/exceptions", body))["id"]}

    async def new_roster_entry(self) -> Ids:
        station = await self.new_station_deputy()
        body = {"station_id": station["station_id"], "day": str(TODAY), "deputy": {"person_id": station["person_id"]}}
        return {**station, "entry_id": (await self.call("POST", "/receptions/roster", body))["id"]}

    async def new_reception(self) -> Ids:
        station = await self.new_station_deputy()
        body = {
            "station_id": station["station_id"],
            "held_on": str(TODAY),
            "visitor_name": "来访群众",
            "issue": "路灯不亮",
            "category": "other",
            "deputies": [{"person_id": station["person_id"]}],
        }
        return {**station, "reception_id": (await self.call("POST", "/receptions/records", body))["id"]}

    async def new_commitment(self) -> Ids:
        deputy = await self.new_deputy()
        body = {"person_id": deputy["person_id"], "text": "每月进站接待一次", "year": TODAY.year}
        return {**deputy, "commitment_id": (await self.call("POST", "/portal/commitments", body))["id"]}

    # --- duty: the points store ---------------------------------------------------------------------
    async def new_store_item(self) -> Ids:
        """An item of 1 point that the admin (a deputy too) can afford: last year's points are given once."""
        from tests.modules.duty.support_store import give_points

        balance = await self.call("GET", "/duty/store/balance")
        if balance["earned"] == 0:
            await give_points(self.code, uuid.UUID(balance["person_id"]), balance["points_year"], 120)
        item = await self.call("POST", "/duty/store/items", {"name": name("兑换物品"), "price": 1, "stock": 100})
        return {"store_item_id": item["id"]}

    async def new_redemption(self) -> Ids:
        """A redemption of the admin's waiting to be handed over."""
        item = await self.new_store_item()
        made = await self.call("POST", "/duty/store/redemptions", item)
        return {**item, "redemption_id": made["id"]}

    # --- duty: the star rating ---------------------------------------------------------------------
    async def new_rating_window(self) -> Ids:
        """This year's rating window open all year: the test runs on any date."""
        body = {"year": TODAY.year, "opens_on": f"{TODAY.year}-01-01", "closes_on": f"{TODAY.year}-12-31"}
        await self.call("PUT", "/duty/ratings/window", body)
        return {}

    async def new_rating(self, grade: str | None = None) -> Ids:
        """A fresh deputy's rating of this year, started by staff (awaiting the group check); with
        `grade`, taken through the committee's decision."""
        from renda.modules.duty.models import Rating

        await self.new_rating_window()
        deputy = await self.new_deputy()
        await self.call("POST", "/duty/ratings/start", {"year": TODAY.year})
        async with tenant_session(await load_tenant(self.code), actor="system:test", read_only=True) as session:
            person_id = uuid.UUID(deputy["person_id"])
            query = select(Rating.id).where(Rating.year == TODAY.year, Rating.person_id == person_id)
            rating_id = str((await session.execute(query)).scalar_one())
        for step in ("group", "township", "committee") if grade else ():
            await self.call("POST", f"/duty/ratings/{rating_id}/steps", {"step": step, "grade": grade})
        return {**deputy, "rating_id": rating_id}

    async def new_low_rating(self) -> Ids:
        return await self.new_rating("basic")

    async def new_decided_rating(self) -> Ids:
        return await self.new_rating("good")

    async def new_rating_talk(self) -> Ids:
        rating = await self.new_low_rating()
        talk = await self.call("POST", f"/duty/ratings/{rating['rating_id']}/talks", {"scheduled_on": str(TODAY)})
        return {**rating, "talk_id": talk["id"]}

    async def new_public_rating(self) -> Ids:
        """A rating published with the office's public list of grades."""
        rating = await self.new_decided_rating()
        await self.call("POST", "/duty/ratings/publish", {"year": TODAY.year, "public_list": True})
        return rating


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_xlsx(office: Office, person: str | None = None) -> bytes:
    """A register import with one county deputy of the office's current term."""
    from renda.modules.deputies.idcard import with_check_digit
    from renda.modules.register_import.service import COLUMNS, DATA_SHEET

    row = {
        "姓名": name("导入代表") if person is None else person,
        "身份证号码": with_check_digit(f"{office.code}19700501{serial() % 1000:03d}"),
        "代表层级": "县人大代表",
        "所属人大": office.congress_name,
        "届次": 5,
    }
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    headers = [c.header for c in COLUMNS]
    sheet.append(headers)
    sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The smallest valid PNG (1×1, transparent): a deputy's photo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
