"""Excel import of the register: the template, a good file, every kind of bad input, valid-only mode.

Every refused upload leaves the register as it was (persons, mandates, history, directory).
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import date
from typing import Any

import dramatiq
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from renda.modules.audit.models import AuditLog
from renda.modules.deputies import directory
from renda.modules.deputies import service as deputies
from renda.modules.deputies.idcard import with_check_digit
from renda.modules.deputies.models import DirectoryEntry, Mandate, MandateEvent, Person
from renda.modules.deputies.schemas import CongressIn, PersonIn, TermIn
from renda.modules.register_import import service as importer
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import use_broker
from renda.workers.outbox import OutboxRelay
from tests.conftest import ensure_tenant, make_broker, make_caller

OFFICE, OFFICE_NAME = "610982", "平利县人大常委会"
COUNTY_CONGRESS, TOWN_CONGRESS = "平利县人民代表大会", "平利县城关镇人民代表大会"
HEADERS = [c.header for c in importer.COLUMNS]
URL = f"/api/v1/t/{OFFICE}/register/import"


def id_number(n: int, born: str = "19750101", male: bool = True, region: str = OFFICE) -> str:
    return with_check_digit(f"{region}{born}{(2 * n + (1 if male else 0)) % 1000:03d}")


def row(name: str, number: str, **values: Any) -> dict[str, Any]:
    """One template row, a county mandate unless told otherwise."""
    return {
        "姓名": name,
        "身份证号码": number,
        "代表层级": "县人大代表",
        "所属人大": COUNTY_CONGRESS,
        "届次": 18,
        **values,
    }


def workbook(rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = importer.DATA_SHEET
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "代表名册.xlsx") -> dict[str, Any]:
    return {"files": {"file": (name, content, importer.XLSX)}}


@pytest.fixture(scope="module")
async def office(database, hierarchy) -> str:
    """A county with its own congress (term 18) and one township congress it administers (term 19)."""
    await ensure_tenant(database, OFFICE, OFFICE_NAME, "county", hierarchy["city"])
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor="system:test") as session:
        county = await deputies.create_congress(session, tenant, CongressIn("county", name=COUNTY_CONGRESS))
        await deputies.create_term(session, county.id, TermIn(18, date(2021, 10, 1), date(2026, 9, 30)))
        town = await deputies.create_congress(
            session, tenant, CongressIn("township", division_code=f"{OFFICE}100", name=TOWN_CONGRESS)
        )
        await deputies.create_term(session, town.id, TermIn(19, date(2021, 9, 20), date(2026, 9, 19)))
        await session.commit()
    return OFFICE


@pytest.fixture(scope="module")
async def staff(database, office) -> Any:
    return await make_caller(database, "平利县代表工委", {office: ["staff"]})


async def register_state() -> tuple[int, int, int]:
    async with tenant_session(await load_tenant(OFFICE), actor="test", read_only=True) as session:
        counts = [
            (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Person, Mandate, MandateEvent)
        ]
    return counts[0], counts[1], counts[2]


def errors_of(body: dict[str, Any]) -> set[tuple[int, str]]:
    result = body["details"] if "details" in body else body
    return {(e["row"], e["column"]) for e in result["errors"]}


async def test_template_has_lists_and_instructions(client, staff) -> None:
    response = await client.get(f"{URL}/template", headers=staff.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(importer.XLSX)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [importer.DATA_SHEET, importer.OPTIONS_SHEET, importer.INSTRUCTIONS_SHEET]
    sheet = book[importer.DATA_SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    validated = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    gender_column = HEADERS.index("性别") + 1
    level_column = HEADERS.index("代表层级") + 1
    assert f"{chr(64 + gender_column)}2" in validated and f"{chr(64 + level_column)}2" in validated
    options = book[importer.OPTIONS_SHEET]
    assert options.sheet_state == "hidden"
    listed = {c.value for column in options.iter_cols() for c in column}
    assert {"男", "女", "县人大代表", "乡镇人大代表", COUNTY_CONGRESS, TOWN_CONGRESS} <= listed
    guide = " ".join(str(c.value) for r in book[importer.INSTRUCTIONS_SHEET].iter_rows() for c in r if c.value)
    assert "身份证号码" in guide and "仅导入无误的行" in guide


@pytest.mark.smoke
async def test_good_file_imports_persons_with_all_their_mandates(client, database, staff) -> None:
    both = id_number(1, "19700315", male=False)
    rows = [
        row("王秀英", both, 选区="第一选区", 性别="女", 政治面貌="中共党员", 职业类别="农民", 手机号码="13800000001"),
        row(
            "王秀英", both, 代表层级="乡镇人大代表", 所属人大=TOWN_CONGRESS, 届次="第十九届", 任职起始日期="2021-09-20"
        ),
        row("刘强", id_number(2, "19800101"), 民族="回族", 出生日期=date(1980, 1, 1), 任职起始日期=date(2022, 3, 1)),
        row(
            "赵敏", id_number(3, "19881212", male=False), 代表层级="乡", 所属人大=TOWN_CONGRESS, 届次=19, 是否补选="是"
        ),
    ]
    before = await register_state()
    response = await client.post(URL, headers=staff.headers, **upload(workbook(rows)))
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["imported_rows"], result["persons_created"], result["error_count"]) == (4, 3, 0)
    assert await register_state() == (before[0] + 3, before[1] + 4, before[2] + 4)

    async with tenant_session(await load_tenant(OFFICE), actor="test", read_only=True) as session:
        person = (await session.execute(select(Person).where(Person.name == "王秀英"))).scalar_one()
        assert (person.gender, person.birth_date, person.mobile_masked) == ("female", date(1970, 3, 15), "138****0001")
        assert person.id_number_hash == deputies.id_number_key(both) and both not in (person.id_number_encrypted or "")
        levels = (await session.execute(select(Mandate.level).where(Mandate.person_id == person.id))).scalars()
        assert sorted(levels) == ["county", "township"]
        by_election = (
            await session.execute(select(Mandate.by_election).join(Person).where(Person.name == "赵敏"))
        ).scalar_one()
        assert by_election is True
        audit = await session.execute(
            select(func.count()).where(AuditLog.entity == "persons", AuditLog.entity_id == str(person.id))
        )
        assert audit.scalar_one() == 1
        logged = (await session.execute(select(AuditLog.changes).where(AuditLog.entity_id == str(person.id)))).scalar()
        assert logged["id_number_hash"] == "***" and both not in str(logged)

    # The same file again: every row is already in the register, nothing changes.
    again = await client.post(URL, headers=staff.headers, **upload(workbook(rows)))
    assert again.status_code == 400 and again.json()["code"] == "import_rows_invalid"
    assert all("已有有效的代表资格" in e["message"] for e in again.json()["details"]["errors"])
    assert await register_state() == (before[0] + 3, before[1] + 4, before[2] + 4)


async def test_imported_mandates_reach_the_directory(client, database, staff) -> None:
    """The bulk publication writes exactly what the register's own publication writes."""
    broker = use_broker(make_broker("stub"))
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        rows = [row(f"导入代表{i}", id_number(100 + i, "19660606")) for i in range(3)]
        response = await client.post(URL, headers=staff.headers, **upload(workbook(rows)))
        assert response.status_code == 201, response.text
        await OutboxRelay(database, broker).drain()
        tenant = await load_tenant(OFFICE)
        async with tenant_session(tenant, actor="test", read_only=True) as session:
            ids = list(
                (await session.execute(select(Mandate.id).join(Person).where(Person.name.like("导入代表%")))).scalars()
            )

        async def published() -> bool:
            async with database.platform_session() as session:
                query = select(func.count()).where(DirectoryEntry.mandate_id.in_(ids))
                return (await session.execute(query)).scalar_one() == 3

        for _ in range(150):
            if await published():
                break
            await asyncio.sleep(0.2)
        assert await published()

        def comparable(entry: DirectoryEntry) -> dict[str, Any]:
            return {k: v for k, v in vars(entry).items() if not k.startswith("_") and k != "published_at"}

        async def entries() -> list[dict[str, Any]]:
            async with database.platform_session() as session:
                query = select(DirectoryEntry).where(DirectoryEntry.mandate_id.in_(ids)).order_by("mandate_id")
                return [comparable(e) for e in (await session.execute(query)).scalars()]

        bulk = await entries()
        assert {e["person_name"] for e in bulk} == {"导入代表0", "导入代表1", "导入代表2"}
        async with tenant_session(tenant, actor="test", read_only=True) as session:
            for mandate_id in ids:  # one message per mandate, as after a single edit
                await directory.publish(session, tenant, [mandate_id])
        assert await entries() == bulk
        async with tenant_session(tenant, actor="test", read_only=True) as session:
            await directory.publish(session, tenant, ids)  # a repeated delivery changes nothing
        assert await entries() == bulk
    finally:
        worker.stop()
        broker.close()


