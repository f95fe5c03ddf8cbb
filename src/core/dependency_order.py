"""A request's dependencies resolved one after another, and cleaned up when one of them fails.

Litestar resolves the dependencies of one level side by side (in a task group). Ours share the
request's one session and connection (the office's `db`: the caller, the object a path names), and
a session is not for concurrent use: when one fails (a 404), the other is cancelled in the middle of
its query. And the framework returns the cleanup of the dependencies already provided only when
all succeed, so a failure left them unfinished until collected. Here each is resolved in turn, in a
fixed order, and a failure is thrown into those already provided, as a failing handler's is.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup = DependencyCleanupGroup()
    try:
        for batch in self.dependency_batches:
            for dependency in sorted(batch, key=lambda d: d.key):
                await resolve_dependency(dependency, connection, kwargs, cleanup)
    except BaseException as error:
        await cleanup.close(error)
        raise
    return cleanup


def resolve_dependencies_in_turn() -> None:
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
