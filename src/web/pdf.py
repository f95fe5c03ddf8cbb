"""HTML to PDF for the printable documents (QR sheets, reply letters): one renderer that fetches nothing
but `data:` resources. Chinese text needs a CJK font on the machine (fonts-wqy-zenhei)."""

from __future__ import annotations


def render_pdf(html: str) -> bytes:
    """HTML to PDF; blocking (run it in a thread)."""
    from weasyprint import HTML, URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
