"""Deputies' suggestions and motions (代表建议、议案) and their loop: file, assign, handle, supervise,
evaluate (提、交、办、督、评).

A draft (`SuggestionDraft`) is what an opinion, a contact or a reception raised, for a deputy to refine;
it becomes a `Suggestion` when filed. A suggestion is one row whose status moves forward, with one
`SuggestionStep` per thing that happened to it (who, when, what, in which round).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    exists,
    func,
    inspect,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, aliased, deferred, mapped_column, object_session

from renda.core.db import TenantBase, Timestamps, UUIDPrimaryKey, utcnow
from renda.modules.suggestions.similarity import gram_set
from renda.tenants.models import Tenant

DRAFT_STATUSES = {"draft": "草稿", "withdrawn": "已撤回"}
DRAFT_SOURCES = {
    "opinion": "群众意见",
    "contact": "联系代表",
    "reception": "接待选民",
    "staff": "工作人员录入",
    "deputy": "代表起草",
}


class SuggestionDraft(UUIDPrimaryKey, Timestamps, TenantBase):
    __tablename__ = "suggestion_drafts"
    __table_args__ = (
        CheckConstraint("status in ('draft','withdrawn')", name="status"),
        CheckConstraint("source in ('opinion','contact','reception','staff','deputy')", name="source"),
        Index("ix_suggestion_drafts_source_id", "source_id"),
    )

    deputy_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[uuid.UUID | None] = mapped_column()  # the opinion, contact or reception record
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[str] = mapped_column(String(200))


# --- the suggestion loop (提、交、办、督、评) ------------------------------------------------------
KINDS = {"suggestion": "建议、批评和意见", "motion": "议案"}
STATUSES = {
    "draft": "草稿",  # the lead deputy is still writing; co-signers may be invited
    "submitted": "待审查",  # filed, awaiting the staff's intake review
    "returned": "已退回修改",  # intake review sent it back with a reason; the lead may resubmit
    "accepted": "已立案",  # accepted at intake, not yet assigned
    "assigned": "办理中",  # assigned to a lead unit; the deadline runs
    "replied": "已答复",  # the lead unit replied; awaiting the lead deputy's rating
    "closed": "已办结",  # rated, or the rating window passed
    "merged": "已并案",  # merged into a same-topic suggestion (its deputies are answered there)
    "converted": "已转群众意见",  # turned into a people's opinion
    "withdrawn": "已撤回",
}
OPEN_STATUSES = ("submitted", "accepted", "assigned", "replied")
RETURN_REASONS = {
    "outside_remit": "不属于本级职权范围",
    "personal": "属于个人或家庭私事",
    "litigation": "涉及正在诉讼或仲裁的案件",
    "forwarded_letter": "属于转交来信",
    "empty": "内容空泛、没有具体意见",
    "other": "其他原因",
}
REPLY_CLASSES = {
    "A": "A类(已解决或采纳)",
    "B": "B类(正在解决或列入计划)",
    "C": "C类(因条件限制暂时难以解决)",
    "D": "D类(留作参考)",
}
RATINGS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
FOLLOW_UP_STATUSES = {"none": "无需跟踪", "open": "跟踪落实中", "resolved": "已落实"}
COSIGNER_STATUSES = {"requested": "待确认", "confirmed": "已确认", "declined": "已拒绝"}
UNIT_ROLES = {"lead": "主办", "co": "协办"}
MEETING_STAGES = {"before": "办前见面", "during": "办中见面", "after": "办后见面"}
MEETING_FORMS = {
    "visit": "登门走访",
    "meeting": "座谈会",
    "site": "现场察看",
    "phone": "电话沟通",
    "online": "网络视频",
}
REQUEST_KINDS = {"extension": "申请延期", "reassignment": "申请调整承办单位"}
REQUEST_STATUSES = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}
CHECKPOINT_STAGES = {"start": "年初部署", "middle": "年中推进", "end": "年底总结"}
STEP_KINDS = {
    "created": "起草",
    "cosign_requested": "邀请联名",
    "cosigned": "联名确认",
    "cosign_declined": "拒绝联名",
    "cosigner_removed": "移除联名代表",
    "submitted": "提交",
    "accepted": "审查立案",
    "returned": "退回修改",
    "merged": "并案",
    "converted": "转为群众意见",
    "withdrawn": "撤回",
    "assigned": "交办",
    "cohandler_opinion": "协办意见",
    "meeting": "见面沟通",
    "extension_requested": "申请延期",
    "reassignment_requested": "申请调整承办单位",
    "request_decided": "审批申请",
    "reassigned": "调整承办单位",
    "replied": "答复",
    "rated": "代表评价",
    "second_round": "重新办理",
    "closed": "办结",
    "reminder": "督办提醒",
    "escalated": "逾期督办",
    "key_chosen": "列为重点建议",
    "checkpoint": "重点督办节点",
    "follow_up": "回头看",
    "carried_over": "结转下一年度",
}


def _in(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's text: `column` takes one of `values` (a vocabulary's keys)."""
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class SuggestionSettings(Timestamps, TenantBase):
    """The office's rules for the loop: one row (id 1), defaults until staff change them.

    Defaults follow the Deputies Law (Art. 51: reply within three months of assignment, six for broad or
    difficult ones) and common local rules (co-handlers answer the lead unit within a month; a second
    round after a dissatisfied rating within two months).
    """

    __tablename__ = "suggestion_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "motion_min_cosigners >= 1 and deadline_months between 1 and 12 and broad_deadline_months between 1 and 12"
            " and cohandler_days between 1 and 180 and reassign_window_days between 0 and 60"
            " and rating_window_days between 1 and 180 and second_round_months between 1 and 12",
            name="bounds",
        ),
    )

    # A serial column, as its revision created it; the one row is always written with id 1.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 议案: the county level's organic law asks for ten deputies jointly (townships five).
    motion_min_cosigners: Mapped[int] = mapped_column(Integer, default=10)
    deadline_months: Mapped[int] = mapped_column(Integer, default=3)
    broad_deadline_months: Mapped[int] = mapped_column(Integer, default=6)
    cohandler_days: Mapped[int] = mapped_column(Integer, default=30)
    # Days after assignment in which a unit may ask to be replaced (0: not at all).
    reassign_window_days: Mapped[int] = mapped_column(Integer, default=10)
    extension_needs_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    rating_window_days: Mapped[int] = mapped_column(Integer, default=30)
    second_round_months: Mapped[int] = mapped_column(Integer, default=2)
    # Whether the repeated-suggestion check also reads the offices above and below, and lets them read ours.
    share_similar: Mapped[bool] = mapped_column(Boolean, default=True)
    public_board: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which fields the public board shows (number, title, category, lead deputy, units, status, class...).
    public_fields: Mapped[list[str]] = mapped_column(
        ARRAY(String(30)), default=lambda: ["number", "title", "category", "units", "status"]
    )


