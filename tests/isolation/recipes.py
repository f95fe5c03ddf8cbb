"""How to call every write route of an office with a request that succeeds.

A route's body is derived from its handler's `data` type (msgspec Structs: every field that is
required, or optional and not an id, gets an example value); a recipe adds only what the type cannot
say: real ids, vocabularies, a path object in a given state. Pages post forms: the fields of the
request type they convert to (`form(SomeIn)`), or the fields listed.

Every write route needs an entry here: a route added later without one fails the test with its name.
Values: `new.<kind>` makes a fresh object of office A (`Office.new_<kind>`; the id named like the
field is taken), `same.<param>` is an id of the route's own path, `main.<attr>` one of the office's
standing objects (its current term), `Fmt(template, *values)` a text made of values, a function
(called for each request: a fresh number), or any literal.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import msgspec.inspect as mi

from renda.core.timezone import LOCAL_TZ
from renda.modules.contacts.schemas import (
    MeetingIn,
    MeetingPatch,
    RecordIn,
    SettingsIn,
)
from renda.modules.deputies.schemas import (
    MandateEndIn,
    MandateIn,
    MandateResumeIn,
    MandateSuspendIn,
    PersonIn,
)
from renda.modules.duty.store_schemas import ItemIn
from renda.modules.opinions.schemas import UnitIn, UnitPatch
from renda.modules.organisation.schemas import (
    BodyIn,
    BodyPatch,
    CommitteeMemberIn,
    CommitteeMemberPatch,
    GroupIn,
    GroupPatch,
    StationIn,
)
from renda.modules.portal.schemas import CommitmentPatch, PortalSettingsIn
from renda.modules.receptions.schemas import ExceptionIn
from tests.isolation.office import PDF, PNG, TODAY, XLSX, meeting_number, register_xlsx, serial


# --- values that name office A's objects ---------------------------------------------------------
@dataclass(frozen=True)
class Fresh:
    kind: str
    key: str | None = None  # which of the maker's ids (default: the one named like the field)

    def __getitem__(self, key: str) -> Fresh:
        return Fresh(self.kind, key)


@dataclass(frozen=True)
class Same:
    param: str


class _Attr:
    def __init__(self, make: type) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        return self._make(name)


@dataclass(frozen=True)
class Main:
    attr: str


new, same, main = _Attr(Fresh), _Attr(Same), _Attr(Main)


class Fmt:
    """A text made of other values: `Fmt("p:{}", same.person_id)` (a deputy as a page's form names one)."""

    def __init__(self, template: str, *values: Any) -> None:
        self.template, self.values = template, values


# --- recipes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    fields: Mapping[str, Any] = field(default_factory=dict)  # body overrides (API) or form fields (pages)
    struct: type | None = None  # pages: the request type the form is read into
    on: str | None = None  # a maker for the path ids (default: by the path's parameters, see PATHS)
    files: Mapping[str, tuple[str, Any, str]] | None = None  # uploads: (name, bytes or a maker of them, type)
    query: Mapping[str, Any] | None = None
    expect: int | None = None  # a status other than success, for the reason given
    why: str = ""


def body(
    *,
    on: str | None = None,
    query: Mapping[str, Any] | None = None,
    expect: int | None = None,
    why: str = "",
    **fields: Any,
) -> Recipe:
    """An API call: the body derived from the handler's data type, with `fields` set."""
    return Recipe(fields, on=on, query=query, expect=expect, why=why)


def form(
    struct: type | None = None,
    *,
    on: str | None = None,
    query: Mapping[str, Any] | None = None,
    expect: int | None = None,
    **fields: Any,
) -> Recipe:
    """A page's form post: `struct`'s fields as form fields (if given), with `fields` set."""
    return Recipe(fields, struct=struct, on=on, query=query, expect=expect)


def upload(
    filename: str, content: Any, media_type: str, *, key: str = "data", expect: int | None = None, **fields: Any
) -> Recipe:
    """A multipart upload of `content` (bytes, or a function of the office making them) as field `key`."""
    return Recipe(fields, files={key: (filename, content, media_type)}, expect=expect)


OMIT = object()  # a field the recipe leaves out


# --- example values ------------------------------------------------------------------------------
class NeedsRecipe(Exception):
    """The type alone cannot give a valid value (an id, a pattern): the route needs a recipe."""


def example(info: mi.Type, name: str) -> Any:
    """A valid value of a type, from the type alone."""
    if isinstance(info, mi.StructType):
        return {f.encode_name: example(f.type, f.name) for f in info.fields if _generated(f)}
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return example(options[0], name)
    if isinstance(info, mi.LiteralType):
        return info.values[0]
    if isinstance(info, mi.StrType):
        if info.pattern:
            raise NeedsRecipe(f"`{name}` must match {info.pattern}")
        text = f"隔离{name}{serial()}"  # unique: names are
        return text[-(info.max_length or len(text)) :].ljust(info.min_length or 0, "字")
    if isinstance(info, mi.BoolType):
        return True
    if isinstance(info, mi.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else 1)
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else low + 100)
        return TODAY.year if low <= TODAY.year <= high else low
    if isinstance(info, mi.DateType):
        return TODAY.isoformat()
    if isinstance(info, mi.ListType):
        if _has_id(info.item_type) and not info.min_length:
            return []
        return [example(info.item_type, name)]
    if isinstance(info, mi.DictType):
        return {}
    if isinstance(info, mi.UUIDType):
        raise NeedsRecipe(f"`{name}` is an id")
    raise NeedsRecipe(f"`{name}` is a {type(info).__name__}")


def _has_id(info: mi.Type) -> bool:
    if isinstance(info, mi.UnionType):
        return any(_has_id(t) for t in info.types)
    if isinstance(info, mi.ListType):
        return _has_id(info.item_type)
    return isinstance(info, mi.UUIDType)


