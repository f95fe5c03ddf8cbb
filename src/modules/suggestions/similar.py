"""The repeated-suggestion check (反复提的建议) against the office's own suggestions and, where both
offices share (`SuggestionSettings.share_similar`), those of the offices above and below.

Candidates are found in PostgreSQL: the suggestion's rarest bigrams (document frequencies from
PostgreSQL's own statistics of the indexed column, `pg_stats.most_common_elems`) are looked up in a
GIN index, and the rows sharing most of them (at most `CANDIDATES`) are scored here with the weights
of `similarity.py`, the same the labelled pairs are measured with.

Other offices: a request reads only its own office's schema (`core.db.guard_statement`), so the
suggestions of the offices above and below are copied into each office's `similar_shared` table by the
`share_similar` worker (a platform job, like the rollups: it reads the source office and writes to
its neighbours, each in its own session), and only while both offices share. A search then reads one
schema; turning sharing off hides the copies at once and the worker deletes them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from renda.core.db import get_database, read_rows, utcnow
from renda.modules.suggestions.models import NOT_FILED, STATUSES, SimilarShared, Suggestion, SuggestionSettings
from renda.modules.suggestions.schemas import SimilarOut
from renda.modules.suggestions.similarity import THRESHOLD, Parts, Profile, score, selective
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef, tenant_session

KEYS = 40  # rare bigrams looked up per check
MAX_SHARE = 0.03  # a bigram in more of the suggestions finds too many rows to be a key
CANDIDATES = 100  # rows scored per table
STATS_SECONDS = 600.0  # how long an office's bigram statistics are reused

WORKER_ACTOR = "system:worker:反复提的建议"


# --- document frequencies from PostgreSQL's statistics -------------------------------------------
_STATS = text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
    " WHERE schemaname = :schema AND ((tablename = 'suggestions' AND attname = 'similarity_grams')"
    " OR (tablename = 'similar_shared' AND attname = 'grams')) AND most_common_elems IS NOT NULL"
)
_shares: dict[str, tuple[float, dict[str, float]]] = {}


async def gram_shares(session: AsyncSession) -> dict[str, float]:
    """bigram → share of the office's suggestions that contain it, for the bigrams PostgreSQL tracks
    (ANALYZE keeps the most common elements of an array column); untracked bigrams are rarer."""
    schema = session.info["tenant_schema"]
    cached = _shares.get(schema)
    if cached is not None and time.monotonic() - cached[0] < STATS_SECONDS:
        return cached[1]
    shares: dict[str, float] = {}
    for elems, freqs in await read_rows(session, _STATS, {"schema": schema}):
        for gram, freq in zip(elems, freqs, strict=False):  # freqs ends with min, max and null share
            shares[gram] = max(shares.get(gram, 0.0), freq)
    _shares[schema] = (time.monotonic(), shares)
    return shares


# --- the search -------------------------------------------------------------------------------
_KEYS = bindparam("keys", type_=ARRAY(Text))


def _overlap(column: Any) -> Any:
    """How many of the keys a row's bigrams contain: the order in which candidates are taken."""
    gram = func.unnest(column).column_valued("g")
    return select(func.count()).where(gram == any_(_KEYS)).scalar_subquery()


def own_candidates(exclude_id: uuid.UUID | None):
    hits = (
        select(Suggestion.id)
        .where(Suggestion.similarity_grams.op("&&")(_KEYS), Suggestion.status.not_in(NOT_FILED))
        .order_by(_overlap(Suggestion.similarity_grams).desc())
        .limit(CANDIDATES)
    )
    if exclude_id is not None:
        hits = hits.where(Suggestion.id != exclude_id)
    hits_cte = hits.cte("hits")
    return select(
        Suggestion.id,
        Suggestion.year,
        Suggestion.title,
        Suggestion.content,
        Suggestion.status,
        Suggestion.reply_class,
        Suggestion.follow_up,
        Suggestion.resolved_at,
    ).join(hits_cte, hits_cte.c.id == Suggestion.id)


def shared_candidates(offices: Sequence[str] | None, exclude_id: uuid.UUID | None):
    query = (
        select(
            SimilarShared.suggestion_id,
            SimilarShared.office_code,
            SimilarShared.office_name,
            SimilarShared.year,
            SimilarShared.title,
            SimilarShared.status,
            SimilarShared.reply_class,
            SimilarShared.resolved,
            SimilarShared.grams,
            SimilarShared.title_grams,
            SimilarShared.place_grams,
        )
        .where(SimilarShared.grams.op("&&")(_KEYS))
        .order_by(_overlap(SimilarShared.grams).desc())
        .limit(CANDIDATES)
    )
    if offices is not None:
        query = query.where(SimilarShared.office_code.in_(list(offices)))
    if exclude_id is not None:
        query = query.where(SimilarShared.suggestion_id != exclude_id)
    return query


def resolved_a(reply_class: str | None, follow_up: str | None, resolved_at: object) -> bool:
    """Answered as class A, or resolved when followed up (回头看): filing it again deserves a flag."""
    return reply_class == "A" or follow_up == "resolved" or resolved_at is not None


