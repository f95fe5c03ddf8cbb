"""`/auth/login`, `/auth/callback`, `/auth/logout`, and the platform's identity provider registry."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.auth import SESSION_COOKIE, cleared_cookie, http_only_cookie, safe_return_path
from renda.core.crypto import decrypt
from renda.core.db import get_database, provide_platform_session
from renda.core.permissions import ROLE_LABELS, authenticated, public, requires
from renda.modules.accounts import service as accounts
from renda.modules.members import service as members
from renda.modules.sso import service
from renda.modules.sso.models import IdentityProvider
from renda.modules.sso.oidc import OidcClient, SignInFailed
from renda.modules.sso.schemas import ProviderCreate, ProviderOut

log = logging.getLogger("renda.sso")
BROWSER_COOKIE = "renda_signin"  # binds a pending sign-in to the browser that started it
oidc_client = OidcClient()


def failure_page(error: SignInFailed) -> Template:
    log.warning("sign-in failed", extra={"reason": error.code})
    context = {
        "status": error.status,
        "title": "登录未完成",
        "message": error.message,
        "advice": "请重新登录;如果问题一再出现,请联系平台管理员。",
        "code": error.code,
        "sign_in": "/login",
        "sign_in_label": "重新登录",
    }
    return Template(
        "error.html",
        context=context,
        status_code=error.status,
        cookies=[cleared_cookie(BROWSER_COOKIE, path="/auth")],
    )


def session_cookie(token: str, settings: Settings) -> Cookie:
    return http_only_cookie(
        SESSION_COOKIE, token, secure=settings.secure_cookies, max_age=settings.session_absolute_hours * 3600
    )


class SsoController(Controller):
    path = "/auth"
    include_in_schema = False

    @get("/login", guards=[public])
    async def login(
        self, settings: Settings, office: str | None = None, provider: uuid.UUID | None = None, next: str | None = None
    ) -> Response[Any]:
        async with get_database().platform_session() as session:
            session.info["actor"] = "anonymous"
            if provider is not None:
                chosen: IdentityProvider | None = await service.get_provider(session, provider)
            elif office:
                chosen = await service.provider_for_office(session, office.strip())
            else:
                chosen = await service.default_provider(session)
            if chosen is None or not chosen.enabled:
                return Redirect("/login?" + urlencode({"error": "choose_office"}))
            try:
                request = await oidc_client.authorization_request(service.registration(chosen, settings))
            except SignInFailed as error:
                return failure_page(error)
            browser = secrets.token_urlsafe(32)
            await service.remember_request(session, chosen, request, browser, safe_return_path(next))
            await session.commit()
        cookie = http_only_cookie(
            BROWSER_COOKIE,
            browser,
            secure=settings.secure_cookies,
            max_age=int(service.PENDING_TTL.total_seconds()),
            path="/auth",
        )
        return Redirect(request.url, cookies=[cookie])

    @get("/callback", guards=[public])
    async def callback(self, request: Request, settings: Settings) -> Response[Any]:
        params = request.query_params
        async with get_database().platform_session() as session:
            session.info["actor"] = "system:sso"
            try:
                pending = await service.take_request(session, params.get("state"), request.cookies.get(BROWSER_COOKIE))
                await session.commit()  # the state is spent whatever happens next
                provider = await service.get_provider(session, pending.provider_id)
                client = service.registration(provider, settings)
                if params.get("error"):
                    raise SignInFailed("provider_error", "身份认证服务拒绝了登录请求,请重新登录")
                metadata = await oidc_client.metadata(provider.issuer)
                # RFC 9207: the response names its issuer, so a response from another provider is caught.
                if params.get("iss") != provider.issuer and (metadata.sends_iss_parameter or params.get("iss")):
                    raise SignInFailed("issuer_mismatch", "登录响应来自其他身份认证服务,已拒绝")
                if not params.get("code"):
                    raise SignInFailed("code_missing", "登录响应缺少授权码")
                token = await oidc_client.exchange_code(client, params["code"], pending.code_verifier)
                claims = await oidc_client.verify_id_token(client, token["id_token"], pending.nonce)
                user = await service.sign_in_user(session, provider, claims)
                session_token = await accounts.start_web_session(
                    session,
                    user,
                    timedelta(hours=settings.session_absolute_hours),
                    provider_id=provider.id,
                    id_token=token["id_token"],
                )
                await session.commit()
            except SignInFailed as error:
                await session.rollback()
                return failure_page(error)
        return Redirect(
            pending.return_to,
            cookies=[session_cookie(session_token, settings), cleared_cookie(BROWSER_COOKIE, path="/auth")],
        )

    @post("/logout", guards=[authenticated])
    async def logout(self, request: Request, settings: Settings) -> Response[Any]:
        """Ends the session here; where the provider supports it, also at the provider."""
        target = "/login"
        if request.user.session_hash:
            async with get_database().platform_session() as session:
                session.info["actor"] = request.user.actor
                web_session = await accounts.get_web_session(session, request.user.session_hash)
                if web_session is not None and web_session.provider_id and web_session.id_token_encrypted:
                    target = await self._provider_logout_url(session, web_session, settings) or target
                await accounts.end_web_session(session, request.user.session_hash)
                await session.commit()
        return Redirect(target, cookies=[cleared_cookie(SESSION_COOKIE)])

    @staticmethod
    async def _provider_logout_url(session: AsyncSession, web_session: Any, settings: Settings) -> str | None:
        provider = await session.get(IdentityProvider, web_session.provider_id)
        if provider is None:
            return None
        try:
            metadata = await oidc_client.metadata(provider.issuer)
        except SignInFailed:
            return None  # the provider is unreachable: sign out here at least
        if not metadata.end_session_endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": decrypt(web_session.id_token_encrypted),
                "post_logout_redirect_uri": settings.public_url.rstrip("/") + "/login",
                "client_id": provider.client_id,
            }
        )
        return f"{metadata.end_session_endpoint}?{query}"


class LoginPageController(Controller):
    """The staff UI's login page: the identity providers, and the demo users where demo login is on."""

    path = "/"
    include_in_schema = False

    @get("/login", guards=[public])
    async def login_page(
        self, request: Request, settings: Settings, next: str | None = None, error: str | None = None
    ) -> Template:
        async with get_database().platform_session() as session:
            providers = [p for p in await service.list_providers(session) if p.enabled]
            users, preselected = await accounts.demo_users_by_office(session) if settings.demo_login else ([], None)
        context = {
            "demo_users": users,
            "preselected": preselected,
            "demo": settings.demo_login,
            "providers": providers,
            "next": next or "",
            # Switching demo users while signed in: the form rides on the session, so it carries its token.
            "csrf_token": request.user.csrf_token if request.scope.get("user") is not None else "",
        }
        if error == "choose_office":
            context["message"] = "请先输入所在机关的行政区划代码,或选择身份认证服务"
        return Template("login.html", context=context)


