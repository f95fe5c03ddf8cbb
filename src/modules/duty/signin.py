"""QR sign-in (扫码签到): each activity has a code that opens a page on the deputy's phone; the deputy,
signed in to the platform, taps 签到 and is recorded present.

The code carries a token derived from the activity's secret, its id and the office: a token of another
activity or office, or one printed before the code was regenerated, is refused (`sign_in_invalid`).
The code works from 30 minutes before the start until the end (`sign_in_closed` otherwise), only for a
deputy of the office serving that day, and signing in twice counts once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, PermissionDenied
from renda.core.timezone import to_local
from renda.modules.duty.activities import SIGN_IN_EARLY, new_secret
from renda.modules.duty.activity_schemas import SignInCodeOut
from renda.modules.duty.attendance import serving
from renda.modules.duty.common import DutyCaller, require_deputy, require_manage
from renda.modules.duty.models import ATTENDANCE_STATUSES, Activity, Attendance

TOKEN_BYTES = 16


def token_for(code: str, activity: Activity) -> str:
    digest = hmac.new(activity.sign_in_secret.encode(), f"{code}:{activity.id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def sign_in_path(code: str, activity: Activity) -> str:
    """The phone page the QR code opens (the token in the path survives the detour through sign-in)."""
    return f"/t/{code}/duty/sign-in/{activity.id}/{token_for(code, activity)}"


def sign_in_window(activity: Activity) -> tuple[datetime, datetime]:
    return activity.starts_at - SIGN_IN_EARLY, activity.ends_at


def code_info(public_url: str, code: str, activity: Activity, now: datetime | None = None) -> SignInCodeOut:
    opens, closes = sign_in_window(activity)
    now = now or utcnow()
    open_now = activity.status != "cancelled" and opens <= now <= closes
    return SignInCodeOut(public_url.rstrip("/") + sign_in_path(code, activity), opens, closes, open_now)


def check_token(code: str, activity: Activity, token: str) -> None:
    expected = token_for(code, activity).encode()
    if not hmac.compare_digest(expected, token.encode("utf-8", "replace")):
        raise PermissionDenied("签到码无效或已失效,请扫描活动现场张贴的最新签到码", code="sign_in_invalid")


def closed_reason(activity: Activity, now: datetime) -> str | None:
    """Why the code does not work now, in the deputy's words; None while it does."""
    if activity.status == "cancelled":
        return "该活动已取消,不能签到"
    opens, closes = sign_in_window(activity)
    if now < opens:
        return f"签到尚未开始:{to_local(opens):%Y年%m月%d日 %H:%M} 起可以签到"
    if now > closes:
        return f"活动已于 {to_local(closes):%Y年%m月%d日 %H:%M} 结束,签到已关闭"
    return None


@dataclass(frozen=True)
class SignedIn:
    attendance: Attendance
    already: bool

    @property
    def message(self) -> str:
        return "已签到,无需重复签到" if self.already else "签到成功"


async def sign_in(
    session: AsyncSession, caller: DutyCaller, code: str, activity: Activity, token: str, now: datetime | None = None
) -> SignedIn:
    """The caller, a deputy of the office, present at `activity` (idempotent)."""
    person_id = require_deputy(caller)
    check_token(code, activity, token)
    now = now or utcnow()
    reason = closed_reason(activity, now)
    if reason is not None:
        raise Conflict(reason, code="sign_in_closed")
    if person_id not in await serving(session, [person_id], to_local(now).date()):
        raise PermissionDenied("您不是本机关在任的代表,不能签到", code="sign_in_not_deputy")
    existing = await recorded(session, activity.id, person_id)
    if existing is None:
        row = Attendance(
            activity_id=activity.id,
            person_id=person_id,
            status="present",
            source="qr",
            recorded_by=caller.actor,
            recorded_at=now,
        )
        try:
            async with session.begin_nested():  # a second tap at the same moment finds the first's row
                session.add(row)
                await session.flush()
            return SignedIn(row, already=False)
        except IntegrityError:
            existing = await recorded(session, activity.id, person_id)
            if existing is None:
                raise
    if existing.status != "present":
        label = ATTENDANCE_STATUSES[existing.status]
        raise Conflict(
            f"工作人员已将您登记为“{label}”;如您已到会,请联系活动工作人员更正", code="attendance_recorded_twice"
        )
    return SignedIn(existing, already=True)


async def recorded(session: AsyncSession, activity_id: uuid.UUID, person_id: uuid.UUID) -> Attendance | None:
    query = select(Attendance).where(Attendance.activity_id == activity_id, Attendance.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def regenerate(session: AsyncSession, caller: DutyCaller, activity: Activity) -> Activity:
    """A new secret: every code printed before no longer works."""
    require_manage(caller)
    activity.sign_in_secret = new_secret()
    await session.flush()
    return activity
