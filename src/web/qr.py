"""QR codes (segno) as PNG and SVG: the 代表码 of the portal and the sign-in codes of duty activities.

Nothing here touches the database: callers pass the address to encode.
"""

from __future__ import annotations

import base64
import io

import segno

# Medium error correction: survives a worn or partly covered print, keeps the code small.
ERROR_LEVEL = "m"
PNG_SCALE = 8
BORDER = 4


def qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR_LEVEL)


def qr_png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    out = io.BytesIO()
    qr(url).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def qr_svg(url: str, *, title: str | None = None) -> bytes:
    """An SVG with the address in its description, so a printer (and a test) can tell what it encodes."""
    out = io.BytesIO()
    qr(url).save(out, kind="svg", scale=4, border=BORDER, title=title, desc=url, encoding="utf-8")
    return out.getvalue()


def data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"
