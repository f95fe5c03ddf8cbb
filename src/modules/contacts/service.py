"""The contacts module's public functions (两个联系, committee side): other modules, routes, pages and
workers call these. The rules live in `assignments`, `records`, `attendance` and `reports`.
"""

from __future__ import annotations

from datetime import date

from renda.core.errors import NotFound
from renda.modules.contacts.assignments import (
    add_assignment,
    add_township_assignment,
    apply_proposal,
    assignment_board,
    carry_over,
    coverage,
    discard_proposal,
    get_assignment,
    get_proposal,
    get_proposal_item,
    get_settings,
    get_township_assignment,
    proposal_out,
    put_proposal_item,
    remove_assignment,
    remove_proposal_item,
    remove_township_assignment,
    replace_proposal_items,
    sector_overview,
    set_sectors,
    suggest_assignments,
    unassigned_deputies,
    update_settings,
)
from renda.modules.contacts.attendance import (
    attendance_summary,
    create_meeting,
    delete_meeting,
    get_invitation,
    get_meeting,
    invite,
    list_meetings,
    meeting_detail,
    meeting_label,
    record_attendance,
    remove_invitation,
    rotation,
    update_meeting,
)
from renda.modules.contacts.common import Caller, caller_of, own_levels, own_terms, resolve_term, system_caller
from renda.modules.contacts.duty_events import duty_events as duty_events  # the duty points' events of this module
from renda.modules.contacts.records import (
    MAX_ATTACHMENT_BYTES,
    add_attachment,
    add_issue,
    create_record,
    delete_attachment,
    delete_issue,
    delete_record,
    deputy_choices,
    get_attachment,
    get_issue,
    get_record,
    issue_to_opinion,
    issue_to_suggestion,
    list_records,
    member_options,
    own_seat,
    record_detail,
    update_record,
)
from renda.modules.contacts.reports import (
    DEPUTY_EXPORT_HEADERS,
    EXPORT_PERMISSION,
    MEMBER_EXPORT_HEADERS,
    QUARTER_EXPORT_HEADERS,
    behind_members,
    deputy_report,
    export_deputy_rows,
    export_member_rows,
    export_quarter_rows,
    member_report,
    quarter_of,
    quarter_report,
)
from renda.modules.contacts.worklist import behind_worklist, member_worklist
from renda.modules.notifications import service as notifications
from renda.tenants.scoping import load_tenant, tenant_session

WORKER_ACTOR = "system:worker:联系代表提醒"
BEHIND_KIND = "contact_behind_schedule"
MAX_NAMES = 10

__all__ = [
    "DEPUTY_EXPORT_HEADERS",
    "EXPORT_PERMISSION",
    "MAX_ATTACHMENT_BYTES",
    "MEMBER_EXPORT_HEADERS",
    "QUARTER_EXPORT_HEADERS",
    "Caller",
    "add_assignment",
    "add_attachment",
    "add_issue",
    "add_township_assignment",
    "apply_proposal",
    "assignment_board",
    "attendance_summary",
    "behind_members",
    "behind_worklist",
    "caller_of",
    "carry_over",
    "coverage",
    "create_meeting",
    "create_record",
    "delete_attachment",
    "delete_issue",
    "delete_meeting",
    "delete_record",
    "deputy_choices",
    "deputy_report",
    "discard_proposal",
    "export_deputy_rows",
    "export_member_rows",
    "export_quarter_rows",
    "get_assignment",
    "get_attachment",
    "get_invitation",
    "get_issue",
    "get_meeting",
    "get_proposal",
    "get_proposal_item",
    "get_record",
    "get_settings",
    "get_township_assignment",
    "invite",
    "issue_to_opinion",
    "issue_to_suggestion",
    "list_meetings",
    "list_records",
    "meeting_detail",
    "meeting_label",
    "member_options",
    "member_report",
    "member_worklist",
    "own_levels",
    "own_seat",
    "own_terms",
    "proposal_out",
    "put_proposal_item",
    "quarter_of",
    "quarter_report",
    "record_attendance",
    "record_detail",
    "remind_behind_schedule",
    "remove_assignment",
    "remove_invitation",
    "remove_proposal_item",
    "remove_township_assignment",
    "replace_proposal_items",
    "resolve_term",
    "rotation",
    "sector_overview",
    "set_sectors",
    "suggest_assignments",
    "system_caller",
    "unassigned_deputies",
    "update_meeting",
    "update_record",
    "update_settings",
]


def in_reminder_window(day: date) -> bool:
    """The last month of a quarter (March, June, September, December)."""
    return day.month % 3 == 0


async def remind_behind_schedule(tenant_code: str, day: date, period: str) -> int:
    """Notify the office's committee members who are behind schedule in the quarter of `day`; returns
    how many were newly notified. The event key holds the scheduler's period, so each run reminds a
    member once, and a repeated message adds nothing."""
    if not in_reminder_window(day):
        return 0
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        try:
            quarter, behind = await behind_members(session, tenant, day)
        except NotFound:  # no term of its own congress yet (a township presidium, a new office)
            return 0
        sent = 0
        for member, missing in behind:
            if member.user_id is None:
                continue
            names = "、".join(missing[:MAX_NAMES]) + ("等" if len(missing) > MAX_NAMES else "")
            created = await notifications.notify(
                session,
                kind=BEHIND_KIND,
                event_key=f"contacts.behind:{period}:{member.id}",
                recipients=[member.user_id],
                variables={"member": member.name, "quarter": quarter.label, "count": len(missing), "names": names},
                link=f"/t/{tenant.code}/contacts?tab=coverage",
            )
            sent += len(created)
        await session.commit()
    return sent
