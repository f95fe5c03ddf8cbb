"""Hostile input stops at the door, once for every route: text PostgreSQL cannot store (a NUL
character, bytes that are not UTF-8), numbers beyond what its integer columns hold, JSON nested past
any real document, and a multipart upload without its file. Each becomes a 400 with its own code
before a route, a guard or the database sees it.

`InputGuardMiddleware` reads the path and the query string (before the office is resolved or a
connection taken); `check_request_body` runs as the app's `before_request` hook and reads the body
the way Litestar will (its decoded JSON and parsed form are cached on the request, so nothing is
decoded twice)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, get_args
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import SerializationException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from renda.core.errors import InvalidInput

# No PostgreSQL integer holds more than a bigint; a narrower column or a route's own range (a page, a
# year) answers its own 400 (see core.db.refused_input for what reaches the database).
INT8_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32  # far beyond any document the API takes
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and halves of surrogate pairs (not UTF-8)


class InvalidText(InvalidInput):
    code = "invalid_text"
    message = "请求中含有无法识别的字符(空字符或无效的 UTF-8 编码),请检查后重新提交"


class NumberOutOfRange(InvalidInput):
    code = "number_out_of_range"
    message = "请求中的数字超出允许的范围"


class JsonTooDeep(InvalidInput):
    code = "json_too_deep"
    message = f"请求内容的嵌套层级过深(最多 {MAX_JSON_DEPTH} 层)"


class MissingFile(InvalidInput):
    code = "missing_file"
    message = "请选择要上传的文件"


def check_text(value: str, where: str) -> None:
    if _UNSTORABLE.search(value):
        raise InvalidText(details={"where": where})


def decode_text(raw: bytes, where: str) -> str:
    """Percent-decoded bytes as text: UTF-8 without a NUL."""
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText(details={"where": where}) from None
    check_text(text, where)
    return text


def check_query_string(query: bytes, where: str = "query") -> list[tuple[str, str]]:
    """Every name and value of a query string (or an urlencoded form), decoded strictly."""
    pairs = []
    for part in query.split(b"&"):
        if part:
            name, _, value = part.replace(b"+", b" ").partition(b"=")
            pairs.append((decode_text(name, where), decode_text(value, where)))
    return pairs


def _is_int(annotation: Any) -> bool:
    options = get_args(annotation) or (annotation,)
    return any(option is int for option in options)


@cache
def _int_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters a handler takes as integers, by the name the client sends."""
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        if _is_int(field.annotation):
            kwarg = field.kwarg_definition
            names.add(kwarg.query if isinstance(kwarg, ParameterKwarg) and kwarg.query else name)
    return frozenset(names)


def _check_int(value: int, limit: int, where: str) -> None:
    if not -limit - 1 <= value <= limit:
        raise NumberOutOfRange(details={"where": where})


class InputGuardMiddleware(ASGIMiddleware):
    """The path and the query string: readable text, and integer parameters PostgreSQL can hold."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        decode_text(scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape"), "path")
        for name, value in scope.get("path_params", {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                _check_int(value, INT8_MAX, name)
        pairs = check_query_string(scope.get("query_string", b""))
        handler = scope.get("route_handler")
        if pairs and isinstance(handler, HTTPRouteHandler):
            numbers = _int_query_names(handler)
            for name, value in pairs:
                if name in numbers and re.fullmatch(r"\s*[+-]?\d+\s*", value):
                    _check_int(int(value), INT8_MAX, name)
        await next_app(scope, receive, send)


# --- the body ------------------------------------------------------------------------------------
@cache
def _expected_body(handler: HTTPRouteHandler) -> tuple[str | None, bool]:
    """What the handler's `data` is read as ("json", "form" or None) and whether it is a file."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None, False
    kwarg = field.kwarg_definition
    media_type = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
    wants_file = any(option is UploadFile for option in (get_args(field.annotation) or (field.annotation,)))
    if media_type in (RequestEncodingType.MULTI_PART, RequestEncodingType.URL_ENCODED):
        return "form", wants_file
    return ("json", False) if media_type == RequestEncodingType.JSON else (None, False)


def check_json(value: Any) -> None:
    """Every string storable, every integer within bigint, no deeper than MAX_JSON_DEPTH (no recursion:
    a hostile document must not exhaust the stack here either)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, "body")
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            _check_int(item, INT8_MAX, "body")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise JsonTooDeep()
            if isinstance(item, dict):
                for key in item:
                    check_text(key, "body")
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


async def check_request_body(request: Request) -> None:
    """`before_request`: the body a handler will read, checked as Litestar decodes it."""
    content_type = request.content_type[0]
    kind, wants_file = _expected_body(request.route_handler)  # type: ignore[arg-type]
    if kind == "json":  # whatever the content type says: Litestar decodes it as JSON
        try:
            value = await request.json() if await request.body() else None
        except RecursionError:
            raise JsonTooDeep() from None
        except UnicodeDecodeError:
            raise InvalidText(details={"where": "body"}) from None
        except SerializationException:
            return  # not JSON: Litestar answers it as it reads the data (web.errors: malformed_json)
        check_json(value)
    elif content_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        await _check_form(request, content_type)  # a form's handler, or a page reading request.form()
    if wants_file:
        form = await request.form() if content_type == RequestEncodingType.MULTI_PART else {}
        if not any(isinstance(value, UploadFile) for value in form.values()):
            raise MissingFile()


async def _check_form(request: Request, content_type: str) -> None:
    if content_type == RequestEncodingType.URL_ENCODED:
        check_query_string(await request.body(), "form")
        return
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError):  # a text part not in UTF-8, or in a charset Python lacks
        raise InvalidText(details={"where": "form"}) from None
    for name, value in form.multi_items():
        check_text(name, "form")
        if isinstance(value, str):
            check_text(value, "form")
