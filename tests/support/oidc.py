"""A real OpenID Connect provider (panva's oidc-provider, infra/oidc-provider) for SSO tests.

with OidcProvider(clients=[make_client(["http://testserver/callback"])]) as op:
    callback = await drive_login(browser, authorize_url_built_by_the_rp, "alice")
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc.jwk import ECKey, KeySet, RSAKey

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "infra" / "oidc-provider"
STAMP = ".renda-lock-sha256"
START_TIMEOUT = 30.0

JWK = dict[str, Any]
JWKS = dict[str, list[JWK]]

DEFAULT_CLIENT_ID = "renda"
DEFAULT_CLIENT_SECRET = "renda-test-secret"

DEFAULT_ACCOUNTS: list[dict[str, Any]] = [
    {
        "id": "alice",
        "password": "x",
        "claims": {
            "name": "Alice Zhang",
            "email": "alice@example.test",
            "email_verified": True,
            "phone_number": "+86 138 0000 0001",
            "division_codes": ["610922"],
            "renda_roles": ["staff"],
        },
    },
    {
        "id": "bob",
        "password": "x",
        "claims": {
            "name": "Bob Li",
            "email": "bob@example.test",
            "email_verified": True,
            "phone_number": "+86 138 0000 0002",
            "division_codes": ["610900", "610922"],
            "renda_roles": ["staff", "admin"],
        },
    },
]


# --- node_modules --------------------------------------------------------------------------------
def ensure_node_modules() -> None:
    """Install the provider's npm dependencies exactly as locked, unless the installed tree matches the lock."""
    digest = hashlib.sha256((PROVIDER_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = PROVIDER_DIR / "node_modules" / STAMP
    # Parallel test processes would otherwise run `npm ci` into the same tree at once.
    with open(Path(tempfile.gettempdir()) / "renda-oidc-provider-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not on PATH: the OIDC test provider needs Node.js and npm")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci failed in {PROVIDER_DIR} ({done.returncode}):\n{done.stderr}")
        stamp.write_text(digest)


# --- keys ----------------------------------------------------------------------------------------
def make_rsa_jwk(kid: str | None = None, alg: str = "RS256") -> JWK:
    """A fresh private RSA signing JWK."""
    key = RSAKey.generate_key(2048, parameters={"kid": kid or secrets.token_hex(8), "alg": alg, "use": "sig"})
    return key.as_dict(private=True)


def make_ec_jwk(kid: str | None = None, crv: str = "P-256") -> JWK:
    """A fresh private EC signing JWK (alg follows the curve: ES256, ES384, ES512)."""
    alg = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[crv]
    key = ECKey.generate_key(crv, parameters={"kid": kid or secrets.token_hex(8), "alg": alg, "use": "sig"})
    return key.as_dict(private=True)


def private_jwks(*keys: JWK) -> JWKS:
    """A JWK set; the provider signs with the first key that fits the algorithm it needs."""
    return {"keys": list(keys)}


def public_jwks(jwks: JWKS) -> JWKS:
    """The public half of a JWK set, as a relying party would see it."""
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # joserfc wants its TypedDict; the JSON is the same
    return {"keys": [dict(key.as_dict(private=False)) for key in keys]}


def make_client(
    redirect_uris: list[str],
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    post_logout_redirect_uris: list[str] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """Confidential client metadata (code flow; client_secret_basic or _post both work at the token endpoint)."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris or [],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        **metadata,
    }


# --- the provider process ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OidcProvider:
    """`node server.mjs config.json` on a free loopback port, for as long as the context (or start/stop) lasts."""

    def __init__(
        self,
        *,
        clients: list[dict[str, Any]],
        accounts: list[dict[str, Any]] | None = None,
        jwks: JWKS | None = None,
        ttl: dict[str, int] | None = None,
        claims: dict[str, list[str]] | None = None,
    ) -> None:
        self.clients = clients
        self.accounts = DEFAULT_ACCOUNTS if accounts is None else accounts
        self.private_jwks: JWKS = jwks or private_jwks(make_rsa_jwk())
        self.ttl = ttl
        self.claims = claims
        self.issuer = ""
        self.admin_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def public_jwks(self) -> JWKS:
        return public_jwks(self.private_jwks)

    def start(self) -> Self:
        ensure_node_modules()
        self._dir = tempfile.TemporaryDirectory(prefix="oidc-provider-")
        try:
            # A port picked free can be taken before node binds it; another port then fixes that.
            for _ in range(3):
                if self._spawn(_free_port()):
                    break
            else:
                raise RuntimeError("OIDC provider: every port tried was taken before node could bind it")
            self._wait_for_discovery()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, port: int) -> bool:
        """Start node and wait for its ready line; False when only the port was in the way."""
        assert self._dir is not None
        work = Path(self._dir.name)
        config = {
            "issuer": f"http://127.0.0.1:{port}",
            "cookie_keys": [secrets.token_urlsafe(32)],
            "jwks": self.private_jwks,
            "clients": self.clients,
            "accounts": self.accounts,
            "exit_on_stdin_eof": True,
            **({"ttl": self.ttl} if self.ttl else {}),
            **({"claims": self.claims} if self.claims else {}),
        }
        (work / "config.json").write_text(json.dumps(config))
        stdout, stderr = work / "stdout.log", work / "stderr.log"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            # stdin stays an open pipe: when this interpreter dies however it dies, node sees EOF and exits.
            self._process = subprocess.Popen(
                ["node", "server.mjs", str(work / "config.json")],
                cwd=PROVIDER_DIR,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in stdout.read_text().splitlines(keepends=True):
                if line.startswith('{"ready"') and line.endswith("\n"):
                    ready = json.loads(line)
                    self.issuer, self.admin_url = ready["issuer"], ready["admin"]
                    return True
            if self._process.poll() is not None:
                log = stderr.read_text()
                self._stop_process()
                if "EADDRINUSE" in log:
                    return False
                raise RuntimeError(f"OIDC provider exited before it was ready:\n{log}")
            time.sleep(0.05)
        raise TimeoutError(f"OIDC provider not ready after {START_TIMEOUT}s:\n{stderr.read_text()}")

    def _wait_for_discovery(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                response = httpx.get(self.discovery_url, timeout=2)
                if response.status_code == 200 and response.json()["issuer"] == self.issuer:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.discovery_url} did not answer")
            time.sleep(0.05)

    def rotate_keys(self, new_jwks: JWKS) -> None:
        """Replace the signing keys of the running provider; sessions and grants survive.

        Keep the old key in `new_jwks` (after the new one) to model a rollover in which tokens
        already issued still verify against the published JWKS."""
        response = httpx.put(f"{self.admin_url}/jwks", json=new_jwks, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"key rotation refused: {response.text}")
        self.private_jwks = new_jwks

    def stop(self) -> None:
        self._stop_process()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                process.stdin.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


# --- the browser's part of a sign-in ---------------------------------------------------------------
class _Form:
    def __init__(self, action: str, method: str) -> None:
        self.action, self.method = action, method
        self.fields: dict[str, str] = {}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._open: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = _Form(attr.get("action", ""), attr.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attr.get("name"):
            self._open.fields[attr["name"]] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


class OidcLoginError(AssertionError):
    pass


def _strip_query(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc, parts.path


async def drive_login(http: httpx.AsyncClient, authorize_url: str, login: str, *, max_steps: int = 20) -> str:
    """Sign in as account `login` through the provider's login and consent pages; return the callback URL.

    `http` must reach the provider over the network and keep cookies (a plain httpx.AsyncClient, not an
    ASGI test client). The redirect to the client's redirect_uri is returned, not followed, so the caller
    hands it to the relying party; it carries code, state and iss, or error when the provider refused."""
    redirect_uri = parse_qs(urlsplit(authorize_url).query)["redirect_uri"][0]
    url, data = authorize_url, None
    submitted: set[str] = set()
    for _ in range(max_steps):
        if data is None:
            response = await http.get(url, follow_redirects=False)
        else:
            response = await http.post(url, data=data, follow_redirects=False)
        if response.is_redirect:
            url, data = urljoin(str(response.url), response.headers["location"]), None
            if _strip_query(url) == _strip_query(redirect_uri):
                return url
            continue
        if response.status_code != 200:
            raise OidcLoginError(f"{response.request.method} {url}: {response.status_code}\n{response.text[:2000]}")
        parser = _FormParser()
        parser.feed(response.text)
        form = next((f for f in parser.forms if f.method == "post" and "prompt" in f.fields), None)
        if form is None:
            raise OidcLoginError(f"no login or consent form at {url}:\n{response.text[:2000]}")
        prompt = form.fields["prompt"]
        # The login page coming back means the provider knows no account by that name.
        if prompt in submitted:
            raise OidcLoginError(f"the provider showed the {prompt} page again (unknown account {login!r}?)")
        submitted.add(prompt)
        if prompt == "login":
            data = {**form.fields, "login": login, "password": "x"}
        elif prompt == "consent":
            data = dict(form.fields)
        else:
            raise OidcLoginError(f"unexpected prompt {prompt!r} at {url}")
        url = urljoin(str(response.url), form.action)
    raise OidcLoginError(f"no redirect to {redirect_uri} after {max_steps} steps")
