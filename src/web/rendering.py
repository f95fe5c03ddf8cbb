"""Rendering helpers shared by the pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template


def render_error_page(request: Request, status: int, body: dict[str, Any]) -> Response[Any]:
    if status == 401:
        from litestar.response import Redirect

        return Redirect(f"/login?next={request.url.path}")  # type: ignore[return-value]
    return Template("error.html", context={"status": status, "error": body}, status_code=status)  # type: ignore[return-value]
