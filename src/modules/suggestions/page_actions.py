"""A page of one suggestion and its forms, declared: the page (`ItemPage`: its path below
`…/suggestions/items/{suggestion_id}` and how it is drawn) and a table of its actions (`ItemAction`: a
POST route, the service call it makes and how each argument is read from the form). `with_page` adds the
GET route and one POST route per action to an `ItemPagesBase` controller.

One handler runs every action: `routes.provide_item` loads the suggestion the caller may see (locked;
another office's or another unit's answers 404 first), the arguments are read in the order the table
lists them, `call(db, caller, suggestion=…, **arguments)` runs, and the browser goes back to the page; a
refused call (a bad field included) rolls back and shows the page again with the reason and what was typed.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput
from renda.core.permissions import Guard
from renda.modules.suggestions.routes import ITEM_DEPENDENCIES, AddressedItem
from renda.tenants.scoping import TenantAccess, TenantRef
from renda.web.actions import refusal, run_form_action
from renda.web.forms import Form, form_value, form_values, uploaded_file

URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
ItemPageRender = Callable[..., Awaitable[Template]]  # (request, db, access, addressed, *, status, **extra)
C = TypeVar("C", bound=type["ItemPagesBase"])


# --- reading a field ------------------------------------------------------------------------------------
def parse_id(value: str | None, message: str, code: str, *, required: bool = False) -> uuid.UUID | None:
    """An id chosen in a form; empty is None (or, `required`, the same refusal as a bad one)."""
    if not value and not required:
        return None
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise InvalidInput(message, code=code) from None


def parse_day(
    value: str | None, invalid: str, *, missing: str | None = None, missing_code: str = "invalid_date"
) -> date | None:
    """A date of a form; empty is None unless `missing` says why it may not be."""
    if not value:
        if missing is None:
            return None
        raise InvalidInput(missing, code=missing_code)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(invalid, code="invalid_date") from None


@dataclass(frozen=True)
class Submitted:
    """What an action's arguments are read from: the request (its path and form), the office."""

    request: Request
    access: TenantAccess
    form: Form


Reader = Callable[[Submitted, str], Any]  # the argument `name` (a value, or an awaitable of one)


def form_field(read: Callable[[Form, str], Any]) -> Reader:
    """A reader of the URL-encoded form: a route whose actions read one takes the form as its body."""

    def reader(submitted: Submitted, name: str) -> Any:
        return read(submitted.form, name)

    reader.reads_form = True  # type: ignore[attr-defined]
    return reader


text = form_field(form_value)  # trimmed text, None when empty
text_or_blank = form_field(lambda form, name: form_value(form, name) or "")  # the service says what is missing
flag = form_field(lambda form, name: form_value(form, name) == "1")  # a checkbox or a yes/no button


def day(invalid: str, *, missing: str | None = None, missing_code: str = "invalid_date") -> Reader:
    return form_field(
        lambda form, name: parse_day(form_value(form, name), invalid, missing=missing, missing_code=missing_code)
    )


def one_id(message: str, code: str, *, required: bool = False) -> Reader:
    return form_field(lambda form, name: parse_id(form_value(form, name), message, code, required=required))


def ids(message: str, code: str) -> Reader:
    """Every id of a repeated field (checkboxes, a multiple select)."""
    return form_field(lambda form, name: [parse_id(v, message, code) for v in form_values(form, name)])


def office(submitted: Submitted, name: str) -> TenantRef:
    return submitted.access.tenant


def path_id(submitted: Submitted, name: str) -> uuid.UUID:
    """An id of the route's path besides the suggestion's (a checkpoint, a request, an attachment)."""
    return submitted.request.path_params[name]


def uploaded(message: str) -> Reader:
    """The file of a multipart form (read by the action, not declared as the route's body)."""

    async def reader(submitted: Submitted, name: str) -> UploadFile:
        return await uploaded_file(submitted.request, name, InvalidInput(message, code="file_required"))

    return reader


# --- the table's rows and the handler -------------------------------------------------------------------
@dataclass(frozen=True)
class ItemPage:
    """A page of one suggestion: its GET route's name and path below the suggestion's, how it is drawn,
    and what an action on it adds to the page's address (the rating page says thank you with `?rated=1`)."""

    name: str
    path: str
    render: ItemPageRender
    after_action: str = ""


@dataclass(frozen=True)
class ItemAction:
    path: str  # below `/{suggestion_id:uuid}`
    call: Callable[..., Awaitable[object]]  # (db, caller, *, suggestion, **arguments): a service function
    arguments: Mapping[str, Reader] = field(default_factory=dict)

    @property
    def reads_form(self) -> bool:
        return any(getattr(read, "reads_form", False) for read in self.arguments.values())


class ItemPagesBase(Controller):
    """The controller of one suggestion's pages, with the dependencies of the API's item routes
    (`addressed`, `loop_caller`)."""

    path = "/t/{code:str}/suggestions/items"
    include_in_schema = False
    dependencies = ITEM_DEPENDENCIES


async def act(
    action: ItemAction,
    page: ItemPage,
    request: Request,
    db: AsyncSession,
    access: TenantAccess,
    addressed: AddressedItem,
    data: Form,
) -> Template | Redirect:
    async def run() -> object:
        submitted, arguments = Submitted(request, access, data), {}
        for name, read in action.arguments.items():
            value = read(submitted, name)
            arguments[name] = await value if inspect.isawaitable(value) else value
        return await action.call(db, addressed.caller, suggestion=addressed.suggestion, **arguments)

    async def page_again(error: AppError) -> Template:
        await db.refresh(addressed.suggestion)  # the rollback expired it
        return await page.render(
            request, db, access, addressed, status=error.status_code, error=await refusal(error, request), form=data
        )

    suggestion_id = addressed.suggestion.id
    return await run_form_action(
        db,
        run,
        redirect_to=f"/t/{access.tenant.code}/suggestions/items/{suggestion_id}{page.path}{page.after_action}",
        on_error=page_again,
    )


def _action_route(name: str, action: ItemAction, page: ItemPage, guard: Guard) -> HTTPRouteHandler:
    if action.reads_form:

        async def handler(
            self: Controller,
            request: Request,
            db: AsyncSession,
            access: TenantAccess,
            addressed: AddressedItem,
            data: Form = URL_FORM,
        ) -> Template | Redirect:
            return await act(action, page, request, db, access, addressed, data)
    else:

        async def handler(  # type: ignore[misc]  # the same without a body: nothing to read, or a file
            self: Controller, request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem
        ) -> Template | Redirect:
            return await act(action, page, request, db, access, addressed, {})

    handler.__name__ = handler.__qualname__ = name
    return post(f"/{{suggestion_id:uuid}}{action.path}", guards=[guard])(handler)


def _page_route(page: ItemPage, guard: Guard) -> HTTPRouteHandler:
    async def handler(
        self: Controller, request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem
    ) -> Template:
        return await page.render(request, db, access, addressed)

    handler.__name__ = handler.__qualname__ = page.name
    return get(f"/{{suggestion_id:uuid}}{page.path}", guards=[guard])(handler)


def with_page(page: ItemPage, actions: Mapping[str, ItemAction], *, read: Guard, write: Guard) -> Callable[[C], C]:
    """Add the page's GET route (guarded by `read`) and a POST route per action (by `write`, named after
    its key) to an `ItemPagesBase` controller."""

    def add(controller: C) -> C:
        setattr(controller, page.name, _page_route(page, read))
        for name, action in actions.items():
            setattr(controller, name, _action_route(name, action, page, write))
        return controller

    return add
