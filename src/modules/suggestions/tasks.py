"""The suggestions' background jobs."""

from __future__ import annotations

import uuid

from renda.tenants.scoping import load_tenant
from renda.workers.broker import actor


# A platform job (its first parameter is not `tenant_code`): it reads the source office and writes
# the copies in each neighbour office, each through its own `tenant_session`.
@actor(queue_name="suggestions")
async def share_similar(source_code: str, suggestion_ids: list[str]) -> None:
    """Copy these suggestions of `source_code` to the offices above and below for the repeated-
    suggestion check (or delete the copies). Idempotent: the state as it is now."""
    from renda.modules.suggestions.similar import share

    await share(await load_tenant(source_code), [uuid.UUID(i) for i in suggestion_ids])


@actor(queue_name="suggestions")
async def resync_similar(office_code_changed: str) -> None:
    """After an office turned `share_similar` on or off: all its copies both ways."""
    from renda.modules.suggestions.similar import resync

    await resync(await load_tenant(office_code_changed))