class Suggestion(UUIDPrimaryKey, Timestamps, TenantBase):
    """代表建议 or 议案: one row whose status moves forward, with a `SuggestionStep` per thing that happened.

    The lead deputy's person and mandate are kept for good: a suggestion is handled to its end across a
    term change (办理工作不换届), whatever became of the mandate.
    """

    __tablename__ = "suggestions"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"return_reason is null or {_in('return_reason', RETURN_REASONS)}", name="return_reason"),
        CheckConstraint(f"reply_class is null or {_in('reply_class', REPLY_CLASSES)}", name="reply_class"),
        CheckConstraint(f"rating is null or {_in('rating', RATINGS)}", name="rating"),
        CheckConstraint(_in("follow_up", FOLLOW_UP_STATUSES), name="follow_up"),
        CheckConstraint(_in("source", DRAFT_SOURCES), name="source"),
        CheckConstraint("round >= 1", name="round"),
        CheckConstraint("(status in ('assigned','replied','closed')) <= (lead_unit_id is not null)", name="assigned"),
        CheckConstraint("(status = 'closed') = (closed_at is not null)", name="closed"),
        UniqueConstraint("year", "seq"),
        Index("ix_suggestions_status_year", "status", "year"),
        Index("ix_suggestions_lead_unit_status", "lead_unit_id", "status"),
        Index("ix_suggestions_deadline", "deadline", postgresql_where=text("status = 'assigned'")),
    )

    # 编号: the year and a number within it, shown as 2026-0042; given when filed.
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12), default="suggestion")
    during_session: Mapped[bool] = mapped_column(Boolean, default=False)  # 大会期间 vs 闭会期间
    term_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms.id", ondelete="RESTRICT"), index=True)
    lead_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    lead_mandate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mandates.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="deputy")
    draft_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suggestion_drafts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    broad: Mapped[bool] = mapped_column(Boolean, default=False)  # 面广量大或者涉及面广: six months
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Intake review.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(String(20))
    return_note: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suggestions.id", ondelete="RESTRICT"))
    opinion_id: Mapped[uuid.UUID | None] = mapped_column()  # the opinion it became (opinions module)
    # Assignment: the lead unit (co-handlers in `suggestion_units`), the round (2 after a dissatisfied rating).
    lead_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date | None] = mapped_column(Date)  # local date the lead unit must reply by
    # The reply of the current round.
    reply_class: Mapped[str | None] = mapped_column(String(1))
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_commitments: Mapped[str | None] = mapped_column(Text)  # what the unit undertakes, followed up
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)
    # The lead deputy's rating (背靠背, directly on the platform) of the current round.
    rating_due: Mapped[date | None] = mapped_column(Date)
    rating: Mapped[str | None] = mapped_column(String(12))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 重点建议 and its supervising leader (领衔督办).
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    key_leader: Mapped[str | None] = mapped_column(String(100))
    key_leader_title: Mapped[str | None] = mapped_column(String(100))  # the leader's post (主任、副主任...)
    key_chosen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 回头看 of B and C replies until resolved; the latest year it was carried into (滚动办理).
    follow_up: Mapped[str] = mapped_column(String(10), default="none")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    carried_to_year: Mapped[int | None] = mapped_column(Integer)
    # The public board: hidden entirely, or shown with this text in place of the title.
    public_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    public_title: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # --- repeated suggestions (反复提的建议, t0013): the distinct character bigrams of title and content
    # (`similarity.gram_set`), set on every write by `similar.install_similarity_hooks`, GIN-indexed;
    # derived from the text, so the audit log keeps the text and not them.
    __audit_redact__ = ("similarity_grams",)
    similarity_grams: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")


