"""The demo data of duty performance (`renda demo`): each part of the module seeds its own, once."""

from __future__ import annotations

from renda.modules.duty.activity_demo import seed_activities


async def seed_demo() -> None:
    await seed_activities()
