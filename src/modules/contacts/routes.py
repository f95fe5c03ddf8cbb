"""`/api/v1/t/{code}/contacts/...`: contact assignments, contact records, coverage reports and invited
attendance (两个联系, committee side).

An addressed object is a dependency loaded with the request's session before the body is validated, so an id not in
this office answers 404 whatever the body holds. A committee member reaches only their own records;
another member's record is a 404 for them too.
"""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import quote

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.modules.contacts import service
from renda.modules.contacts.models import (
    AssignmentProposal,
    AttendanceMeeting,
    ContactAssignment,
    ContactAttachment,
    ContactIssue,
    ContactRecord,
    MeetingInvitation,
    ProposalItem,
    TownshipAssignment,
)
from renda.modules.contacts.schemas import (
    AssignmentBoard,
    AssignmentIn,
    AttachmentOut,
    AttendanceIn,
    AttendanceSummary,
    BodySectors,
    CarryOverIn,
    CoveragePage,
    DeputyReport,
    InvitationOut,
    InvitationsIn,
    IssueIn,
    IssueOut,
    MeetingDetail,
    MeetingIn,
    MeetingPage,
    MeetingPatch,
    MemberReport,
    Mode,
    OpinionIn,
    ProposalIn,
    ProposalItemIn,
    ProposalItemsIn,
    ProposalOut,
    QuarterReport,
    RecordDetail,
    RecordFilter,
    RecordIn,
    RecordPage,
    RecordPatch,
    RotationEntry,
    SectorLinksIn,
    SectorOverview,
    SettingsIn,
    SettingsOut,
    SuggestionIn,
    TownshipAssignmentIn,
)
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import Body as CommitteeBody
from renda.tenants.scoping import (
    TENANT_DEPENDENCIES,
    TenantAccess,
)
from renda.web.forms import uploaded_file

BASE = "/api/v1/t/{code:str}/contacts"
READ, WRITE = requires("contacts.read"), requires("contacts.write")


async def provide_caller(db: AsyncSession, access: TenantAccess) -> service.Caller:
    return await service.caller_of(db, access)


# The rows a path addresses, loaded with the request's session before the body is validated: an id
# that is not in this office is a 404 whatever the body holds (never a 400 that would tell it apart).
async def provide_assignment(db: AsyncSession, assignment_id: uuid.UUID) -> ContactAssignment:
    return await service.get_assignment(db, assignment_id)


async def provide_township_assignment(db: AsyncSession, township_assignment_id: uuid.UUID) -> TownshipAssignment:
    return await service.get_township_assignment(db, township_assignment_id)


async def provide_committee_body(db: AsyncSession, body_id: uuid.UUID) -> CommitteeBody:
    return await organisation.get_body(db, body_id)


async def provide_proposal(db: AsyncSession, proposal_id: uuid.UUID) -> AssignmentProposal:
    return await service.get_proposal(db, proposal_id)


async def provide_proposal_item(db: AsyncSession, proposal: AssignmentProposal, item_id: uuid.UUID) -> ProposalItem:
    return await service.get_proposal_item(db, proposal, item_id)


async def provide_record(db: AsyncSession, caller: service.Caller, record_id: uuid.UUID) -> ContactRecord:
    return await service.get_record(db, caller, record_id)


async def provide_issue(db: AsyncSession, record: ContactRecord, issue_id: uuid.UUID) -> ContactIssue:
    return await service.get_issue(db, record, issue_id)


async def provide_attachment(db: AsyncSession, record: ContactRecord, attachment_id: uuid.UUID) -> ContactAttachment:
    return await service.get_attachment(db, record, attachment_id)


async def provide_meeting(db: AsyncSession, meeting_id: uuid.UUID) -> AttendanceMeeting:
    return await service.get_meeting(db, meeting_id)


async def provide_invitation(
    db: AsyncSession, meeting: AttendanceMeeting, attendance_id: uuid.UUID
) -> MeetingInvitation:
    return await service.get_invitation(db, meeting, attendance_id)


