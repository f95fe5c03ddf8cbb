"""The OpenID Connect relying party: discovery, the authorization request, the code exchange and
the ID token checks (OpenID Connect Core 1.0 §3.1.3.7).

Every check that fails raises `SignInFailed` with a code and a Chinese message; the callback turns
it into an error page and creates no session.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():  # authlib announces a future httpx2 move; the httpx client works
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret) are refused.
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
CLOCK_SKEW_SECONDS = 60
DISCOVERY_TTL_SECONDS = 3600
# A key set is kept for the provider's Cache-Control max-age, within these bounds (seconds): a key the
# provider withdraws stops being trusted at the latest JWKS_MAX_TTL later.
JWKS_MIN_TTL, JWKS_DEFAULT_TTL, JWKS_MAX_TTL = 60, 300, 600
# An unknown kid refetches the key set (the provider rotated), at most once in this many seconds, so
# tokens with made-up kids cannot make us hammer the provider.
JWKS_REFETCH_INTERVAL = 60
MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.I)
HTTP_TIMEOUT = httpx.Timeout(10.0)


class SignInFailed(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    signing_algorithms: tuple[str, ...]
    sends_iss_parameter: bool

    @classmethod
    def from_document(cls, expected_issuer: str, doc: dict[str, Any]) -> ProviderMetadata:
        # Discovery §4.3: the document's issuer must be exactly the one configured.
        if doc.get("issuer") != expected_issuer:
            raise SignInFailed("discovery_issuer_mismatch", "身份认证服务的配置与登记的签发者不一致")
        try:
            return cls(
                issuer=doc["issuer"],
                authorization_endpoint=doc["authorization_endpoint"],
                token_endpoint=doc["token_endpoint"],
                jwks_uri=doc["jwks_uri"],
                end_session_endpoint=doc.get("end_session_endpoint"),
                signing_algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ("RS256",)),
                sends_iss_parameter=bool(doc.get("authorization_response_iss_parameter_supported")),
            )
        except KeyError as missing:
            raise SignInFailed("discovery_incomplete", f"身份认证服务的配置缺少 {missing}") from None


@dataclass(frozen=True)
class ClientRegistration:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class _Cached:
    value: Any
    expires_at: float


def key_set_lifetime(cache_control: str | None) -> float:
    """Seconds to keep a key set: the response's max-age, bounded; without one, the default."""
    found = MAX_AGE.search(cache_control or "")
    if found is None:
        return JWKS_MIN_TTL if "no-store" in (cache_control or "") else JWKS_DEFAULT_TTL
    return min(max(int(found.group(1)), JWKS_MIN_TTL), JWKS_MAX_TTL)