# --- repeated suggestions (t0013) ----------------------------------------------------------------
Index("ix_suggestions_similarity_grams", Suggestion.similarity_grams, postgresql_using="gin")
# Statuses that are not (or no longer) a suggestion of record: never listed as similar, never shared.
NOT_FILED = ("draft", "withdrawn")
SHARED_FIELDS = ("title", "content", "status", "reply_class", "follow_up", "resolved_at", "year")


@event.listens_for(Suggestion, "before_insert")
@event.listens_for(Suggestion, "before_update")
def _similarity_grams(_mapper: object, _connection: object, target: Suggestion) -> None:
    state = inspect(target)
    if state.pending or state.attrs.title.history.has_changes() or state.attrs.content.history.has_changes():
        target.similarity_grams = gram_set(target.title, target.content)


# Mapper events, not a Session `after_flush` listener: this module may first be imported during a flush
# (the rollups' watched tables import the modules' metrics), and a Session listener added then would
# change the list SQLAlchemy is iterating.
def _note(target: Suggestion) -> None:
    """A written suggestion (or the office's `share_similar`) is copied again to the offices above and
    below once the transaction commits (`tasks.share_similar`)."""
    session = object_session(target)
    if session is not None:
        session.info.setdefault("similar_changed", set()).add(str(target.id))


@event.listens_for(Suggestion, "after_insert")
@event.listens_for(Suggestion, "after_delete")
def _note_written(_mapper: object, _connection: object, target: Suggestion) -> None:
    if target.status not in NOT_FILED:  # a draft never filed has no copies to make or remove
        _note(target)


@event.listens_for(Suggestion, "after_update")
def _note_updated(_mapper: object, _connection: object, target: Suggestion) -> None:
    state = inspect(target)
    if not any(state.attrs[f].history.has_changes() for f in SHARED_FIELDS):
        return
    statuses = {target.status, *state.attrs.status.history.deleted}
    if not statuses <= set(NOT_FILED):  # filed now, or filed before (withdrawn: its copies go)
        _note(target)


@event.listens_for(SuggestionSettings, "after_update")
def _note_sharing(_mapper: object, _connection: object, target: SuggestionSettings) -> None:
    session = object_session(target)
    if session is not None and inspect(target).attrs.share_similar.history.has_changes():
        session.info["similar_resync"] = True


def _shares_with_a_neighbour(session: Session, code: str) -> bool:
    """Whether the office shares (`share_similar`) and has an office above or below it: one statement on
    the session's connection (the registry is schema-qualified). Whether the neighbours share is theirs
    to say; the job reads it there."""
    me = aliased(Tenant)
    neighbour = exists().where(me.code == code, or_(Tenant.parent_id == me.id, Tenant.id == me.parent_id))
    shares = select(SuggestionSettings.share_similar).where(SuggestionSettings.id == 1).scalar_subquery()
    return bool(session.execute(select(and_(func.coalesce(shares, true()), neighbour))).scalar())


@event.listens_for(Session, "before_commit", insert=True)
def _share_on_commit(session: Session) -> None:
    code = session.info.get("tenant_code")
    if code is None or not (session.info.get("similar_changed") or session.info.get("similar_resync")):
        return
    # The check's read flushes what is still pending (notes included) before the notes are taken.
    resync = session.info.get("similar_resync", False)
    wanted = resync or _shares_with_a_neighbour(session, code)
    changed, resync = session.info.pop("similar_changed", None), session.info.pop("similar_resync", False)
    if not wanted:
        return  # nothing to copy to, or nothing copied: no job
    from renda.modules.suggestions.tasks import resync_similar, share_similar
    from renda.workers.outbox import enqueue_later

    if resync:
        enqueue_later(session, None, resync_similar, code)
    elif changed:
        enqueue_later(session, None, share_similar, code, sorted(changed))


