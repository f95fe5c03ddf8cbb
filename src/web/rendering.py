"""Rendering helpers shared by the pages: the error pages.

An error page says what happened (the error's own Chinese message, or the status's), what to do, and
gives the right way back: the sign-in page when signed out, the office's home or the platform's, the
page the person came from, the public portal's own home for public pages. The error's code and the
request's id are in small print, for whoever the person asks for help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.response import Redirect, Template

from renda.core.auth import safe_return_path
from renda.core.logging import request_id_var


@dataclass(frozen=True)
class ErrorKind:
    title: str  # what happened, in a few words (the heading)
    advice: str  # what to do
    message: str  # what happened, when the error says nothing more specific


ERROR_KINDS: dict[int, ErrorKind] = {
    400: ErrorKind("请求有误", "请检查填写或选择的内容,返回上一页修改后再试。", "提交的内容不符合要求。"),
    401: ErrorKind("请先登录", "您尚未登录,或登录已过期。请登录后继续。", "需要登录后才能查看。"),
    403: ErrorKind("没有访问权限", "如需使用此功能,请联系本机关的管理员为您开通相应权限。", "您没有执行此操作的权限。"),
    404: ErrorKind(
        "页面不存在",
        "您要找的页面或内容不存在,可能已被删除,或网址有误。请从首页重新进入。",
        "找不到您要访问的页面。",
    ),
    405: ErrorKind("无法这样操作", "请返回上一页,使用页面上的按钮操作。", "该页面不支持这种操作方式。"),
    409: ErrorKind(
        "操作未能完成",
        "数据可能已被他人修改,或当前状态不允许这样操作。请返回上一页,刷新后查看最新情况再试。",
        "与现有数据冲突。",
    ),
    410: ErrorKind("内容已失效", "链接可能已过期或已被使用。请向发给您链接的人重新索取。", "该内容已失效。"),
    413: ErrorKind("上传内容过大", "请压缩或拆分文件后重新上传。", "上传的文件或内容超过了允许的大小。"),
    415: ErrorKind("无法处理该内容", "请返回上一页,按页面提示重新提交。", "提交内容的格式不受支持。"),
    429: ErrorKind("操作过于频繁", "为保护系统,同一操作短时间内不能重复太多次。请稍后再试。", "操作过于频繁。"),
    500: ErrorKind(
        "系统出错了",
        "服务器处理您的请求时出现了意外错误,错误已被记录。请稍后重试;"
        "如果问题一再出现,请联系平台管理员,并告知下方的请求编号。",
        "系统处理您的请求时出错。",
    ),
    503: ErrorKind(
        "服务暂时不可用",
        "系统正在维护或暂时繁忙,您的操作没有保存。请过几分钟再试;如果长时间无法使用,请联系平台管理员。",
        "服务暂时不可用。",
    ),
}
OTHER = ErrorKind("请求无法完成", "请返回上一页重试;如果问题一再出现,请联系平台管理员。", "请求无法完成。")
# Generic messages the status's own words say better.
_GENERIC_CODES = frozenset({"not_found", "internal_error", "http_error", "permission_denied", "not_authenticated"})
_OFFICE_PATH = re.compile(r"^/(t|p)/(\d{6}|\d{9})(/|$)")


def error_kind(status: int) -> ErrorKind:
    return ERROR_KINDS.get(status, OTHER)


def _came_from(request: Request) -> str | None:
    """The page of this site the person came from, to go back to (never another site's)."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host", ""):
        return None
    path = safe_return_path(parts.path + (f"?{parts.query}" if parts.query else ""))
    return None if path == "/" or path == request.url.path else path


def _retry_seconds(headers: dict[str, str] | None) -> int | None:
    value = (headers or {}).get("Retry-After", "")
    return int(value) if value.isdigit() else None


def _page_context(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None
) -> dict[str, Any]:
    kind = error_kind(status)
    code = body.get("code")
    message = kind.message if code in _GENERIC_CODES or not body.get("message") else body["message"]
    retry = _retry_seconds(headers)
    advice = f"请在 {retry} 秒后再试。" if status == 429 and retry else kind.advice
    return {
        "status": status,
        "title": kind.title,
        "message": message,
        "advice": advice,
        "code": code,
        "request_id": request_id_var.get(),
        "back": _came_from(request) if status in (400, 405, 409, 413, 415, 429) else None,
        "again": request.url.path if status in (429, 500, 503) and request.method == "GET" else None,
    }


def render_error_page(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    path = request.url.path
    office = _OFFICE_PATH.match(path)
    context = _page_context(request, status, body, headers)
    if office and office.group(1) == "p":
        # The public portal: its own layout and its own home, never the staff's sign-in.
        unknown = body.get("code") in ("portal_not_found", "tenant_not_found")
        context["home"] = None if unknown else f"/p/{office.group(2)}/"
        return Template("portal/error.html", context=context, status_code=status)  # type: ignore[return-value]
    user = request.scope.get("user")
    sign_in = f"/login?next={quote(path)}"
    if status == 401 and request.method in ("GET", "HEAD"):
        return Redirect(sign_in)  # type: ignore[return-value]
    access = getattr(request.state, "tenant_access", None)
    context.update(
        # The signed-in header (name, sign-out) stays, so the person is not lost on an error page.
        user=user,
        csrf_token=user.csrf_token if user else "",
        sign_in=sign_in if status == 401 else None,
        office_home=f"/t/{office.group(2)}/" if office and access is not None and status != 403 else None,
    )
    return Template("error.html", context=context, status_code=status)  # type: ignore[return-value]
