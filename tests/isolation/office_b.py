"""Office B: one object of every kind a route can address by id, made through the services and
straight in its schema, and a digest of everything B holds, read outside the app."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
from sqlalchemy import select

from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import _asyncpg_dsn, make_caller
from tests.modules.duty.support_activities import seed_activities


class Digest:
    """Per table, a hash of B's rows: its schema, and its rows in the platform's shared tables."""

    def __init__(self, conn: asyncpg.Connection, sql: str, code: str, tenant_id: uuid.UUID) -> None:
        self.conn, self.sql, self.args = conn, sql, (code, tenant_id)

    @classmethod
    async def of(cls, database_url: str, code: str) -> Digest:
        conn = await asyncpg.connect(_asyncpg_dsn(database_url), statement_cache_size=0)
        schema = f"t_{code}"
        tables = [r[0] for r in await conn.fetch(TABLES, schema)]
        shared = {r[0]: r[1] for r in await conn.fetch(SHARED)}
        parts = [_part(f"{schema}.{t}", f'"{schema}"."{t}"', "true") for t in tables]
        for table, column in shared.items():
            parts.append(
                _part(
                    f"platform.{table}", f'platform."{table}"', f"{column} = {'$2' if column == 'tenant_id' else '$1'}"
                )
            )
        parts.append(_part("platform.tenants", "platform.tenants", "code = $1"))
        parts.append(_part("platform.mandate_directory", "platform.mandate_directory", DIRECTORY))
        parts.append(_part("platform.users", "platform.users", MEMBERS))
        tenant_id = await conn.fetchval("select id from platform.tenants where code = $1", code)
        return cls(conn, " union all ".join(parts), code, tenant_id)

    async def take(self) -> dict[str, str]:
        return dict(await self.conn.fetch(self.sql, *self.args))

    async def close(self) -> None:
        await self.conn.close()


TABLES = "select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'"
# The platform's tables that hold rows of an office, and the column that names it.
SHARED = """
    select table_name, column_name from information_schema.columns
    where table_schema = 'platform' and column_name in ('tenant_id', 'tenant_code', 'office_code')
"""
# Mandates B records, or that are organised in B's territory.
DIRECTORY = "recorded_by = $1 or organised_in like $1 || '%'"
MEMBERS = "id in (select user_id from platform.memberships where tenant_id = $2)"


def _part(label: str, table: str, where: str) -> str:
    rows = f"select md5(coalesce(string_agg(r::text, '|' order by r::text), '')) from {table} r where {where}"
    return f"select '{label}', ({rows})"


async def seed_office_b(database, code: str, marker: str) -> dict[str, str]:
    """One object of every kind a route can address by id, all in office B."""
    from renda.modules.members import service as members
    from renda.modules.members.schemas import ApiTokenIn, InvitationIn
    from renda.modules.portal.models import DeputyCommitment

    tenant = await load_tenant(code)
    member = await make_caller(database, marker, {code: ["staff"]})
    async with database.platform_session() as session:
        session.info["actor"] = "system:test"
        invitation = await members.invite(
            session, tenant, InvitationIn(marker, ["viewer"], email=f"{uuid.uuid4().hex[:8]}@b.gov.cn"), "system:test"
        )
        token, _ = await members.issue_office_token(session, tenant, member.user_id, ApiTokenIn(marker, ["audit.read"]))
        await session.commit()
    seeded = {
        "export_id": str(await seed_export(code, marker)),
        "user_id": str(member.user_id),
        "invitation_id": str(invitation.id),
        "token_id": str(token.id),
        **await seed_organisation(code, marker),
    }
    seeded |= await seed_register(code, seeded) | await seed_notifications(code, member.user_id, marker)
    seeded |= await seed_two_contacts(code, marker, seeded)
    seeded |= await seed_suggestions(code, marker, seeded)
    seeded |= await seed_activities(code, marker, seeded["person_id"])
    seeded |= await seed_store(code, marker, seeded["person_id"])
    seeded |= await seed_duty_rating(code, marker, seeded)
    async with tenant_session(tenant, actor="system:test") as session:  # the deputy's page in B's portal
        session.add(DeputyCommitment(person_id=uuid.UUID(seeded["person_id"]), year=2026, text=marker, is_public=True))
        await session.commit()
    return seeded


async def seed_store(code: str, marker: str, person_id: str) -> dict[str, str]:
    """An item of B's points store and a redemption of it waiting to be handed over."""
    from renda.modules.duty.models import Redemption, StoreItem

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        item = StoreItem(name=marker, description=marker, price=1, stock=5)
        session.add(item)
        await session.flush()
        redemption = Redemption(
            item_id=item.id, person_id=uuid.UUID(person_id), points_year=2025, points=1, requested_by=marker
        )
        session.add(redemption)
        await session.commit()
        return {"store_item_id": str(item.id), "redemption_id": str(redemption.id)}


