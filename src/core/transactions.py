"""One connection and one transaction per request.

`UnitOfWorkMiddleware` checks a connection out as a request starts; every session the request opens
(the caller's identification, the office and roles, the handler's platform and office sessions)
runs on it, in one transaction. When the response starts, the transaction is committed if the
handler returned normally (or, without a session dependency to tell, if the response is a success
or a redirect) and rolled back otherwise, so a refused request leaves the data as it was, and a
client never sees a success for work that was not saved.

While PostgreSQL cannot be reached, a request answers 503 `database_unavailable` (the app's exception
handler for `DatabaseUnavailable` writes its one log line): when its connection cannot be had, when
it is lost in the handler, or when it is lost at the commit.
"""

from __future__ import annotations

import json
import logging

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from renda.core.db import database_unavailable, get_database, unit_of_work
from renda.core.errors import DatabaseUnavailable

log = logging.getLogger("renda.http")

# Paths that never touch the database (or, like /ready, check it their own way).
WITHOUT_DATABASE = ("/health", "/ready", "/static/", "/favicon.ico", "/schema")

_NOT_SAVED = json.dumps(
    {"code": "not_saved", "message": "保存失败,请稍后重试", "details": None}, ensure_ascii=False
).encode()


class UnitOfWorkMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["path"].startswith(WITHOUT_DATABASE):
            await next_app(scope, receive, send)
            return
        started = failed = False
        try:
            async with unit_of_work(get_database()) as unit:

                async def finish_then_send(message: Message) -> None:
                    nonlocal started, failed
                    if message["type"] == "http.response.start" and not started:
                        started = True
                        try:
                            await unit.finish(commit=unit.succeeded or message["status"] < 400)
                        except DatabaseUnavailable as error:
                            failed = True
                            await send_error(scope, receive, send, error)
                            return
                        except Exception:
                            log.exception("commit failed")
                            failed = True
                            await send(
                                {
                                    "type": "http.response.start",
                                    "status": 500,
                                    "headers": [(b"content-type", b"application/json")],
                                }
                            )
                            await send({"type": "http.response.body", "body": _NOT_SAVED})
                            return
                    if not failed:
                        await send(message)

                await next_app(scope, receive, finish_then_send)
        except Exception as error:
            # No connection to be had, or lost before the handler ran (identifying the caller):
            # answered here rather than raised, so the request's own log line says 503 as well.
            if started or not database_unavailable(error):
                raise
            await send_error(scope, receive, send, error)


async def send_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """Answer with what the app's exception handler for `error` makes of it (JSON for API callers, the
    error page for browsers), for an error met outside the handler."""
    app = scope["litestar_app"]
    handler = next(app.exception_handlers[kind] for kind in type(error).__mro__ if kind in app.exception_handlers)
    request = app.request_class(scope=scope, receive=receive, send=send)
    response = handler(request, error)
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)
