"""Page-by-page listing for every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE_SIZE = 200


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
    if page < 1:
        raise InvalidInput("页码必须从 1 开始", code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间", code="invalid_page_size")


async def paginate(session: AsyncSession, query: Select[Any], page: int, page_size: int) -> Page[Any]:
    check_paging(page, page_size)
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(page_size).offset((page - 1) * page_size))).scalars().all()
    return Page(list(rows), total, page, page_size)