def bad_rows(region: str) -> list[dict[str, Any]]:
    """Three valid rows among twelve invalid ones; ID numbers of `region`, so each test has its own persons."""

    def number(n: int, male: bool = True) -> str:
        return id_number(n, male=male, region=region)

    wrong_check = number(201)[:-1] + ("0" if number(201)[-1] != "0" else "1")
    return [
        row("合格甲", number(200)),  # row 2: valid
        row("校验错", wrong_check),  # row 3
        row("超届期", number(202), 任职起始日期="2030-01-01"),  # row 4: after the term
        row("数字号", int(number(203)[:17])),  # row 5: an ID number typed as a number
        row("日期错", number(204), 出生日期="去年春天"),  # row 6: not a date
        row("届次错", number(205), 届次="本届"),  # row 7
        row("合格乙", number(206)),  # row 8: valid
        row("合格乙", number(206), 选区="另一选区"),  # row 9: the same person and term again
        row("无此会", number(207), 所属人大="不存在的人民代表大会"),  # row 10
        row("层级错", number(208), 代表层级="省人大代表"),  # row 11: not the congress's level
        row("性别错", number(209), 性别="未知"),  # row 12
        row("性别反", number(210, male=True), 性别="女"),  # row 13: contradicts the ID number
        row("合格丙", number(211), 代表层级="乡镇人大代表", 所属人大=TOWN_CONGRESS, 届次=19),  # row 14: valid
        row("姓名变", number(211), 届次=18),  # row 15: same ID number as row 14, another name
        row("党派错", number(212), 政治面貌="某某党"),  # row 16
    ]


