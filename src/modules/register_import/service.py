"""Excel import of persons with their mandates into an office's register (代表名册导入).

One row of the sheet is one mandate of one person; a person who sits at two levels (a county and
a township deputy) has two rows with the same ID number, and becomes one person with two mandates.
The ID number is required: it is how rows of the same person, and persons already in the register,
are recognised. The person rules are the register's own (`deputies.service`), so a row is accepted
exactly when the register's forms would accept it.

Every row is checked before anything is written. By default nothing is imported while any row is
invalid; in `valid_only` mode the valid rows are imported and the others reported. Rows are written
with multi-row INSERTs in the request's transaction, together with their change history, audit
rows and directory publications (one outbox message per chunk of mandates).
"""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import encrypt, mask_phone
from renda.core.db import utcnow
from renda.core.errors import AppError, Conflict, InvalidInput, NotFound
from renda.core.timezone import to_local
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import LEVEL_LABELS, LEVELS, Congress, MandateStatus, Term
from renda.modules.deputies.service import EDUCATION_LEVELS, ETHNICITIES, OCCUPATION_CATEGORIES, PARTIES
from renda.modules.exports import service as exports
from renda.modules.exports.models import Export, ExportStatus
from renda.modules.register_import import repository
from renda.modules.register_import.schemas import IMPORT_MODES, ImportResult, RowError

