"""The OIDC test provider works on its own: code flow with PKCE, claims in the ID token, key rotation."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.oidc import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PROVIDER_DIR,
    OidcLoginError,
    OidcProvider,
    drive_login,
    make_client,
    make_ec_jwk,
    make_rsa_jwk,
    private_jwks,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(clients=[make_client([REDIRECT_URI])], jwks=private_jwks(make_rsa_jwk("first"))) as op:
        yield op


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def discovery(provider: OidcProvider) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        return (await client.get(provider.discovery_url)).raise_for_status().json()


def authorization_request(meta: dict[str, Any], *, pkce: bool = True, **extra: str) -> tuple[str, dict[str, str]]:
    """An authorization URL as a relying party builds it, and the secrets it keeps for the callback."""
    kept = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16)}
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile renda",
        **kept,
        **extra,
    }
    if pkce:
        kept["verifier"] = secrets.token_urlsafe(48)
        digest = hashlib.sha256(kept["verifier"].encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"
    return f"{meta['authorization_endpoint']}?{urlencode(params)}", kept


async def sign_in(provider: OidcProvider, browser: httpx.AsyncClient, login: str) -> tuple[jwt.Token, str]:
    """Sign in, redeem the code, verify the ID token against the published JWKS; the token and its kid."""
    meta = await discovery(provider)
    url, kept = authorization_request(meta)
    callback = parse_qs(urlsplit(await drive_login(browser, url, login)).query)
    assert callback["state"] == [kept["state"]]
    assert callback["iss"] == [provider.issuer]
    async with httpx.AsyncClient() as rp:
        response = await rp.post(
            meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": callback["code"][0],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": kept["verifier"],
            },
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )
        assert response.status_code == 200, response.text
        published = (await rp.get(meta["jwks_uri"])).raise_for_status().json()
    id_token = response.json()["id_token"]
    token = jwt.decode(id_token, KeySet.import_key_set(published), algorithms=["RS256", "ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": DEFAULT_CLIENT_ID},
        nonce={"essential": True, "value": kept["nonce"]},
        sub={"essential": True, "value": login},
        exp={"essential": True},
    ).validate(token.claims)
    return token, token.header["kid"]


async def test_discovery_advertises_the_renda_scope_and_s256(provider: OidcProvider) -> None:
    meta = await discovery(provider)
    assert meta["issuer"] == provider.issuer
    assert {"openid", "profile", "email", "phone", "renda"} <= set(meta["scopes_supported"])
    assert {"division_codes", "renda_roles"} <= set(meta["claims_supported"])
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert "end_session_endpoint" in meta


async def test_code_flow_puts_scope_claims_in_the_id_token(provider: OidcProvider, http: httpx.AsyncClient) -> None:
    token, kid = await sign_in(provider, http, "alice")
    assert kid == "first"
    assert token.claims["name"] == "Alice Zhang"
    assert token.claims["division_codes"] == ["610922"]
    assert token.claims["renda_roles"] == ["staff"]
    # Not requested: the email scope stays out.
    assert "email" not in token.claims


async def test_pkce_is_required(provider: OidcProvider, http: httpx.AsyncClient) -> None:
    url, _ = authorization_request(await discovery(provider), pkce=False)
    error = parse_qs(urlsplit(await drive_login(http, url, "alice")).query)
    assert error["error"] == ["invalid_request"]
    assert "PKCE" in error["error_description"][0]


async def test_unknown_account_is_refused(provider: OidcProvider, http: httpx.AsyncClient) -> None:
    url, _ = authorization_request(await discovery(provider))
    with pytest.raises(OidcLoginError, match="login page again"):
        await drive_login(http, url, "mallory")


@pytest.fixture
def rotating() -> Iterator[OidcProvider]:
    """A provider of its own, so that rotating its keys leaves the other tests' provider alone."""
    with OidcProvider(clients=[make_client([REDIRECT_URI])], jwks=private_jwks(make_rsa_jwk("first"))) as op:
        yield op


async def test_key_rotation(rotating: OidcProvider) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        _, kid = await sign_in(rotating, browser, "alice")
        assert kid == "first"
        old = rotating.private_jwks["keys"][0]
        rotating.rotate_keys(private_jwks(make_rsa_jwk("second"), make_ec_jwk("second-ec"), old))
        meta = await discovery(rotating)
        published = (await browser.get(meta["jwks_uri"])).json()
        assert [key["kid"] for key in published["keys"]] == ["second", "second-ec", "first"]
        assert all("d" not in key for key in published["keys"])
        # The session made before the rotation still signs this browser in without any page.
        url, _ = authorization_request(meta, prompt="none")
        assert "code" in parse_qs(urlsplit(await drive_login(browser, url, "alice")).query)
    # A fresh browser: the old one's session would skip the login page.
    async with httpx.AsyncClient(timeout=10) as browser:
        token, kid = await sign_in(rotating, browser, "bob")
    assert kid == "second"
    assert token.claims["renda_roles"] == ["staff", "admin"]


async def test_rotation_rejects_a_bad_key_set_and_keeps_the_old(rotating: OidcProvider) -> None:
    before = rotating.private_jwks
    with pytest.raises(RuntimeError, match="refused"):
        rotating.rotate_keys({"keys": []})
    assert rotating.private_jwks == before
    async with httpx.AsyncClient(timeout=10) as browser:
        _, kid = await sign_in(rotating, browser, "alice")
    assert kid == "first"


def test_server_refuses_to_start_without_a_config() -> None:
    done = subprocess.run(["node", "server.mjs"], cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "no configuration file given" in done.stderr
