"""`/api/v1/t/{code}/duty/...`: duty performance (`duty.read` / `duty.write`). Each part of the module
keeps its controllers in its own file; this is the module's list of them."""

from __future__ import annotations

from typing import Any

from renda.modules.duty import activity_routes, archive_routes, rating_routes
from renda.modules.duty.points_routes import PointsController
from renda.modules.duty.store_routes import StoreController

ROUTES: list[Any] = [
    PointsController,
    StoreController,
    *rating_routes.ROUTES,
    *archive_routes.ROUTES,
    *activity_routes.ROUTES,
]
