"""The error answers of the OpenAPI document, declared once for every operation as the app sends
them (`renda.web.errors`): one body, `{code, message, details}`, and the statuses each kind of route
can really answer, derived from what the route is (its guard, its path, its method)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from renda.core.permissions import declared_permission


class ErrorBody(msgspec.Struct):
    """Every error answer: a snake_case code, a Chinese message for people, and details when there are any."""

    code: str
    message: str
    details: Any = None


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
PROBES = frozenset({"/health", "/ready"})

DESCRIPTIONS = {
    400: "请求数据不符合要求(校验失败、无法读取的文本或 JSON、超出范围的数字、引用不存在的记录)",
    401: "未登录或登录已失效",
    403: "没有权限,或机关已暂停",
    404: "机关或请求的内容不存在",
    409: "与现有数据冲突(重复、仍被引用或状态不允许)",
    413: "请求内容过大",
    429: "操作过于频繁,响应头 Retry-After 给出等待秒数",
    503: "数据库暂时不可用,请稍后重试",
}
OTHER = "请求无法处理"


def error_statuses(
    path: str, methods: frozenset[str], permission: str | None, opt: dict[str, Any], raises: set[int]
) -> list[int]:
    """The error statuses of one operation; `raises`: those its handler declares beyond its kind's
    (Litestar's `raises=[NotFound]` on a route whose query names a record, say)."""
    statuses = {400}
    if permission != "public":
        statuses |= {401, 403}
    if "{code" in path:
        statuses |= {403, 404}  # the office is resolved first: unknown 404, suspended 403
    if "{" in path:
        statuses.add(404)
    if methods & WRITES:
        statuses.add(409)
    if methods & WITH_BODY:
        statuses.add(413)
    if opt.get("rate_limited"):
        statuses.add(429)
    if path not in PROBES:
        statuses.add(503)
    return sorted(statuses | raises)


def document_errors(app: Litestar) -> None:
    """Give every operation in the document its error answers; a response a handler declares itself wins.
    Runs before the document is first built (Litestar builds it on the first request for it)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            raises = {error.status_code for error in handler.raises or ()}
            statuses = error_statuses(
                route.path_format, frozenset(handler.http_methods), declared_permission(handler), handler.opt, raises
            )
            declared = {
                status: ResponseSpec(
                    ErrorBody, description=DESCRIPTIONS.get(status, "请求无法处理"), generate_examples=False
                )
                for status in statuses
            }
            handler.responses = {**declared, **(handler.responses or {})}
