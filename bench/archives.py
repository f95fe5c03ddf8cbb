"""Benchmark a batch of yearly duty archives as PDFs (the job behind 批量导出履职档案): a group of
300 deputies, each with a year of records, made into one zip of 300 PDFs exactly as the export job
does it (`archive_tasks.build_batch`: every archive read from the database, rendered, zipped).

The baseline, in the same run: the same number of PDFs rendered with `render_pdf` from the same
template and one archive's content read once (no database reads, no zip), so the ratio shows what
the reads and the packing add to the rendering that any PDF of the archive costs. Memory is the
process's peak resident set during each phase above what it held when the phase began (sampled
every 20 ms), and the batch's zip size.

Usage: .venv/bin/python bench/archives.py [--deputies 300] [--entries 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from renda.core.crypto import configure_secrets
from renda.core.db import configure_database
from renda.core.timezone import LOCAL_TZ
from renda.modules.audit.recorder import install_audit_recorder
from renda.tenants.divisions import Level
from renda.tenants.migrations import upgrade_platform
from renda.tenants.schemas import TenantCreate
from renda.tenants.service import create_tenant
from tenants import rss_bytes, server_url, throwaway_database  # bench/tenants.py, beside this script

CITY, COUNTY, YEAR = "610900", "610901", 2026
ACTOR = "system:bench"
MIB = 1024 * 1024
SURNAMES, GIVEN = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


class PeakRss:
    """The peak RSS above the start while the block runs, sampled in a thread."""

    def __init__(self) -> None:
        self.start = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def grown_mib(self) -> float:
        return round((self.peak - self.start) / MIB, 1)


async def seed(deputies: int, entries: int) -> uuid.UUID:
    """A county with a group of `deputies`, each with a year: ten activities attended (one a training),
    a verified evidence, `entries` ledger lines and a rating with its steps. Returns the group's id."""
    from renda.modules.deputies.models import Congress, Mandate, Person, Term
    from renda.modules.duty.models import Activity, Attendance, Evidence, PointEntry, Rating, RatingStep
    from renda.modules.organisation.models import DeputyGroup, GroupMembership
    from renda.tenants.scoping import load_tenant, tenant_session

    async with tenant_session(await load_tenant(COUNTY), actor=ACTOR) as session:
        congress = Congress(level="county", name="基准县人民代表大会", division_code=COUNTY)
        session.add(congress)
        await session.flush()
        term = Term(congress_id=congress.id, number=18, starts_on=date(2021, 10, 1), is_current=True)
        group = DeputyGroup(kind="geographic", name="基准代表小组", township_code=f"{COUNTY}100")
        session.add_all([term, group])
        await session.flush()
        activities = [
            Activity(
                kind="training" if n == 0 else ("session", "inspection", "research", "law_check")[n % 4],
                title=f"{YEAR}年第{n + 1}次履职活动",
                place="县人大常委会会议室",
                starts_at=datetime(YEAR, 1 + n, 10, 9, tzinfo=LOCAL_TZ),
                ends_at=datetime(YEAR, 1 + n, 10, 17, tzinfo=LOCAL_TZ),
                year=YEAR,
                hours=Decimal(4) if n == 0 else None,
                status="finished",
                sign_in_secret=uuid.uuid4().hex,
                created_by=ACTOR,
            )
            for n in range(10)
        ]
        session.add_all(activities)
        persons = [
            Person(
                name=SURNAMES[i % 20] + GIVEN[i % 24] + GIVEN[(i // 24) % 24],
                name_pinyin=f"p{i:05d}",
                name_initials="p",
                gender="male" if i % 3 else "female",
            )
            for i in range(deputies)
        ]
        session.add_all(persons)
        await session.flush()
        for i, person in enumerate(persons):
            session.add(Mandate(person_id=person.id, term_id=term.id, level="county", starts_on=term.starts_on))
            session.add(GroupMembership(group_id=group.id, group_kind="geographic", person_id=person.id))
            for n, activity in enumerate(activities):
                status = ("present", "present", "present", "leave", "absent")[(i + n) % 5]
                session.add(
                    Attendance(
                        activity_id=activity.id, person_id=person.id, status=status, source="list", recorded_by=ACTOR
                    )
                )
            session.add(
                Evidence(
                    person_id=person.id,
                    year=YEAR,
                    kind="training",
                    title="线上履职学习",
                    occurred_on=date(YEAR, 7, 3),
                    hours=Decimal(2),
                    status="verified",
                    submitted_by=ACTOR,
                )
            )
            kinds = (("reception", "people", "reception"), ("suggestion_lead", "suggestions", "suggestion"))
            for n in range(entries):
                kind, category, source = kinds[n % 2]
                session.add(
                    PointEntry(
                        year=YEAR,
                        person_id=person.id,
                        category=category,
                        event_kind=kind,
                        source=source,
                        source_id=uuid.uuid4(),
                        source_label=f"{YEAR}年第{n + 1}项履职记录(接待选民或提出建议)",
                        occurred_on=date(YEAR, 1 + n % 12, 1 + n % 28),
                        points=Decimal(2),
                        created_by=ACTOR,
                    )
                )
            rating = Rating(year=YEAR, person_id=person.id, step="committee", grade="good", stars=4)
            session.add(rating)
            await session.flush()
            session.add_all(
                RatingStep(rating_id=rating.id, step=s, grade="good", actor=ACTOR) for s in ("self", "group")
            )
        await session.commit()
        return group.id


async def measure(group_id: uuid.UUID, deputies: int) -> dict[str, Any]:
    from renda.modules.duty import archive_render, archives
    from renda.modules.duty.archive_tasks import build_batch
    from renda.tenants.scoping import load_tenant, tenant_session
    from renda.web.pdf import render_pdf

    tenant = await load_tenant(COUNTY)
    async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
        (first, _), *_ = await archives.persons_in(session, YEAR, archives.Scope(group_id=group_id))
        view = await archives.archive_of(session, tenant.name, first, YEAR)
    html = archive_render.print_html(view)
    sample = await asyncio.to_thread(render_pdf, html)  # the fonts loaded, the caches warm, for both

    with PeakRss() as floor_memory:
        started = time.perf_counter()
        for _ in range(deputies):
            await asyncio.to_thread(render_pdf, archive_render.print_html(view))
        floor_seconds = time.perf_counter() - started

    async def progress(done: int, total: int) -> None:
        return None

    params = {"year": YEAR, "group_id": str(group_id), "office": tenant.name, "scope_name": "_基准代表小组"}
    with PeakRss() as batch_memory:
        started = time.perf_counter()
        async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
            made = await build_batch(session, params, progress)
        batch_seconds = time.perf_counter() - started
    assert made.count == deputies

    async with tenant_session(tenant, actor=ACTOR, read_only=True) as session:
        started = time.perf_counter()
        for person_id, _ in await archives.persons_in(session, YEAR, archives.Scope(group_id=group_id)):
            await archives.archive_of(session, tenant.name, person_id, YEAR)
        reads_seconds = time.perf_counter() - started

    per_archive = batch_seconds / deputies
    floor_per_archive = floor_seconds / deputies
    return {
        "deputies": deputies,
        "pdf_kib_of_one": round(len(sample) / 1024, 1),
        "batch": {
            "seconds": round(batch_seconds, 2),
            "ms_per_archive": round(per_archive * 1000, 1),
            "peak_rss_grown_mib": batch_memory.grown_mib,
            "zip_mib": round(len(made.content) / MIB, 2),
        },
        "reads_only_ms_per_archive": round(reads_seconds / deputies * 1000, 1),
        "baseline_render_only": {
            "seconds": round(floor_seconds, 2),
            "ms_per_archive": round(floor_per_archive * 1000, 1),
            "peak_rss_grown_mib": floor_memory.grown_mib,
        },
        "ratio_batch_to_baseline": round(per_archive / floor_per_archive, 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deputies", type=int, default=300)
    parser.add_argument("--entries", type=int, default=30, help="ledger lines per deputy")
    parser.add_argument("--database-url", help="server to create the throwaway database on")
    args = parser.parse_args()
    if args.deputies < 1 or args.entries < 0:
        parser.error("--deputies must be at least 1 and --entries not negative")

    install_audit_recorder()  # as the app: the seeding pays for its audit rows too
    configure_secrets("bench-secret", [])
    server = server_url(args.database_url)
    async with throwaway_database(server) as url:
        database = configure_database(url)
        try:
            await upgrade_platform(database)
            await create_tenant(database, TenantCreate(CITY, "基准市人大常委会", Level.CITY, None), actor=ACTOR)
            await create_tenant(database, TenantCreate(COUNTY, "基准县人大常委会", Level.COUNTY, CITY), actor=ACTOR)
            started = time.perf_counter()
            group_id = await seed(args.deputies, args.entries)
            seeded = time.perf_counter() - started
            figures = await measure(group_id, args.deputies)
        finally:
            await database.dispose()
    b, f = figures["batch"], figures["baseline_render_only"]
    print(f"seeded {args.deputies} deputies ({args.entries} ledger lines each) in {seeded:.1f} s")
    print(f"{'':28}{'ms/archive':>12}{'peak RSS +MiB':>15}")
    print(f"{'batch (reads+render+zip)':28}{b['ms_per_archive']:>12}{b['peak_rss_grown_mib']:>15}")
    print(f"{'baseline (render only)':28}{f['ms_per_archive']:>12}{f['peak_rss_grown_mib']:>15}")
    print(f"reads alone: {figures['reads_only_ms_per_archive']} ms/archive; zip {b['zip_mib']} MiB")
    print(f"ratio batch / baseline: {figures['ratio_batch_to_baseline']}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