class OidcClient:
    """Talks to providers; caches discovery documents and key sets per process, for a bounded time."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._metadata: dict[str, _Cached] = {}
        self._keys: dict[str, _Cached] = {}
        self._refetched_at: dict[str, float] = {}  # jwks_uri → when an unknown kid last refetched it

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=HTTP_TIMEOUT, transport=self._transport)

    async def _get_json(self, url: str, failure: str) -> tuple[Any, httpx.Headers]:
        try:
            async with self._http() as http:
                response = await http.get(url)
                response.raise_for_status()
                return response.json(), response.headers
        except (httpx.HTTPError, ValueError):
            raise SignInFailed(failure, "暂时无法连接身份认证服务,请稍后再试") from None

    async def metadata(self, issuer: str) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached and self._clock() < cached.expires_at:
            return cached.value
        doc, _ = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery_failed")
        metadata = ProviderMetadata.from_document(issuer, doc)
        self._metadata[issuer] = _Cached(metadata, self._clock() + DISCOVERY_TTL_SECONDS)
        return metadata

    async def _key_set(self, metadata: ProviderMetadata, refresh: bool = False) -> tuple[KeySet, bool]:
        """The provider's keys, and whether they were fetched just now."""
        cached = self._keys.get(metadata.jwks_uri)
        if cached and not refresh and self._clock() < cached.expires_at:
            return cached.value, False
        doc, headers = await self._get_json(metadata.jwks_uri, "jwks_failed")
        try:
            keys = KeySet.import_key_set(doc)
        except (JoseError, ValueError, KeyError, TypeError):
            raise SignInFailed("jwks_invalid", "身份认证服务的签名密钥无法识别") from None
        lifetime = key_set_lifetime(headers.get("cache-control"))
        self._keys[metadata.jwks_uri] = _Cached(keys, self._clock() + lifetime)
        return keys, True

    def _may_refetch(self, jwks_uri: str) -> bool:
        """Rate limit for unknown kids; the time is taken before the fetch, so concurrent ones wait too."""
        now = self._clock()
        last = self._refetched_at.get(jwks_uri)
        if last is not None and now - last < JWKS_REFETCH_INTERVAL:
            return False
        self._refetched_at[jwks_uri] = now
        return True

    async def authorization_request(self, client: ClientRegistration) -> AuthorizationRequest:
        metadata = await self.metadata(client.issuer)
        code_verifier = generate_token(64)
        state, nonce = generate_token(32), generate_token(32)
        async with self._oauth(client) as oauth:
            url, _ = oauth.create_authorization_url(
                metadata.authorization_endpoint, state=state, code_verifier=code_verifier, nonce=nonce
            )
        return AuthorizationRequest(url, state, nonce, code_verifier)

    def _oauth(self, client: ClientRegistration) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=client.scopes,
            redirect_uri=client.redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
            transport=self._transport,
        )

    async def exchange_code(self, client: ClientRegistration, code: str, code_verifier: str) -> dict[str, Any]:
        metadata = await self.metadata(client.issuer)
        try:
            async with self._oauth(client) as oauth:
                token = await oauth.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except Exception as exc:  # authlib raises OAuthError, httpx errors, or JSON errors
            raise SignInFailed("code_rejected", "授权码无效或已被使用,请重新登录") from exc
        if not token.get("id_token"):
            raise SignInFailed("id_token_missing", "身份认证服务未返回身份令牌")
        return dict(token)

    async def verify_id_token(self, client: ClientRegistration, id_token: str, nonce: str) -> dict[str, Any]:
        metadata = await self.metadata(client.issuer)
        try:
            header = jws.extract_compact(id_token.encode()).protected
        except (JoseError, ValueError):
            raise SignInFailed("id_token_malformed", "身份令牌格式错误") from None
        algorithm = header.get("alg")
        if algorithm not in ACCEPTED_ALGORITHMS or algorithm not in metadata.signing_algorithms:
            raise SignInFailed("id_token_algorithm", f"身份令牌的签名算法 {algorithm} 不被接受")
        key = await self._signing_key(metadata, header.get("kid"), algorithm)
        try:
            token = jwt.decode(id_token, key, algorithms=[algorithm])
        except JoseError:
            raise SignInFailed("id_token_signature", "身份令牌签名无效") from None
        claims = dict(token.claims)
        self._check_claims(client, claims, nonce)
        return claims

    async def _signing_key(self, metadata: ProviderMetadata, kid: str | None, algorithm: str) -> Any:
        """The key for `kid`; an unknown kid refetches the key set (the provider rotated), rate-limited."""
        keys, fresh = await self._key_set(metadata)
        if kid is None:
            # Core §10.1: without a kid the key set must hold exactly one signing key.
            candidates = [k for k in keys.keys if k.get("use") in (None, "sig")]
            if len(candidates) != 1:
                raise SignInFailed("id_token_kid_missing", "身份令牌未指明签名密钥,且认证服务有多个密钥")
            return candidates[0]
        key = _key_with_kid(keys, kid)
        if key is None and not fresh and self._may_refetch(metadata.jwks_uri):
            keys, _ = await self._key_set(metadata, refresh=True)
            key = _key_with_kid(keys, kid)
        if key is None:
            raise SignInFailed("id_token_unknown_key", "身份令牌由未知密钥签名")
        return key

    @staticmethod
    def _check_claims(client: ClientRegistration, claims: dict[str, Any], nonce: str) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": client.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": client.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            claim = (getattr(error, "claim", "") or "claims").split(",")[0]  # missing claims come joined
            raise SignInFailed(f"id_token_{claim}", _claim_message(claim)) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and "azp" not in claims:
            raise SignInFailed("id_token_aud", _claim_message("aud"))
        # Core §3.1.3.7: an azp, present with one audience or several, must be this client.
        if "azp" in claims and claims["azp"] != client.client_id:
            raise SignInFailed("id_token_azp", _claim_message("azp"))
        if not isinstance(claims["iat"], int | float) or claims["iat"] > time.time() + CLOCK_SKEW_SECONDS:
            raise SignInFailed("id_token_iat", _claim_message("iat"))


def _key_with_kid(keys: KeySet, kid: str) -> Any:
    return next((key for key in keys.keys if key.kid == kid), None)


_CLAIM_MESSAGES = {
    "iss": "身份令牌的签发者不符",
    "sub": "身份令牌缺少用户标识",
    "aud": "身份令牌不是签发给本平台的",
    "azp": "身份令牌的授权方(azp)不是本平台",
    "exp": "身份令牌已过期",
    "iat": "身份令牌缺少或含有无效的签发时间",
    "nonce": "身份令牌与本次登录请求不匹配",
}


def _claim_message(claim: str) -> str:
    return _CLAIM_MESSAGES.get(claim, "身份令牌内容无效")
