"""Request and response types of the yearly star rating (`/api/v1/t/{code}/duty/ratings...`).

Create types reject unknown fields; the patch of a talk leaves out what is not sent (`UNSET`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Grade = Literal["excellent", "good", "competent", "basic", "incompetent"]
StaffStep = Literal["group", "township", "committee"]
TalkStatus = Literal["scheduled", "held", "cancelled"]
Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Summary = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Note = Annotated[str, msgspec.Meta(max_length=1000)]
Place = Annotated[str, msgspec.Meta(max_length=200)]
Talker = Annotated[str, msgspec.Meta(max_length=100)]
RatingIds = Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=200)]


# --- the window -------------------------------------------------------------------------------------
class WindowIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year
    opens_on: date
    closes_on: date
    public_list: bool | UnsetType = UNSET  # publish the list of grades on the portal (unchanged if not sent)


class WindowOut(msgspec.Struct):
    year: int
    opens_on: date
    closes_on: date
    is_default: bool  # 1–31 December: the office has not set its own
    state: str  # before | open | closed (for the deputies' self-assessment)
    state_label: str
    published_at: datetime | None
    public_list: bool


# --- the steps --------------------------------------------------------------------------------------
class YearIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year


class StartOut(msgspec.Struct):
    year: int
    started: int  # ratings started now (deputies who had none)


class SelfIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year
    summary: Summary
    grade: Grade


class TalkIn(msgspec.Struct, forbid_unknown_fields=True):
    scheduled_on: date
    place: Place = ""
    talker: Talker = ""
    note: Note = ""


class StepIn(msgspec.Struct, forbid_unknown_fields=True):
    step: StaffStep
    grade: Grade
    note: Note = ""
    talk: TalkIn | None = None  # the committee's decision of a low grade may schedule the talk at once


class BulkStepIn(msgspec.Struct, forbid_unknown_fields=True):
    step: StaffStep
    grade: Grade
    rating_ids: RatingIds
    note: Note = ""


class BulkOut(msgspec.Struct):
    step: str
    done: int


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    year: Year
    public_list: bool = False


class PublishOut(msgspec.Struct):
    year: int
    published: int
    published_at: datetime | None
    public_list: bool


class TalkPatch(msgspec.Struct, forbid_unknown_fields=True):
    scheduled_on: date | UnsetType = UNSET
    place: Place | UnsetType = UNSET
    talker: Talker | UnsetType = UNSET
    status: TalkStatus | UnsetType = UNSET
    note: Note | UnsetType = UNSET


# --- what is shown ----------------------------------------------------------------------------------
class StepOut(msgspec.Struct):
    step: str
    step_label: str
    grade: str | None
    grade_label: str | None
    note: str
    actor: str
    created_at: datetime


class TalkOut(msgspec.Struct):
    id: uuid.UUID
    rating_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    year: int
    grade_label: str | None
    scheduled_on: date
    place: str
    talker: str
    status: str
    status_label: str
    note: str


class RatingOut(msgspec.Struct):
    """One deputy's rating. To the deputy (and their group's leader) the grades after their own step
    are shown only once published."""

    id: uuid.UUID
    year: int
    person_id: uuid.UUID
    name: str
    group_name: str | None
    step: str
    step_label: str
    published: bool
    self_summary: str
    self_grade: str | None
    self_grade_label: str | None
    group_grade: str | None
    township_grade: str | None
    grade: str | None
    grade_label: str | None
    stars: int | None
    points: float | None
    advise_resign: bool
    next_step: str | None
    next_step_label: str | None
    steps: list[StepOut]
    talks: list[TalkOut]


class RatingRow(msgspec.Struct):
    """A deputy of the office in the year's list: `id` is None until their rating is started."""

    id: uuid.UUID | None
    person_id: uuid.UUID
    name: str
    group_name: str | None
    step: str  # none | opened | self | group | township | committee | published
    step_label: str
    self_grade_label: str | None
    group_grade_label: str | None
    township_grade_label: str | None
    grade: str | None
    grade_label: str | None
    stars: int | None
    points: float | None  # decided: the year's points then; otherwise as they stand (None: not shown)
    advise_resign: bool
    talk_status: str | None
    talk_status_label: str | None


class RatingPage(msgspec.Struct):
    items: list[RatingRow]
    total: int
    page: int
    page_size: int


class Count(msgspec.Struct):
    key: str
    label: str
    count: int


class Overview(msgspec.Struct):
    year: int
    window: WindowOut
    deputies: int  # with a live mandate, or rated this year
    steps: list[Count]  # none (not started) first, then each step
    grades: list[Count]
    advise_resign: int
    talks_to_schedule: int


class MineOut(msgspec.Struct):
    """The deputy's own page: this rating year's window and rating, and whether they may assess now."""

    year: int
    window: WindowOut
    may_assess: bool
    reason: str | None  # why not, in Chinese
    rating: RatingOut | None
    history: list[RatingOut]


class AdviseResignRow(msgspec.Struct):
    rating_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    group_name: str | None
    year: int
    grade_label: str
    previous_grade_label: str
    points: float | None
    talk_status_label: str | None