async def seed_export(code: str, marker: str) -> uuid.UUID:
    from renda.modules.exports.models import Export

    async with tenant_session(await load_tenant(code), actor=f"user:{uuid.uuid4()}:{marker}") as session:
        export = Export(kind="audit_log", params={"actor": marker}, requested_by=f"user:x:{marker}")
        session.add(export)
        await session.commit()
        return export.id


async def seed_two_contacts(code: str, marker: str, seeded: dict[str, str]) -> dict[str, str]:
    """The contacts, receptions, opinions and portal objects of office B (each module's own seeder)."""
    from tests.modules.contacts.support import seed_contacts
    from tests.modules.receptions.support import seed_receptions

    found = await seed_contacts(code, f"{marker}联系")
    found |= await seed_receptions(code, seeded["station_id"], seeded["person_id"])
    return found | await seed_opinions(code, marker)


async def seed_opinions(code: str, marker: str) -> dict[str, str]:
    """A handling unit with an opinion assigned to it (with a rating link), and a suggestion draft, of office B."""
    from renda.modules.opinions.common import SYSTEM_VIEWER
    from renda.modules.opinions.feedback import token_hash
    from renda.modules.opinions.handling import assign
    from renda.modules.opinions.intake import intake
    from renda.modules.opinions.schemas import UnitIn
    from renda.modules.opinions.units import create_unit
    from renda.modules.suggestions import service as suggestions

    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor="system:test") as session:
        unit = await create_unit(session, SYSTEM_VIEWER, UnitIn(name=marker))
        opinion = await intake(session, tenant, source="staff", content=marker, submitter_phone="13900000000")
        await assign(session, SYSTEM_VIEWER, tenant, opinion, unit_id=unit.id)
        token = f"b{uuid.uuid4().hex}"
        opinion.rating_token_hash = token_hash(token)
        draft = await suggestions.create_draft(
            session, tenant, deputy_person_id=None, title=marker, content=marker, source="staff", source_id=None
        )
        await session.commit()
        ids = {"unit_id": str(unit.id), "opinion_id": str(opinion.id), "draft_id": str(draft.id)}
        return ids | {"token": token, "ticket": opinion.ticket}


async def seed_suggestions(code: str, marker: str, seeded: dict[str, str]) -> dict[str, str]:
    """A key suggestion of office B assigned to its unit, with a pending extension request, a checkpoint
    and an open follow-up, on B's public board."""
    from datetime import UTC, datetime, timedelta

    from renda.modules.suggestions.common import load_settings
    from renda.modules.suggestions.models import Suggestion, SuggestionCheckpoint, SuggestionRequest, SuggestionUnit

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        now = datetime.now(UTC)
        suggestion = Suggestion(
            year=now.year,
            seq=9_001,
            term_id=uuid.UUID(seeded["term_id"]),
            lead_person_id=uuid.UUID(seeded["person_id"]),
            lead_mandate_id=uuid.UUID(seeded["mandate_id"]),
            category="other",
            title=marker,
            content=marker,
            status="assigned",
            lead_unit_id=uuid.UUID(seeded["unit_id"]),
            assigned_at=now,
            deadline=now.date() + timedelta(days=90),
            follow_up="open",
            is_key=True,
            key_leader=marker[:100],
        )
        session.add(suggestion)
        await session.flush()
        unit = SuggestionUnit(
            suggestion_id=suggestion.id, unit_id=suggestion.lead_unit_id, role="lead", assigned_at=now
        )
        request = SuggestionRequest(
            suggestion_id=suggestion.id,
            unit_id=suggestion.lead_unit_id,
            kind="extension",
            reason=marker,
            new_deadline=now.date() + timedelta(days=120),
            requested_by="system:test",
        )
        checkpoint = SuggestionCheckpoint(
            suggestion_id=suggestion.id, year=now.year, stage="end", due_on=date(now.year, 11, 30)
        )
        session.add_all([unit, request, checkpoint])
        (await load_settings(session)).public_board = True
        await session.commit()
        return {"suggestion_id": str(suggestion.id), "request_id": str(request.id), "checkpoint_id": str(checkpoint.id)}


