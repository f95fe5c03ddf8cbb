"""`/t/{code}/lookup/…`: the small JSON lists behind the forms' pickers (search as you type).

Each answers `{"items": [{"value", "label"}]}` from the office of the path only, at most
`PICKER_LIMIT` items matching `q`. The forms work without them: each picker is a plain `<select>` (or
a text input with a datalist) listing the same choices; `renda.js` adds a search box that asks here.
"""

from __future__ import annotations

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.deputies import service as deputies
from renda.modules.units import service as units
from renda.tenants.scoping import TENANT_DEPENDENCIES

Items = dict[str, list[dict[str, str]]]
LIMIT = deputies.PICKER_LIMIT
MAX_QUERY = 50  # a name or a code; anything longer matches nothing anyway


def _items(pairs: list[tuple[object, str]]) -> Items:
    return {"items": [{"value": str(value), "label": label} for value, label in pairs[:LIMIT]]}


def _query(q: str | None) -> str | None:
    return q.strip()[:MAX_QUERY] if q and q.strip() else None


class LookupPages(Controller):
    path = "/t/{code:str}/lookup"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    @get("/deputies", guards=[requires("deputies.read")])
    async def deputies(self, db: AsyncSession, q: str | None = None) -> Items:
        """Deputies with a mandate not ended, by name, pinyin or its initials."""
        return _items(list(await deputies.deputy_options(db, _query(q), limit=LIMIT)))

    @get("/townships", guards=[requires("office.read")])
    async def townships(self, db: AsyncSession, q: str | None = None) -> Items:
        """Townships in the office's territory, by name or code; labelled with both."""
        found = await deputies.township_options(db, _query(q))
        return _items([(code, f"{name}({code})") for code, name in found])

    @get("/offices", guards=[requires("deputies.read")])
    async def offices(self, db: AsyncSession, q: str | None = None) -> Items:
        """The offices beneath this one, by name or code (a mandate's 组织地)."""
        found = await deputies.office_options(db, _query(q))
        return _items([(code, f"{name}({code})") for code, name in found])

    @get("/units", guards=[requires("suggestions.read")])
    async def units(self, db: AsyncSession, q: str | None = None) -> Items:
        """Active handling units, by name."""
        text = _query(q)
        rows = [u for u in await units.list_unit_rows(db) if u.is_active and (not text or text in u.name)]
        return _items([(u.id, u.name) for u in rows])
