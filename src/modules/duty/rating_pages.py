"""`/t/{code}/duty/ratings...`: the star rating's pages, in Chinese.

Staff (and the office's readers) get the year's overview (counts per step, filters, the list with bulk
actions, the window, starting everyone's rating, publication, the Excel export), one rating with its
steps and the next step's form, and the list of deputies advised to resign with the reminder talks.
A deputy gets their self-assessment and their ratings on one page made for a phone; a group's leader
the members awaiting the group check. Forms convert to the API's request types and share their rules.
The public list of grades, when the office publishes it, is on its portal (`/p/{office}/duty/ratings`).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import public, requires
from renda.core.timezone import local_today
from renda.modules.deputies.models import Person
from renda.modules.duty import rating as rules
from renda.modules.duty import rating_export, talks
from renda.modules.duty import rating_labels as labels
from renda.modules.duty import rating_people as people
from renda.modules.duty import rating_views as views
from renda.modules.duty.common import duty_caller_for, require_deputy
from renda.modules.duty.models import GRADES, RATING_STEPS, STARS, TALK_STATUSES, Rating, RatingWindow
from renda.modules.duty.rating_schemas import SelfIn, StepIn, TalkIn, TalkPatch, WindowIn, YearIn
from renda.modules.exports import service as exports
from renda.modules.portal import service as portal
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess, tenant_session
from renda.tenants.service import published_office
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_struct, form_value, form_values
from renda.web.pages import shell_context

READ, WRITE = requires("duty.read"), requires("duty.write")
URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
PAGE_SIZE = 50
FILTER_KEYS = ("year", "step", "grade", "group_id", "q", "low", "advise_resign")
LABELS = {
    "year": "年度",
    "opens_on": "开始日期",
    "closes_on": "截止日期",
    "summary": "年度履职总结(不超过 5000 字)",
    "grade": "等次",
    "step": "评价环节",
    "note": "意见(不超过 1000 字)",
    "scheduled_on": "约谈日期",
    "place": "约谈地点(不超过 200 字)",
    "talker": "约谈人(不超过 100 字)",
    "status": "约谈状态",
    "talk": "提醒约谈",
}
STAFF_STEP_LABELS = {step: RATING_STEPS[step] for step in rules.STAFF_STEPS}


def _convert(data: dict[str, Any], kind: type[Any]) -> Any:
    return form_struct(data, kind, LABELS)


def _rating_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("所选的评价记录不正确", code="invalid_rating_id") from None


def _step_fields(data: Form) -> dict[str, Any]:
    """A step's form: the talk's fields only when a date is given."""
    fields: dict[str, Any] = {k: form_value(data, k) or "" for k in ("step", "grade", "note")}
    if form_value(data, "talk_on"):
        fields["talk"] = {
            "scheduled_on": form_value(data, "talk_on"),
            "place": form_value(data, "talk_place") or "",
            "talker": form_value(data, "talk_talker") or "",
        }
    return fields


def _filter_query(filters: dict[str, str]) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


class RatingPages(Controller):
    path = "/t/{code:str}/duty/ratings"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- staff: the year's overview -----------------------------------------------------------------
    async def _overview(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        if not caller.full:
            raise PermissionDenied("评价总览供本机关工作人员查看;代表请查看“我的星级评价”", code="duty_not_full")
        today = local_today()
        filters = {k: request.query_params.get(k) or "" for k in FILTER_KEYS}
        try:
            chosen = views.parse_filter(filters, await rules.rating_year(db, today))
        except InvalidInput as error:
            chosen, extra["error"] = views.RatingFilter(await rules.rating_year(db, today)), error.message
        filters["year"] = str(chosen.year)
        raw_page = request.query_params.get("page", "1")
        page_number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1
        found = await views.list_ratings(db, caller, chosen, page_number, PAGE_SIZE)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "overview": await views.overview(db, chosen.year, today),
            "page": found,
            "rows": found.items,
            "filters": filters,
            "query": _filter_query(filters),
            "groups": await people.group_choices(db),
            "grades": GRADES,
            "list_steps": views.LIST_STEPS,
            "staff_steps": STAFF_STEP_LABELS,
            "manage": caller.manage,
            "can_export": access.can("exports.write"),
            "stars": labels.stars_text,
        }
        if export_id := request.query_params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("duty/ratings.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def overview(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._overview(request, db, access)

    def _back(self, access: TenantAccess, data: Form) -> str:
        year = form_value(data, "year") or ""
        back = {k: form_value(data, f"back_{k}") or "" for k in FILTER_KEYS if k != "year"}
        query = _filter_query({"year": year, **back})
        return f"/t/{access.tenant.code}/duty/ratings" + (f"?{query}" if query else "")

    @post("/window", guards=[WRITE])
    async def set_window(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def act() -> Any:
            caller = await duty_caller_for(db, access)
            fields = {k: form_value(data, k) for k in ("year", "opens_on", "closes_on")}
            window = _convert(fields, WindowIn)
            return await rules.set_window(db, caller, window.year, window.opens_on, window.closes_on)

        return await run_form_action(
            db, act, redirect_to=self._back(access, data), on_error=page_again(self._overview, request, db, access)
        )

    @post("/start", guards=[WRITE])
    async def start(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def act() -> Any:
            caller = await duty_caller_for(db, access)
            year = _convert({"year": form_value(data, "year")}, YearIn)
            return await rules.start_all(db, caller, year.year, local_today())

        return await run_form_action(
            db, act, redirect_to=self._back(access, data), on_error=page_again(self._overview, request, db, access)
        )

    @post("/bulk", guards=[WRITE])
    async def bulk(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        """One step with one grade for the ticked ratings, all or none."""

        async def act() -> Any:
            caller = await duty_caller_for(db, access)
            ids = [_rating_id(v) for v in form_values(data, "rating_ids")]
            if not ids:
                raise InvalidInput("请先勾选要评议的代表", code="no_ratings_chosen")
            step = _convert({k: form_value(data, k) or "" for k in ("step", "grade", "note")}, StepIn)
            return await rules.take_steps(db, caller, ids, step.step, step.grade, step.note, local_today())

        return await run_form_action(
            db, act, redirect_to=self._back(access, data), on_error=page_again(self._overview, request, db, access)
        )

    @post("/publish", guards=[WRITE])
    async def publish(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def act() -> Any:
            caller = await duty_caller_for(db, access)
            year = _convert({"year": form_value(data, "year")}, YearIn)
            return await rules.publish(db, caller, year.year, form_value(data, "public_list") == "1")

        return await run_form_action(
            db, act, redirect_to=self._back(access, data), on_error=page_again(self._overview, request, db, access)
        )

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        """The year's list as filtered, to Excel (built in the background)."""

        async def act() -> Any:
            params = {k: form_value(data, k) for k in FILTER_KEYS}
            views.parse_filter(params, local_today().year)  # a bad filter is refused now, not in the worker
            if not params.get("year"):
                params["year"] = str(await rules.rating_year(db, local_today()))
            return await exports.request_export(db, access, rating_export.KIND, {k: v for k, v in params.items() if v})

        def to(export: Any) -> str:
            query = _filter_query({k: form_value(data, k) or "" for k in FILTER_KEYS})
            return f"/t/{access.tenant.code}/duty/ratings?{query}&export={export.id}"

        return await run_form_action(db, act, redirect_to=to, on_error=page_again(self._overview, request, db, access))

    # --- staff: the deputies advised to resign, and the talks ------------------------------------------
    @get("/advise-resign", guards=[READ])
    async def advise_resign(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await duty_caller_for(db, access)
        if not caller.full:
            raise PermissionDenied("劝辞名单供本机关工作人员查看", code="duty_not_full")
        raw = request.query_params.get("year") or ""
        year = int(raw) if raw.isdigit() else await rules.rating_year(db, local_today())
        rules.check_year(year)
        context = {
            **await shell_context(request, access),
            "year": year,
            "rows": await views.advise_resign(db, year),
            "needing": await views.needing_talks(db, year),
            "talks": await views.talks_of_year(db, year),
            "manage": caller.manage,
        }
        return Template("duty/rating_advise.html", context=context)

    # --- the deputy's own page (a phone) --------------------------------------------------------------
    async def _mine(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        person_id = require_deputy(caller)
        context = {
            **await shell_context(request, access),
            "mine": await views.mine(db, caller, person_id, local_today()),
            "grades": GRADES,
            "stars": labels.stars_text,
            "is_leader": await people.is_leader(db, person_id),
            "saved": request.query_params.get("saved") == "1",
            "form": {},
            **extra,
        }
        return Template("duty/rating_mine.html", context=context, status_code=status)

    @get("/mine", guards=[READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._mine(request, db, access)

    @post("/mine", guards=[WRITE])
    async def assess(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def act() -> Any:
            caller = await duty_caller_for(db, access)
            fields = {"year": form_value(data, "year"), **{k: form_value(data, k) or "" for k in ("summary", "grade")}}
            if not fields["grade"]:
                raise InvalidInput("请选择自评等次", code="invalid_grade")
            assessed = _convert(fields, SelfIn)
            return await rules.self_assess(db, caller, assessed.year, assessed.summary, assessed.grade, local_today())

        return await run_form_action(
            db,
            act,
            redirect_to=f"/t/{access.tenant.code}/duty/ratings/mine?saved=1",
            on_error=page_again(self._mine, request, db, access, form=data),
        )

    # --- a group's leader: the members awaiting the group check ---------------------------------------
    async def _group(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        leader = require_deputy(caller)
        raw = request.query_params.get("year") or ""
        year = int(raw) if raw.isdigit() else await rules.rating_year(db, local_today())
        rules.check_year(year)
        statement = views.list_statement(caller, views.RatingFilter(year, leader_id=leader))
        found = list((await db.execute(statement)).all())
        rows = await views.rows_out(db, caller, year, found)
        context = {
            **await shell_context(request, access),
            "year": year,
            "rows": rows,
            "grades": GRADES,
            "waiting": [r for r in rows if r.step in ("opened", "self")],
            **extra,
        }
        return Template("duty/rating_group.html", context=context, status_code=status)

    @get("/group", guards=[READ])
    async def group(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._group(request, db, access)

    # --- one rating -----------------------------------------------------------------------------------
    async def _rating(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        rating_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await duty_caller_for(db, access)
        rated = await rules.get_rating(db, caller, rating_id)
        shown = await views.rating_out(db, caller, rated)
        next_step = shown.next_step if shown.next_step in rules.STAFF_STEPS else None
        context = {
            **await shell_context(request, access),
            "r": shown,
            "grades": GRADES,
            "stars": labels.stars_text,
            "talk_statuses": TALK_STATUSES,
            "next_step": next_step
            if next_step and await rules.may_take(db, caller, next_step, rated.person_id)
            else None,
            "manage": caller.manage,
            "needs_talk": caller.manage
            and rated.grade in ("basic", "incompetent")
            and rated.step in ("committee", "published")
            and not any(t.status == "scheduled" for t in shown.talks),
            "form": {},
            **extra,
        }
        return Template("duty/rating.html", context=context, status_code=status)

    @get("/{rating_id:uuid}", guards=[READ])
    async def show(self, request: Request, db: AsyncSession, access: TenantAccess, rating_id: uuid.UUID) -> Template:
        return await self._rating(request, db, access, rating_id)

    @post("/{rating_id:uuid}/step", guards=[WRITE])
    async def take_step(
        self, request: Request, db: AsyncSession, access: TenantAccess, rating_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        caller = await duty_caller_for(db, access)
        rated = await rules.get_rating(db, caller, rating_id, for_update=True)  # 404 before the form is read

        async def act() -> Any:
            step = _convert(_step_fields(data), StepIn)
            return await talks.take_step_with_talk(
                db, caller, rated, step.step, step.grade, step.note, step.talk, local_today()
            )

        code = access.tenant.code
        back = f"/t/{code}/duty/ratings/group?year={rated.year}" if form_value(data, "back") == "group" else None
        if back is not None:
            on_error = page_again(self._group, request, db, access)
        else:
            on_error = page_again(self._rating, request, db, access, rating_id, form=data)
        return await run_form_action(
            db, act, redirect_to=back or f"/t/{code}/duty/ratings/{rating_id}", on_error=on_error
        )

    @post("/{rating_id:uuid}/talks", guards=[WRITE])
    async def schedule_talk(
        self, request: Request, db: AsyncSession, access: TenantAccess, rating_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        caller = await duty_caller_for(db, access)
        rated = await rules.get_rating(db, caller, rating_id, for_update=True)

        async def act() -> Any:
            fields = {k: form_value(data, k) or "" for k in ("scheduled_on", "place", "talker", "note")}
            return await talks.schedule(db, caller, rated, _convert(fields, TalkIn))

        return await run_form_action(
            db,
            act,
            redirect_to=f"/t/{access.tenant.code}/duty/ratings/{rating_id}",
            on_error=page_again(self._rating, request, db, access, rating_id, form=data),
        )

    @post("/talks/{talk_id:uuid}", guards=[WRITE])
    async def update_talk(
        self, request: Request, db: AsyncSession, access: TenantAccess, talk_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        """Reschedule a talk, or record it held or cancelled."""
        caller = await duty_caller_for(db, access)
        talk = await talks.get_talk(db, caller, talk_id, for_update=True)

        async def act() -> Any:
            fields = {k: form_value(data, k) or "" for k in ("place", "talker", "note") if k in data}
            fields |= {k: form_value(data, k) for k in ("scheduled_on", "status") if form_value(data, k)}
            return await talks.update(db, caller, talk, _convert(fields, TalkPatch))

        return await run_form_action(
            db,
            act,
            redirect_to=f"/t/{access.tenant.code}/duty/ratings/{talk.rating_id}",
            on_error=page_again(self._rating, request, db, access, talk.rating_id),
        )


# --- the portal: the published list of grades, when the office chose to show it -------------------------
class PublicRatingPages(Controller):
    path = "/p/{office:str}/duty"
    include_in_schema = False

    @get("/ratings", guards=[public])
    async def ratings(self, office: str, year: int | None = None) -> Template:
        """亮星: the grades and stars of a year's published ratings (404 unless the office publishes them)."""
        tenant = await published_office(office)
        if year is not None:
            rules.check_year(year)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            shown = await _public_year(session, year)
            if shown is None:
                raise NotFound("该机关未公开代表履职星级评价结果", code="ratings_not_public")
            rows = (
                await session.execute(
                    select(Person.name, people.group_name_of(Person.id).label("group_name"), Rating.grade)
                    .join(Rating, Rating.person_id == Person.id)
                    .where(Rating.year == shown, Rating.step == "published")
                    .order_by(Rating.stars.desc(), Person.name_pinyin)
                )
            ).all()
            contact = await portal.contact(session)
        context = {
            "tenant": tenant,
            "contact": contact,
            "year": shown,
            "rows": [(r.name, r.group_name, GRADES[r.grade], labels.stars_text(STARS[r.grade])) for r in rows],
        }
        return Template("duty/rating_public.html", context=context)


async def _public_year(session: AsyncSession, year: int | None) -> int | None:
    """The year asked for if its list is public, else the latest public one (None: none is)."""
    query = select(RatingWindow.year).where(RatingWindow.public_list.is_(True), RatingWindow.published_at.is_not(None))
    if year is not None:
        query = query.where(RatingWindow.year == year)
    return await session.scalar(query.order_by(RatingWindow.year.desc()).limit(1))


PAGES = [RatingPages, PublicRatingPages]
