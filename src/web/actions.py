"""How a staff page runs a form's action: on to the next page, or the same page again with the reason.

The request's session is committed (or rolled back) by the session dependency as for any handler; a refused
action rolls it back here first so that the page shown with the reason reads the data as it was before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError
from renda.web.form_errors import ErrorMessage, error_message, form_name_of

T = TypeVar("T")

OnError = Callable[[AppError], Awaitable[Template]]


async def run_form_action(
    db: AsyncSession,
    action: Callable[[], Awaitable[T]],
    *,
    redirect_to: str | Callable[[T], str],
    on_error: OnError,
) -> Template | Redirect:
    """Run `action`: then redirect (to `redirect_to`, or where it says given the action's result); on an
    `AppError`, roll back and return `on_error(error)`."""
    try:
        result = await action()
    except AppError as error:
        await db.rollback()
        return await on_error(error)
    return Redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def page_again(
    page: Callable[..., Awaitable[Template]],
    *args: Any,
    submitted: Mapping[str, Any] | None = None,
    error_form: str | None = None,
    **extra: Any,
) -> OnError:
    """An `on_error` that renders `page(*args, **extra)` again with the error (its message and the fields
    it names) and its status code. What the form sent is shown again in its fields, and the form it names
    (`csrf_field("name")`) is the one marked: `submitted`, else a `form=` passed on to the page, else the
    request's own form (the request among the page's arguments). `error_form` names the refused form of a
    page whose submission does not say it."""

    async def render(error: AppError) -> Template:
        posted = await submission(*args, *extra.values())
        sent = submitted if submitted is not None else extra.get("form")
        if not isinstance(sent, Mapping) or not sent:
            sent = posted
        named = error_form or form_name_of(sent) or form_name_of(posted)
        message = error_message(error, form=named, submitted=sent)
        return await page(*args, status=error.status_code, error=message, **extra)

    return render


async def submission(*candidates: Any) -> dict[str, Any] | None:
    """The form the request among `candidates` sent (read once already, for its CSRF token): a field sent
    once as its text, a repeated one as the list of its values; None without a request or a form."""
    request = next((c for c in candidates if isinstance(c, Request)), None)
    if request is None or request.method != "POST":
        return None
    sent: dict[str, Any] = {}
    for key, value in (await request.form()).multi_items():
        if key in sent:
            sent[key] = [*sent[key], value] if isinstance(sent[key], list) else [sent[key], value]
        else:
            sent[key] = value
    return sent or None


async def refusal(error: AppError, request: Request, fields_by_code: Mapping[str, str] | None = None) -> ErrorMessage:
    """`error_message` for a handler that shows its page again itself: with what the request's form sent,
    so the refused form keeps it and, when it is named, is the one marked."""
    return error_message(error, fields_by_code, submitted=await submission(request))
