"""`/api/v1/me`, and the demo sign-in and the sign-out of the staff UI (the login page is sso's)."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict, deque
from datetime import timedelta

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from renda.config import Settings
from renda.core.auth import SESSION_COOKIE, http_only_cookie, safe_return_path
from renda.core.db import get_database
from renda.core.errors import NotFound, PermissionDenied, TooManyRequests
from renda.core.permissions import authenticated, public
from renda.modules.accounts import service
from renda.modules.accounts.schemas import MembershipOut, MeOut


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["账号"]

    @get("/", guards=[authenticated])
    async def me(self, request: Request) -> MeOut:
        async with get_database().platform_session() as session:
            memberships = await service.memberships_of(session, request.user.user_id)
        if request.user.token_office is not None:  # an office token speaks for its office only
            memberships = [m for m in memberships if m.tenant_code == request.user.token_office]
        return MeOut(
            request.user.user_id,
            request.user.display_name,
            request.user.is_platform_admin,
            [
                MembershipOut(m.tenant_code, m.tenant_name, m.tenant_level, m.tenant_status, m.roles)
                for m in memberships
            ],
        )


class _RateLimiter:
    """At most `limit` attempts per key in `window` seconds (one process; enough for the demo)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> None:
        now = time.monotonic()
        hits = self.hits[key]
        while hits and hits[0] < now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            raise TooManyRequests("登录尝试过于频繁,请一分钟后再试", retry_after=hits[0] + self.window - now)
        hits.append(now)


demo_login_limiter = _RateLimiter(limit=10, window=60)


class SignInController(Controller):
    path = "/"
    include_in_schema = False

    @post("/login/demo", guards=[public])
    async def demo_login(
        self,
        request: Request,
        settings: Settings,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Response[None]:
        if not settings.demo_login or settings.is_production:
            raise NotFound()
        if not settings.demo_mode:  # the demo itself is for switching roles at will; a dev server keeps the limit
            demo_login_limiter.check(request.client.host if request.client else "unknown")
        try:
            user_id = uuid.UUID(data.get("user_id", ""))
        except ValueError:
            raise PermissionDenied("请选择演示账号", code="invalid_demo_user") from None
        async with get_database().platform_session() as session:
            user = await service.get_user(session, user_id)
            if not user.is_demo:
                raise PermissionDenied("只有演示账号可以使用演示登录", code="not_a_demo_user")
            token = await service.start_web_session(session, user, timedelta(hours=settings.session_absolute_hours))
            await session.commit()
        return Redirect(
            safe_return_path(data.get("next")),
            cookies=[
                http_only_cookie(
                    SESSION_COOKIE,
                    token,
                    secure=settings.secure_cookies,
                    max_age=settings.session_absolute_hours * 3600,
                )
            ],
        )


ROUTES = [MeController, SignInController]
