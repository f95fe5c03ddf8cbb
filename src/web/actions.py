"""How a staff page runs a form's action: on to the next page, or the same page again with the reason.

The request's session is committed (or rolled back) by the session dependency as for any handler; a refused
action rolls it back here first so that the page shown with the reason reads the data as it was before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError
from renda.web.form_errors import error_message

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
    page: Callable[..., Awaitable[Template]], *args: Any, error_form: str | None = None, **extra: Any
) -> OnError:
    """An `on_error` that renders `page(*args, **extra)` again with the error (its message and the fields
    it names) and its status code; `error_form` names the refused form on a page of several."""

    async def render(error: AppError) -> Template:
        message = error_message(error, form=error_form)
        return await page(*args, status=error.status_code, error=message, **extra)

    return render