EXPECTED_ERRORS = {
    (3, "身份证号码"),
    (4, "任职起始日期"),
    (5, "身份证号码"),
    (6, "出生日期"),
    (7, "届次"),
    (9, ""),
    (10, "所属人大"),
    (11, "代表层级"),
    (12, "性别"),
    (13, "性别"),
    (15, "姓名"),
    (16, "政治面貌"),
}


async def test_invalid_rows_import_nothing_and_are_reported(client, staff) -> None:
    before = await register_state()
    response = await client.post(URL, headers=staff.headers, **upload(workbook(bad_rows(OFFICE))))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "import_rows_invalid" and "未导入任何数据" in body["message"]
    assert errors_of(body) == EXPECTED_ERRORS
    messages = {(e["row"]): e["message"] for e in body["details"]["errors"]}
    assert "校验位" in messages[3] and "不在第十八届任期" in messages[4] and "文本" in messages[5]
    assert "与第 8 行重复" in messages[9] and "与第 14 行身份证号码相同" in messages[15]
    assert await register_state() == before

    report = await client.get(body["details"]["error_report_url"], headers=staff.headers)
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    lines = [[c.value for c in r] for r in sheet.iter_rows()]
    assert lines[0] == ["行号", "姓名", "列", "问题"]
    assert {(r[0], r[2]) for r in lines[1:]} == {(n, c or "整行") for n, c in EXPECTED_ERRORS}
    assert ["9", "合格乙"] == [str(v) for v in next(r for r in lines if r[0] == 9)[:2]]


