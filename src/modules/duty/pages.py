"""`/t/{code}/duty/...`: the pages of duty performance, in Chinese; a deputy's own pages (sign-in by
QR code, evidence, my points, my archive) are made for a phone. Each part keeps its pages in its own
file; this is the module's list of them."""

from __future__ import annotations

from typing import Any

from renda.modules.duty import activity_pages, archive_pages, rating_pages
from renda.modules.duty.points_pages import PointsPages
from renda.modules.duty.store_pages import StorePages

PAGES: list[Any] = [
    PointsPages,
    StorePages,
    *rating_pages.PAGES,
    *archive_pages.PAGES,
    *activity_pages.PAGES,
]