def _generated(f: mi.Field) -> bool:
    """Sent unless a recipe says otherwise: required fields, and optional ones without a default of
    their own that are not ids (an optional id is a choice the recipe makes)."""
    no_default = f.default in (mi.NODEFAULT, None) and f.default_factory is mi.NODEFAULT
    return f.required or (no_default and not _has_id(f.type))


Resolve = Callable[[Any, str], Awaitable[Any]]


async def derive(data_type: Any, fields: Mapping[str, Any], resolve: Resolve, *, strict: bool = True) -> dict:
    """A valid body for `data_type` (a Struct): the recipe's `fields`, else FIELDS' values, else
    examples. With `strict`, a recipe field the type does not have is a mistake in the recipe."""
    info = mi.type_info(data_type)
    if not isinstance(info, mi.StructType):
        raise NeedsRecipe(f"the body is a {type(info).__name__}: give it in the recipe")
    names = {f.name for f in info.fields}
    if strict and set(fields) - names:
        raise NeedsRecipe(f"{info.cls.__name__} has no fields {sorted(set(fields) - names)}")
    found: dict[str, Any] = {}
    for f in info.fields:
        if f.name in fields:
            value = fields[f.name]
        elif not _generated(f):
            continue
        else:
            value = FIELDS[f.name] if f.name in FIELDS else example(f.type, f.name)
        if value is not OMIT:
            found[f.encode_name] = await resolve(value, f.name)
    return found


def as_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields as a browser sends them: lists as repeated fields, booleans as 1/0."""
    encoded: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value is OMIT:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        elif isinstance(value, list):
            encoded[key] = [str(v) for v in value]
        elif isinstance(value, date | uuid.UUID | int):
            encoded[key] = str(value)
        else:
            encoded[key] = value
    return encoded


# --- path parameters: the maker of the objects a route's path names -----------------------------
PATHS: dict[tuple[str, ...], str] = {
    ("token_id",): "token",
    ("congress_id",): "congress",
    ("term_id",): "term",
    ("person_id",): "person",
    ("mandate_id",): "deputy",
    ("user_id",): "member",
    ("invitation_id",): "invitation",
    ("export_id",): "export",
    ("notification_id",): "notification",
    ("delivery_id",): "notification",
    ("committee_member_id",): "committee_member",
    ("body_id",): "body",
    ("body_id", "committee_member_id"): "body_committee_member",
    ("body_id", "body_member_id"): "body_member",
    ("group_id",): "group",
    ("group_id", "person_id"): "group_member",
    ("group_id", "mandate_id"): "group_external",
    ("station_id",): "station",
    ("station_id", "person_id"): "station_deputy",
    ("station_id", "mandate_id"): "station_external",
    ("commitment_id",): "commitment",
    ("unit_id",): "unit",
    ("unit_id", "user_id"): "unit_user",
    ("opinion_id",): "opinion",
    ("draft_id",): "draft",
    ("assignment_id",): "assignment",
    ("township_assignment_id",): "township_assignment",
    ("proposal_id",): "proposal",
    ("proposal_id", "item_id"): "proposal_item",
    ("record_id",): "record",
    ("record_id", "issue_id"): "record_issue",
    ("record_id", "attachment_id"): "record_attachment",
    ("meeting_id",): "meeting",
    ("meeting_id", "attendance_id"): "meeting_invitation",
    ("rule_id",): "rule",
    ("exception_id",): "exception",
    ("entry_id",): "roster_entry",
    ("reception_id",): "reception",
    ("suggestion_id",): "suggestion",
    ("suggestion_id", "checkpoint_id"): "key_suggestion",
    ("suggestion_id", "attachment_id"): "suggestion_attachment",
    ("suggestion_id", "person_id"): "suggestion_cosigner",
    ("store_item_id",): "store_item",
    ("redemption_id",): "redemption",
    ("rating_id",): "rating",
    ("talk_id",): "rating_talk",
    ("activity_id",): "activity",
    ("activity_id", "token"): "activity",
    ("activity_id", "attendance_id"): "duty_attendance",
    ("evidence_id",): "evidence",
    ("evidence_id", "file_id"): "evidence",
}

# Field values every body and form takes unless its recipe says otherwise.
FIELDS: dict[str, Any] = {
    "person_id": new.deputy,
    "committee_member_id": new.committee_member,
    "station_id": new.station,
    "unit_id": new.unit,
    "user_id": new.member,
    "mandate_id": new.external_mandate,
    "term_id": main.term_id,
    "gender": "female",
    "party": "群众",
    "education": "大学本科",
    "occupation_category": "工人",
    "birth_date": "1970-05-01",
    "resignation_kind": OMIT,
    "mobile": OMIT,
    "id_number": OMIT,
    "ethnicity": "汉族",
    "public_fields": ["name"],
    "category": "other",
    "township_code": OMIT,
    "organised_in": OMIT,
    "email": OMIT,
    "phone": OMIT,
    "submitter_phone": "13900000000",
    "visitor_phone": "13900000000",
    "contact_phone": "0915-1234567",
}

DAY_AFTER_TERM = str(TODAY + timedelta(days=31))  # Office.new_term's term ends in 30 days
YEAR_START, YEAR_END = date(TODAY.year, 1, 1), date(TODAY.year, 12, 31)  # a rating window open all year


def _from_now(minutes: int, *, form: bool = False) -> Callable[[], str]:
    """A time that many minutes from the call (an activity under way now): ISO for the API, a
    datetime-local field's value for the pages."""

    def value() -> str:
        moment = datetime.now(LOCAL_TZ) + timedelta(minutes=minutes)
        return f"{moment:%Y-%m-%dT%H:%M}" if form else moment.isoformat()

    return value


EVIDENCE = {"kind": "people", "title": "走访群众", "occurred_on": str(TODAY), "description": "走访了解群众诉求"}
TXT = ("纪要.txt", "走访纪要".encode(), "text/plain")

