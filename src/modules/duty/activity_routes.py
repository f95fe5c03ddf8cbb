"""`/api/v1/t/{code}/duty/activities…` and `/duty/evidence…`: duty activities with their attendance and
QR sign-in, and deputies' evidence with its verification.

An addressed object is a dependency loaded with the request's session before the body is read, so an
id not in this office answers 404 whatever the body holds. A deputy reaches only their own evidence;
another deputy's is a 404 for them too.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.errors import InvalidInput, PermissionDenied
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.core.uploads import MAX_FILE_BYTES
from renda.modules.duty import activities, attendance, evidence, signin
from renda.modules.duty.activity_schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    ActivityPatch,
    AttendanceBatchIn,
    AttendanceChangeIn,
    AttendanceOut,
    EvidenceIn,
    EvidenceOut,
    EvidencePage,
    MyActivity,
    RejectIn,
    RosterEntry,
    SignInCodeOut,
    SignInIn,
    SignInOut,
)
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy, require_manage
from renda.modules.duty.models import Activity, Attendance, Evidence, EvidenceFile
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.forms import form_struct

BASE = "/api/v1/t/{code:str}/duty"
READ, WRITE = requires("duty.read"), requires("duty.write")
EVIDENCE_FIELDS = ("kind", "title", "occurred_on", "description", "hours", "award_level")
EVIDENCE_LABELS = {
    "kind": "履职类别",
    "title": "标题",
    "occurred_on": "履职日期",
    "description": "情况说明",
    "hours": "培训学时",
    "award_level": "表彰级别",
}


async def provide_caller(db: AsyncSession, access: TenantAccess) -> DutyCaller:
    return await duty_caller_for(db, access)


async def provide_activity(db: AsyncSession, activity_id: uuid.UUID) -> Activity:
    return await activities.get_activity(db, activity_id)


async def provide_attendance(db: AsyncSession, activity: Activity, attendance_id: uuid.UUID) -> Attendance:
    return await attendance.get_attendance(db, activity, attendance_id)


async def provide_evidence(db: AsyncSession, caller: DutyCaller, evidence_id: uuid.UUID) -> Evidence:
    return await evidence.get_evidence(db, caller, evidence_id)


DEPENDENCIES = {
    **TENANT_DEPENDENCIES,
    "caller": Provide(provide_caller),
    "activity": Provide(provide_activity),
    "attendance_row": Provide(provide_attendance),
    "evidence_row": Provide(provide_evidence),
}


def require_full(caller: DutyCaller) -> None:
    if not caller.full:
        raise PermissionDenied("只能查看本人的履职情况", code="duty_not_own")


# --- the multipart evidence form (shared with the pages) ---------------------------------------------
async def evidence_form(form: FormMultiDict) -> tuple[EvidenceIn, list[evidence.Upload]]:
    """The fields and the files (`files`, repeated) of a submission; each file is read to one byte past
    the limit, so an oversize one is refused without holding all of it."""
    fields = {k: v.strip() for k in EVIDENCE_FIELDS if isinstance(v := form.get(k), str) and v.strip()}
    data = form_struct(fields, EvidenceIn, EVIDENCE_LABELS)
    uploads = []
    for part in form.getall("files") if "files" in form else []:
        if isinstance(part, UploadFile):
            uploads.append(evidence.Upload(part.filename, await part.read(MAX_FILE_BYTES + 1)))
        elif isinstance(part, str) and part:
            raise InvalidInput("请以文件形式上传佐证材料", code="file_required")
    return data, uploads


def file_response(found: EvidenceFile) -> Response[bytes]:
    """The file as a download; the name in RFC 5987 form (Chinese names survive every browser)."""
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class ActivityController(Controller):
    path = f"{BASE}/activities"
    tags = ["履职活动"]
    dependencies = DEPENDENCIES

    @get("/", guards=[READ])
    async def list_activities(
        self,
        db: AsyncSession,
        q: str | None = None,
        kind: str | None = None,
        year: int | None = None,
        status: str | None = None,
        group_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> ActivityPage:
        """Newest first. `status`: planned (未开始), ongoing (进行中), finished (已结束) or cancelled (已取消);
        `q` searches the name, the place and the organiser."""
        filters = activities.ActivityFilter(q or None, kind or None, year, status or None, group_id)
        return await activities.list_activities(db, filters, page, page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: ActivityIn) -> ActivityOut:
        """Staff only. Trainings need `hours` (学时); 400 `invalid_time_window`, `hours_required`,
        `unknown_group`, `unknown_station`."""
        made = await activities.create_activity(db, caller, access.tenant, data)
        return await activities.activity_detail(db, made)

    @get("/mine", guards=[READ])
    async def mine(self, db: AsyncSession, caller: DutyCaller, year: int | None = None) -> list[MyActivity]:
        """The signed-in deputy's activities of the year (default: this year): those recorded for them and
        the office's or their groups' still to come."""
        person_id = require_deputy(caller)
        chosen = year or local_today().year
        activities.check_filter(activities.ActivityFilter(year=chosen))
        return await attendance.my_activities(db, person_id, chosen)

    @get("/{activity_id:uuid}", guards=[READ])
    async def show(self, activity: Activity, db: AsyncSession) -> ActivityOut:
        return await activities.activity_detail(db, activity)

    @patch("/{activity_id:uuid}", guards=[WRITE])
    async def update(
        self, activity: Activity, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: ActivityPatch
    ) -> ActivityOut:
        """409 `activity_cancelled` once cancelled."""
        await activities.update_activity(db, caller, access.tenant, activity, data)
        return await activities.activity_detail(db, activity)

    @post("/{activity_id:uuid}/cancel", guards=[WRITE], status_code=200)
    async def cancel(self, activity: Activity, db: AsyncSession, caller: DutyCaller) -> ActivityOut:
        """Its QR code closes and its attendance counts nothing; cancelling again changes nothing."""
        await activities.cancel_activity(db, caller, activity)
        return await activities.activity_detail(db, activity)

    @get("/{activity_id:uuid}/attendance", guards=[READ])
    async def attendance_list(
        self, activity: Activity, db: AsyncSession, caller: DutyCaller, status: str | None = None
    ) -> list[AttendanceOut]:
        """Who is recorded present, on leave or absent (not for deputies: theirs is under /mine)."""
        require_full(caller)
        return await attendance.list_attendance(db, activity, status or None)

    @get("/{activity_id:uuid}/roster", guards=[READ])
    async def roster(
        self,
        activity: Activity,
        db: AsyncSession,
        caller: DutyCaller,
        group_id: uuid.UUID | None = None,
        q: str | None = None,
    ) -> list[RosterEntry]:
        """The sign-in list to record from: the office's deputies serving on the activity's day (of one
        group, or by name), each with what is recorded for them."""
        require_manage(caller)
        return await attendance.roster(db, activity, group_id=group_id, q=q)

    @post("/{activity_id:uuid}/attendance", guards=[WRITE], status_code=201)
    async def record(
        self, activity: Activity, db: AsyncSession, caller: DutyCaller, data: AttendanceBatchIn
    ) -> list[AttendanceOut]:
        """A sign-in list, all or nothing: 409 `attendance_recorded_twice` when a deputy is already recorded
        (change it with PATCH …/attendance/{id}) or named twice; 400 `unknown_deputy` for anyone not a
        deputy of this office serving that day."""
        rows = await attendance.record_attendance(db, caller, activity, data.entries)
        recorded = {r.id for r in rows}
        return [a for a in await attendance.list_attendance(db, activity) if a.id in recorded]

    @patch("/{activity_id:uuid}/attendance/{attendance_id:uuid}", guards=[WRITE])
    async def change(
        self,
        activity: Activity,
        attendance_row: Attendance,
        db: AsyncSession,
        caller: DutyCaller,
        data: AttendanceChangeIn,
    ) -> AttendanceOut:
        """The explicit change of a deputy's status (audited)."""
        note = None if data.note is msgspec.UNSET else data.note
        await attendance.change_attendance(db, caller, activity, attendance_row, data.status, note)
        return await attendance.attendance_out(db, attendance_row)

    @delete("/{activity_id:uuid}/attendance/{attendance_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(
        self, activity: Activity, attendance_row: Attendance, db: AsyncSession, caller: DutyCaller
    ) -> None:
        await attendance.remove_attendance(db, caller, activity, attendance_row)

    @post("/{activity_id:uuid}/sign-in", guards=[WRITE], status_code=200)
    async def sign_in(
        self, activity: Activity, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: SignInIn
    ) -> SignInOut:
        """The signed-in deputy, present (the token is the last part of the QR code's address). Twice counts
        once (`already`). 403 `sign_in_invalid` for a token of another activity or a voided code,
        409 `sign_in_closed` outside the half hour before the start to the end."""
        done = await signin.sign_in(db, caller, access.tenant.code, activity, data.token)
        return SignInOut(activity.id, activity.title, done.already, done.message, done.attendance.recorded_at)

    @get("/{activity_id:uuid}/sign-in-code", guards=[READ])
    async def sign_in_code(
        self, activity: Activity, access: TenantAccess, caller: DutyCaller, settings: Settings
    ) -> SignInCodeOut:
        """The address the QR code encodes (staff only)."""
        require_manage(caller)
        return signin.code_info(settings.public_url, access.tenant.code, activity)

    @post("/{activity_id:uuid}/sign-in-code", guards=[WRITE], status_code=200)
    async def regenerate_code(
        self, activity: Activity, db: AsyncSession, access: TenantAccess, caller: DutyCaller, settings: Settings
    ) -> SignInCodeOut:
        """A new code: every copy printed before no longer signs anyone in."""
        await signin.regenerate(db, caller, activity)
        return signin.code_info(settings.public_url, access.tenant.code, activity)


