"""Request and response types of the register, and the fixed vocabularies its forms offer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

# --- vocabularies ----------------------------------------------------------------------------------
GENDER_LABELS = {"male": "男", "female": "女"}
ETHNICITIES = tuple(
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族"
    " 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族"
    " 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族"
    " 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族"
    " 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族".split()
)
# 政治面貌, in the order composition reports list them.
PARTIES = (
    "中共党员",
    "中共预备党员",
    "民革党员",
    "民盟盟员",
    "民建会员",
    "民进会员",
    "农工党党员",
    "致公党党员",
    "九三学社社员",
    "台盟盟员",
    "无党派人士",
    "群众",
)
# 代表构成 as the offices publish it.
OCCUPATION_CATEGORIES = ("工人", "农民", "专业技术人员", "党政领导干部", "企业负责人", "解放军和武警", "其他")
EDUCATION_LEVELS = ("研究生", "大学本科", "大学专科", "中专", "高中", "初中", "小学及以下")
# Art. 58: what the office may publish about a deputy. Never the ID number or the mobile.
PUBLIC_FIELDS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生年月",
    "party": "政治面貌",
    "education": "学历",
    "occupation_category": "职业类别",
    "workplace": "工作单位",
    "position": "职务",
    "levels": "代表层级",
    "constituency": "选区",
    "photo": "照片",
}
EVENT_LABELS = {
    "elected": "当选",
    "by_elected": "补选当选",
    "suspended": "暂停执行代表职务",
    "resumed": "恢复执行代表职务",
    "ended": "代表资格终止",
    "updated": "信息更正",
    "carried_over": "结转",
}
SORTS = {
    "name": "姓名拼音",
    "-name": "姓名拼音(倒序)",
    "level": "代表层级",
    "starts_on": "任职起始日",
    "-starts_on": "任职起始日(最新在前)",
}
STATUS_FILTERS = {"live": "在任(含暂停执行职务)", "active": "在任", "suspended": "暂停执行职务", "ended": "已终止"}

Text50 = Annotated[str, msgspec.Meta(max_length=50)]
Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
TermNumber = Annotated[int, msgspec.Meta(ge=1, le=99)]


# --- congresses and terms --------------------------------------------------------------------------
class CongressIn(msgspec.Struct, forbid_unknown_fields=True):
    level: str
    # Derived from the office where the level fixes it; needed for a township congress.
    division_code: Annotated[str, msgspec.Meta(max_length=12)] | None = None
    name: Text100 | None = None


class TermIn(msgspec.Struct, forbid_unknown_fields=True):
    number: TermNumber
    starts_on: date
    ends_on: date | None = None


class TermUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_on: date | UnsetType = UNSET
    ends_on: date | UnsetType | None = UNSET


class TermChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """换届: the current term ends on `closes_on` (default: its planned end); the next one opens."""

    next_starts_on: date
    closes_on: date | None = None
    next_ends_on: date | None = None
    next_number: TermNumber | None = None


class TermOut(msgspec.Struct):
    id: uuid.UUID
    congress_id: uuid.UUID
    number: int
    label: str  # 第十八届
    starts_on: date
    ends_on: date | None
    is_current: bool


class CongressOut(msgspec.Struct):
    id: uuid.UUID
    level: str
    level_label: str
    name: str
    division_code: str
    terms: list[TermOut]


class TermChangeOut(msgspec.Struct):
    closed: TermOut
    opened: TermOut
    ended_mandates: int


# --- persons ---------------------------------------------------------------------------------------
class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    gender: str | None = None  # male | female; taken from the ID number when omitted
    ethnicity: str = "汉族"
    birth_date: date | None = None
    party: str | None = None
    occupation_category: str | None = None
    education: str | None = None
    sector: Text50 | None = None
    workplace: Text200 | None = None
    position: Text200 | None = None
    mobile: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    id_number: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    public_fields: list[str] | None = None


class PersonUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; `null` clears an optional one."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    ethnicity: str | UnsetType = UNSET
    birth_date: date | UnsetType | None = UNSET
    party: str | UnsetType | None = UNSET
    occupation_category: str | UnsetType | None = UNSET
    education: str | UnsetType | None = UNSET
    sector: Text50 | UnsetType | None = UNSET
    workplace: Text200 | UnsetType | None = UNSET
    position: Text200 | UnsetType | None = UNSET
    mobile: Annotated[str, msgspec.Meta(max_length=20)] | UnsetType | None = UNSET
    id_number: Annotated[str, msgspec.Meta(max_length=30)] | UnsetType | None = UNSET
    public_fields: list[str] | UnsetType = UNSET


# --- mandates --------------------------------------------------------------------------------------
class MandateIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    term_id: uuid.UUID
    starts_on: date | None = None  # the term's start when omitted
    constituency: Text100 | None = None
    electoral_unit: Text100 | None = None
    delegation: Text100 | None = None
    organised_in: Annotated[str, msgspec.Meta(max_length=9)] | None = None
    by_election: bool = False
    replaces_mandate_id: uuid.UUID | None = None


class MandateUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_on: date | UnsetType = UNSET
    constituency: Text100 | UnsetType | None = UNSET
    electoral_unit: Text100 | UnsetType | None = UNSET
    delegation: Text100 | UnsetType | None = UNSET
    organised_in: Annotated[str, msgspec.Meta(max_length=9)] | UnsetType | None = UNSET


class MandateEndIn(msgspec.Struct, forbid_unknown_fields=True):
    ended_on: date
    reason: str
    resignation_kind: str | None = None
    note: Note | None = None


class MandateSuspendIn(msgspec.Struct, forbid_unknown_fields=True):
    suspended_on: date
    reason: str
    note: Note | None = None


class MandateResumeIn(msgspec.Struct, forbid_unknown_fields=True):
    resumed_on: date
    note: Note | None = None


class EventOut(msgspec.Struct):
    id: uuid.UUID
    mandate_id: uuid.UUID
    kind: str
    kind_label: str
    on: date
    reason: str | None
    reason_label: str | None
    detail: dict[str, Any]
    recorded_by: str
    recorded_at: datetime


class MandateOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    term_id: uuid.UUID
    term_label: str
    congress_id: uuid.UUID
    congress_name: str
    level: str
    level_label: str
    constituency: str | None
    electoral_unit: str | None
    delegation: str | None
    organised_in: str | None
    starts_on: date
    status: str
    status_label: str
    by_election: bool
    replaces_mandate_id: uuid.UUID | None
    ended_on: date | None
    end_reason: str | None
    end_reason_label: str | None
    resignation_kind: str | None
    resignation_kind_label: str | None
    suspended_on: date | None
    suspension_reason: str | None
    suspension_reason_label: str | None
    events: list[EventOut] | None = None


class PlaceOut(msgspec.Struct):
    """A deputy group or station the person belongs to."""

    id: uuid.UUID
    name: str
    kind: str
    kind_label: str


class PersonUserIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID | None  # a member of this office; null unlinks


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    name_pinyin: str
    gender: str
    gender_label: str
    ethnicity: str
    birth_date: date | None
    party: str | None
    occupation_category: str | None
    education: str | None
    sector: str | None
    workplace: str | None
    position: str | None
    mobile_masked: str | None
    id_number_masked: str | None
    has_photo: bool
    public_fields: list[str]
    created_at: datetime
    updated_at: datetime
    user_id: uuid.UUID | None = None  # the platform user who signs in as this deputy
    mandates: list[MandateOut] | None = None
    groups: list[PlaceOut] | None = None
    stations: list[PlaceOut] | None = None


# --- the register ----------------------------------------------------------------------------------
class RegisterFilter(msgspec.Struct, forbid_unknown_fields=True):
    """Filters of the register list, also the params of its Excel export."""

    q: str | None = None  # name, pinyin initials (zs) or full pinyin (zhangsan)
    level: str | None = None
    status: str | None = None  # live | active | suspended | ended
    term_id: uuid.UUID | None = None
    constituency: str | None = None
    sector: str | None = None
    group_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    sort: str = "name"


class MandateBrief(msgspec.Struct):
    id: uuid.UUID
    level: str
    level_label: str
    congress_name: str
    term_label: str
    status: str
    status_label: str
    constituency: str | None
    starts_on: date
    ended_on: date | None


class RegisterItem(msgspec.Struct):
    id: uuid.UUID
    name: str
    gender_label: str
    ethnicity: str
    birth_date: date | None
    party: str | None
    sector: str | None
    workplace: str | None
    position: str | None
    mobile_masked: str | None
    levels: list[str]  # of the live mandates, highest first
    level_labels: list[str]
    mandates: list[MandateBrief]
    # The same person's live mandates that other offices record, e.g. "市人大代表(安康市人大常委会登记)".
    recorded_elsewhere: list[str] = msgspec.field(default_factory=list)


class RegisterPage(msgspec.Struct):
    items: list[RegisterItem]
    total: int
    page: int
    page_size: int
    pages: int


class ElsewhereItem(msgspec.Struct):
    """A mandate in this office's territory that another office records: listed here, changed there."""

    mandate_id: uuid.UUID
    person_name: str
    gender_label: str
    level: str
    level_label: str
    congress_name: str
    term_number: int
    constituency: str | None
    status_label: str
    recorded_by: str
    recorded_by_name: str
    organised_in: str


class ElsewherePage(msgspec.Struct):
    items: list[ElsewhereItem]
    total: int
    page: int
    page_size: int
