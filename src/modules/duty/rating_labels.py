"""How grades and stars read in Chinese, shared by the rating's pages, notices and export."""

from __future__ import annotations

from renda.modules.duty.models import GRADES


def grade_label(grade: str | None) -> str | None:
    return GRADES.get(grade) if grade else None


def stars_text(stars: int | None) -> str:
    """★★★☆☆ for three stars of five."""
    return "" if stars is None else "★" * stars + "☆" * (5 - stars)
