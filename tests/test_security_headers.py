"""Every response carries the security headers (pages, API, errors, portal, static files, PDFs), and
the templates keep to what the Content-Security-Policy allows: no inline script, handler or style."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from renda.core.security_headers import PAGE_POLICY, PDF_POLICY
from tests.conftest import make_caller
from tests.test_member_pages import signed_in

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "web" / "templates"
# Rendered to PDF on the server, never shown by a browser.
PRINT_ONLY = {"portal/sheet.html", "suggestions/letter.html", "duty/archive_print.html", "duty/activity_qr_sheet.html"}
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def assert_secured(response, policy: str = PAGE_POLICY) -> None:
    headers = response.headers
    assert headers.get("content-security-policy") == policy, (response.request.url, dict(headers))
    assert "frame-ancestors 'none'" in policy
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin"
    assert headers.get("x-content-type-options") == "nosniff"


def test_the_page_policy() -> None:
    directives = {d.split()[0]: d.split()[1:] for d in PAGE_POLICY.split("; ")}
    assert directives["default-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
    assert "script-src" not in directives and "style-src" not in directives  # both 'self', as default-src


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),
        ("GET", "/health", 200),
        ("GET", "/static/renda.css", 200),
        ("GET", "/static/renda.js", 200),
        ("GET", "/favicon.ico", 200),
        ("GET", "/static/favicon.svg", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/no-such-page", 404),  # from the router, before any route or middleware
        ("DELETE", "/login", 405),
        ("GET", "/p/610922/", 200),
        ("GET", "/p/610922/no-such-page", 404),
        ("GET", "/t/610922/", 401),
    ],
)
async def test_every_response_is_secured(client, hierarchy, method, path, status) -> None:
    response = await client.request(method, path, headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code in (status, 302, 303), response.text[:300]
    assert_secured(response)


async def test_staff_pages_api_errors_and_pdfs_are_secured(client, database, hierarchy) -> None:
    admin = await make_caller(database, "安全头检查员", {"610922": ["office_admin"]})
    station = await client.post(
        "/api/v1/t/610922/organisation/stations",
        json={"name": f"安全头联络站{uuid.uuid4().hex[:4]}", "kind": "liaison_station"},
        headers=admin.headers,
    )
    assert station.status_code == 201, station.text
    assert_secured(station)
    await signed_in(database, client, admin.user_id)
    assert_secured(await client.get("/t/610922/"))
    assert_secured(await client.get("/api/v1/t/610922/members"))
    assert_secured(await client.get("/t/610921/"))  # 403, another office
    assert_secured(await client.post("/t/610922/notifications/read-all"))  # 403, no CSRF token
    # The printable 代表码 sheet: the browser's own PDF viewer needs a looser policy, but no framing.
    sheet = await client.get(f"/t/610922/portal/stations/{station.json()['id']}/qr-sheet.pdf")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    assert_secured(sheet, PDF_POLICY)
    # A QR image sets a stricter policy of its own: kept, and nothing is sent twice.
    svg = await client.get(f"/p/610922/stations/{station.json()['id']}/qr.svg")
    assert svg.status_code == 200 and svg.headers.get_list("content-security-policy") == [
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ]
    assert svg.headers.get_list("x-content-type-options") == ["nosniff"]
    assert svg.headers["x-frame-options"] == "DENY"


def test_templates_have_no_inline_script_handler_or_style() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:100]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if str(path.relative_to(TEMPLATES)) not in PRINT_ONLY
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]
    assert found == []
