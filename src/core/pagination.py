"""Page-by-page listing for every list endpoint."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # beyond any list; keeps the offset a number PostgreSQL takes


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def check_paging(page: int, page_size: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"页码应在 1 到 {MAX_PAGE} 之间", code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间", code="invalid_page_size")


async def paginate(session: AsyncSession, query: Select[Any], page: int, page_size: int) -> Page[Any]:
    check_paging(page, page_size)
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(page_size).offset((page - 1) * page_size))).scalars().all()
    return Page(list(rows), total, page, page_size)


async def paginate_rows(
    session: AsyncSession, query: Select[Any], page: int, page_size: int, params: dict[str, Any] | None = None
) -> Page[Row[Any]]:
    """A page of plain rows (the columns the list shows) and the total, in one statement: the total
    is a window count beside each row. Only a page past the end needs a second statement. `params`:
    the values of a query built once with bound parameters (see the suggestion list's)."""
    check_paging(page, page_size)
    rows = await read_rows(
        session,
        _counted_page(query),
        {**(params or {}), "page_limit": page_size, "page_offset": (page - 1) * page_size},
    )
    if rows:
        total = rows[0].total_rows
    elif page == 1:
        total = 0
    else:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = (await session.execute(counted, params or {})).scalar_one()
    return Page(list(rows), total, page, page_size)


@functools.lru_cache(maxsize=256)
def _counted_page(query: Select[Any]) -> Select[Any]:
    """`query` with its window count and bound limit and offset, made once per query object: a list
    whose query is built once (see the register's) then skips building and keying it per request."""
    counted = query.add_columns(func.count().over().label("total_rows"))
    return counted.limit(bindparam("page_limit")).offset(bindparam("page_offset"))