async def seed_duty_rating(code: str, marker: str, seeded: dict[str, str]) -> dict[str, str]:
    """B's deputy rated 基本称职 by the committee, with a reminder talk; its list of grades public."""
    from renda.modules.duty.models import Rating, RatingStep, RatingWindow, Talk

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        year = date.today().year
        rating = Rating(
            year=year,
            person_id=uuid.UUID(seeded["person_id"]),
            step="published",
            self_summary=marker,
            self_grade="good",
            group_grade="basic",
            township_grade="basic",
            grade="basic",
            stars=2,
            advise_resign=True,
        )
        session.add(rating)
        await session.flush()
        session.add(RatingStep(rating_id=rating.id, step="self", grade="good", note=marker, actor=f"user:x:{marker}"))
        talk = Talk(
            rating_id=rating.id,
            person_id=rating.person_id,
            scheduled_on=date(year, 12, 30),
            place=marker,
            talker=marker[:100],
            created_by="system:test",
        )
        window = RatingWindow(
            year=year,
            opens_on=date(year, 1, 1),
            closes_on=date(year, 12, 31),
            public_list=True,
            published_at=datetime.now(UTC),
            published_by=marker,
        )
        session.add_all([talk, window])
        await session.commit()
        return {"rating_id": str(rating.id), "talk_id": str(talk.id)}


async def seed_notifications(code: str, user_id: uuid.UUID, marker: str) -> dict[str, str]:
    """An inbox item of office B's member, with a failed email delivery."""
    from renda.modules.notifications import service as notifications
    from renda.modules.notifications.models import NotificationDelivery

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        (item,) = await notifications.notify(
            session,
            kind="office_notice",
            event_key=f"isolation:{marker}",
            recipients=[user_id],
            variables={"office": marker, "subject": marker, "content": marker},
            link=f"/t/{code}/",
        )
        delivery = (
            await session.execute(select(NotificationDelivery).where(NotificationDelivery.notification_id == item.id))
        ).scalar_one()
        delivery.status, delivery.last_error = "failed", marker
        await session.commit()
        return {"notification_id": str(item.id), "delivery_id": str(delivery.id)}


async def seed_register(code: str, seeded: dict[str, str]) -> dict[str, str]:
    """A congress, a current term and a live mandate of office B (for the person seeded above)."""
    from renda.modules.deputies.models import Congress, Mandate, Term

    async with tenant_session(await load_tenant(code), actor="system:test") as session:
        taken = set((await session.execute(select(Congress.division_code))).scalars())
        division = next(f"{code}{n}" for n in range(999, 100, -1) if f"{code}{n}" not in taken)
        congress = Congress(level="township", name=f"{division}人民代表大会", division_code=division)
        session.add(congress)
        await session.flush()
        term = Term(congress_id=congress.id, number=1, starts_on=date(2021, 10, 1), is_current=True)
        session.add(term)
        await session.flush()
        mandate = Mandate(
            person_id=uuid.UUID(seeded["person_id"]), term_id=term.id, level="township", starts_on=term.starts_on
        )
        session.add(mandate)
        await session.commit()
        return {"congress_id": str(congress.id), "term_id": str(term.id), "mandate_id": str(mandate.id)}


async def seed_organisation(code: str, marker: str) -> dict[str, str]:
    """A deputy, a committee member, a body, a deputy group and a station of office B."""
    from renda.modules.deputies.models import Congress, Person, Term
    from renda.modules.organisation.models import Body, BodyMember, CommitteeMember, DeputyGroup, Station
    from renda.modules.portal.models import DeputyCommitment

    async with tenant_session(await load_tenant(code), actor=f"user:x:{marker}") as session:
        taken = set((await session.execute(select(Congress.division_code))).scalars())
        division = next(f"{code}{n}" for n in range(100, 999) if f"{code}{n}" not in taken)
        person = Person(name=marker[:50], name_pinyin="b", name_initials="b", gender="female", public_fields=["name"])
        congress = Congress(level="township", name=marker, division_code=division)
        session.add_all([person, congress])
        await session.flush()
        term = Term(congress_id=congress.id, number=1, starts_on=date(2021, 10, 1), is_current=False)
        session.add(term)
        await session.flush()
        rows = {
            "person_id": person,
            "committee_member_id": CommitteeMember(
                term_id=term.id, name=marker[:50], position="member", started_on=term.starts_on
            ),
            "body_id": Body(kind="working_commission", name=marker),
            "group_id": DeputyGroup(kind="professional", name=marker),
            "station_id": Station(kind="workroom", name=marker, reception_days=[10, 20, 30]),
        }
        session.add_all(rows.values())
        await session.flush()
        rows["body_member_id"] = BodyMember(body_id=rows["body_id"].id, name=marker[:50])
        rows["commitment_id"] = DeputyCommitment(person_id=person.id, year=2026, text=marker)
        session.add_all([rows["body_member_id"], rows["commitment_id"]])
        await session.commit()
        return {key: str(row.id) for key, row in rows.items()}
