"""Security headers on every response: pages, API, errors, static files, the portal.

A `before_send` hook rather than a middleware: Litestar runs middleware only around matched routes,
so a 404 or 405 from the router would go out without them. The header lists are built once; per
response the hook reads the names already set (a route may set a stricter one of its own, such as
the QR images' policy, which is then kept) and the content type, and appends what is missing.
"""

from __future__ import annotations

from litestar.types import Message, Scope

# The pages load their styles and scripts from /static only: no inline script, event handler or
# style (see web/static/renda.js for what the pages ask for with data- attributes). No form-action:
# sign-in and sign-out forms are redirected on to the identity provider.
PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
# A PDF opened in the browser (the 代表码 sheets) is shown by the browser's own viewer, which a
# default-src breaks in some browsers; it may still not be framed.
PDF_POLICY = "frame-ancestors 'none'"
# The OpenAPI pages (/schema) are Litestar's, built from a CDN's scripts with inline ones.
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://cdn.redoc.ly",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com",
        "font-src 'self' data: https://fonts.gstatic.com",
        "img-src 'self' data: https://cdn.jsdelivr.net",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
    )
)
COMMON = [
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-content-type-options", b"nosniff"),
]


def _headers(policy: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", policy.encode()), *COMMON]


PAGE_HEADERS, PDF_HEADERS, DOCS_HEADERS = _headers(PAGE_POLICY), _headers(PDF_POLICY), _headers(DOCS_POLICY)


async def security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or ())
    present: set[bytes] = set()
    pdf = False
    for name, value in headers:
        name = name.lower()
        present.add(name)
        pdf = pdf or (name == b"content-type" and value.startswith(b"application/pdf"))
    path = scope.get("path", "")
    if path == "/schema" or path.startswith("/schema/"):
        extra = DOCS_HEADERS
    else:
        extra = PDF_HEADERS if pdf else PAGE_HEADERS
    message["headers"] = headers + [header for header in extra if header[0] not in present]
