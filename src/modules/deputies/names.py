"""Pinyin forms of a Chinese name, so `zs` and `zhangsan` both find 张三."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def full_pinyin(name: str) -> str:
    return "".join(lazy_pinyin(name, errors="ignore")).lower()


def initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()


def search_key(query: str) -> str:
    """A query typed in Latin letters, lowered and without spaces or apostrophes."""
    return "".join(ch for ch in query.lower() if ch.isalnum())