DEPENDENCIES = {
    **TENANT_DEPENDENCIES,
    "caller": Provide(provide_caller),
    "assignment": Provide(provide_assignment),
    "township_assignment": Provide(provide_township_assignment),
    "committee_body": Provide(provide_committee_body),
    "proposal": Provide(provide_proposal),
    "proposal_item": Provide(provide_proposal_item),
    "record": Provide(provide_record),
    "issue": Provide(provide_issue),
    "attachment": Provide(provide_attachment),
    "meeting": Provide(provide_meeting),
    "invitation": Provide(provide_invitation),
}


class _ContactsController(Controller):
    tags = ["联系代表"]
    dependencies = DEPENDENCIES


class AssignmentController(_ContactsController):
    path = BASE

    @get("/settings", guards=[READ])
    async def settings(self, db: AsyncSession) -> SettingsOut:
        """Bounds of deputies per member (default 3–5) and the rule for "behind schedule"."""
        return await service.get_settings(db)

    @put("/settings", guards=[WRITE])
    async def update_settings(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: SettingsIn
    ) -> SettingsOut:
        """409 `bounds_conflict` when a member already has more deputies than the new upper bound."""
        return await service.update_settings(db, access.tenant, caller, data)

    @get("/assignments", guards=[READ])
    async def board(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID | None = None
    ) -> AssignmentBoard:
        """Each member's deputies and townships in the term (default: current), coverage and the uncovered."""
        return await service.assignment_board(db, access.tenant, caller, term_id)

    @post("/assignments", guards=[WRITE], status_code=201)
    async def assign(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: AssignmentIn
    ) -> AssignmentBoard:
        """Fix a deputy to a member: 409 `over_bounds` beyond the upper bound, `already_assigned` when
        another member has the deputy; 400 `unknown_deputy` for a deputy not of this office's own level."""
        assignment = await service.add_assignment(db, access.tenant, caller, data)
        return await service.assignment_board(db, access.tenant, caller, assignment.term_id)

    @delete(
        "/assignments/{assignment_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def unassign(self, assignment: ContactAssignment, db: AsyncSession, caller: service.Caller) -> None:
        await service.remove_assignment(db, caller, assignment)

    @post("/township-assignments", guards=[WRITE], status_code=201)
    async def oversee(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: TownshipAssignmentIn
    ) -> AssignmentBoard:
        """A council-of-chairpersons member oversees a township (one member per township)."""
        row = await service.add_township_assignment(db, access.tenant, caller, data)
        return await service.assignment_board(db, access.tenant, caller, row.term_id)

    @delete(
        "/township-assignments/{township_assignment_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def stop_overseeing(
        self,
        township_assignment: TownshipAssignment,
        db: AsyncSession,
        caller: service.Caller,
    ) -> None:
        await service.remove_township_assignment(db, caller, township_assignment)

    @get("/sectors", guards=[READ])
    async def sectors(self, db: AsyncSession, access: TenantAccess) -> SectorOverview:
        """The sectors each special committee covers, and the register's sectors nobody covers."""
        return await service.sector_overview(db, access.tenant)

    @put("/sectors/{body_id:uuid}", guards=[WRITE])
    async def set_sectors(
        self,
        committee_body: CommitteeBody,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: SectorLinksIn,
    ) -> BodySectors:
        return await service.set_sectors(db, access.tenant, caller, committee_body.id, data)

    @get("/coverage", guards=[READ])
    async def coverage(
        self,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        term_id: uuid.UUID | None = None,
        q: str | None = None,
        uncovered: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> CoveragePage:
        """Every deputy to cover and who covers them; `uncovered=true` lists only those nobody covers."""
        return await service.coverage(
            db, access.tenant, caller, term_id, q=q, uncovered_only=uncovered, page=page, page_size=page_size
        )


class ProposalController(_ContactsController):
    path = f"{BASE}/proposals"

    @post("/", guards=[WRITE], status_code=201)
    async def suggest(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: ProposalIn
    ) -> ProposalOut:
        """A balanced suggestion for the term, stored for review (it replaces an open one); nothing is
        assigned until it is applied."""
        proposal = await service.suggest_assignments(db, access.tenant, caller, data)
        return await service.proposal_out(db, access.tenant, proposal)

    @post("/carry-over", guards=[WRITE], status_code=201)
    async def carry_over(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: CarryOverIn
    ) -> ProposalOut:
        """A proposal for the new term from the previous one: continuing members and deputies only."""
        proposal = await service.carry_over(db, access.tenant, caller, data)
        return await service.proposal_out(db, access.tenant, proposal)

    @get("/{proposal_id:uuid}", guards=[READ])
    async def show(self, proposal: AssignmentProposal, db: AsyncSession, access: TenantAccess) -> ProposalOut:
        return await service.proposal_out(db, access.tenant, proposal)

    @put("/{proposal_id:uuid}/items", guards=[WRITE])
    async def replace_items(
        self,
        proposal: AssignmentProposal,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: ProposalItemsIn,
    ) -> ProposalOut:
        """The reviewed proposal as a whole (checked first: a refused one changes nothing)."""
        await service.replace_proposal_items(db, access.tenant, caller, proposal, data)
        return await service.proposal_out(db, access.tenant, proposal)

    @post("/{proposal_id:uuid}/items", guards=[WRITE], status_code=200)
    async def put_item(
        self,
        proposal: AssignmentProposal,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: ProposalItemIn,
    ) -> ProposalOut:
        """Give a deputy (or township) to a member, moving it from another member of the proposal."""
        await service.put_proposal_item(db, access.tenant, caller, proposal, data)
        return await service.proposal_out(db, access.tenant, proposal)

    @delete(
        "/{proposal_id:uuid}/items/{item_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def remove_item(
        self,
        proposal: AssignmentProposal,
        proposal_item: ProposalItem,
        db: AsyncSession,
        caller: service.Caller,
    ) -> None:
        await service.remove_proposal_item(db, caller, proposal_item)

    @post("/{proposal_id:uuid}/apply", guards=[WRITE], status_code=200)
    async def apply(
        self,
        proposal: AssignmentProposal,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
    ) -> AssignmentBoard:
        """Save the proposal as the term's assignments, replacing them, in one transaction."""
        term_id = await service.apply_proposal(db, access.tenant, caller, proposal)
        return await service.assignment_board(db, access.tenant, caller, term_id)

    @delete("/{proposal_id:uuid}", guards=[WRITE], status_code=204)
    async def discard(self, proposal: AssignmentProposal, db: AsyncSession, caller: service.Caller) -> None:
        await service.discard_proposal(db, caller, proposal)


class RecordController(_ContactsController):
    path = f"{BASE}/records"

    @get("/", guards=[READ])
    async def list_records(
        self,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        q: str | None = None,
        committee_member_id: uuid.UUID | None = None,
        person_id: uuid.UUID | None = None,
        mode: Mode | None = None,
        since: date | None = None,
        until: date | None = None,
        term_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> RecordPage:
        """Contact records, newest first; `q` searches topics, summary, member and deputy names.
        A committee member sees their own only."""
        filters = RecordFilter(q, committee_member_id, person_id, mode, since, until, term_id)
        return await service.list_records(db, access.tenant, caller, filters, page, page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: RecordIn
    ) -> RecordDetail:
        """A committee member records their own (no `committee_member_id` needed); staff name the member."""
        record = await service.create_record(db, access.tenant, caller, data)
        return await service.record_detail(db, access.tenant, record)

    @get("/{record_id:uuid}", guards=[READ])
    async def show(
        self,
        record: ContactRecord,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
    ) -> RecordDetail:
        return await service.record_detail(db, access.tenant, record)

    @patch("/{record_id:uuid}", guards=[WRITE])
    async def update(
        self,
        record: ContactRecord,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: RecordPatch,
    ) -> RecordDetail:
        await service.update_record(db, access.tenant, caller, record, data)
        return await service.record_detail(db, access.tenant, record)

    @delete("/{record_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, record: ContactRecord, db: AsyncSession, caller: service.Caller) -> None:
        await service.delete_record(db, record)

    @post("/{record_id:uuid}/issues", guards=[WRITE], status_code=201)
    async def add_issue(
        self,
        record: ContactRecord,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: IssueIn,
    ) -> RecordDetail:
        await service.add_issue(db, record, data)
        return await service.record_detail(db, access.tenant, record)

    @delete(
        "/{record_id:uuid}/issues/{issue_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def remove_issue(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        db: AsyncSession,
        caller: service.Caller,
    ) -> None:
        await service.delete_issue(db, issue)

    @post(
        "/{record_id:uuid}/issues/{issue_id:uuid}/opinion",
        guards=[WRITE],
        status_code=201,
    )
    async def to_opinion(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: OpinionIn,
    ) -> IssueOut:
        """Hand the issue to the people's opinions (受理); 409 `issue_converted` when already handed on."""
        issue = await service.issue_to_opinion(db, access.tenant, record, issue, data)
        return _issue_out(await service.record_detail(db, access.tenant, record), issue.id)

    @post(
        "/{record_id:uuid}/issues/{issue_id:uuid}/suggestion",
        guards=[WRITE],
        status_code=201,
    )
    async def to_suggestion(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: SuggestionIn,
    ) -> IssueOut:
        """Start a suggestion draft of the deputy who raised the issue."""
        await service.issue_to_suggestion(db, access.tenant, record, issue, data)
        return _issue_out(await service.record_detail(db, access.tenant, record), issue.id)

    @post("/{record_id:uuid}/attachments", guards=[WRITE], status_code=201)
    async def upload(
        self,
        record: ContactRecord,
        db: AsyncSession,
        caller: service.Caller,
        request: Request,
    ) -> AttachmentOut:
        """Multipart field `data`: PDF, JPG, PNG, Word, Excel or UTF-8 text, at most 10 MB
        (413 `attachment_too_large`; 400 `unsupported_file_type`)."""
        upload = await uploaded_file(request, "data", InvalidInput("请选择要上传的文件", code="file_required"))
        attachment = await service.add_attachment(db, caller, record, upload.filename, await upload.read())
        return AttachmentOut(
            attachment.id, attachment.filename, attachment.content_type, attachment.size, attachment.uploaded_by
        )

    @get(
        "/{record_id:uuid}/attachments/{attachment_id:uuid}",
        guards=[READ],
        media_type="*/*",  # the attachment's own type (PDF, image, Word, Excel, text)
    )
    async def download(
        self,
        record: ContactRecord,
        attachment: ContactAttachment,
        db: AsyncSession,
        caller: service.Caller,
        attachment_id: uuid.UUID,
    ) -> Response[bytes]:
        attachment = await service.get_attachment(db, record, attachment_id, with_content=True)
        return attachment_response(attachment)

    @delete(
        "/{record_id:uuid}/attachments/{attachment_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def remove_attachment(
        self,
        record: ContactRecord,
        attachment: ContactAttachment,
        db: AsyncSession,
        caller: service.Caller,
    ) -> None:
        await service.delete_attachment(db, attachment)


def attachment_response(attachment: ContactAttachment) -> Response[bytes]:
    """The file as a download; the name in RFC 5987 form (Chinese names survive every browser)."""
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return Response(
        attachment.content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _issue_out(detail: RecordDetail, issue_id: uuid.UUID) -> IssueOut:
    return next(i for i in detail.issues if i.id == issue_id)


class ReportController(_ContactsController):
    path = f"{BASE}/reports"

    @get("/members", guards=[READ])
    async def members(
        self,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        term_id: uuid.UUID | None = None,
        quarter: str | None = None,
    ) -> MemberReport:
        """Per member: assigned, contacted this quarter (`quarter` like 2026-Q4), last contact, behind."""
        return await service.member_report(db, access.tenant, caller, term_id, quarter)

    @get("/deputies", guards=[READ])
    async def deputies(
        self,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        term_id: uuid.UUID | None = None,
        quarter: str | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> DeputyReport:
        """Per deputy: the member fixed to them, how they are covered, contacts in the quarter and term."""
        return await service.deputy_report(
            db, access.tenant, caller, term_id, quarter, q=q, page=page, page_size=page_size
        )

    @get("/quarters", guards=[READ])
    async def quarters(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID | None = None
    ) -> QuarterReport:
        """Per quarter of the term so far: records, members contacting, deputies reached."""
        return await service.quarter_report(db, access.tenant, caller, term_id)


class MeetingController(_ContactsController):
    path = f"{BASE}/meetings"

    @get("/", guards=[READ])
    async def list_meetings(
        self,
        db: AsyncSession,
        access: TenantAccess,
        term_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> MeetingPage:
        """Standing-committee meetings of the term, with invited, attended and public observers."""
        return await service.list_meetings(db, access.tenant, term_id, page, page_size)

    @get("/summary", guards=[READ])
    async def summary(
        self, db: AsyncSession, access: TenantAccess, term_id: uuid.UUID | None = None
    ) -> AttendanceSummary:
        """How far the rotation has come: deputies invited at least once this term, and those never."""
        return await service.attendance_summary(db, access.tenant, term_id)

    @post("/", guards=[WRITE], status_code=201)
    async def create(
        self, db: AsyncSession, access: TenantAccess, caller: service.Caller, data: MeetingIn
    ) -> MeetingDetail:
        meeting = await service.create_meeting(db, access.tenant, caller, data)
        return await service.meeting_detail(db, access.tenant, meeting)

    @get("/{meeting_id:uuid}", guards=[READ])
    async def show(self, meeting: AttendanceMeeting, db: AsyncSession, access: TenantAccess) -> MeetingDetail:
        return await service.meeting_detail(db, access.tenant, meeting)

    @patch("/{meeting_id:uuid}", guards=[WRITE])
    async def update(
        self,
        meeting: AttendanceMeeting,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: MeetingPatch,
    ) -> MeetingDetail:
        await service.update_meeting(db, access.tenant, caller, meeting, data)
        return await service.meeting_detail(db, access.tenant, meeting)

    @delete("/{meeting_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, meeting: AttendanceMeeting, db: AsyncSession, caller: service.Caller) -> None:
        await service.delete_meeting(db, caller, meeting)

    @get("/{meeting_id:uuid}/rotation", guards=[READ])
    async def rotation(
        self, meeting: AttendanceMeeting, db: AsyncSession, access: TenantAccess, count: int = 5
    ) -> list[RotationEntry]:
        """The deputies to invite next: least invited this term first, spread over townships and groups."""
        return await service.rotation(db, access.tenant, meeting, count)

    @post("/{meeting_id:uuid}/invitations", guards=[WRITE], status_code=201)
    async def invite(
        self,
        meeting: AttendanceMeeting,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: InvitationsIn,
    ) -> MeetingDetail:
        """Invite deputies (409 `already_invited`); those linked to a platform user are notified."""
        await service.invite(db, access.tenant, caller, meeting, data)
        return await service.meeting_detail(db, access.tenant, meeting)

    @patch(
        "/{meeting_id:uuid}/invitations/{attendance_id:uuid}",
        guards=[WRITE],
    )
    async def attendance(
        self,
        meeting: AttendanceMeeting,
        invitation: MeetingInvitation,
        db: AsyncSession,
        access: TenantAccess,
        caller: service.Caller,
        data: AttendanceIn,
    ) -> InvitationOut:
        """Attended, absent or excused, and the speech made (only by one who attended)."""
        await service.record_attendance(db, caller, invitation, data)
        detail = await service.meeting_detail(db, access.tenant, meeting)
        return next(i for i in detail.invitations if i.id == invitation.id)

    @delete(
        "/{meeting_id:uuid}/invitations/{attendance_id:uuid}",
        guards=[WRITE],
        status_code=204,
    )
    async def uninvite(
        self,
        meeting: AttendanceMeeting,
        invitation: MeetingInvitation,
        db: AsyncSession,
        caller: service.Caller,
    ) -> None:
        await service.remove_invitation(db, caller, invitation)


ROUTES = [AssignmentController, ProposalController, RecordController, ReportController, MeetingController]
