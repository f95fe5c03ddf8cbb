"""The settings Renda's own connections run with."""

from __future__ import annotations

from sqlalchemy import text


async def test_sessions_run_without_jit(database) -> None:
    """JIT compilation costs more than Renda's short statements ever gain from it (core/db.py). Behind a
    transaction pooler the setting is the database's, so this asks the server itself."""
    server = database.direct()
    async with server.platform_session() as session:
        assert (await session.execute(text("SHOW jit"))).scalar_one() == "off"
    async with server.session_for_schema("platform") as session:
        assert (await session.execute(text("SELECT current_setting('jit')"))).scalar_one() == "off"
