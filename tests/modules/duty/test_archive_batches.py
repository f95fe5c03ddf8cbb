"""A whole group's or station's archives of a year as one background job: a zip with one PDF per deputy
(or one Excel sheet), its progress recorded on the export as it goes and shown on a page."""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from datetime import datetime

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty.archive_tasks import BATCH_KIND, build_batch
from renda.modules.exports.models import Export
from renda.modules.exports.tasks import progress_recorder
from renda.modules.organisation.models import DeputyGroup, Station, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, duty_office, person_name, unique
from tests.modules.duty.support_archives import YEAR, fill_year
from tests.modules.portal.support import pdf_text

pytestmark = pytest.mark.date_sensitive

DECEMBER = datetime(YEAR, 12, 28, 10, 0, tzinfo=LOCAL_TZ)


def api(code: str) -> str:
    return f"/api/v1/t/{code}/duty/archives"


async def finished(client, code: str, export_id: str, headers: dict) -> tuple[dict, list[tuple[int, int]]]:
    """Poll the batch until it is no longer pending; the progress seen on the way."""
    seen: list[tuple[int, int]] = []
    for _ in range(1200):  # the broker and the relay share a busy database in CI
        state = (await client.get(f"{api(code)}/batches/{export_id}", headers=headers)).json()
        if state["progress_total"] is not None:
            seen.append((state["progress_done"], state["progress_total"]))
        if state["status"] != "pending":
            return state, seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"the batch is still pending: {state}")


async def test_a_groups_archives_as_one_zip_of_pdfs_with_progress(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安批量", deputies=2)
    await fill_year(office.code, office.person)
    names = [await person_name(office.code, p) for p in office.persons]
    with time_machine.travel(DECEMBER, tick=True):
        started = await client.post(
            f"{api(office.code)}/batches",
            json={"year": YEAR, "group_id": str(office.group_id)},
            headers=office.staff.headers,
        )
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "pending"
        state, seen = await finished(client, office.code, started.json()["id"], office.viewer.headers)
        assert state["status"] == "done", state
        assert (state["progress_done"], state["progress_total"], state["count"]) == (2, 2, 2)
        assert all(done <= total == 2 for done, total in seen) and seen == sorted(seen)

        page = await client.get(
            f"/t/{office.code}/duty/archives/batches/{state['id']}",
            headers={"Accept": "text/html", **office.staff.headers},
        )
        assert page.status_code == 200 and "2/2" in page.text and "data-refresh-seconds" not in page.text
        assert f"/exports/{state['id']}/file" in page.text

        download = await client.get(f"/api/v1/t/{office.code}/exports/{state['id']}/file", headers=office.staff.headers)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    members = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(members.namelist()) == sorted(f"{YEAR}年度履职档案_{n}.pdf" for n in names)
    first = "".join(pdf_text(members.read(f"{YEAR}年度履职档案_{names[0]}.pdf")).split())
    assert names[0] in first and "关于硬化宝丰镇至溢水镇公路的建议" in first and "宜昌市远安县人大常委会" in first
    second = "".join(pdf_text(members.read(f"{YEAR}年度履职档案_{names[1]}.pdf")).split())
    assert names[1] in second and "关于硬化宝丰镇至溢水镇公路的建议" not in second


async def test_a_stations_archives_as_one_excel_sheet(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安批量表格", deputies=2)
    await fill_year(office.code, office.person)
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        station = Station(kind="liaison_station", name=unique("远安档案联络站"), reception_days=[10, 20, 30])
        session.add(station)
        await session.flush()
        session.add(StationAssignment(station_id=station.id, person_id=office.person))
        await session.commit()
        station_id = station.id
    with time_machine.travel(DECEMBER, tick=True):
        body = {"year": YEAR, "station_id": str(station_id), "format": "xlsx"}
        started = await client.post(f"{api(office.code)}/batches", json=body, headers=office.staff.headers)
        assert started.status_code == 202, started.text
        state, _ = await finished(client, office.code, started.json()["id"], office.staff.headers)
        download = await client.get(f"/api/v1/t/{office.code}/exports/{state['id']}/file", headers=office.staff.headers)
    assert state["status"] == "done" and state["filename"].endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("代表", "年度", "档案状态", "档案部分")
    assert {r[0] for r in rows[1:]} == {await person_name(office.code, office.person)}  # the station's one deputy


async def test_the_job_reports_progress_item_by_item(database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安进度", deputies=3)
    tenant = await load_tenant(office.code)
    reported: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        reported.append((done, total))

    with time_machine.travel(DECEMBER, tick=True):
        async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
            made = await build_batch(session, {"year": YEAR, "group_id": str(office.group_id)}, progress)
    assert reported == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert made.count == 3 and len(zipfile.ZipFile(io.BytesIO(made.content)).namelist()) == 3

    # The recorder writes in its own transaction at most once a second, always the first and the last.
    async with tenant_session(tenant, actor=ACTOR) as session:
        export = Export(kind=BATCH_KIND, params={"year": YEAR}, requested_by=ACTOR)
        session.add(export)
        await session.commit()
        export_id = export.id

    async def stored() -> tuple[int | None, int | None]:
        async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
            row = (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()
            return row.progress_done, row.progress_total

    record = progress_recorder(tenant, export_id)
    await record(0, 300)
    assert await stored() == (0, 300)
    await record(1, 300)  # within the second: not written
    assert await stored() == (0, 300)
    await record(300, 300)
    assert await stored() == (300, 300)


async def test_bad_batches_are_refused_and_make_nothing(client, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安批量拒绝", deputies=1)
    other = await duty_office(database, offices["b"], "兴山批量拒绝", deputies=1)
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        empty = DeputyGroup(kind="professional", name=unique("远安空小组"))
        audit = Export(kind="audit_log", params={}, requested_by=ACTOR)
        session.add_all([empty, audit])
        await session.commit()
        empty_id, not_a_batch = empty.id, audit.id
        before = len((await session.execute(select(Export.id))).all())
    url = f"{api(office.code)}/batches"
    group = str(office.group_id)
    with time_machine.travel(DECEMBER, tick=True):
        for body, who, status, code in (
            ({"year": YEAR, "group_id": group}, office.deputy, 403, None),
            ({"year": YEAR}, office.staff, 400, "batch_scope"),
            ({"year": YEAR, "group_id": group, "station_id": str(uuid.uuid4())}, office.staff, 400, "batch_scope"),
            ({"year": YEAR, "group_id": str(other.group_id)}, office.staff, 404, "group_not_found"),
            ({"year": YEAR, "group_id": str(empty_id)}, office.staff, 400, "batch_empty"),
            ({"year": YEAR + 1, "group_id": group}, office.staff, 400, "invalid_year"),
            ({"year": YEAR, "group_id": group, "format": "doc"}, office.staff, 400, None),
        ):
            refused = await client.post(url, json=body, headers=who.headers)
            assert refused.status_code == status, (body, refused.text)
            assert code is None or refused.json()["code"] == code, (body, refused.text)
        # A page form names its scope as group:<id> or station:<id>.
        form = await client.post(
            f"/t/{office.code}/duty/archives/batches",
            data={"year": str(YEAR), "scope": "everyone"},
            headers={"Accept": "text/html", **office.staff.headers},
        )
        assert form.status_code == 400 and "请选择一个代表小组或一个家站室" in form.text
        elsewhere = await client.get(f"{url}/{not_a_batch}", headers=office.staff.headers)
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "batch_not_found")
    async with tenant_session(await load_tenant(office.code), actor=ACTOR, read_only=True) as session:
        assert len((await session.execute(select(Export.id))).all()) == before
