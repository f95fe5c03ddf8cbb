"""The contacts tests work in 德州: the city, 德城区 (A), 陵城区 (B) and two of 德城区's townships."""

from __future__ import annotations

import pytest

from tests.modules.contacts.support import ensure_offices


@pytest.fixture
async def offices(database) -> None:
    await ensure_offices(database)