class InvitationLinkController(Controller):
    """`/invitations/{token}`: a sign-in link from `renda tenants create --admin-email` (or `renda
    tenants invite`). Opening it shows the office and the roles; confirming makes the account, joins
    the office and signs in. Later the same person signs in through an identity provider that vouches
    for the invited email or phone, and lands in the same account (`service.sign_in_user`)."""

    path = "/invitations"
    include_in_schema = False

    @get("/{token:str}", guards=[public])
    async def show(self, token: str) -> Template:
        async with get_database().platform_session() as session:
            invitation, tenant = await members.open_link(session, token)
        roles = "、".join(ROLE_LABELS.get(role, role) for role in invitation.roles)
        context = {"invitation": invitation, "tenant": tenant, "roles": roles, "token": token}
        return Template("invitation_link.html", context=context)

    @post("/{token:str}", guards=[public])
    async def accept(self, token: str, settings: Settings) -> Response[Any]:
        async with get_database().platform_session() as session:
            session.info["actor"] = "system:invitation"
            tenant, user = await members.accept_by_link(
                session, token, lambda name: accounts.create_user(session, name)
            )
            session_token = await accounts.start_web_session(
                session, user, timedelta(hours=settings.session_absolute_hours)
            )
            await session.commit()
        return Redirect(f"/t/{tenant.code}/", cookies=[session_cookie(session_token, settings)])


class IdentityProviderController(Controller):
    path = "/api/v1/platform/identity-providers"
    tags = ["统一身份认证"]
    dependencies = {"db": Provide(provide_platform_session)}

    @get("/", guards=[requires("platform.identity_providers.read")])
    async def list_providers(self, db: AsyncSession) -> list[ProviderOut]:
        return [ProviderOut.of(p) for p in await service.list_providers(db)]

    @post("/", guards=[requires("platform.identity_providers.write")], status_code=201)
    async def save_provider(self, db: AsyncSession, data: ProviderCreate, settings: Settings) -> ProviderOut:
        return ProviderOut.of(await service.save_provider(db, data.to_input(), environment=settings.environment))

    @delete("/{provider_id:uuid}", guards=[requires("platform.identity_providers.write")], status_code=204)
    async def remove_provider(self, db: AsyncSession, provider_id: uuid.UUID) -> None:
        await service.remove_provider(db, provider_id)


ROUTES = [SsoController, LoginPageController, InvitationLinkController, IdentityProviderController]