async def search(
    session: AsyncSession,
    *,
    title: str,
    content: str,
    exclude_id: uuid.UUID | None = None,
    offices: Sequence[str] | None = (),
    limit: int = 10,
    threshold: float = THRESHOLD,
) -> list[SimilarOut]:
    """The earlier suggestions most like this one (score ≥ `threshold`, best first): the office's own,
    and the copies of those of `offices` (codes of the offices above and below; None: every office
    whose copies are here, that is every neighbour that shares)."""
    code = session.info["tenant_code"]
    name = await session.scalar(select(Tenant.name).where(Tenant.code == code)) or code
    parts = Parts.of(title, content)
    keys = selective(parts, await gram_shares(session), KEYS, MAX_SHARE)
    if not keys:
        return []
    query = Profile.of_parts(parts)
    found: list[SimilarOut] = []
    for row in await read_rows(session, own_candidates(exclude_id), {"keys": keys}):
        value = score(query, Profile.of(row.title, row.content))
        if value >= threshold:
            found.append(_out(code, name, True, row, value, resolved_a(*row[5:8])))
    if offices is None or offices:
        for row in await read_rows(session, shared_candidates(offices, exclude_id), {"keys": keys}):
            shared = Parts(frozenset(row.grams), frozenset(row.title_grams), frozenset(row.place_grams))
            value = score(query, Profile.of_parts(shared))
            if value >= threshold:
                found.append(_out(row.office_code, row.office_name, False, row, value, row.resolved))
    found.sort(key=lambda s: (-s.score, -s.year, str(s.suggestion_id)))
    return found[:limit]


def _out(code: str, name: str, own: bool, row: object, value: float, flag: bool) -> SimilarOut:
    r = row._mapping  # type: ignore[attr-defined]
    return SimilarOut(
        suggestion_id=r.get("id") or r["suggestion_id"],
        office_code=code,
        office_name=name,
        own_office=own,
        year=r["year"],
        title=r["title"],
        status=r["status"],
        status_label=STATUSES.get(r["status"], r["status"]),
        reply_class=r["reply_class"],
        score=round(value, 3),
        flag_resolved_a=flag,
    )


async def sharing(session: AsyncSession) -> bool:
    """The office's `share_similar` setting (on until staff turn it off)."""
    value = await session.scalar(select(SuggestionSettings.share_similar).where(SuggestionSettings.id == 1))
    return True if value is None else bool(value)


# --- copying suggestions to the offices above and below (the `share_similar` worker) -------------
async def neighbours(office: TenantRef) -> list[TenantRef]:
    """The office above and the offices directly below (the platform's registry)."""
    async with get_database().platform_session() as session:
        me = await session.get_one(Tenant, office.id)
        query = select(Tenant).where((Tenant.parent_id == office.id) | (Tenant.id == me.parent_id))
        return [TenantRef.of(t) for t in (await session.execute(query.order_by(Tenant.code))).scalars()]


async def _rows_of(source: TenantRef, ids: Sequence[uuid.UUID] | None) -> tuple[bool, list[dict[str, object]]]:
    """Whether `source` shares, and (if it does) the rows it shares: its filed suggestions, or those of `ids`."""
    async with tenant_session(source, actor=WORKER_ACTOR, read_only=True) as session:
        if not await sharing(session):
            return False, []
        query = select(
            Suggestion.id,
            Suggestion.year,
            Suggestion.title,
            Suggestion.content,
            Suggestion.status,
            Suggestion.reply_class,
            Suggestion.follow_up,
            Suggestion.resolved_at,
        ).where(Suggestion.status.not_in(NOT_FILED))
        if ids is not None:
            query = query.where(Suggestion.id.in_(list(ids)))
        now = utcnow()
        rows = []
        for r in await read_rows(session, query):
            parts = Parts.of(r.title, r.content)
            rows.append(
                {
                    "office_code": source.code,
                    "suggestion_id": r.id,
                    "office_name": source.name,
                    "year": r.year,
                    "title": r.title,
                    "status": r.status,
                    "reply_class": r.reply_class,
                    "resolved": resolved_a(r.reply_class, r.follow_up, r.resolved_at),
                    "grams": sorted(parts.grams),
                    "title_grams": sorted(parts.title),
                    "place_grams": sorted(parts.places),
                    "updated_at": now,
                }
            )
        return True, rows


async def _write(target: TenantRef, source: TenantRef, ids: Sequence[uuid.UUID] | None, rows: list[dict]) -> None:
    """Replace `source`'s copies in `target` (all of them, or those of `ids`) by `rows`, if `target` shares."""
    async with tenant_session(target, actor=WORKER_ACTOR) as session:
        # Two jobs writing the same copies (a resync beside a share) take turns: otherwise both delete
        # nothing, both insert, and the second fails on the first's rows.
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"similar:{target.code}:{source.code}"))))
        gone = delete(SimilarShared).where(SimilarShared.office_code == source.code)
        if ids is not None:
            gone = gone.where(SimilarShared.suggestion_id.in_(list(ids)))
        await session.execute(gone)
        if rows and await sharing(session):
            for start in range(0, len(rows), 1000):
                await session.execute(insert(SimilarShared).values(rows[start : start + 1000]))
        await session.commit()


async def share(source: TenantRef, ids: Sequence[uuid.UUID] | None = None) -> None:
    """Bring `source`'s copies in its neighbours up to date: the suggestions `ids`, or all of them.
    Idempotent: it copies the state as it is now."""
    _allowed, rows = await _rows_of(source, ids)
    for target in await neighbours(source):
        await _write(target, source, ids, rows)


async def resync(office: TenantRef) -> None:
    """After the office's `share_similar` changed (or the hierarchy did): its copies in its neighbours,
    and its neighbours' copies in it."""
    await share(office)
    for other in await neighbours(office):
        _allowed, rows = await _rows_of(other, None)
        await _write(office, other, None, rows)
