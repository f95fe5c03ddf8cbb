"""`/api/v1/t/{code}/duty/ratings...`: the yearly star rating (亮星 / 星级评价).

Staff set the window, start everyone's rating, take the group check, the township review and the
committee's decision (one rating or many at once), publish, and schedule reminder talks; a group's
leader takes the group check of their members; a deputy assesses themselves and reads their own
rating. A rating the path names is loaded (and locked for a write) before the body is read, so one
not in this office, or not the caller's to see, answers 404 whatever the body holds.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post, put
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import PermissionDenied
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.duty import rating as rules
from renda.modules.duty import (
    rating_export,  # noqa: F401  (registers the export kind)
    talks,
)
from renda.modules.duty import rating_views as views
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy
from renda.modules.duty.models import Rating, Talk
from renda.modules.duty.rating_schemas import (
    AdviseResignRow,
    BulkOut,
    BulkStepIn,
    MineOut,
    Overview,
    PublishIn,
    PublishOut,
    RatingOut,
    RatingPage,
    SelfIn,
    StartOut,
    StepIn,
    TalkIn,
    TalkOut,
    TalkPatch,
    WindowIn,
    WindowOut,
    YearIn,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("duty.read"), requires("duty.write")


async def provide_caller(db: AsyncSession, access: TenantAccess) -> DutyCaller:
    return await duty_caller_for(db, access)


async def provide_rated(db: AsyncSession, caller: DutyCaller, rating_id: uuid.UUID) -> Rating:
    """The rating the path names, locked for the write."""
    return await rules.get_rating(db, caller, rating_id, for_update=True)


async def provide_talk(db: AsyncSession, caller: DutyCaller, talk_id: uuid.UUID) -> Talk:
    return await talks.get_talk(db, caller, talk_id, for_update=True)


def require_full(caller: DutyCaller) -> None:
    if not caller.full:
        raise PermissionDenied("只有本机关工作人员、常委会组成人员和只读用户可以查看", code="duty_not_full")


async def _year(db: AsyncSession, year: int | None) -> int:
    return rules.check_year(year) if year is not None else await rules.rating_year(db, local_today())


class RatingController(Controller):
    path = "/api/v1/t/{code:str}/duty/ratings"
    tags = ["履职星级评价"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "caller": Provide(provide_caller),
        "rated": Provide(provide_rated),
        "talk": Provide(provide_talk),
    }

    # --- the year --------------------------------------------------------------------------------
    @get("/", guards=[READ])
    async def list_ratings(
        self,
        db: AsyncSession,
        caller: DutyCaller,
        year: int | None = None,
        step: str | None = None,
        grade: str | None = None,
        group_id: str | None = None,
        q: str | None = None,
        low: bool = False,
        advise_resign: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> RatingPage:
        """The office's deputies of the year with their ratings (`step=none`: not started). A deputy
        sees their own row, a group's leader their members' too."""
        params = {"year": str(await _year(db, year)), "step": step, "grade": grade, "group_id": group_id, "q": q}
        chosen = views.parse_filter({**params, "low": str(low), "advise_resign": str(advise_resign)}, 0)
        found = await views.list_ratings(db, caller, chosen, page, page_size)
        return RatingPage(found.items, found.total, found.page, found.page_size)

    @get("/overview", guards=[READ])
    async def overview(self, db: AsyncSession, caller: DutyCaller, year: int | None = None) -> Overview:
        """Counts per step (`none`: not started), per grade, deputies advised to resign, talks to schedule."""
        require_full(caller)
        return await views.overview(db, await _year(db, year), local_today())

    @get("/window", guards=[READ])
    async def window(self, db: AsyncSession, year: int | None = None) -> WindowOut:
        found = await rules.window_of(db, await _year(db, year))
        return views.window_out(found, local_today())

    @put("/window", guards=[WRITE])
    async def set_window(self, db: AsyncSession, caller: DutyCaller, data: WindowIn) -> WindowOut:
        """The year's window (default 1–31 December): opens in the year, closes by 31 March after it."""
        public = data.public_list if isinstance(data.public_list, bool) else None
        found = await rules.set_window(db, caller, data.year, data.opens_on, data.closes_on, public)
        return views.window_out(found, local_today())

    @post("/start", guards=[WRITE], status_code=200)
    async def start(self, db: AsyncSession, caller: DutyCaller, data: YearIn) -> StartOut:
        """A rating for every deputy with a live mandate who has none (from the window's opening on)."""
        return StartOut(data.year, await rules.start_all(db, caller, data.year, local_today()))

    @post("/steps", guards=[WRITE], status_code=200)
    async def bulk_step(self, db: AsyncSession, caller: DutyCaller, data: BulkStepIn) -> BulkOut:
        """One step with one grade for many ratings, all or none (409 `rating_step_out_of_order` names
        the first deputy not at the step before)."""
        done = await rules.take_steps(db, caller, data.rating_ids, data.step, data.grade, data.note, local_today())
        return BulkOut(data.step, len(done))

    @post("/publish", guards=[WRITE], status_code=200)
    async def publish(self, db: AsyncSession, caller: DutyCaller, data: PublishIn) -> PublishOut:
        """Publish the year's decided ratings and tell each deputy; `public_list` also shows the list of
        grades on the office's portal."""
        published, window = await rules.publish(db, caller, data.year, data.public_list)
        return PublishOut(data.year, len(published), window.published_at, window.public_list)

    @get("/advise-resign", guards=[READ])
    async def advise_resign(
        self, db: AsyncSession, caller: DutyCaller, year: int | None = None
    ) -> list[AdviseResignRow]:
        """Deputies rated 基本称职 or 不称职 this year and the year before (劝辞)."""
        require_full(caller)
        return await views.advise_resign(db, await _year(db, year))

    @get("/talks", guards=[READ])
    async def list_talks(
        self, db: AsyncSession, caller: DutyCaller, year: int | None = None, status: str | None = None
    ) -> list[TalkOut]:
        require_full(caller)
        return await views.talks_of_year(db, await _year(db, year), status)

    @patch("/talks/{talk_id:uuid}", guards=[WRITE])
    async def update_talk(self, db: AsyncSession, caller: DutyCaller, talk: Talk, data: TalkPatch) -> TalkOut:
        """Reschedule (the deputy is told again), or record the talk held or cancelled."""
        changed = await talks.update(db, caller, talk, data)
        return await views.talk_out(db, changed)

    # --- the deputy's own ---------------------------------------------------------------------------
    @get("/mine", guards=[READ])
    async def mine(self, db: AsyncSession, caller: DutyCaller) -> MineOut:
        """The rating year's window and the caller's rating, and their earlier years."""
        return await views.mine(db, caller, require_deputy(caller), local_today())

    @post("/mine", guards=[WRITE], status_code=200)
    async def assess(self, db: AsyncSession, caller: DutyCaller, data: SelfIn) -> RatingOut:
        """The deputy's self-assessment: inside the window (409 `rating_window_closed`), and until the group
        check (409 `rating_step_out_of_order`)."""
        rated = await rules.self_assess(db, caller, data.year, data.summary, data.grade, local_today())
        return await views.rating_out(db, caller, rated)

    # --- one rating -----------------------------------------------------------------------------------
    @get("/{rating_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, caller: DutyCaller, rating_id: uuid.UUID) -> RatingOut:
        return await views.rating_out(db, caller, await rules.get_rating(db, caller, rating_id))

    @post("/{rating_id:uuid}/steps", guards=[WRITE], status_code=200)
    async def take_step(self, db: AsyncSession, caller: DutyCaller, rated: Rating, data: StepIn) -> RatingOut:
        """The next step: `group` (staff or the group's leader), `township`, `committee` (staff). A low
        decision may schedule the reminder talk with it (`talk`)."""
        await talks.take_step_with_talk(db, caller, rated, data.step, data.grade, data.note, data.talk, local_today())
        return await views.rating_out(db, caller, rated)

    @post("/{rating_id:uuid}/talks", guards=[WRITE], status_code=201)
    async def schedule_talk(self, db: AsyncSession, caller: DutyCaller, rated: Rating, data: TalkIn) -> TalkOut:
        """A reminder talk for a deputy decided 基本称职 or 不称职; the deputy is told."""
        return await views.talk_out(db, await talks.schedule(db, caller, rated, data))


ROUTES = [RatingController]