# --- the API: /api/v1/t/{code}… ------------------------------------------------------------------
API: dict[str, Recipe] = {
    # members, tokens, exports, notifications
    "POST /api-tokens": body(scopes=["audit.read"]),
    "POST /api-tokens/{token_id}/revoke": body(),
    "POST /invitations": body(roles=["viewer"], email=f"b{uuid.uuid4().hex[:6]}@example.gov.cn"),
    "POST /invitations/{invitation_id}/revoke": body(),
    "DELETE /members/{user_id}": body(),
    "POST /exports": body(kind="audit_log"),
    "PUT /notifications/contacts": body(email="me@example.gov.cn", wechat_openid=OMIT),
    "PUT /notifications/preferences": body(
        preferences=[{"kind": "office_notice", "channel": "email", "mode": "off"}],
        quiet_hours={"start": "22:00", "end": "07:00"},
    ),
    "POST /notifications/read-all": body(),
    "POST /notifications/{notification_id}/read": body(),
    "POST /notifications/deliveries/{delivery_id}/resend": body(),
    "PUT /notifications/templates": body(kind="office_notice", title_template="通知:{subject}"),
    "POST /notifications/templates/reset": body(kind="office_notice"),
    # the register
    "POST /congresses": body(level="township", division_code=new.unused_township),
    "POST /congresses/{congress_id}/terms": body(number=3, starts_on=TODAY, ends_on=str(TODAY + timedelta(days=900))),
    "PATCH /terms/{term_id}": body(ends_on=str(TODAY + timedelta(days=60))),
    "POST /terms/{term_id}/change": body(
        next_starts_on=DAY_AFTER_TERM, closes_on=OMIT, next_ends_on=OMIT, next_number=OMIT
    ),
    "POST /persons": body(),
    "PATCH /persons/{person_id}": body(),
    "DELETE /persons/{person_id}": body(),
    "PUT /persons/{person_id}/photo": upload("p.png", PNG, "image/png"),
    "DELETE /persons/{person_id}/photo": body(on="photo"),
    "PUT /persons/{person_id}/user": body(user_id=new.member),
    "POST /mandates": body(person_id=new.person),
    "PATCH /mandates/{mandate_id}": body(),
    "POST /mandates/{mandate_id}/end": body(reason="deceased"),
    "POST /mandates/{mandate_id}/suspend": body(reason="custody"),
    "POST /mandates/{mandate_id}/resume": body(on="suspended_deputy"),
    "POST /register/import": upload("名册.xlsx", register_xlsx, XLSX),
    # organisation
    "POST /organisation/committee": body(),
    "PATCH /organisation/committee/{committee_member_id}": body(),
    "DELETE /organisation/committee/{committee_member_id}": body(),
    "POST /organisation/bodies": body(),
    "PATCH /organisation/bodies/{body_id}": body(),
    "DELETE /organisation/bodies/{body_id}": body(),
    "POST /organisation/bodies/{body_id}/members": body(),
    "PATCH /organisation/bodies/{body_id}/members/{committee_member_id}": body(),
    "DELETE /organisation/bodies/{body_id}/members/{committee_member_id}": body(),
    "PATCH /organisation/bodies/{body_id}/body-members/{body_member_id}": body(),
    "DELETE /organisation/bodies/{body_id}/body-members/{body_member_id}": body(),
    "POST /organisation/groups": body(),
    "PATCH /organisation/groups/{group_id}": body(),
    "DELETE /organisation/groups/{group_id}": body(),
    "POST /organisation/groups/{group_id}/members": body(),
    "DELETE /organisation/groups/{group_id}/members/{person_id}": body(),
    "POST /organisation/groups/{group_id}/external-members": body(),
    "DELETE /organisation/groups/{group_id}/external-members/{mandate_id}": body(),
    "POST /organisation/stations": body(),
    "PATCH /organisation/stations/{station_id}": body(),
    "DELETE /organisation/stations/{station_id}": body(),
    "POST /organisation/stations/{station_id}/deputies": body(),
    "DELETE /organisation/stations/{station_id}/deputies/{person_id}": body(),
    "POST /organisation/stations/{station_id}/external-deputies": body(),
    "DELETE /organisation/stations/{station_id}/external-deputies/{mandate_id}": body(),
    # contacts
    "PUT /contacts/settings": body(max_per_member=50),
    "POST /contacts/assignments": body(),
    "DELETE /contacts/assignments/{assignment_id}": body(),
    "POST /contacts/township-assignments": body(township_code=new.congress),
    "DELETE /contacts/township-assignments/{township_assignment_id}": body(),
    "PUT /contacts/sectors/{body_id}": body(on="special_committee"),
    "POST /contacts/proposals": body(),
    "POST /contacts/proposals/carry-over": body(),
    "DELETE /contacts/proposals/{proposal_id}": body(),
    "POST /contacts/proposals/{proposal_id}/apply": body(),
    "POST /contacts/proposals/{proposal_id}/items": body(person_id=new.deputy),
    "PUT /contacts/proposals/{proposal_id}/items": body(items=[]),
    "DELETE /contacts/proposals/{proposal_id}/items/{item_id}": body(),
    "POST /contacts/records": body(committee_member_id=new.committee_member, person_ids=[new.deputy], issues=[]),
    "PATCH /contacts/records/{record_id}": body(person_ids=[same.person_id]),
    "DELETE /contacts/records/{record_id}": body(),
    "POST /contacts/records/{record_id}/attachments": upload(*TXT),
    "DELETE /contacts/records/{record_id}/attachments/{attachment_id}": body(),
    "POST /contacts/records/{record_id}/issues": body(person_id=same.person_id),
    "DELETE /contacts/records/{record_id}/issues/{issue_id}": body(),
    "POST /contacts/records/{record_id}/issues/{issue_id}/opinion": body(),
    "POST /contacts/records/{record_id}/issues/{issue_id}/suggestion": body(),
    "POST /contacts/meetings": body(number=meeting_number),
    "PATCH /contacts/meetings/{meeting_id}": body(number=meeting_number),
    "DELETE /contacts/meetings/{meeting_id}": body(),
    "POST /contacts/meetings/{meeting_id}/invitations": body(person_ids=[new.deputy]),
    "PATCH /contacts/meetings/{meeting_id}/invitations/{attendance_id}": body(status="attended"),
    "DELETE /contacts/meetings/{meeting_id}/invitations/{attendance_id}": body(),
    # receptions
    "POST /receptions/stations/{station_id}/rules": body(kind="month_days", days=[5, 15]),
    "PATCH /receptions/rules/{rule_id}": body(days=[6, 16]),
    "DELETE /receptions/rules/{rule_id}": body(),
    "POST /receptions/exceptions": body(day=str(TODAY + timedelta(days=400))),
    "DELETE /receptions/exceptions/{exception_id}": body(),
    "POST /receptions/roster": body(
        on="station_deputy", station_id=same.station_id, deputy={"person_id": same.person_id}
    ),
    "POST /receptions/roster/generate": body(station_id=new.station_deputy, month=TODAY.month),
    "DELETE /receptions/roster/{entry_id}": body(),
    "POST /receptions/records": body(station_id=new.station_deputy, deputies=[{"person_id": new.station_deputy}]),
    "PATCH /receptions/records/{reception_id}": body(deputies=OMIT),
    "DELETE /receptions/records/{reception_id}": body(),
    "POST /receptions/records/{reception_id}/opinion": body(),
    "POST /receptions/stations/{station_id}/register/export": body(),
    # opinions and suggestions
    "POST /opinions": body(station_id=OMIT),
    "POST /opinions/units": body(),
    "PATCH /opinions/units/{unit_id}": body(),
    "DELETE /opinions/units/{unit_id}": body(),
    "POST /opinions/units/{unit_id}/users": body(user_id=new.unit_member),
    "DELETE /opinions/units/{unit_id}/users/{user_id}": body(),
    "POST /opinions/{opinion_id}/analysis": body(),
    "POST /opinions/{opinion_id}/duplicate": body(duplicate_of_id=new.opinion),
    "POST /opinions/{opinion_id}/assignment": body(deadline=OMIT),
    "POST /opinions/{opinion_id}/escalation": body(),
    "POST /opinions/{opinion_id}/answer": body(on="assigned_opinion"),
    "POST /opinions/{opinion_id}/rating": body(on="answered_opinion"),
    "POST /opinions/{opinion_id}/close": body(on="answered_opinion"),
    "POST /suggestions": body(),
    "PATCH /suggestions/{draft_id}": body(),
    "POST /suggestions/{draft_id}/withdraw": body(),
    # the suggestion loop: filing and intake
    "POST /suggestions/items": body(
        lead_person_id=new.deputy["person_id"], cosigner_person_ids=[new.cosigner["person_id"]], draft_id=OMIT
    ),
    "PATCH /suggestions/items/{suggestion_id}": body(title="关于路灯的建议"),
    "POST /suggestions/items/{suggestion_id}/cosigners": body(person_ids=[new.cosigner["person_id"]]),
    "POST /suggestions/items/{suggestion_id}/cosigners/confirm": body(on="cosign_request"),
    "POST /suggestions/items/{suggestion_id}/cosigners/decline": body(on="cosign_request"),
    "DELETE /suggestions/items/{suggestion_id}/cosigners/{person_id}": body(),
    "POST /suggestions/items/{suggestion_id}/submit": body(),
    "POST /suggestions/items/{suggestion_id}/withdraw": body(),
    "POST /suggestions/items/{suggestion_id}/accept": body(on="submitted_suggestion"),
    "POST /suggestions/items/{suggestion_id}/merge": body(
        on="submitted_suggestion", target_id=new.submitted_suggestion["suggestion_id"]
    ),
    "POST /suggestions/items/{suggestion_id}/return": body(on="submitted_suggestion", reason="empty"),
    "POST /suggestions/items/{suggestion_id}/convert": body(on="submitted_suggestion"),
    "POST /suggestions/items/{suggestion_id}/attachments": upload("材料.pdf", PDF, "application/pdf"),
    "DELETE /suggestions/items/{suggestion_id}/attachments/{attachment_id}": body(),
    # the suggestion loop: handling
    "PUT /suggestions/settings": body(cohandler_days=30, public_fields=["number", "title", "status"]),
    "POST /suggestions/items/{suggestion_id}/assignment": body(on="accepted_suggestion", lead_unit_id=new.unit),
    "POST /suggestions/items/{suggestion_id}/requests": body(
        on="assigned_suggestion",
        kind="extension",
        new_deadline=TODAY + timedelta(days=120),
        expect=403,
        why="a unit of the round asks; the office's admin answers for no unit",
    ),
    "POST /suggestions/items/{suggestion_id}/requests/{request_id}/decision": body(
        on="suggestion_request", approve=False, note="理由不充分"
    ),
    "POST /suggestions/items/{suggestion_id}/meetings": body(
        on="assigned_suggestion", stage="before", held_on=TODAY, form="phone"
    ),
    "POST /suggestions/items/{suggestion_id}/opinion": body(on="assigned_suggestion", unit_id=same.co_unit_id),
    "POST /suggestions/items/{suggestion_id}/reply": body(on="assigned_suggestion", reply_class="A"),
    "GET /suggestions/items/{suggestion_id}/handling": body(on="assigned_suggestion"),
    "GET /suggestions/items/{suggestion_id}/letter.pdf": body(on="replied_suggestion"),
    # the suggestion loop: evaluation, follow-up, supervision, the public board
    "POST /suggestions/items/{suggestion_id}/rating": body(on="admin_replied_suggestion", rating="satisfied"),
    "POST /suggestions/items/{suggestion_id}/follow-ups": body(on="followed_suggestion"),
    "POST /suggestions/items/carry-over": body(year=TODAY.year),
    "PUT /suggestions/items/{suggestion_id}/key": body(on="led_suggestion", leader_name="王明", leader_title="副主任"),
    "POST /suggestions/items/{suggestion_id}/checkpoints": body(on="key_suggestion", stage="middle"),
    "POST /suggestions/items/{suggestion_id}/checkpoints/{checkpoint_id}/done": body(),
    "PUT /suggestions/items/{suggestion_id}/public": body(on="led_suggestion", title="关于道路的建议"),
    "PUT /suggestions/settings/public-board": body(fields=["number", "title"]),
    # duty performance: the points
    "PUT /duty/points/rules": body(
        year=TODAY.year, rules=[{"event_kind": "research", "category": "activities", "points": 6, "unit": "event"}]
    ),
    "POST /duty/points/reconcile": body(),
    # duty: the points store
    "POST /duty/store/items": body(),
    "PATCH /duty/store/items/{store_item_id}": body(price=5),
    "POST /duty/store/items/{store_item_id}/restock": body(quantity=3),
    "POST /duty/store/redemptions": body(store_item_id=new.store_item),
    "POST /duty/store/redemptions/{redemption_id}/handover": body(),
    "POST /duty/store/redemptions/{redemption_id}/cancel": body(reason="库存盘点"),
    # duty: the archives
    "POST /duty/archives/{person_id}/corrections": body(on="closed_archive", year=TODAY.year - 1, section="other"),
    "POST /duty/archives/close": body(year=TODAY.year - 1),
    "POST /duty/archives/batches": body(year=TODAY.year, group_id=new.group_member),
    # the portal
    "POST /portal/commitments": body(term_id=OMIT),
    "PATCH /portal/commitments/{commitment_id}": body(term_id=OMIT),
    "DELETE /portal/commitments/{commitment_id}": body(),
    "PATCH /portal/settings": body(),
    # duty: the star rating
    "PUT /duty/ratings/window": body(year=TODAY.year, opens_on=YEAR_START, closes_on=YEAR_END),
    "POST /duty/ratings/start": body(on="rating_window", year=TODAY.year),
    "POST /duty/ratings/mine": body(on="rating_window", year=TODAY.year, grade="good"),
    "POST /duty/ratings/steps": body(on="rating", step="group", grade="good", rating_ids=[same.rating_id]),
    "POST /duty/ratings/publish": body(on="decided_rating", year=TODAY.year),
    "POST /duty/ratings/{rating_id}/steps": body(step="group", grade="good", talk=OMIT),
    "POST /duty/ratings/{rating_id}/talks": body(on="low_rating", scheduled_on=TODAY),
    "PATCH /duty/ratings/talks/{talk_id}": body(status="held"),
    # duty: activities, attendance, QR sign-in, evidence
    "POST /duty/activities": body(
        kind="inspection",
        starts_at=_from_now(-10),
        ends_at=_from_now(120),
        hours=OMIT,
        group_id=new.group,
        station_id=new.station,
    ),
    "PATCH /duty/activities/{activity_id}": body(
        kind="research", starts_at=_from_now(-10), ends_at=_from_now(120), hours=OMIT, group_id=new.group
    ),
    "POST /duty/activities/{activity_id}/cancel": body(),
    "POST /duty/activities/{activity_id}/attendance": body(
        entries=[{"person_id": new.deputy["person_id"], "status": "present"}]
    ),
    "PATCH /duty/activities/{activity_id}/attendance/{attendance_id}": body(status="leave", note="请假"),
    "DELETE /duty/activities/{activity_id}/attendance/{attendance_id}": body(),
    "POST /duty/activities/{activity_id}/sign-in": body(token=same.token),  # the admin is a deputy
    "POST /duty/activities/{activity_id}/sign-in-code": body(),
    "POST /duty/evidence": upload("照片.png", PNG, "image/png", key="files", **EVIDENCE),
    "DELETE /duty/evidence/{evidence_id}": body(),
    "POST /duty/evidence/{evidence_id}/verify": body(),
    "POST /duty/evidence/{evidence_id}/reject": body(reason="请补充材料"),
}

