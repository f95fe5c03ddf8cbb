"""代表码 as images and printable sheets: QR codes (segno) in PNG and SVG, and an A4 PDF (weasyprint).

Nothing here touches the database: callers pass the address to encode and the public data to print.
The PDF renderer fetches nothing but the `data:` images it is given, so a sheet can never make the
server reach out to another address.
"""

from __future__ import annotations

import base64
import hashlib
import io

import segno

from renda.web.pdf import render_pdf  # noqa: F401 (the one renderer, shared with the reply letters)

# Medium error correction: survives a worn or partly covered print, keeps the code small.
ERROR_LEVEL = "m"
PNG_SCALE = 8
BORDER = 4
PHOTO_BOX = (240, 320)  # pixels: 3:4, sharp enough for a 2.4 cm × 3.2 cm print
CACHE_SECONDS = 86400


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


def etag(url: str, kind: str) -> str:
    """The same address always gives the same image: its hash is a strong validator."""
    return '"' + hashlib.sha256(f"{kind}:{ERROR_LEVEL}:{url}".encode()).hexdigest()[:32] + '"'


def cache_headers(url: str, kind: str) -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={CACHE_SECONDS}", "ETag": etag(url, kind)}


def data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def photo_thumbnail(content: bytes) -> bytes | None:
    """A small JPEG of a register photo for print (the register keeps up to 2 MB); None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image = image.convert("RGB")
            image.thumbnail(PHOTO_BOX)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