MAX_BYTES = 10 * 1024 * 1024  # a 20,000-row sheet is about 2 MB
MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a 20,000-row sheet unpacks to about 30 MB
MAX_LISTED_ERRORS = 500
ZIP_MAGIC = b"PK\x03\x04"
DATA_SHEET, INSTRUCTIONS_SHEET, OPTIONS_SHEET = "代表名单", "填写说明", "选项"
REPORT_KIND = "register_import_errors"
REPORT_LABEL = "代表名册导入错误报告"
exports.register_stored_file(REPORT_KIND, REPORT_LABEL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    width: int
    hint: str
    max_length: int = 100


COLUMNS = (
    Column("name", "姓名", True, 10, "代表姓名", 50),
    Column(
        "id_number", "身份证号码", True, 22, "18 位居民身份证号码,按文本填写;同一人多级任代表时各行填写相同号码", 30
    ),
    Column("gender", "性别", False, 6, "男或女;不填时按身份证号码识别", 2),
    Column("ethnicity", "民族", False, 10, "如“汉族”“回族”;不填视为汉族", 20),
    Column("birth_date", "出生日期", False, 12, "日期,如 1970-05-01;不填时按身份证号码识别"),
    Column("party", "政治面貌", False, 12, "从下拉列表选择", 30),
    Column("occupation_category", "职业类别", False, 12, "从下拉列表选择", 30),
    Column("education", "学历", False, 10, "从下拉列表选择", 20),
    Column("sector", "界别/行业", False, 12, "", 50),
    Column("workplace", "工作单位", False, 24, "", 200),
    Column("position", "职务", False, 16, "", 200),
    Column("mobile", "手机号码", False, 14, "11 位手机号码", 20),
    Column("level", "代表层级", True, 14, "从下拉列表选择,须与所属人大的层级一致", 20),
    Column("congress", "所属人大", True, 24, "本机关已登记的人民代表大会名称,从下拉列表选择"),
    Column("term", "届次", True, 8, "数字(如 18)或“第十八届”,须为该人大的本届", 10),
    Column("constituency", "选区", False, 16, "直接选举的选区"),
    Column("electoral_unit", "选举单位", False, 16, "间接选举的选举单位"),
    Column("delegation", "代表团", False, 14, ""),
    Column("starts_on", "任职起始日期", False, 14, "日期,须在该届任期内;不填为本届开始日期"),
    Column("by_election", "是否补选", False, 10, "是或否;不填为否", 2),
    Column("organised_in", "组织地代码", False, 12, "代表编组活动所在机关的行政区划代码;不填为本机关", 9),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HEADER_TO_KEY = {c.header: c.key for c in COLUMNS}
DATE_COLUMNS = ("birth_date", "starts_on")
GENDER_INPUT = {"男": "male", "女": "female"}
BOOL_INPUT = {"是": True, "否": False}
# Every way a staff member may write a level: 县人大代表, 县级, 县, county.
LEVEL_INPUT = {
    **{label: level for level, label in LEVEL_LABELS.items()},
    **{label.removesuffix("人大代表"): level for level, label in LEVEL_LABELS.items()},
    **{label.removesuffix("人大代表") + "级": level for level, label in LEVEL_LABELS.items()},
    "乡": "township",
    "镇": "township",
    "全国人大": "national",
    **{level: level for level in LEVELS},
}
# Which column the register's person rules complain about, by error code.
PERSON_ERROR_COLUMNS = {
    "name_required": "name",
    "invalid_id_number": "id_number",
    "invalid_gender": "gender",
    "gender_required": "gender",
    "invalid_birth_date": "birth_date",
    "invalid_mobile": "mobile",
    "invalid_ethnicity": "ethnicity",
    "invalid_party": "party",
    "invalid_occupation_category": "occupation_category",
    "invalid_education": "education",
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
TERM_LABEL = re.compile(r"^第?([一二三四五六七八九十\d]+)届?$")


# --- the template ----------------------------------------------------------------------------------
def build_template(congress_names: list[str]) -> bytes:
    """The import template: the data sheet with drop-down lists, instructions, and a hidden sheet
    holding the lists (an inline list may not exceed 255 characters, the 56 ethnicities do)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    optional_fill = PatternFill("solid", fgColor="EEF3FA")
    sheet.append([c.header for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        # Long digit strings typed as numbers lose digits in Excel: keep them text.
        if column.key in ("id_number", "mobile", "organised_in"):
            sheet.column_dimensions[letter].number_format = "@"
        if column.key in DATE_COLUMNS:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet(OPTIONS_SHEET)
    lists = {
        "gender": list(GENDER_INPUT),
        "level": list(LEVEL_LABELS.values()),
        "congress": congress_names or ["(请先在系统中登记人民代表大会和届次)"],
        "by_election": list(BOOL_INPUT),
        "ethnicity": list(ETHNICITIES),
        "party": list(PARTIES),
        "occupation_category": list(OCCUPATION_CATEGORIES),
        "education": list(EDUCATION_LEVELS),
    }
    last_row = MAX_ROWS + 1
    for list_index, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(list_index)
        options.cell(row=1, column=list_index, value=COLUMN_BY_KEY[key].header)
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=list_index, value=value)
        source = f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        validation = DataValidation(
            type="list",
            formula1=source,
            allow_blank=not COLUMN_BY_KEY[key].required,
            showErrorMessage=True,
            errorTitle="输入无效",
            error=f"请从下拉列表中选择{COLUMN_BY_KEY[key].header}",
        )
        target = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        validation.add(f"{target}2:{target}{last_row}")
        sheet.add_data_validation(validation)
    options.sheet_state = "hidden"

    guide = workbook.create_sheet(INSTRUCTIONS_SHEET)
    guide.append(["代表名册导入说明"])
    guide["A1"].font = Font(bold=True, size=14)
    for line in (
        f"1. 在“{DATA_SHEET}”工作表中每行填写一名代表的一个代表资格;"
        "同一人同时是县、乡镇人大代表的,填写两行,身份证号码相同。",
        "2. 红色列名为必填项;请勿修改、删除或增加列,请勿修改第一行列名。",
        "3. 所属人大和届次须为本机关已登记的人民代表大会及其本届;任职起始日期须在该届任期内。",
        "4. 身份证号码将校验位数、出生日期和校验码;已在名册中的人员按身份证号码识别,不会重复建档。",
        "5. 同一人在同一届人大只能有一个代表资格;文件中重复的行和名册中已有的代表资格都会被指出。",
        "6. 导入时逐行检查:默认只要有一行有误就不导入任何数据;也可以选择“仅导入无误的行”。错误报告可下载为 Excel。",
        f"7. 每次最多导入 {MAX_ROWS} 行,文件不超过 {MAX_BYTES // (1024 * 1024)} MB。",
        "",
    ):
        guide.append([line])
    guide.append(["列名", "是否必填", "填写要求"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        guide.append([column.header, "必填" if column.required else "选填", column.hint])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 80

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def template(session: AsyncSession) -> bytes:
    names = (await session.execute(select(Congress.name).order_by(Congress.level, Congress.name))).scalars().all()
    return build_template(list(names))


# --- reading the file ------------------------------------------------------------------------------
@dataclass
class ParsedRow:
    number: int  # the Excel row number
    cells: dict[str, Any]


def _header_key(value: Any) -> str:
    return str(value or "").replace("*", "").replace(" ", "").replace("\u3000", "").strip()


def _unreadable() -> InvalidInput:
    message = "无法读取上传的文件:它不是有效的 Excel 工作簿(.xlsx),或文件已损坏、已加密"
    return InvalidInput(message, code="not_xlsx")


def read_rows(content: bytes) -> list[ParsedRow]:
    """The data rows of an uploaded .xlsx, or InvalidInput saying why the file cannot be read."""
    if not content:
        raise InvalidInput("上传的文件是空的", code="empty_file")
    if not content.startswith(ZIP_MAGIC):
        raise InvalidInput(
            "上传的文件不是 Excel 工作簿(.xlsx)。请下载导入模板填写后上传;.xls 等其他格式请先在 Excel 中另存为 .xlsx",
            code="not_xlsx",
        )
    try:
        # A zip never yields more than its entries declare: bound that before openpyxl unpacks anything.
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _unreadable() from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput("文件解压后过大,不像是代表名册,请检查文件", code="file_too_large")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # whatever openpyxl trips over, the file is not a workbook it can read
        raise _unreadable() from error
    try:
        if not workbook.worksheets:
            raise _unreadable()
        sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        keys = _columns_of(header or ())
        parsed: list[ParsedRow] = []
        for number, values in enumerate(rows, start=2):
            cells = {key: value for key, value in zip(keys, values, strict=False) if key is not None}
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in cells.values()):
                continue
            if len(parsed) >= MAX_ROWS:
                raise InvalidInput(f"文件中的代表超过 {MAX_ROWS} 行,请分批导入", code="too_many_rows")
            parsed.append(ParsedRow(number, cells))
    except InvalidInput:
        raise
    except Exception as error:  # read-only sheets are parsed while iterating: damage shows up here
        raise _unreadable() from error
    finally:
        workbook.close()
    if not parsed:
        raise InvalidInput(f"“{sheet.title}”工作表中没有代表数据(第 2 行起填写)", code="no_rows")
    return parsed


def _columns_of(header: tuple[Any, ...]) -> list[str | None]:
    """The column key of every header cell; InvalidInput if the columns are not the template's."""
    names = [_header_key(value) for value in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InvalidInput("第一行应为列名,文件的第一行是空的。请使用导入模板", code="wrong_columns")
    unknown = [name for name in names if name and name not in HEADER_TO_KEY]
    missing = [c.header for c in COLUMNS if c.required and c.header not in names]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"缺少必填列:{'、'.join(missing)}")
    if unknown:
        problems.append(f"无法识别的列:{'、'.join(unknown)}")
    if repeated:
        problems.append(f"重复的列:{'、'.join(repeated)}")
    if problems:
        raise InvalidInput(
            ";".join(problems) + "。请使用导入模板,不要修改第一行的列名",
            code="wrong_columns",
            details={"missing": missing, "unknown": unknown, "repeated": repeated},
        )
    return [HEADER_TO_KEY.get(name) for name in names]


# --- checking rows ---------------------------------------------------------------------------------
@dataclass
class Context:
    """The office's congresses and terms, loaded once before the rows are checked."""

    congresses: dict[str, Congress]
    terms: dict[tuple[uuid.UUID, int], Term]


@dataclass
class Candidate:
    """A row that passed the checks so far, with the values to write."""

    row: int  # the Excel row number (the cells are not kept: 20,000 rows of them add up)
    person_key: str
    person: dict[str, Any]  # validated person columns, ID number and mobile in clear
    term: Term
    congress: Congress
    mandate: dict[str, Any]


@dataclass
class Checked:
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)

    def fail(self, row: int, key: str | None, message: str) -> None:
        self.errors.append(RowError(row, COLUMN_BY_KEY[key].header if key else "", message, self.names.get(row, "")))


def _text(value: Any, column: Column, errors: list[tuple[str, str]]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        errors.append((column.key, f"{column.header}应填写文字"))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > column.max_length:
        errors.append((column.key, f"{column.header}不能超过 {column.max_length} 个字"))
        return None
    return text or None


def _date(value: Any, column: Column, errors: list[tuple[str, str]]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
    errors.append((column.key, f"{column.header}应为日期,例如 2021-10-01,而不是“{value}”"))
    return None


def _term_number(value: Any, errors: list[tuple[str, str]]) -> int | None:
    if isinstance(value, bool):
        value = None
    elif isinstance(value, int):
        return value
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    elif isinstance(value, str) and (match := TERM_LABEL.match(value.strip())):
        digits = match.group(1)
        number = int(digits) if digits.isdigit() else _chinese_to_int(digits)
        if number:
            return number
    errors.append(("term", f"届次应为数字(如 18)或“第十八届”,而不是“{value}”"))
    return None


def _chinese_to_int(text: str) -> int | None:
    digits = "零一二三四五六七八九"
    if "十" not in text:
        return digits.index(text) if len(text) == 1 and text in digits else None
    tens, _, ones = text.partition("十")
    if (tens and tens not in digits) or (ones and ones not in digits):
        return None
    return (digits.index(tens) if tens else 1) * 10 + (digits.index(ones) if ones else 0)


def _check_row(row: ParsedRow, context: Context, checked: Checked) -> Candidate | None:
    """Type and rule checks of one row on its own (duplicates and the database come later)."""
    problems: list[tuple[str, str]] = []
    raw = row.cells
    text = {c.key: _text(raw.get(c.key), c, problems) for c in COLUMNS if c.key not in (*DATE_COLUMNS, "term")}
    dates = {key: _date(raw.get(key), COLUMN_BY_KEY[key], problems) for key in DATE_COLUMNS}
    checked.names[row.number] = text["name"] or ""
    if isinstance(raw.get("id_number"), (int, float)) and not isinstance(raw.get("id_number"), bool):
        problems.append(("id_number", "身份证号码须按文本格式填写(按数字填写会丢失末几位),请将该列设为文本后重新输入"))
        text["id_number"] = None
    elif not text["id_number"]:
        problems.append(("id_number", "请填写身份证号码(导入时用它识别同一人)"))

    gender = None
    if text["gender"] is not None:
        gender = GENDER_INPUT.get(text["gender"])
        if gender is None:
            problems.append(("gender", f"性别应为“男”或“女”,而不是“{text['gender']}”"))
    by_election = False
    if text["by_election"] is not None:
        if text["by_election"] not in BOOL_INPUT:
            problems.append(("by_election", f"是否补选应为“是”或“否”,而不是“{text['by_election']}”"))
        by_election = BOOL_INPUT.get(text["by_election"], False)

    level = None
    if text["level"] is None:
        problems.append(("level", "请填写代表层级"))
    else:
        level = LEVEL_INPUT.get(text["level"])
        if level is None:
            problems.append(("level", f"代表层级“{text['level']}”无效,应为{'、'.join(LEVEL_LABELS.values())}之一"))
    term_number = None
    if raw.get("term") is None or (isinstance(raw.get("term"), str) and not raw["term"].strip()):
        problems.append(("term", "请填写届次"))
    else:
        term_number = _term_number(raw["term"], problems)

    congress = term = None
    if text["congress"] is None:
        problems.append(("congress", "请填写所属人大"))
    else:
        congress = context.congresses.get(text["congress"])
        if congress is None:
            problems.append(("congress", f"本机关没有登记“{text['congress']}”,请从下拉列表选择或先登记该人民代表大会"))
    if congress is not None and level is not None and congress.level != level:
        problems.append(("level", f"代表层级与所属人大不一致:{congress.name}的代表应为{LEVEL_LABELS[congress.level]}"))
    if congress is not None and term_number is not None:
        term = context.terms.get((congress.id, term_number))
        if term is None:
            problems.append(("term", f"{congress.name}没有{deputies.term_label(term_number)}"))
        elif not term.is_current:
            problems.append(("term", f"{congress.name}{deputies.term_label(term_number)}已结束,不能新增代表资格"))
    starts_on = dates["starts_on"]
    if term is not None:
        starts_on = starts_on or term.starts_on
        try:
            deputies.check_within_term(starts_on, term, "任职起始日期")
        except AppError as error:
            problems.append(("starts_on", error.message))

    person: dict[str, Any] | None = None
    state = {
        "name": text["name"],
        "id_number": text["id_number"],
        "gender": gender,
        "ethnicity": text["ethnicity"],
        "birth_date": dates["birth_date"],
        "party": text["party"],
        "occupation_category": text["occupation_category"],
        "education": text["education"],
        "sector": text["sector"],
        "workplace": text["workplace"],
        "position": text["position"],
        "mobile": text["mobile"],
        "public_fields": None,
    }
    try:
        person = deputies.validated_person(state)
    except AppError as error:
        # Each field the register refused, on its column; not the same column twice, and not "gender
        # unknown" because the ID number was unusable.
        found = error.fields or {PERSON_ERROR_COLUMNS.get(error.code, ""): error.message}
        for key, message in found.items():
            consequence = key == "gender" and "请填写性别" in message and any(k == "id_number" for k, _ in problems)
            if not consequence and not any(k == key for k, _ in problems):
                problems.append((key, message))

    for key, message in problems:
        checked.fail(row.number, key or None, message)
    if problems or person is None or term is None or congress is None:
        return None
    return Candidate(
        row.number,
        deputies.id_number_key(person["id_number"]),
        person,
        term,
        congress,
        {
            "term_id": term.id,
            "level": congress.level,
            "constituency": text["constituency"],
            "electoral_unit": text["electoral_unit"],
            "delegation": text["delegation"],
            "organised_in": text["organised_in"],
            "starts_on": starts_on,
            "by_election": by_election,
        },
    )


def check_rows(rows: list[ParsedRow], context: Context) -> Checked:
    """Every row on its own, then the file as a whole: one mandate per person and term, one name
    per ID number. CPU only, so it runs in a thread."""
    checked = Checked()
    first_of_person: dict[str, Candidate] = {}
    first_of_seat: dict[tuple[str, uuid.UUID], Candidate] = {}
    for row in rows:
        candidate = _check_row(row, context, checked)
        if candidate is None:
            continue
        earlier = first_of_person.setdefault(candidate.person_key, candidate)
        if earlier.person["name"] != candidate.person["name"]:
            checked.fail(
                row.number, "name", f"与第 {earlier.row} 行身份证号码相同,但姓名不同(“{earlier.person['name']}”)"
            )
            continue
        seat = first_of_seat.setdefault((candidate.person_key, candidate.term.id), candidate)
        if seat is not candidate:
            checked.fail(
                row.number,
                None,
                f"与第 {seat.row} 行重复:同一人在{candidate.congress.name}"
                f"{deputies.term_label(candidate.term.number)}只能有一个代表资格",
            )
            continue
        checked.candidates.append(candidate)
    return checked


async def _load_context(session: AsyncSession) -> Context:
    congresses = {c.name: c for c in (await session.execute(select(Congress))).scalars()}
    terms = {(t.congress_id, t.number): t for t in (await session.execute(select(Term))).scalars()}
    return Context(congresses, terms)


def _seat(candidate: Candidate) -> deputies.Seat:
    return deputies.seat_of(candidate.person_key, candidate.congress, candidate.term.number)


async def _check_against_register(session: AsyncSession, checked: Checked) -> dict[str, uuid.UUID]:
    """Rows whose person or mandate is already in the register, and organising offices that are
    not this office's. Returns the existing persons' ids by person key."""
    existing = await repository.persons_by_key(session, {c.person_key for c in checked.candidates})
    live = await repository.live_seats(session, [person_id for person_id, _ in existing.values()])
    organised: dict[str, str | AppError] = {}
    for code in {c.mandate["organised_in"] for c in checked.candidates if c.mandate["organised_in"]}:
        try:
            organised[code] = await deputies.checked_organised_in(session, code) or ""
        except AppError as error:
            organised[code] = error
    elsewhere = await deputies.seats_recorded_elsewhere(session, map(_seat, checked.candidates))
    kept = []
    for candidate in checked.candidates:
        found = existing.get(candidate.person_key)
        code = candidate.mandate["organised_in"]
        office_name = elsewhere.get(_seat(candidate))
        if office_name is not None:
            checked.fail(
                candidate.row,
                None,
                deputies.recorded_elsewhere_message(
                    candidate.person["name"], candidate.congress, candidate.term.number, office_name
                ),
            )
        elif found is not None and found[1] != candidate.person["name"]:
            checked.fail(candidate.row, "id_number", f"该身份证号码已登记在代表“{found[1]}”名下,请核对姓名或号码")
        elif found is not None and (found[0], candidate.term.id) in live:
            checked.fail(
                candidate.row,
                None,
                f"“{candidate.person['name']}”在{candidate.congress.name}"
                f"{deputies.term_label(candidate.term.number)}已有有效的代表资格",
            )
        elif code and isinstance(organised[code], AppError):
            checked.fail(candidate.row, "organised_in", organised[code].message)  # type: ignore[union-attr]
        else:
            if code:
                candidate.mandate["organised_in"] = organised[code] or None
            kept.append(candidate)
    checked.candidates = kept
    return {key: person_id for key, (person_id, _) in existing.items()}


# --- writing ---------------------------------------------------------------------------------------
def _person_row(values: dict[str, Any], now: datetime) -> dict[str, Any]:
    number, mobile = values["id_number"], values["mobile"]
    return {
        "id": uuid.uuid4(),
        **{k: v for k, v in values.items() if k not in ("id_number", "mobile")},
        "id_number_encrypted": encrypt(number),
        "id_number_hash": deputies.id_number_key(number),
        "mobile_encrypted": encrypt(mobile) if mobile else None,
        "mobile_masked": mask_phone(mobile) if mobile else None,
        "photo": None,
        "photo_type": None,
        "created_at": now,
        "updated_at": now,
    }


def _rows_to_write(
    candidates: list[Candidate], existing: dict[str, uuid.UUID], actor: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Person, mandate and event rows; a person's details come from their first row."""
    now = utcnow()
    persons: list[dict[str, Any]] = []
    person_ids = dict(existing)
    mandates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for candidate in candidates:
        person_id = person_ids.get(candidate.person_key)
        if person_id is None:
            person = _person_row(candidate.person, now)
            persons.append(person)
            person_id = person_ids[candidate.person_key] = person["id"]
        mandate_id = uuid.uuid4()
        mandates.append(
            {
                "id": mandate_id,
                "person_id": person_id,
                **candidate.mandate,
                "status": MandateStatus.ACTIVE,
                "replaces_mandate_id": None,
                "ended_on": None,
                "end_reason": None,
                "resignation_kind": None,
                "suspended_on": None,
                "suspension_reason": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        events.append(
            {
                "id": uuid.uuid4(),
                "mandate_id": mandate_id,
                "kind": "by_elected" if candidate.mandate["by_election"] else "elected",
                "on": candidate.mandate["starts_on"],
                "reason": None,
                "detail": {"source": "import", "row": candidate.row},
                "recorded_by": actor,
                "recorded_at": now,
            }
        )
    return persons, mandates, events


async def _save_report(session: AsyncSession, errors: list[RowError], actor: str) -> Export:
    """The error report as a finished export of this office, downloadable like any other."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    sheet.append(["行号", "姓名", "列", "问题"])
    for error in sorted(errors, key=lambda e: e.row):
        sheet.append([error.row, error.name, error.column or "整行", error.message])
    buffer = io.BytesIO()
    workbook.save(buffer)
    now = utcnow()
    report = Export(
        kind=REPORT_KIND,
        params={"errors": len(errors)},
        status=ExportStatus.DONE,
        requested_by=actor,
        filename=f"{REPORT_LABEL}_{to_local(now):%Y%m%d%H%M%S}.xlsx",
        row_count=len(errors),
        content=buffer.getvalue(),
        finished_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def import_register(session: AsyncSession, content: bytes, mode: str = "all") -> ImportResult:
    """Check every row of the workbook, then import all of them, or only the valid ones."""
    if mode not in IMPORT_MODES:
        raise InvalidInput(f"导入方式“{mode}”无效,应为 all 或 valid_only", code="invalid_import_mode")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件不能超过 {MAX_BYTES // (1024 * 1024)} MB", code="file_too_large")
    actor = str(session.info.get("actor", "system"))
    context = await _load_context(session)
    # Parsing and checking are CPU work: keep the event loop free for other requests meanwhile.
    rows = await asyncio.to_thread(read_rows, content)
    checked = await asyncio.to_thread(check_rows, rows, context)
    total = len(rows)
    del rows  # the candidates hold what is still needed
    existing = await _check_against_register(session, checked)

    errors = sorted(checked.errors, key=lambda e: e.row)
    failed_rows = len({e.row for e in errors})
    result = ImportResult(mode, total, total - failed_rows, 0, 0, 0, len(errors), errors[:MAX_LISTED_ERRORS])
    if errors:
        report = await _save_report(session, errors, actor)
        result.error_report_id = report.id
        result.error_report_url = f"/api/v1/t/{session.info['tenant_code']}/register/import/reports/{report.id}"
    if (errors and mode == "all") or not checked.candidates:
        return result

    persons, mandates, events = await asyncio.to_thread(_rows_to_write, checked.candidates, existing, actor)
    changed = Conflict(
        "导入期间名册发生了变化(有相同的代表被同时录入),未导入任何数据,请重新导入", code="import_conflict"
    )
    try:
        await repository.insert_all(session, persons, mandates, events, actor)
    except asyncpg.UniqueViolationError:  # another import or form added the same person meanwhile
        raise changed from None
    if await deputies.claim_seats(session, map(_seat, checked.candidates)):
        raise changed  # another office recorded one of these mandates meanwhile
    await deputies.mandates_changed(session, session.info["tenant_code"], [m["id"] for m in mandates])
    await session.flush()
    result.imported_rows = len(mandates)
    result.persons_created = len(persons)
    result.persons_matched = len({m["person_id"] for m in mandates} & set(existing.values()))
    return result


async def get_report(session: AsyncSession, report_id: uuid.UUID) -> Export:
    report = await exports.get_export(session, report_id, with_content=True)
    if report.kind != REPORT_KIND or report.content is None:
        raise NotFound("导入错误报告不存在", code="report_not_found")
    return report