# --- the staff pages: /t/{code}… -----------------------------------------------------------------
PAGES: dict[str, Recipe] = {
    "POST /members/invite": form(display_name="陈静", contact="13912345678", roles=["viewer"]),
    "POST /members/invitations/{invitation_id}/revoke": form(),
    "POST /api-tokens/issue": form(name="对接系统", scopes=["audit.read"], expect=200),
    "POST /api-tokens/{token_id}/revoke": form(),
    "POST /notifications/{notification_id}/read": form(),
    "POST /notifications/{notification_id}/open": form(),
    "POST /notifications/read-all": form(),
    "POST /notifications/preferences": form(
        **{"pref:office_notice:email": "off"}, quiet_start="22:00", quiet_end="07:00"
    ),
    "POST /notifications/contacts": form(email="me@example.gov.cn"),
    "POST /notifications/deliveries/{delivery_id}/resend": form(),
    "POST /notifications/templates": form(kind="office_notice", title_template="通知", body_template="{content}"),
    "POST /notifications/templates/reset": form(kind="office_notice"),
    # the register
    "POST /deputies/new": form(PersonIn),
    "POST /deputies/export": form(q="代表"),
    "POST /deputies/import": upload("名册.xlsx", register_xlsx, XLSX, key="file", expect=200),
    "POST /deputies/{person_id}/edit": form(PersonIn),
    "POST /deputies/{person_id}/delete": form(),
    "POST /deputies/{person_id}/user": form(user_id=new.member),
    "POST /deputies/{person_id}/photo": upload("p.png", PNG, "image/png", key="photo"),
    "POST /deputies/{person_id}/mandates": form(MandateIn, person_id=OMIT),
    "POST /deputies/mandates/{mandate_id}/end": form(MandateEndIn, reason="deceased"),
    "POST /deputies/mandates/{mandate_id}/suspend": form(MandateSuspendIn, reason="custody"),
    "POST /deputies/mandates/{mandate_id}/resume": form(MandateResumeIn, on="suspended_deputy"),
    "POST /deputies/congresses": form(level="township", division_code=new.unused_township, name="新城镇人民代表大会"),
    "POST /deputies/congresses/{congress_id}/terms": form(
        number=3, starts_on=TODAY, ends_on=TODAY + timedelta(days=900)
    ),
    "POST /deputies/terms/{term_id}/edit": form(ends_on=str(TODAY + timedelta(days=60))),
    "POST /deputies/terms/{term_id}/change": form(next_starts_on=DAY_AFTER_TERM),
    "POST /deputies/statistics/export": form(),
    # organisation
    "POST /organisation/export": form(list="stations"),
    "POST /organisation/committee": form(CommitteeMemberIn),
    "POST /organisation/committee/{committee_member_id}/edit": form(CommitteeMemberPatch),
    "POST /organisation/committee/{committee_member_id}/delete": form(),
    "POST /organisation/bodies": form(BodyIn),
    "POST /organisation/bodies/{body_id}/edit": form(BodyPatch),
    "POST /organisation/bodies/{body_id}/delete": form(),
    "POST /organisation/bodies/{body_id}/members": form(member_kind="staff", name="干部", role="member"),
    "POST /organisation/bodies/{body_id}/members/{committee_member_id}/remove": form(),
    "POST /organisation/bodies/{body_id}/body-members/{body_member_id}/remove": form(),
    "POST /organisation/groups": form(GroupIn),
    "POST /organisation/groups/{group_id}/edit": form(GroupPatch),
    "POST /organisation/groups/{group_id}/delete": form(),
    "POST /organisation/groups/{group_id}/members": form(person_id=new.deputy),
    "POST /organisation/groups/{group_id}/members/{person_id}/remove": form(),
    "POST /organisation/groups/{group_id}/external-members": form(mandate_id=new.external_mandate),
    "POST /organisation/groups/{group_id}/external-members/{mandate_id}/remove": form(),
    "POST /organisation/stations": form(StationIn, reception_days="10,20,30"),
    "POST /organisation/stations/{station_id}/edit": form(StationIn, reception_days="5,15"),
    "POST /organisation/stations/{station_id}/delete": form(),
    "POST /organisation/stations/{station_id}/deputies": form(person_id=new.deputy),
    "POST /organisation/stations/{station_id}/deputies/{person_id}/remove": form(),
    "POST /organisation/stations/{station_id}/external-deputies": form(mandate_id=new.external_mandate),
    "POST /organisation/stations/{station_id}/external-deputies/{mandate_id}/remove": form(),
    # contacts
    "POST /contacts/settings": form(SettingsIn, max_per_member=50),
    "POST /contacts/assignments": form(committee_member_id=new.committee_member, person_id=new.deputy),
    "POST /contacts/assignments/{assignment_id}/remove": form(),
    "POST /contacts/township-assignments": form(committee_member_id=new.committee_member, township_code=new.congress),
    "POST /contacts/township-assignments/{township_assignment_id}/remove": form(),
    "POST /contacts/sectors/{body_id}": form(sectors="教育、医疗", on="special_committee"),
    "POST /contacts/proposals": form(),
    "POST /contacts/proposals/carry-over": form(),
    "POST /contacts/proposals/{proposal_id}/items": form(
        committee_member_id=new.committee_member, person_id=new.deputy
    ),
    "POST /contacts/proposals/{proposal_id}/items/{item_id}/remove": form(),
    "POST /contacts/proposals/{proposal_id}/apply": form(),
    "POST /contacts/proposals/{proposal_id}/discard": form(),
    "POST /contacts/records": form(
        RecordIn, committee_member_id=new.committee_member, person_ids=[new.deputy], issues="村道需要硬化"
    ),
    "POST /contacts/records/{record_id}/delete": form(),
    "POST /contacts/records/{record_id}/issues": form(content="村道需要硬化", person_id=same.person_id),
    "POST /contacts/records/{record_id}/issues/{issue_id}/opinion": form(category="other"),
    "POST /contacts/records/{record_id}/issues/{issue_id}/suggestion": form(title="关于村道硬化的建议"),
    "POST /contacts/records/{record_id}/issues/{issue_id}/remove": form(),
    "POST /contacts/records/{record_id}/attachments": upload(*TXT, key="file"),
    "POST /contacts/records/{record_id}/attachments/{attachment_id}/remove": form(),
    "POST /contacts/export": form(list="members"),
    "POST /contacts/meetings": form(MeetingIn, number=meeting_number),
    "POST /contacts/meetings/{meeting_id}/edit": form(MeetingPatch, number=meeting_number),
    "POST /contacts/meetings/{meeting_id}/delete": form(),
    "POST /contacts/meetings/{meeting_id}/invitations": form(person_ids=[new.deputy]),
    "POST /contacts/meetings/{meeting_id}/invitations/{attendance_id}": form(status="attended"),
    # receptions
    "POST /receptions/stations/{station_id}/rules": form(kind="month_days", valid_from=TODAY, days="5,15"),
    "POST /receptions/rules/{rule_id}/delete": form(),
    "POST /receptions/exceptions": form(ExceptionIn, day=str(TODAY + timedelta(days=401))),
    "POST /receptions/exceptions/{exception_id}/delete": form(),
    "POST /receptions/roster": form(
        on="station_deputy", station_id=same.station_id, day=TODAY, deputy=Fmt("p:{}", same.person_id)
    ),
    "POST /receptions/roster/generate": form(station_id=new.station_deputy, month=f"{TODAY:%Y-%m}"),
    "POST /receptions/roster/{entry_id}/delete": form(),
    "POST /receptions/records": form(
        station_id=new.station_deputy,
        held_on=TODAY,
        visitor_name="来访群众",
        issue="路灯不亮",
        category="other",
        deputies=[Fmt("p:{}", new.station_deputy["person_id"])],
    ),
    "POST /receptions/records/{reception_id}/edit": form(held_on=TODAY, visitor_name="来访群众", issue="路灯修好了"),
    "POST /receptions/records/{reception_id}/opinion": form(),
    "POST /receptions/records/{reception_id}/delete": form(),
    "POST /receptions/stations/{station_id}/register/export": form(),
    # opinions and suggestions
    "POST /opinions": form(content="路灯不亮", category="other", submitter_phone="13900000000"),
    "POST /opinions/export": form(),
    "POST /opinions/units": form(UnitIn),
    "POST /opinions/units/{unit_id}/edit": form(UnitPatch),
    "POST /opinions/units/{unit_id}/delete": form(),
    "POST /opinions/units/{unit_id}/users": form(user_id=new.unit_member),
    "POST /opinions/units/{unit_id}/users/{user_id}/remove": form(),
    "POST /opinions/{opinion_id}/analysis": form(category="other"),
    "POST /opinions/{opinion_id}/duplicate": form(duplicate_of_id=new.opinion),
    "POST /opinions/{opinion_id}/assignment": form(unit_id=new.unit),
    "POST /opinions/{opinion_id}/escalation": form(),
    "POST /opinions/{opinion_id}/answer": form(on="assigned_opinion", answer="已修复"),
    "POST /opinions/{opinion_id}/rating": form(on="answered_opinion", rating="solved"),
    "POST /opinions/{opinion_id}/close": form(on="answered_opinion"),
    # the suggestion loop: handling
    "POST /suggestions/settings": form(cohandler_days=30),
    "POST /suggestions/items/{suggestion_id}/assignment": form(on="accepted_suggestion", lead_unit_id=new.unit),
    "POST /suggestions/items/{suggestion_id}/requests": Recipe(
        {"kind": "reassignment", "reason": "不属于本单位职责"},
        on="assigned_suggestion",
        expect=403,
        why="a unit of the round asks; the office's admin answers for no unit",
    ),
    "POST /suggestions/items/{suggestion_id}/requests/{request_id}/decision": form(
        on="suggestion_request", approve="0", note="理由不充分"
    ),
    "POST /suggestions/items/{suggestion_id}/meetings": form(
        on="assigned_suggestion", stage="before", held_on=TODAY, form="phone"
    ),
    "POST /suggestions/items/{suggestion_id}/opinion": form(
        on="assigned_suggestion", opinion="建议同步安装路灯", unit_id=same.co_unit_id
    ),
    "POST /suggestions/items/{suggestion_id}/reply": form(
        on="assigned_suggestion", reply_class="A", reply_text="已办结"
    ),
    "GET /suggestions/items/{suggestion_id}/handling": form(on="assigned_suggestion"),
    "GET /suggestions/items/{suggestion_id}/letter.pdf": form(on="replied_suggestion"),
    "POST /suggestions": form(title="关于路灯的建议", content="内容"),
    "POST /suggestions/{draft_id}/edit": form(title="关于路灯的建议", content="修改后的内容"),
    "POST /suggestions/{draft_id}/withdraw": form(),
    # the suggestion list's and the rates' exports
    "POST /suggestions/items/export": form(),
    "POST /suggestions/rates/export": form(),
    # the suggestion loop: evaluation, follow-up, supervision, the public board
    "POST /suggestions/items/{suggestion_id}/rate": form(on="admin_replied_suggestion", rating="satisfied"),
    "POST /suggestions/items/{suggestion_id}/key": form(
        on="led_suggestion", is_key="1", leader_name="王明", leader_title="副主任"
    ),
    "POST /suggestions/items/{suggestion_id}/checkpoints": form(on="key_suggestion", stage="middle", due_on=TODAY),
    "POST /suggestions/items/{suggestion_id}/checkpoints/{checkpoint_id}/done": form(done_on=TODAY, note="督办座谈"),
    "POST /suggestions/items/{suggestion_id}/follow-ups": form(
        on="followed_suggestion", checked_on=TODAY, progress="已开工"
    ),
    "POST /suggestions/items/{suggestion_id}/public": form(on="led_suggestion", hidden="1"),
    "POST /suggestions/items/public-board": form(enabled="1", fields=["number", "title"]),
    # the suggestion loop: filing and intake
    "POST /suggestions/items/new": form(
        category="other", title="关于路灯的建议", content="内容", lead_person_id=new.deputy["person_id"]
    ),
    "POST /suggestions/items/{suggestion_id}/edit": form(category="other", title="关于路灯的建议", content="内容"),
    "POST /suggestions/items/{suggestion_id}/cosigners": form(person_ids=new.cosigner["person_id"]),
    "POST /suggestions/items/{suggestion_id}/cosigners/confirm": form(on="cosign_request"),
    "POST /suggestions/items/{suggestion_id}/cosigners/decline": form(on="cosign_request"),
    "POST /suggestions/items/{suggestion_id}/cosigners/{person_id}/remove": form(),
    "POST /suggestions/items/{suggestion_id}/submit": form(),
    "POST /suggestions/items/{suggestion_id}/withdraw": form(),
    "POST /suggestions/items/{suggestion_id}/accept": form(on="submitted_suggestion"),
    "POST /suggestions/items/{suggestion_id}/merge": form(
        on="submitted_suggestion", target_id=new.submitted_suggestion["suggestion_id"]
    ),
    "POST /suggestions/items/{suggestion_id}/return": form(on="submitted_suggestion", reason="empty"),
    "POST /suggestions/items/{suggestion_id}/convert": form(on="submitted_suggestion"),
    "POST /suggestions/items/{suggestion_id}/attachments": upload("材料.pdf", PDF, "application/pdf", key="file"),
    "POST /suggestions/items/{suggestion_id}/attachments/{attachment_id}/remove": form(),
    # duty: the archives
    "POST /duty/archives/{person_id}/corrections": form(
        on="closed_archive", year=TODAY.year - 1, section="other", content="补录进站接待一次", reason="台账补报"
    ),
    "POST /duty/archives/batches": form(year=TODAY.year, scope=Fmt("group:{}", new.group_member["group_id"])),
    # the portal's staff pages, reports
    "POST /portal/settings": form(PortalSettingsIn),
    "POST /portal/deputies/{person_id}/commitments": form(text="每月进站一次", year=TODAY.year, on="deputy"),
    "POST /portal/commitments/{commitment_id}/edit": form(CommitmentPatch, term_id=OMIT),
    "POST /portal/commitments/{commitment_id}/delete": form(),
    "POST /reports/export": form(),
    # duty performance: the points
    "POST /duty/points/rules": form(
        year=TODAY.year, points_research="6", category_research="activities", unit_research="event"
    ),
    "POST /duty/points/ranking/export": form(year=TODAY.year),
    "POST /duty/points/reconcile": form(year=TODAY.year),
    # duty: the points store
    "POST /duty/store/items": form(ItemIn),
    "POST /duty/store/items/{store_item_id}/edit": form(price=5),
    "POST /duty/store/items/{store_item_id}/restock": form(quantity=3),
    "POST /duty/store/redeem": form(store_item_id=new.store_item),
    "POST /duty/store/redemptions/{redemption_id}/cancel": form(reason="库存盘点"),
    "POST /duty/store/redemptions/{redemption_id}/handover": form(),
    "POST /duty/store/history/export": form(),
    # duty: the star rating
    "POST /duty/ratings/window": form(year=TODAY.year, opens_on=YEAR_START, closes_on=YEAR_END),
    "POST /duty/ratings/start": form(on="rating_window", year=TODAY.year),
    "POST /duty/ratings/bulk": form(
        on="rating", year=TODAY.year, step="group", grade="good", rating_ids=[same.rating_id]
    ),
    "POST /duty/ratings/publish": form(on="decided_rating", year=TODAY.year, public_list="1"),
    "POST /duty/ratings/export": form(year=TODAY.year),
    "POST /duty/ratings/mine": form(on="rating_window", year=TODAY.year, summary="全年出席会议", grade="good"),
    "POST /duty/ratings/{rating_id}/step": form(step="group", grade="good"),
    "POST /duty/ratings/{rating_id}/talks": form(on="low_rating", scheduled_on=TODAY),
    "POST /duty/ratings/talks/{talk_id}": form(status="held"),
    # duty: activities, attendance, QR sign-in, evidence
    "POST /duty/activities/new": form(
        kind="inspection",
        title="视察城区农贸市场",
        starts_at=_from_now(-10, form=True),
        ends_at=_from_now(120, form=True),
        group_id=new.group,
        station_id=new.station,
    ),
    "POST /duty/activities/{activity_id}/edit": form(
        kind="research", title="调研", starts_at=_from_now(-10, form=True), ends_at=_from_now(120, form=True)
    ),
    "POST /duty/activities/{activity_id}/cancel": form(),
    "POST /duty/activities/{activity_id}/attendance": form(
        **{"person-1": new.deputy["person_id"], "mark-1": "present"}
    ),
    "POST /duty/activities/{activity_id}/attendance/{attendance_id}": form(status="absent", note=""),
    "POST /duty/activities/{activity_id}/attendance/{attendance_id}/remove": form(),
    "POST /duty/activities/{activity_id}/export": form(),
    "POST /duty/activities/{activity_id}/qr/regenerate": form(),
    "POST /duty/sign-in/{activity_id}/{token}": form(),  # the admin is a deputy
    "POST /duty/evidence/new": upload("照片.png", PNG, "image/png", key="files", **EVIDENCE),
    "POST /duty/evidence/{evidence_id}/verify": form(),
    "POST /duty/evidence/{evidence_id}/reject": form(reason="请补充材料"),
    "POST /duty/evidence/{evidence_id}/withdraw": form(),
}