class SimilarShared(TenantBase):
    """A suggestion of an office above or below, copied here for the repeated-suggestion check.

    Written only by the `share_similar` worker, and only while both offices share (`share_similar`), so a
    request never reads another office's schema. What another office may know: title, year, status and
    reply class, and the bigrams the score needs; not the text, not the deputy.
    """

    __tablename__ = "similar_shared"
    __table_args__ = (Index("ix_similar_shared_grams", "grams", postgresql_using="gin"),)
    __audit__ = False

    office_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    suggestion_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    office_name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    reply_class: Mapped[str | None] = mapped_column(String(1))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    grams: Mapped[list[str]] = mapped_column(ARRAY(Text))
    title_grams: Mapped[list[str]] = mapped_column(ARRAY(Text))
    place_grams: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionCosigner(UUIDPrimaryKey, TenantBase):
    """联名代表: invited by the lead, confirmed (or declined) by the co-signer on their own account."""

    __tablename__ = "suggestion_cosigners"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "person_id"),
        CheckConstraint(_in("status", COSIGNER_STATUSES), name="status"),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    mandate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mandates.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SuggestionAttachment(UUIDPrimaryKey, TenantBase):
    """A file of a suggestion (photos, material), kept in the office's own schema."""

    __tablename__ = "suggestion_attachments"
    __audit_redact__ = ("content",)

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionUnit(UUIDPrimaryKey, TenantBase):
    """A unit a suggestion was assigned to in a round: the lead (主办) or a co-handler (协办), with the
    co-handler's opinion to the lead unit and when it is due."""

    __tablename__ = "suggestion_units"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "round", "unit_id"),
        CheckConstraint(_in("role", UNIT_ROLES), name="role"),
        Index("ix_suggestion_units_unit_id", "unit_id"),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str] = mapped_column(String(4))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Replaced by a reassignment: kept for the record, no longer handling.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opinion_due: Mapped[date | None] = mapped_column(Date)  # co-handlers only
    opinion: Mapped[str | None] = mapped_column(Text)
    opinion_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SuggestionMeeting(UUIDPrimaryKey, TenantBase):
    """三见面: the lead unit meets the deputy before, during and after handling."""

    __tablename__ = "suggestion_meetings"
    __table_args__ = (
        CheckConstraint(_in("stage", MEETING_STAGES), name="stage"),
        CheckConstraint(_in("form", MEETING_FORMS), name="form"),
        UniqueConstraint("suggestion_id", "round", "stage"),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    stage: Mapped[str] = mapped_column(String(8))
    held_on: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionRequest(UUIDPrimaryKey, TenantBase):
    """A unit's request to extend its deadline or to be replaced, decided by staff."""

    __tablename__ = "suggestion_requests"
    __table_args__ = (
        CheckConstraint(_in("kind", REQUEST_KINDS), name="kind"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("(status = 'pending') = (decided_at is null)", name="decided"),
        # One open request per suggestion and kind.
        Index(
            "uq_suggestion_requests_pending",
            "suggestion_id",
            "kind",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(14))
    reason: Mapped[str] = mapped_column(Text)
    new_deadline: Mapped[date | None] = mapped_column(Date)  # extensions
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


class SuggestionCheckpoint(UUIDPrimaryKey, TenantBase):
    """A key suggestion's supervision checkpoint (start, middle and end of the year)."""

    __tablename__ = "suggestion_checkpoints"
    __table_args__ = (
        CheckConstraint(_in("stage", CHECKPOINT_STAGES), name="stage"),
        UniqueConstraint("suggestion_id", "year", "stage"),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(6))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(200))


class SuggestionFollowUp(UUIDPrimaryKey, TenantBase):
    """回头看: a check, in a later year, on what a B or C reply promised."""

    __tablename__ = "suggestion_follow_ups"

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    checked_on: Mapped[date] = mapped_column(Date)
    progress: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionStep(UUIDPrimaryKey, TenantBase):
    """One timestamped step of a suggestion's loop: who did what, when, in which round."""

    __tablename__ = "suggestion_steps"
    __table_args__ = (
        CheckConstraint(_in("kind", STEP_KINDS), name="kind"),
        Index("ix_suggestion_steps_suggestion_id_created_at", "suggestion_id", "created_at"),
    )

    suggestion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    round: Mapped[int] = mapped_column(Integer, default=1)
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
