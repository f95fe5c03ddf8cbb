"""The embedded PostgreSQL (pgserver) used when no RENDA_DATABASE_URL is configured."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from renda.config import Settings

log = logging.getLogger("renda.embedded")
_servers: dict[Path, Any] = {}


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL server keeping its files in `data_dir`; returns its URL."""
    data_dir = data_dir.resolve()
    if data_dir not in _servers:
        runtime_dir = data_dir.parent / "run"
        runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
        import pgserver

        _servers[data_dir] = pgserver.get_server(data_dir, cleanup_mode="stop")
        log.info("embedded PostgreSQL started", extra={"data_dir": str(data_dir)})
    socket_dir = _servers[data_dir].get_uri().split("host=", 1)[1]
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"


def ensure_database_url(settings: Settings) -> str:
    """The configured database, or the embedded one in the user's data directory."""
    return settings.async_database_url or start_embedded_postgres(settings.data_dir / "pgdata")
