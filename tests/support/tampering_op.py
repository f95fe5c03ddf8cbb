"""A malicious identity provider in front of the real one, for the relying party's negative tests.

Like the OpenID conformance suite's RP tests, it plays a provider that issues bad ID tokens: it
presents itself as an issuer of its own, sends the person to the real provider to sign in, forwards
the code exchange to the real token endpoint, and then rewrites the ID token it got back (claims,
header, signature) with `tamper` before handing it to the relying party. It re-signs with the real
provider's private keys, which the test holds, so only the tampered part is wrong.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from tests.support.oidc import JWKS, OidcProvider, public_jwks

Header = dict[str, Any]
Claims = dict[str, Any]
# (header, claims) -> (header, claims, signing key set or None for an unsigned token)
Tamper = Callable[[Header, Claims], tuple[Header, Claims, JWKS | None]]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TamperingProvider:
    def __init__(self, real: OidcProvider) -> None:
        self.real = real
        self.tamper: Tamper = self.honest
        self.extra_public_keys: list[dict[str, Any]] = []  # published beside the real keys
        self.issuer = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- what a test sets --------------------------------------------------------------------------
    def honest(self, header: Header, claims: Claims) -> tuple[Header, Claims, JWKS | None]:
        """Re-issue the real token under this provider's issuer: a relying party accepts it."""
        return header, {**claims, "iss": self.issuer}, self.real.private_jwks

    # --- the ASGI app ------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = await self._route(scope["method"], scope["path"], scope, body)
        data = json.dumps(payload).encode()
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": data})

    async def _route(self, method: str, path: str, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        async with httpx.AsyncClient(timeout=10) as http:
            if path == "/.well-known/openid-configuration":
                real = (await http.get(self.real.discovery_url)).json()
                return 200, {
                    **real,
                    "issuer": self.issuer,
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "authorization_response_iss_parameter_supported": False,
                    "id_token_signing_alg_values_supported": ["RS256", "ES256", "none"],
                }
            if path == "/jwks":
                keys = public_jwks(self.real.private_jwks)["keys"] + self.extra_public_keys
                return 200, {"keys": keys}
            if path == "/token" and method == "POST":
                real_token_endpoint = (await http.get(self.real.discovery_url)).json()["token_endpoint"]
                headers = {
                    k.decode(): v.decode()
                    for k, v in scope["headers"]
                    if k.lower() in (b"authorization", b"content-type")
                }
                response = await http.post(real_token_endpoint, content=body, headers=headers)
                token = response.json()
                if response.status_code == 200 and "id_token" in token:
                    token["id_token"] = self._reissue(token["id_token"])
                return response.status_code, token
        return 404, {"error": "not_found"}

    def _reissue(self, id_token: str) -> str:
        compact = jws.extract_compact(id_token.encode())
        header, claims, keys = self.tamper(dict(compact.protected), json.loads(compact.payload))
        if keys is None:
            return f"{_b64(header)}.{_b64(claims)}."
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        key = next(k for k in key_set.keys if header.get("kid") in (None, k.kid))
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    # --- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> TamperingProvider:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("tampering provider did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)
