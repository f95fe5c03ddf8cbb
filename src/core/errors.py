"""Errors with a machine-readable code and a Chinese message (rendered by `renda.web.errors`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class AppError(Exception):
    """A failure the caller can act on; `message` is shown to users as it is. `field` names the form
    field the message is about, so a page shows it beside that field."""

    status_code = 400
    code = "bad_request"
    message = "请求无效"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: Any = None, field: str | None = None
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        # Field name → message; a page marks each of these fields and lists them above the form.
        self.fields: dict[str, str] = {field: self.message} if field else {}
        super().__init__(self.message)


class InvalidInput(AppError):
    status_code = 400
    code = "invalid_input"
    message = "输入的数据不符合要求"


class InvalidFields(InvalidInput):
    """Several fields refused at once, each with its own message, so a form is corrected in one go.
    The code is the first problem's (one bad field answers as it always did); the API's `details`
    carry every field's message."""

    code = "validation_error"

    def __init__(self, problems: Mapping[str, str], *, code: str | None = None) -> None:
        messages = list(problems.values())
        message = messages[0] if len(messages) == 1 else f"有 {len(messages)} 处填写需要修改:" + ";".join(messages)
        super().__init__(message, code=code, details={"fields": dict(problems)})
        self.fields = dict(problems)


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message = "请先登录"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"
    message = "您没有执行此操作的权限"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "请求的内容不存在"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "数据与现有记录冲突"


class Gone(AppError):
    status_code = 410
    code = "gone"
    message = "该内容已失效"


class TooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "上传内容过大"


class TooManyRequests(AppError):
    """Every 429 says when to try again: `retry_after` seconds, sent as the `Retry-After` header."""

    status_code = 429
    code = "too_many_requests"
    message = "操作过于频繁,请稍后再试"

    def __init__(
        self, message: str | None = None, *, retry_after: float, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, math.ceil(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class DatabaseUnavailable(AppError):
    """PostgreSQL cannot be reached (stopped, restarting, unreachable) or has no connection free in
    time: a 503 the caller may retry shortly, never a 500."""

    status_code = 503
    code = "database_unavailable"
    message = "数据库暂时不可用,请稍后重试"
    retry_after = 5

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body
