"""Rendering helpers shared by the pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template


def render_error_page(request: Request, status: int, body: dict[str, Any]) -> Response[Any]:
    if status == 401:
        from litestar.response import Redirect

        return Redirect(f"/login?next={request.url.path}")  # type: ignore[return-value]
    # The signed-in header (name, sign-out) stays, so the person is not lost on an error page.
    user = request.scope.get("user")
    context = {"status": status, "error": body, "user": user, "csrf_token": user.csrf_token if user else ""}
    return Template("error.html", context=context, status_code=status)  # type: ignore[return-value]
