"""Staff UI of the contacts (两个联系, committee side): the overview with its four tabs (assignments,
records, coverage report, meetings), and the pages of a proposal, a record and a meeting.

Forms post URL-encoded fields (the attachment form, multipart); they become the API's request types,
so a page and the API accept the same data. A refused form shows its page again with the reason,
and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.core.permissions import requires
from renda.modules.contacts import service
from renda.modules.contacts.models import (
    ATTENDANCE_STATUSES,
    BEHIND_RULES,
    MODES,
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
from renda.modules.contacts.routes import DEPENDENCIES, attachment_response
from renda.modules.contacts.schemas import (
    AssignmentIn,
    AttendanceIn,
    CarryOverIn,
    InvitationsIn,
    IssueIn,
    MeetingIn,
    MeetingPatch,
    OpinionIn,
    ProposalIn,
    ProposalItemIn,
    RecordFilter,
    RecordIn,
    SectorLinksIn,
    SettingsIn,
    SuggestionIn,
    TownshipAssignmentIn,
)
from renda.modules.deputies import service as deputies
from renda.modules.exports import service as exports
from renda.modules.organisation.models import Body as CommitteeBody
from renda.tenants.scoping import TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_fields, form_struct, form_value, form_values, uploaded_file
from renda.web.pages import shell_context

S = TypeVar("S", bound=msgspec.Struct)
READ, WRITE = requires("contacts.read"), requires("contacts.write")
TABS = {"assignments": "联系安排", "records": "联系记录", "coverage": "联系情况统计", "meetings": "邀请列席"}
PAGE_SIZE = 30
FIELD_LABELS = {
    "min_per_member": "联系人数下限",
    "max_per_member": "联系人数上限",
    "committee_member_id": "组成人员",
    "person_id": "代表",
    "person_ids": "所联系的代表",
    "township_code": "乡镇(街道)",
    "contacted_on": "联系日期",
    "mode": "联系方式",
    "topics": "联系主题",
    "summary": "联系情况",
    "content": "反映的问题",
    "number": "会议次数",
    "title": "会议名称",
    "held_on": "会议日期",
    "observers": "公民旁听人数",
    "status": "出席情况",
    "speech": "发言内容",
    "category": "意见类别",
}


def _convert(data: dict[str, Any], kind: type[S]) -> S:
    return form_struct(data, kind, FIELD_LABELS)


def _fields(form: Form, *keys: str) -> dict[str, Any]:
    """Contacts leave an empty field out: a patch keeps what the form left blank."""
    return form_fields(form, *keys, skip_empty=True)


EXPORT_KINDS = {"members": "contacts_coverage", "deputies": "contacts_deputy_coverage", "quarters": "contacts_quarters"}


# --- reading forms --------------------------------------------------------------------------------
def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _page(params: Any) -> int:
    raw = params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _issues(text: str | None, person_id: str | None) -> list[dict[str, Any]]:
    """One issue per line of the text box, raised by the chosen deputy (or left open)."""
    return [{"content": line.strip(), "person_id": person_id} for line in (text or "").splitlines() if line.strip()]


class ContactPages(Controller):
    path = "/t/{code:str}/contacts"
    include_in_schema = False
    dependencies = DEPENDENCIES

    # --- the overview -----------------------------------------------------------------------------
    async def _overview(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        params = request.query_params
        caller = await service.caller_of(db, access)
        default_tab = "assignments" if caller.sees_all else "records"
        tab = extra.pop("tab", None) or params.get("tab") or default_tab
        tab = tab if tab in TABS else default_tab
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "tabs": TABS,
            "tab": tab,
            "caller": caller,
            "staff": caller.sees_all and access.can("contacts.write"),
            "modes": MODES,
            "behind_rules": BEHIND_RULES,
            "statuses": ATTENDANCE_STATUSES,
            "terms": [],
            "term": None,
            "form": {},
            "filters": {},
        }
        try:
            term = await service.resolve_term(db, access.tenant, _uuid(params.get("term_id")))
            context["terms"] = await service.own_terms(db, access.tenant)
            context["term"] = term
        except (NotFound, InvalidInput):
            term = None
        if term is not None:
            loader = {
                "assignments": self._assignments_tab,
                "records": self._records_tab,
                "coverage": self._coverage_tab,
                "meetings": self._meetings_tab,
            }[tab]
            context.update(await loader(request, db, access, caller, term.id))
        if export_id := params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("contacts/overview.html", context=context, status_code=status)

    async def _assignments_tab(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID
    ) -> dict[str, Any]:
        board = await service.assignment_board(db, access.tenant, caller, term_id)
        context: dict[str, Any] = {"board": board}
        if caller.sees_all:
            term = await service.resolve_term(db, access.tenant, term_id)
            context["unassigned"] = await service.unassigned_deputies(db, access.tenant, term)
            context["sectors"] = await service.sector_overview(db, access.tenant)
            context["townships"] = await deputies.township_names(db)  # the township picker
        return context

    async def _records_tab(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID
    ) -> dict[str, Any]:
        params = request.query_params
        raw = {k: params.get(k) or None for k in ("q", "committee_member_id", "mode", "since", "until")}
        filters = _convert({**{k: v for k, v in raw.items() if v}, "term_id": str(term_id)}, RecordFilter)
        context: dict[str, Any] = {
            "filters": raw,
            "records": await service.list_records(db, access.tenant, caller, filters, _page(params), PAGE_SIZE),
            "members": await service.member_options(db, access.tenant, caller),
        }
        if access.can("contacts.write"):
            context["deputy_choices"] = await service.deputy_choices(db, access.tenant, caller, term_id)
        return context

    async def _coverage_tab(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID
    ) -> dict[str, Any]:
        params = request.query_params
        quarter = params.get("quarter") or None
        q = params.get("q") or None
        behind = params.get("behind") == "1"
        report = await service.member_report(db, access.tenant, caller, term_id, quarter)
        if behind:  # the serving members behind schedule only (the workbench's 联系滞后)
            report = msgspec.structs.replace(report, rows=[r for r in report.rows if r.behind and r.member.is_serving])
        return {
            "members_report": report,
            "quarters": await service.quarter_report(db, access.tenant, caller, term_id),
            "deputies_report": await service.deputy_report(
                db, access.tenant, caller, term_id, quarter, q=q, page=_page(params), page_size=PAGE_SIZE
            ),
            "filters": {"quarter": quarter, "q": q, "behind": behind},
            "can_export": access.can("exports.write") and access.can(service.EXPORT_PERMISSION),
        }

    async def _meetings_tab(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: service.Caller, term_id: uuid.UUID
    ) -> dict[str, Any]:
        return {
            "meetings": await service.list_meetings(db, access.tenant, term_id, _page(request.query_params), PAGE_SIZE),
            "attendance": await service.attendance_summary(db, access.tenant, term_id),
        }

    async def _on_overview(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        tab: str,
        data: Form,
        action: Callable[[service.Caller], Awaitable[str | None]],
    ) -> Template | Redirect:
        """A form of the overview: the place the action names (default: its tab), or the tab again with the reason."""
        term = form_value(data, "term_id")
        back = f"/t/{access.tenant.code}/contacts?tab={tab}" + (f"&term_id={term}" if term else "")

        async def act() -> str | None:
            return await action(await service.caller_of(db, access))

        return await run_form_action(
            db,
            act,
            redirect_to=lambda target: target or back,
            on_error=page_again(self._overview, request, db, access, tab=tab, form=data),
        )

    @get("/", guards=[READ])
    async def overview(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._overview(request, db, access)

    # --- assignments ------------------------------------------------------------------------------
    @post("/settings", guards=[WRITE])
    async def settings(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            spec = _convert(_fields(data, "min_per_member", "max_per_member", "behind_rule"), SettingsIn)
            await service.update_settings(db, access.tenant, caller, spec)

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post("/assignments", guards=[WRITE])
    async def assign(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            spec = _convert(_fields(data, "committee_member_id", "person_id", "term_id"), AssignmentIn)
            await service.add_assignment(db, access.tenant, caller, spec)

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post(
        "/assignments/{assignment_id:uuid}/remove",
        guards=[WRITE],
    )
    async def unassign(
        self,
        assignment: ContactAssignment,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            await service.remove_assignment(db, caller, assignment)

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post("/township-assignments", guards=[WRITE])
    async def oversee(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            spec = _convert(_fields(data, "committee_member_id", "township_code", "term_id"), TownshipAssignmentIn)
            await service.add_township_assignment(db, access.tenant, caller, spec)

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post(
        "/township-assignments/{township_assignment_id:uuid}/remove",
        guards=[WRITE],
    )
    async def stop_overseeing(
        self,
        township_assignment: TownshipAssignment,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            await service.remove_township_assignment(db, caller, township_assignment)

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post("/sectors/{body_id:uuid}", guards=[WRITE])
    async def set_sectors(
        self,
        committee_body: CommitteeBody,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> None:
            sectors = [s for s in re.split(r"[,,、;;\n]+", form_value(data, "sectors") or "") if s.strip()]
            await service.set_sectors(
                db, access.tenant, caller, committee_body.id, _convert({"sectors": sectors}, SectorLinksIn)
            )

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post("/proposals", guards=[WRITE])
    async def suggest(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> str:
            spec = ProposalIn(_uuid(form_value(data, "term_id")), form_value(data, "keep_existing") != "0")
            proposal = await service.suggest_assignments(db, access.tenant, caller, spec)
            return f"/t/{access.tenant.code}/contacts/proposals/{proposal.id}"

        return await self._on_overview(request, db, access, "assignments", data, action)

    @post("/proposals/carry-over", guards=[WRITE])
    async def carry_over(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> str:
            spec = CarryOverIn(_uuid(form_value(data, "from_term_id")), _uuid(form_value(data, "term_id")))
            proposal = await service.carry_over(db, access.tenant, caller, spec)
            return f"/t/{access.tenant.code}/contacts/proposals/{proposal.id}"

        return await self._on_overview(request, db, access, "assignments", data, action)

    # --- a proposal -------------------------------------------------------------------------------
    async def _proposal_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        proposal = await service.get_proposal(db, proposal_id)
        context = {
            **await shell_context(request, access),
            "proposal": await service.proposal_out(db, access.tenant, proposal),
            "staff": access.can("contacts.write") and (await service.caller_of(db, access)).sees_all,
            **extra,
        }
        return Template("contacts/proposal.html", context=context, status_code=status)

    async def _on_proposal(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
        action: Callable[[service.Caller, Any], Awaitable[str | None]],
    ) -> Template | Redirect:
        proposal = await service.get_proposal(db, proposal_id)

        async def act() -> str | None:
            return await action(await service.caller_of(db, access), proposal)

        return await run_form_action(
            db,
            act,
            redirect_to=lambda target: target or f"/t/{access.tenant.code}/contacts/proposals/{proposal_id}",
            on_error=page_again(self._proposal_page, request, db, access, proposal_id),
        )

    @get("/proposals/{proposal_id:uuid}", guards=[READ])
    async def proposal(
        self,
        proposal: AssignmentProposal,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
    ) -> Template:
        return await self._proposal_page(request, db, access, proposal_id)

    @post("/proposals/{proposal_id:uuid}/items", guards=[WRITE])
    async def put_item(
        self,
        proposal: AssignmentProposal,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, proposal: Any) -> None:
            spec = _convert(_fields(data, "committee_member_id", "person_id", "township_code"), ProposalItemIn)
            await service.put_proposal_item(db, access.tenant, caller, proposal, spec)

        return await self._on_proposal(request, db, access, proposal_id, action)

    @post(
        "/proposals/{proposal_id:uuid}/items/{item_id:uuid}/remove",
        guards=[WRITE],
    )
    async def remove_item(
        self,
        proposal: AssignmentProposal,
        proposal_item: ProposalItem,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, proposal: Any) -> None:
            await service.remove_proposal_item(db, caller, proposal_item)

        return await self._on_proposal(request, db, access, proposal_id, action)

    @post("/proposals/{proposal_id:uuid}/apply", guards=[WRITE])
    async def apply(
        self,
        proposal: AssignmentProposal,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, proposal: Any) -> str:
            term_id = await service.apply_proposal(db, access.tenant, caller, proposal)
            return f"/t/{access.tenant.code}/contacts?tab=assignments&term_id={term_id}"

        return await self._on_proposal(request, db, access, proposal_id, action)

    @post("/proposals/{proposal_id:uuid}/discard", guards=[WRITE])
    async def discard(
        self,
        proposal: AssignmentProposal,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        proposal_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, proposal: Any) -> str:
            await service.discard_proposal(db, caller, proposal)
            return f"/t/{access.tenant.code}/contacts?tab=assignments"

        return await self._on_proposal(request, db, access, proposal_id, action)

    # --- records ----------------------------------------------------------------------------------
    @post("/records", guards=[WRITE])
    async def create_record(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> str:
            fields = _fields(data, "committee_member_id", "contacted_on", "mode", "topics", "summary")
            fields["person_ids"] = form_values(data, "person_ids")
            fields["issues"] = _issues(form_value(data, "issues"), form_value(data, "issue_person_id"))
            record = await service.create_record(db, access.tenant, caller, _convert(fields, RecordIn))
            return f"/t/{access.tenant.code}/contacts/records/{record.id}"

        return await self._on_overview(request, db, access, "records", data, action)

    async def _record_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await service.caller_of(db, access)
        record = await service.get_record(db, caller, record_id)
        context = {
            **await shell_context(request, access),
            "record": await service.record_detail(db, access.tenant, record),
            "modes": MODES,
            "can_write": access.can("contacts.write"),
            "max_mb": service.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            **extra,
        }
        return Template("contacts/record.html", context=context, status_code=status)

    async def _on_record(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        action: Callable[[service.Caller, Any], Awaitable[str | None]],
    ) -> Template | Redirect:
        caller = await service.caller_of(db, access)
        record = await service.get_record(db, caller, record_id)
        return await run_form_action(
            db,
            lambda: action(caller, record),
            redirect_to=lambda target: target or f"/t/{access.tenant.code}/contacts/records/{record_id}",
            on_error=page_again(self._record_page, request, db, access, record_id),
        )

    @get("/records/{record_id:uuid}", guards=[READ])
    async def record(
        self, record: ContactRecord, request: Request, db: AsyncSession, access: TenantAccess, record_id: uuid.UUID
    ) -> Template:
        return await self._record_page(request, db, access, record_id)

    @post("/records/{record_id:uuid}/delete", guards=[WRITE])
    async def delete_record(
        self, record: ContactRecord, request: Request, db: AsyncSession, access: TenantAccess, record_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: service.Caller, record: Any) -> str:
            await service.delete_record(db, record)
            return f"/t/{access.tenant.code}/contacts?tab=records"

        return await self._on_record(request, db, access, record_id, action)

    @post("/records/{record_id:uuid}/issues", guards=[WRITE])
    async def add_issue(
        self,
        record: ContactRecord,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, record: Any) -> None:
            await service.add_issue(db, record, _convert(_fields(data, "content", "person_id"), IssueIn))

        return await self._on_record(request, db, access, record_id, action)

    async def _on_issue(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        issue_id: uuid.UUID,
        action: Callable[[Any, Any], Awaitable[Any]],
    ) -> Template | Redirect:
        async def on_record(caller: service.Caller, record: Any) -> None:
            await action(record, await service.get_issue(db, record, issue_id))

        return await self._on_record(request, db, access, record_id, on_record)

    @post("/records/{record_id:uuid}/issues/{issue_id:uuid}/opinion", guards=[WRITE])
    async def issue_to_opinion(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        issue_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """转为群众意见: the issue enters the opinions' closed loop."""

        async def action(record: Any, issue: Any) -> None:
            spec = _convert(_fields(data, "category"), OpinionIn)
            await service.issue_to_opinion(db, access.tenant, record, issue, spec)

        return await self._on_issue(request, db, access, record_id, issue_id, action)

    @post("/records/{record_id:uuid}/issues/{issue_id:uuid}/suggestion", guards=[WRITE])
    async def issue_to_suggestion(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        issue_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """转为代表建议草稿 of the deputy who raised it."""

        async def action(record: Any, issue: Any) -> None:
            spec = _convert(_fields(data, "title"), SuggestionIn)
            await service.issue_to_suggestion(db, access.tenant, record, issue, spec)

        return await self._on_issue(request, db, access, record_id, issue_id, action)

    @post("/records/{record_id:uuid}/issues/{issue_id:uuid}/remove", guards=[WRITE])
    async def remove_issue(
        self,
        record: ContactRecord,
        issue: ContactIssue,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
        issue_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(record: Any, issue: Any) -> None:
            await service.delete_issue(db, issue)

        return await self._on_issue(request, db, access, record_id, issue_id, action)

    @post("/records/{record_id:uuid}/attachments", guards=[WRITE])
    async def upload(
        self,
        record: ContactRecord,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, record: Any) -> None:
            upload = await uploaded_file(request, "file", InvalidInput("请选择要上传的文件", code="file_required"))
            await service.add_attachment(db, caller, record, upload.filename, await upload.read())

        return await self._on_record(request, db, access, record_id, action)

    @get("/records/{record_id:uuid}/attachments/{attachment_id:uuid}", guards=[READ])
    async def download(
        self,
        record: ContactRecord,
        attachment: ContactAttachment,
        db: AsyncSession,
        access: TenantAccess,
        attachment_id: uuid.UUID,
    ) -> Response[bytes]:
        return attachment_response(await service.get_attachment(db, record, attachment_id, with_content=True))

    @post("/records/{record_id:uuid}/attachments/{attachment_id:uuid}/remove", guards=[WRITE])
    async def remove_attachment(
        self,
        record: ContactRecord,
        attachment: ContactAttachment,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        record_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, record: Any) -> None:
            await service.delete_attachment(db, attachment)

        return await self._on_record(request, db, access, record_id, action)

    # --- coverage export --------------------------------------------------------------------------
    @post("/export", guards=[requires("exports.write")])
    async def export(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Excel of the coverage report (per member or per deputy), built in the background."""
        which = form_value(data, "list") or ""

        async def request_export() -> str:
            if which not in EXPORT_KINDS:
                raise InvalidInput("请选择要导出的报表", code="unknown_export_kind")
            params = _fields(data, "term_id", "quarter")
            if params.get("quarter"):
                service.quarter_of(params["quarter"])  # a bad quarter is refused here, not in the worker
            export = await exports.request_export(db, access, EXPORT_KINDS[which], params)
            quarter = f"&quarter={params['quarter']}" if params.get("quarter") else ""
            return f"/t/{access.tenant.code}/contacts?tab=coverage&export={export.id}{quarter}"

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda target: target,
            on_error=page_again(self._overview, request, db, access, tab="coverage"),
        )

    # --- meetings ---------------------------------------------------------------------------------
    @post("/meetings", guards=[WRITE])
    async def create_meeting(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller) -> str:
            spec = _convert(_fields(data, "number", "title", "held_on", "observers", "notes", "term_id"), MeetingIn)
            meeting = await service.create_meeting(db, access.tenant, caller, spec)
            return f"/t/{access.tenant.code}/contacts/meetings/{meeting.id}"

        return await self._on_overview(request, db, access, "meetings", data, action)

    async def _meeting_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        meeting = await service.get_meeting(db, meeting_id)
        raw = request.query_params.get("count", "5")
        count = min(200, max(1, int(raw))) if raw.isdigit() else 5
        caller = await service.caller_of(db, access)
        context = {
            **await shell_context(request, access),
            "meeting": await service.meeting_detail(db, access.tenant, meeting),
            "statuses": ATTENDANCE_STATUSES,
            "staff": caller.sees_all and access.can("contacts.write"),
            "count": count,
            "rotation": await service.rotation(db, access.tenant, meeting, count),
            **extra,
        }
        return Template("contacts/meeting.html", context=context, status_code=status)

    async def _on_meeting(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
        action: Callable[[service.Caller, Any], Awaitable[str | None]],
    ) -> Template | Redirect:
        meeting = await service.get_meeting(db, meeting_id)

        async def act() -> str | None:
            return await action(await service.caller_of(db, access), meeting)

        return await run_form_action(
            db,
            act,
            redirect_to=lambda target: target or f"/t/{access.tenant.code}/contacts/meetings/{meeting_id}",
            on_error=page_again(self._meeting_page, request, db, access, meeting_id),
        )

    @get("/meetings/{meeting_id:uuid}", guards=[READ])
    async def meeting(
        self,
        meeting: AttendanceMeeting,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
    ) -> Template:
        return await self._meeting_page(request, db, access, meeting_id)

    @post("/meetings/{meeting_id:uuid}/edit", guards=[WRITE])
    async def edit_meeting(
        self,
        meeting: AttendanceMeeting,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, meeting: Any) -> None:
            fields = _fields(data, "number", "title", "held_on", "observers")
            if "notes" in data:
                fields["notes"] = form_value(data, "notes")
            await service.update_meeting(db, access.tenant, caller, meeting, _convert(fields, MeetingPatch))

        return await self._on_meeting(request, db, access, meeting_id, action)

    @post("/meetings/{meeting_id:uuid}/delete", guards=[WRITE])
    async def delete_meeting(
        self,
        meeting: AttendanceMeeting,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: service.Caller, meeting: Any) -> str:
            await service.delete_meeting(db, caller, meeting)
            return f"/t/{access.tenant.code}/contacts?tab=meetings"

        return await self._on_meeting(request, db, access, meeting_id, action)

    @post("/meetings/{meeting_id:uuid}/invitations", guards=[WRITE])
    async def invite(
        self,
        meeting: AttendanceMeeting,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, meeting: Any) -> None:
            spec = _convert({"person_ids": form_values(data, "person_ids")}, InvitationsIn)
            await service.invite(db, access.tenant, caller, meeting, spec)

        return await self._on_meeting(request, db, access, meeting_id, action)

    @post(
        "/meetings/{meeting_id:uuid}/invitations/{attendance_id:uuid}",
        guards=[WRITE],
    )
    async def attendance(
        self,
        meeting: AttendanceMeeting,
        invitation: MeetingInvitation,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        meeting_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, meeting: Any) -> None:
            if form_value(data, "remove") == "1":
                await service.remove_invitation(db, caller, invitation)
                return
            fields = _fields(data, "status")
            fields["speech"] = form_value(data, "speech")
            await service.record_attendance(db, caller, invitation, _convert(fields, AttendanceIn))

        return await self._on_meeting(request, db, access, meeting_id, action)


PAGES = [ContactPages]
