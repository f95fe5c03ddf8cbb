"""`/p/{office}/…`: public pages. The path names the office `office`, not `code`: these routes are
public by design and resolve the office themselves, read-only."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get
from litestar.response import Template

from renda.core.errors import NotFound
from renda.core.permissions import public
from renda.modules.deputies import service as deputies
from renda.modules.portal import service
from renda.tenants.scoping import tenant_session


class PortalPages(Controller):
    path = "/p/{office:str}"
    include_in_schema = False

    @get("/deputies", guards=[public])
    async def deputies(self, office: str, q: str | None = None, page: int = 1) -> Template:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            items, total = await service.public_deputies(session, q, page)
        pages = max(1, -(-total // service.PAGE_SIZE))
        context = {"tenant": tenant, "items": items, "total": total, "page": page, "pages": pages, "q": q or ""}
        return Template("portal/deputies.html", context=context)

    @get("/deputies/{person_id:uuid}/photo", guards=[public])
    async def photo(self, office: str, person_id: uuid.UUID) -> Response[bytes]:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            person = await deputies.get_person(session, person_id)
            if "photo" not in person.public_fields:
                raise NotFound("照片未公开", code="photo_not_public")
            content, media_type = await deputies.get_photo(session, person_id)
        return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


PAGES = [PortalPages]
