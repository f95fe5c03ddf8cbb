"""A TCP proxy in front of PostgreSQL that counts round trips.

Every exchange between a client and PostgreSQL ends with the server's ReadyForQuery message ('Z'):
after a simple query, after a Sync that closes an extended-protocol batch (prepare, bind, execute),
and once after start-up. Counting them counts round trips, whatever the driver does above.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit, urlunsplit


@dataclass
class RoundTripCounter:
    round_trips: int = 0
    connections: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)


class PostgresProxy:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.counter = RoundTripCounter()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> PostgresProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self.counter._tasks):
            task.cancel()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        """`database_url` with the proxy as its host (a Unix-socket URL becomes a TCP one)."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        parts = urlsplit(self.database_url)
        user = parts.username or "postgres"
        password = f":{parts.password}" if parts.password else ""
        # No TLS: the proxy reads the server's messages.
        return urlunsplit((parts.scheme, f"{user}{password}@127.0.0.1:{port}", parts.path, "ssl=disable", ""))

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(self.database_url)
        socket_dir = parse_qs(parts.query).get("host", [None])[0]
        if socket_dir:
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{parts.port or 5432}")
        return await asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 5432)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await self._upstream()
        self.counter.connections += 1
        upstream = asyncio.ensure_future(self._pipe(client_reader, server_writer))
        downstream = asyncio.ensure_future(self._count(server_reader, client_writer))
        self.counter._tasks |= {upstream, downstream}
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for writer in (client_writer, server_writer):
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async def _count(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Server to client: after the first bytes (an SSL refusal 'N' is one byte), every message is
        a type byte and a four-byte length that counts itself."""
        buffer = b""
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
            buffer += data
            while len(buffer) >= 5:
                length = int.from_bytes(buffer[1:5], "big")
                if len(buffer) < 1 + length:
                    break
                if buffer[:1] == b"Z":
                    self.counter.round_trips += 1
                buffer = buffer[1 + length :]