# --- reads that need more than their path's objects ---------------------------------------------
API |= {
    **{f"GET /duty/archives/{{person_id}}{tail}": body(on="deputy") for tail in ("", "/archive.pdf", "/archive.xlsx")},
    "GET /duty/archives/batches/{export_id}": body(on="archive_batch"),
    "GET /persons/{person_id}/photo": body(on="photo"),
    "GET /exports/{export_id}/file": body(on="done_export"),
    "GET /register/import/reports/{export_id}": body(on="import_report"),
}
PAGES |= {
    **{f"GET /duty/archives/{{person_id}}{tail}": form(on="deputy") for tail in ("", "/archive.pdf", "/archive.xlsx")},
    "GET /duty/archives/batches/{export_id}": form(on="archive_batch"),
    "GET /deputies/{person_id}/photo": form(on="photo"),
    # The pickers' lookups, asked for what every text of office B holds: none of it may come back.
    "GET /lookup/deputies": form(query={"q": "陇西机密"}),
    "GET /lookup/townships": form(query={"q": "陇西机密"}),
    "GET /lookup/offices": form(query={"q": "陇西机密"}),
    "GET /lookup/units": form(query={"q": "陇西机密"}),
}

# --- the public portal: /p/{office}… --------------------------------------------------------------
PORTAL: dict[str, Recipe] = {
    "GET /deputies/{person_id}": form(on="deputy"),
    "GET /deputies/{person_id}/photo": form(on="public_photo"),
    "GET /deputies/{person_id}/qr.png": form(on="deputy"),
    "GET /deputies/{person_id}/qr.svg": form(on="deputy"),
    "GET /opinions/new": form(query={"deputy": new.deputy["person_id"]}),
    "GET /opinions/status": form(query={"ticket": new.opinion["ticket"]}),
    # An opinion sent from a deputy's code page, and the rating from the link texted with the answer.
    "POST /opinions/new": form(
        query={"deputy": new.deputy["person_id"]}, content="小区门口路灯坏了", submitter_phone="13900000001"
    ),
    "GET /opinions/rate/{token}": form(on="rating_token"),
    "POST /opinions/rate/{token}": form(on="rating_token", rating="solved", expect=200),
    # the public board of suggestions, the public list of the star rating
    "GET /suggestions": form(on="public_suggestion"),
    "GET /duty/ratings": form(on="public_rating"),
    "GET /suggestions/{suggestion_id}": form(on="public_suggestion"),
}