async def test_valid_only_mode_imports_the_valid_rows(client, staff) -> None:
    before = await register_state()
    response = await client.post(
        f"{URL}?mode=valid_only", headers=staff.headers, **upload(workbook(bad_rows("610927")))
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert errors_of(result) == EXPECTED_ERRORS
    assert (result["total_rows"], result["valid_rows"], result["imported_rows"]) == (15, 3, 3)
    assert await register_state() == (before[0] + 3, before[1] + 3, before[2] + 3)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([h for h in HEADERS if h != "身份证号码"], "缺少必填列:身份证号码"),
        ([*HEADERS, "备注"], "无法识别的列:备注"),
        ([*HEADERS[:3], "姓名", *HEADERS[3:]], "重复的列:姓名"),
        (["代表", "号码"], "缺少必填列"),
    ],
)
async def test_wrong_columns_are_refused(client, staff, headers, expected) -> None:
    before = await register_state()
    content = workbook([row("列错误", id_number(300))], headers=headers)
    response = await client.post(URL, headers=staff.headers, **upload(content))
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_columns" and expected in response.json()["message"]
    assert await register_state() == before


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "这不是工作簿")
    return buffer.getvalue()


def _with_broken_sheet() -> bytes:
    """A real workbook whose sheet XML is damaged: openpyxl opens it, then fails while reading rows."""
    source = zipfile.ZipFile(io.BytesIO(workbook([row("损坏", id_number(302))])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry in source.infolist():
            data = source.read(entry)
            archive.writestr(entry, b"<worksheet><sheetData><row>" if entry.filename.endswith("sheet1.xml") else data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    """150 MB of zeros in a 150 kB file, dressed as a workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * (150 * 1024 * 1024))
    return buffer.getvalue()


async def test_bombs_and_broken_sheets_are_refused(client, staff) -> None:
    before = await register_state()
    bomb = await client.post(URL, headers=staff.headers, **upload(_zip_bomb()))
    assert bomb.status_code == 400 and bomb.json()["code"] == "file_too_large"
    broken = await client.post(URL, headers=staff.headers, **upload(_with_broken_sheet()))
    assert broken.status_code == 400 and broken.json()["code"] == "not_xlsx"
    assert await register_state() == before


@pytest.mark.parametrize(
    "content",
    [
        "姓名,身份证号码\n张三,1\n".encode(),  # a CSV renamed to .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000,  # an old .xls
        b"%PDF-1.7\n" + b"0" * 1000,
        _zip_without_workbook(),  # a zip, but no workbook inside
        workbook([row("截断", id_number(301))])[:1500],  # a damaged workbook
        b"",
    ],
    ids=["csv", "xls", "pdf", "zip", "truncated", "empty"],
)
async def test_files_that_are_not_xlsx_are_refused(client, staff, content) -> None:
    before = await register_state()
    response = await client.post(URL, headers=staff.headers, **upload(content))
    assert response.status_code == 400, response.text
    assert response.json()["code"] in ("not_xlsx", "empty_file")
    assert await register_state() == before


async def test_fifty_megabytes_of_junk_are_refused_unread(client, staff) -> None:
    before = await register_state()
    junk = b"\x00junk" * (10 * 1024 * 1024)  # 50 MiB
    response = await client.post(URL, headers=staff.headers, **upload(junk))
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"

    # Only the announced length is read: 50 MB announced, a few bytes sent, refused before reading.
    announced = await client.post(
        URL,
        headers={**staff.headers, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(len(junk))},
        content=b"--x\r\n",
    )
    assert announced.status_code == 413
    assert await register_state() == before


async def test_empty_sheet_and_too_many_rows(client, staff, monkeypatch) -> None:
    empty = await client.post(URL, headers=staff.headers, **upload(workbook([])))
    assert empty.status_code == 400 and empty.json()["code"] == "no_rows"
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    many = [row(f"多行{i}", id_number(400 + i)) for i in range(4)]
    response = await client.post(URL, headers=staff.headers, **upload(workbook(many)))
    assert response.status_code == 400 and response.json()["code"] == "too_many_rows"


async def test_unknown_mode_and_readers_are_refused(client, database, staff) -> None:
    content = workbook([row("方式错", id_number(500))])
    response = await client.post(f"{URL}?mode=some", headers=staff.headers, **upload(content))
    assert response.status_code == 400 and response.json()["code"] == "invalid_import_mode"
    viewer = await make_caller(database, "平利县只读用户", {OFFICE: ["viewer"]})
    refused = await client.post(URL, headers=viewer.headers, **upload(content))
    assert refused.status_code == 403


async def test_import_page(client, staff) -> None:
    html = {**staff.headers, "Accept": "text/html"}
    page = await client.get(f"/t/{OFFICE}/deputies/import", headers=html)
    assert page.status_code == 200 and "下载导入模板" in page.text and "仅导入无误的行" in page.text
    bad = await client.post(
        f"/t/{OFFICE}/deputies/import",
        headers=html,
        data={"mode": "all"},
        files={"file": ("名册.xlsx", workbook(bad_rows("610928")[:3]), importer.XLSX)},
    )
    assert bad.status_code == 400 and "未导入任何数据" in bad.text and "下载错误报告" in bad.text
    assert "校验位" in bad.text
    number = id_number(600, "19720202")
    good = await client.post(
        f"/t/{OFFICE}/deputies/import",
        headers=html,
        data={"mode": "all"},
        files={"file": ("名册.xlsx", workbook([row("页面导入", number)]), importer.XLSX)},
    )
    assert good.status_code == 200 and "已导入 1 个代表资格" in good.text
    junk = await client.post(
        f"/t/{OFFICE}/deputies/import",
        headers=html,
        data={"mode": "all"},
        files={"file": ("名册.xlsx", b"not a workbook", importer.XLSX)},
    )
    assert junk.status_code == 400 and "不是 Excel 工作簿" in junk.text


async def test_a_person_already_in_the_register_gets_the_new_mandate(client, staff) -> None:
    number = id_number(700, "19690909")
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor="system:test") as session:
        await deputies.create_person(session, PersonIn(name="老代表", id_number=number))
        await session.commit()
    other_name = await client.post(URL, headers=staff.headers, **upload(workbook([row("新名字", number)])))
    assert other_name.status_code == 400
    assert "已登记在代表“老代表”名下" in other_name.json()["details"]["errors"][0]["message"]
    before = await register_state()
    same = await client.post(URL, headers=staff.headers, **upload(workbook([row("老代表", number)])))
    assert same.status_code == 201, same.text
    assert (same.json()["persons_created"], same.json()["persons_matched"]) == (0, 1)
    assert await register_state() == (before[0], before[1] + 1, before[2] + 1)


async def test_valid_only_with_no_valid_row_imports_nothing(client, staff) -> None:
    before = await register_state()
    rows = [row("无效甲", "123"), row("无效乙", id_number(800), 届次="下届")]
    response = await client.post(f"{URL}?mode=valid_only", headers=staff.headers, **upload(workbook(rows)))
    assert response.status_code == 400 and response.json()["code"] == "import_rows_invalid"
    assert "仅导入无误的行" not in response.json()["message"]
    assert await register_state() == before


async def test_a_person_added_meanwhile_is_a_conflict(client, staff, monkeypatch) -> None:
    """Another writer adds the same person between the checks and the write: 409, nothing written."""
    from renda.modules.register_import import repository

    number = id_number(900, "19710707")
    tenant = await load_tenant(OFFICE)
    async with tenant_session(tenant, actor="system:test") as session:
        await deputies.create_person(session, PersonIn(name="同时录入", id_number=number))
        await session.commit()
    before = await register_state()

    async def not_seen_yet(session, keys):
        return {}

    monkeypatch.setattr(repository, "persons_by_key", not_seen_yet)
    response = await client.post(URL, headers=staff.headers, **upload(workbook([row("同时录入", number)])))
    assert response.status_code == 409 and response.json()["code"] == "import_conflict"
    assert await register_state() == before
