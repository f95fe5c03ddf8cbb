"""Offices, deputies and stations for the portal tests, written straight into an office's schema.

The test database is shared by the whole run, so every helper makes its own rows (fresh names, a
fresh term) instead of relying on what other tests left behind.
"""

from __future__ import annotations

import io
import random
import re
import uuid
import zlib
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select

from renda.modules.deputies.models import Congress, Mandate, Person, Term
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.organisation.models import Station, StationAssignment
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant

ACTOR = "system:test:公开页面"
CITY, A, B, TOWNSHIP = "610200", "610222", "610203", "610222100"
NAMES = {
    CITY: "铜川市人大常委会",
    A: "铜川市宜君县人大常委会",
    B: "铜川市印台区人大常委会",
    TOWNSHIP: "宜君县宜阳街道人大工委",
}


async def offices(database: Any) -> None:
    await ensure_tenant(database, CITY, NAMES[CITY], "city", None)
    await ensure_tenant(database, A, NAMES[A], "county", CITY)
    await ensure_tenant(database, B, NAMES[B], "county", CITY)
    await ensure_tenant(database, TOWNSHIP, NAMES[TOWNSHIP], "township", A)


def unique(prefix: str) -> str:
    """A name nobody else in the run has: the prefix and four more Chinese characters."""
    return prefix + "".join(random.choice("春夏秋冬梅兰竹菊松柏山水云天明月星辰") for _ in range(4))


def png_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def fresh_term(code: str) -> uuid.UUID:
    """A new term of the office's own county congress (2026-10-01 to 2031-09-30), not current."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Congress).where(Congress.level == "county", Congress.division_code == code)
        congress = (await session.execute(query)).scalar_one_or_none()
        if congress is None:
            congress = Congress(level="county", name=f"{code}人民代表大会", division_code=code)
            session.add(congress)
            await session.flush()
        taken = set((await session.execute(select(Term.number).where(Term.congress_id == congress.id))).scalars())
        number = random.choice([n for n in range(20, 100) if n not in taken])
        term = Term(
            congress_id=congress.id,
            number=number,
            starts_on=date(2026, 10, 1),
            ends_on=date(2031, 9, 30),
            is_current=False,
        )
        session.add(term)
        await session.commit()
        return term.id


async def add_deputy(
    code: str,
    term_id: uuid.UUID,
    name: str,
    *,
    public_fields: list[str],
    ended: bool = False,
    photo: bytes | None = None,
    **fields: Any,
) -> uuid.UUID:
    """A person with one county mandate in `term_id` (ended if asked)."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        person = Person(
            name=name,
            name_pinyin=full_pinyin(name),
            name_initials=initials(name),
            gender=fields.pop("gender", "male"),
            public_fields=public_fields,
            photo=photo,
            photo_type="image/png" if photo else None,
            **fields,
        )
        session.add(person)
        await session.flush()
        mandate = Mandate(
            person_id=person.id,
            term_id=term_id,
            level="county",
            constituency="宜阳街道第一选区",
            starts_on=date(2026, 10, 1),
        )
        if ended:
            mandate.status, mandate.ended_on, mandate.end_reason = "ended", date(2026, 11, 1), "resigned"
        session.add(mandate)
        await session.commit()
        return person.id


async def add_station(
    code: str,
    name: str,
    *,
    address: str | None = None,
    township_code: str | None = None,
    days: list[int] | None = None,
    active: bool = True,
    deputies: list[uuid.UUID] = (),  # type: ignore[assignment]
) -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        station = Station(
            kind="liaison_station",
            name=name,
            address=address,
            township_code=township_code,
            reception_days=days if days is not None else [10, 20, 30],
            opening_rules="接待日上午 9:00-12:00",
            is_active=active,
        )
        session.add(station)
        await session.flush()
        session.add_all(StationAssignment(station_id=station.id, person_id=p) for p in deputies)
        await session.commit()
        return station.id


def next_tenth(today: date) -> date:
    """The next 逢十 day from `today` (the 30th of February falls on its last day)."""
    day = today
    while True:
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if day.day in (10, 20, 30) or (day == month_end and day.day < 30):
            return day
        day += timedelta(days=1)


# --- reading a PDF without a PDF library ---------------------------------------------------------------
# The end-of-line before `endstream` stays in the match: a compressed stream may itself end in "\r".
STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
SHOWN = re.compile(rb"\[(.*?)\]\s*TJ|<([0-9A-Fa-f]+)>\s*Tj", re.S)


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for raw in STREAM.findall(pdf):
        try:  # a decompressor object stops at the end of the compressed data (the end-of-line is after it)
            found.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


def _unicode(hex_text: bytes) -> str:
    data = bytes.fromhex(hex_text.decode())
    return data.decode("utf-16-be", "replace")


def pdf_text(pdf: bytes) -> str:
    """The text a PDF shows, decoded through its fonts' ToUnicode maps.

    Enough for WeasyPrint's output with one embedded font: glyphs are shown as hex strings (`<...> Tj`
    or `[<...> ...] TJ`) whose codes the font's ToUnicode CMap maps back to characters.
    """
    streams = _streams(pdf)
    cmap: dict[int, str] = {}
    for stream in streams:
        for block in BFCHAR.findall(stream):
            pairs = HEX.findall(block)
            for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
                cmap[int(src, 16)] = _unicode(dst)
        for block in BFRANGE.findall(stream):
            for line in block.strip().splitlines():
                parts = HEX.findall(line)
                if len(parts) == 3:
                    low, high, dst = int(parts[0], 16), int(parts[1], 16), _unicode(parts[2])
                    for offset in range(high - low + 1):
                        cmap[low + offset] = dst[:-1] + chr(ord(dst[-1]) + offset)
    width = 4  # CID fonts (Identity-H) show two bytes per glyph
    text = []
    for stream in streams:
        if b"BT" not in stream:
            continue
        for array, single in SHOWN.findall(stream):
            for chunk in HEX.findall(array) if array else [single]:
                codes = chunk.decode()
                text.extend(cmap.get(int(codes[i : i + width], 16), "") for i in range(0, len(codes), width))
            text.append(" ")
    return "".join(text)