class EvidenceController(Controller):
    path = f"{BASE}/evidence"
    tags = ["履职佐证"]
    dependencies = DEPENDENCIES

    @get("/", guards=[READ])
    async def list_evidence(
        self,
        db: AsyncSession,
        caller: DutyCaller,
        status: str | None = None,
        kind: str | None = None,
        year: int | None = None,
        person_id: uuid.UUID | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> EvidencePage:
        """A deputy gets their own; staff, committee members and viewers everyone's (`status=pending`: the
        ones to verify, first come first)."""
        filters = evidence.EvidenceFilter(status or None, kind or None, year, person_id, q or None)
        return await evidence.list_evidence(db, caller, filters, page, page_size)

    @post("/", guards=[WRITE], status_code=201, request_max_body_size=evidence.MAX_BODY)
    async def submit(self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller) -> EvidenceOut:
        """Multipart: `kind`, `title`, `occurred_on`, `description`, `hours` (trainings), `award_level`
        (awards) and up to 10 `files` (photos, PDF, Office documents; 10 MB each). 413
        `attachment_too_large`, 400 `attachment_type`, `too_many_files`; nothing is stored then."""
        data, uploads = await evidence_form(await request.form())
        made = await evidence.submit_evidence(db, caller, access.tenant, data, uploads)
        return await evidence.evidence_out(db, made)

    @get("/{evidence_id:uuid}", guards=[READ])
    async def show(self, evidence_row: Evidence, db: AsyncSession) -> EvidenceOut:
        return await evidence.evidence_out(db, evidence_row)

    @delete("/{evidence_id:uuid}", guards=[WRITE], status_code=204)
    async def withdraw(self, evidence_row: Evidence, db: AsyncSession, caller: DutyCaller) -> None:
        """The deputy takes back their own evidence while it is pending (409 `evidence_not_pending`)."""
        await evidence.withdraw_evidence(db, caller, evidence_row)

    @post("/{evidence_id:uuid}/verify", guards=[WRITE], status_code=200)
    async def verify(
        self, evidence_row: Evidence, db: AsyncSession, access: TenantAccess, caller: DutyCaller
    ) -> EvidenceOut:
        await evidence.verify_evidence(db, caller, access.tenant, evidence_row)
        return await evidence.evidence_out(db, evidence_row)

    @post("/{evidence_id:uuid}/reject", guards=[WRITE], status_code=200)
    async def reject(
        self, evidence_row: Evidence, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: RejectIn
    ) -> EvidenceOut:
        """Back to the deputy with the reason (they are notified)."""
        await evidence.reject_evidence(db, caller, access.tenant, evidence_row, data.reason)
        return await evidence.evidence_out(db, evidence_row)

    @get("/{evidence_id:uuid}/files/{file_id:uuid}", guards=[READ], media_type="*/*")
    async def download(self, evidence_row: Evidence, db: AsyncSession, file_id: uuid.UUID) -> Response[bytes]:
        return file_response(await evidence.get_file(db, evidence_row, file_id, with_content=True))


ROUTES = [ActivityController, EvidenceController]
