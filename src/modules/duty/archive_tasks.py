"""Background work of the archives: the year-end closing, and the exports of many archives at once (a
group's or a station's archives of a year as one zip of PDFs, with progress; or as one Excel sheet).

The export kinds are registered here: every process that runs actors imports the module's tasks, and
the web app, which requests the exports, does too.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import LOCAL_TZ
from renda.modules.duty import archive_render, archives
from renda.modules.duty.archive_batches import BATCH_KIND, EXCEL_KIND
from renda.modules.exports.service import (
    ExportFile,
    ExportKind,
    Progress,
    file_kind,
    register_export,
    scratch_directory,
)
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.scheduler import Yearly, per_office

WORKER_ACTOR = "system:worker:履职档案"


# --- the year-end closing --------------------------------------------------------------------------
@per_office("duty.close_archives", Yearly(month=1, day=1, hour=0, minute=30))
@actor(queue_name="duty", max_retries=3, time_limit=60 * 60_000, max_age=7 * 24 * 3_600_000, max_backoff=5 * 60_000)
async def close_duty_archives(tenant_code: str, period: str) -> None:
    """1 January: every archive of the year just ended is closed (also by hand:
    `POST /api/v1/t/{code}/duty/archives/close`). Delivered twice, it closes nothing more."""
    new_year = datetime.fromisoformat(period).astimezone(LOCAL_TZ).date()
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        await archives.close_year(session, tenant.name, new_year.year - 1, today=new_year)
        await session.commit()


# --- many archives at once -------------------------------------------------------------------------
def _scope(params: dict[str, Any]) -> archives.Scope:
    def an_id(key: str) -> uuid.UUID | None:
        return uuid.UUID(params[key]) if params.get(key) else None

    return archives.Scope(group_id=an_id("group_id"), station_id=an_id("station_id"))


async def _office(session: AsyncSession, params: dict[str, Any]) -> str:
    """The office's name: noted when the export was requested, else looked up."""
    return str(params.get("office") or (await load_tenant(str(session.info["tenant_code"]))).name)


async def _persons(session: AsyncSession, params: dict[str, Any]) -> tuple[int, list[tuple[uuid.UUID, str]]]:
    year = int(params["year"])
    if params.get("person_id"):
        return year, [(uuid.UUID(params["person_id"]), "")]
    return year, await archives.persons_in(session, year, _scope(params))


def _member_name(year: int, name: str, taken: set[str]) -> str:
    """The PDF's name in the zip: one per deputy, two of the same name told apart."""
    base = f"{year}年度履职档案_{name}"
    found, n = f"{base}.pdf", 2
    while found in taken:
        found, n = f"{base}_{n}.pdf", n + 1
    taken.add(found)
    return found


async def build_batch(session: AsyncSession, params: dict[str, Any], progress: Progress) -> ExportFile:
    """The archives of a group or station of a year, one PDF per deputy in a zip (each deputy's file
    stays one file, as it is filed: 一人一档). PDFs are compressed already: stored, not deflated."""
    office = await _office(session, params)
    year, persons = await _persons(session, params)
    await progress(0, len(persons))
    taken = set[str]()
    # Made on disk, not in memory (an office's archives run to hundreds of PDFs), in scratch space that
    # goes with whatever was written should the job fail, run out of disk or of time.
    with scratch_directory() as work:
        path = work / "archives.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive_zip:
            for done, (person_id, name) in enumerate(persons, 1):
                view = await archives.archive_of(session, office, person_id, year)
                archive_zip.writestr(_member_name(year, name or view.name, taken), await archive_render.pdf_of(view))
                await progress(done, len(persons))
        content = path.read_bytes()
    scope_name = str(params.get("scope_name") or "")
    return ExportFile(content, f"{year}年度代表履职档案{scope_name}.zip", len(persons))


async def excel_export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Every archive in scope as rows of one sheet (`archive_render.EXCEL_HEADERS`)."""
    office = await _office(session, params)
    year, persons = await _persons(session, params)
    for person_id, _ in persons:
        for row in archive_render.excel_rows(await archives.archive_of(session, office, person_id, year)):
            yield row


register_export(file_kind(BATCH_KIND, "代表履职档案(PDF)", build_batch, "duty.read"))
register_export(
    ExportKind(EXCEL_KIND, archive_render.EXCEL_LABEL, archive_render.EXCEL_HEADERS, excel_export_rows, "duty.read")
)
