"""A live server with the demo data, and Debian's Chromium (headless) driven through Playwright's async
API: its sync API refuses to run inside pytest-asyncio's session event loop."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import dramatiq
import httpx
import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, Page, async_playwright

import renda.core.db
from renda.config import Settings
from renda.core.db import Database
from renda.workers.broker import use_broker

CHROMIUM = Path("/usr/bin/chromium")
# The app behind each live server's address, for tests that read its route table.
LIVE_APPS: dict[str, Litestar] = {}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


async def _wait_for_health(base_url: str, thread: threading.Thread) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        try:
            async with asyncio.timeout(30):
                while True:
                    if not thread.is_alive():
                        pytest.fail("the live server stopped while starting (see the captured log)", pytrace=False)
                    try:
                        if (await client.get("/health")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pytest.fail(f"the live server did not answer {base_url}/health within 30s", pytrace=False)


def _chromium_executable() -> Path:
    # A missing browser fails the tests: skipping would let CI pass without ever opening a page.
    if not CHROMIUM.is_file():
        pytest.fail(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="module")
async def live_server(database: Database, database_url: str, settings: Settings) -> AsyncIterator[str]:
    """The base URL of the app, served by uvicorn in a thread of this process so that the SQL guard
    sees the server's statements too."""
    from renda.app import create_app
    from renda.demo import seed_demo

    await seed_demo(database)
    # Binding here, not in uvicorn, gives a free port with no window for another process to take it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # The suite's settings (its secret key is process-wide too), with demo sign-in and this address.
    live_settings = replace(settings, demo_login=True, public_url=base_url)
    # create_app repoints the process-wide database and broker at its own; later tests get theirs back.
    previous_broker = dramatiq.get_broker()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(renda.core.db, "_database", renda.core.db._database)
        app = LIVE_APPS[base_url] = create_app(live_settings, database_url)
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
        thread.start()
        try:
            await _wait_for_health(base_url, thread)
            yield base_url
        finally:
            server.should_exit = True
            await asyncio.to_thread(thread.join, 30)
            sock.close()
            LIVE_APPS.pop(base_url, None)
            use_broker(previous_broker)


@pytest.fixture(scope="module")
def live_app(live_server: str) -> Litestar:
    """The app the live server serves, for tests that read its route table."""
    return LIVE_APPS[live_server]


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    executable = _chromium_executable()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def tab(chromium: Browser, live_server: str) -> AsyncIterator[Page]:
    """A page in a fresh browser context: no cookies from earlier tests."""
    context = await chromium.new_context(base_url=live_server, locale="zh-CN")
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture(autouse=True)
def fresh_sign_in_limit() -> None:
    """Each test signs in afresh: the suite signs in more than ten times a minute from one address, and
    the demo sign-in limiter (in this process, like the live server) would refuse the rest."""
    from renda.modules.accounts.routes import demo_login_limiter

    demo_login_limiter.hits.clear()
