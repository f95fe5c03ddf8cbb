"""Page-by-page listing for every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func, select
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


async def paginate_rows(session: AsyncSession, query: Select[Any], page: int, page_size: int) -> Page[Row[Any]]:
    """A page of plain rows (the columns the list shows) and the total, in one statement: the total
    is a window count beside each row. Only a page past the end needs a second statement."""
    check_paging(page, page_size)
    counted = query.add_columns(func.count().over().label("total_rows"))
    rows = await read_rows(session, counted.limit(page_size).offset((page - 1) * page_size))
    if rows:
        total = rows[0].total_rows
    elif page == 1:
        total = 0
    else:
        total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    return Page(list(rows), total, page, page_size)
