"""代表码 as images and printable sheets: QR codes in PNG and SVG (renda.web.qr), and an A4 PDF (weasyprint).

Nothing here touches the database: callers pass the address to encode and the public data to print.
The PDF renderer fetches nothing but the `data:` images it is given, so a sheet can never make the
server reach out to another address.
"""

from __future__ import annotations

import hashlib
import io

from renda.web.pdf import render_pdf  # noqa: F401 (the one renderer, shared with the reply letters)
from renda.web.qr import BORDER, ERROR_LEVEL, PNG_SCALE, data_uri, qr, qr_png, qr_svg  # noqa: F401 (shared with duty)

PHOTO_BOX = (240, 320)  # pixels: 3:4, sharp enough for a 2.4 cm × 3.2 cm print
CACHE_SECONDS = 86400


def etag(url: str, kind: str) -> str:
    """The same address always gives the same image: its hash is a strong validator."""
    return '"' + hashlib.sha256(f"{kind}:{ERROR_LEVEL}:{url}".encode()).hexdigest()[:32] + '"'


def cache_headers(url: str, kind: str) -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={CACHE_SECONDS}", "ETag": etag(url, kind)}


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
