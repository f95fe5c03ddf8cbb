"""How errors become responses: JSON `{"code", "message", "details"}` for API clients, the error page
for browsers; every `AppError` keeps its status, code and Chinese message, nothing becomes a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, ValidationException
from litestar.exceptions import PermissionDeniedException as LitestarPermissionDenied
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from renda.core.db import database_unavailable, refused_input, root_cause, sqlstate_of
from renda.core.errors import AppError, DatabaseUnavailable, TooManyRequests, error_body
from renda.web.rendering import render_error_page

log = logging.getLogger("renda.errors")


_HTTP_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确"),
    401: ("not_authenticated", "请先登录"),
    403: ("permission_denied", "您没有执行此操作的权限"),
    404: ("not_found", "请求的内容不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "操作过于频繁,请稍后再试"),
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _render(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    if _wants_html(request):
        response = render_error_page(request, status, body, headers)
        response.headers.update(headers or {})
        return response
    return Response(content=body, status_code=status, media_type="application/json", headers=headers)


def app_error_handler(request: Request, exc: AppError) -> Response:
    headers = exc.headers if isinstance(exc, TooManyRequests | DatabaseUnavailable) else None
    return _render(request, exc.status_code, error_body(exc.code, exc.message, exc.details), headers)


def database_unavailable_handler(request: Request, exc: Exception) -> Response:
    """PostgreSQL out of reach, wherever the request met it: a 503 and one log line, no traceback (a
    stopped database would otherwise bury the log under one per request)."""
    cause = root_cause(exc)
    log.warning(
        "database unavailable",
        extra={
            "method": request.method,
            "path": request.url.path,
            "error": f"{type(cause).__name__}: {cause}"[:300],
        },
    )
    unavailable = exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable()
    return app_error_handler(request, unavailable)


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    detail = str(exc.detail or "")
    if "JSON" in detail or "decode" in detail.lower():
        body = error_body("malformed_json", "请求内容不是有效的 JSON", detail)
    else:
        body = error_body("validation_error", "请求数据格式不正确", exc.extra or detail)
    return _render(request, 400, body)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    code, message = _HTTP_DEFAULTS.get(exc.status_code, ("http_error", "请求无法处理"))
    if isinstance(exc, NotAuthorizedException):
        code, message = "not_authenticated", "请先登录"
    elif isinstance(exc, LitestarPermissionDenied):
        code, message = "permission_denied", "您没有执行此操作的权限"
    elif isinstance(exc, NotFoundException):
        code, message = "not_found", "请求的内容不存在"
    elif exc.status_code == 400 and "json" in request.headers.get("content-type", ""):
        # msgspec's decode errors ("Input data was truncated", "Expected `object`"…)
        return _render(request, 400, error_body("malformed_json", "请求内容不是有效的 JSON", str(exc.detail)))
    return _render(request, exc.status_code, error_body(code, message), exc.headers)


def database_error_handler(request: Request, exc: DBAPIError) -> Response:
    """Input PostgreSQL refused that no service caught first: its 4xx, and one log line to fix the route."""
    if database_unavailable(exc):
        return database_unavailable_handler(request, exc)
    refused = refused_input(exc)
    if refused is None:
        return internal_error_handler(request, exc)  # which also knows a lost connection
    log.warning(
        "database refused input",
        extra={
            "code": refused.code,
            "sqlstate": sqlstate_of(exc),
            "path": request.url.path,
            "error": str(exc.orig)[:300],
        },
    )
    return app_error_handler(request, refused)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        return database_unavailable_handler(request, exc)
    log.exception("unhandled error", exc_info=exc)
    return _render(request, HTTP_500_INTERNAL_SERVER_ERROR, error_body("internal_error", "服务器内部错误,请稍后再试"))


exception_handlers = {
    DatabaseUnavailable: database_unavailable_handler,
    AppError: app_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    DBAPIError: database_error_handler,
    ConnectionError: database_unavailable_handler,  # the database server refused or dropped the connection
    PoolTimeout: database_unavailable_handler,  # every connection of the pool is busy
    Exception: internal_error_handler,
}
