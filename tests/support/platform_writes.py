"""Which `platform` tables the work of one office writes: its requests and its background jobs.

With Citus schema-based sharding each office schema may live on another node than `platform` (on
the coordinator), so every platform table an office's transaction writes is a write to two nodes in
one transaction (docs/scaling.md). `platform_writes()` records them from the SQL sent; the tables
that may appear are listed, with why, in tests/test_schema_boundaries.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from renda.core.db import current_unit, job_office

PLATFORM_TABLE = re.compile(r'\b"?platform"?\s*\.\s*"?(\w+)')
OFFICE_SCHEMA = re.compile(r"\bt_\d{6,9}\b")
PLATFORM_WRITE = re.compile(
    r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?platform"?\s*\.\s*"?(\w+)', re.IGNORECASE
)


@dataclass
class PlatformWrites:
    requests: dict[str, set[str]] = field(default_factory=dict)  # table → offices whose requests wrote it
    jobs: dict[str, set[str]] = field(default_factory=dict)  # table → offices whose jobs wrote it
    # Platform tables named in one statement with office tables (a join, a subquery): under Citus
    # each needs a copy on every node (a reference table), or the statement must be split.
    joined: dict[str, set[str]] = field(default_factory=dict)

    def record(self, statement: str) -> None:
        if OFFICE_SCHEMA.search(statement):
            for table in PLATFORM_TABLE.findall(statement):
                self.joined.setdefault(f"platform.{table}", set()).add(statement[:200])
        tables = PLATFORM_WRITE.findall(statement)
        if not tables:
            return
        unit = current_unit()
        if unit is not None and unit.office_code is not None:
            for table in tables:
                self.requests.setdefault(f"platform.{table}", set()).add(unit.office_code)
        office = job_office.get()
        if unit is None and office is not None:
            for table in tables:
                self.jobs.setdefault(f"platform.{table}", set()).add(office)


@contextmanager
def platform_writes() -> Iterator[PlatformWrites]:
    """Record, while the block runs, the platform tables written inside a request bound to an office
    or inside a job for an office (any thread)."""
    found = PlatformWrites()

    def listen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        found.record(statement)

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", listen)
