"""Where deputies are placed by the modules built on the register: deputy groups and stations.

The register filters by them and lists them on a profile, but their tables belong to the organisation
module, which builds on the register. That module registers here how to read them (its
`placements.py`, found by convention), so the register never imports the modules above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules import import_module_parts


@dataclass(frozen=True)
class Place:
    """One deputy group or station."""

    id: uuid.UUID
    name: str
    kind: str
    kind_label: str
    address: str | None = None


@dataclass(frozen=True)
class Placement:
    """One kind of place (`group`, `station`): the register's filter `<key>_id` and profile use it."""

    key: str
    all: Callable[[AsyncSession], Awaitable[list[Place]]]  # the office's places, for the filter form
    of_person: Callable[[AsyncSession, uuid.UUID], Awaitable[list[Place]]]
    holds: Callable[[uuid.UUID], ColumnElement[bool]]  # a condition on Person.id: placed in that place


# A person the register may not delete while another module holds records of them: the reason, or None.
DeletionCheck = Callable[[AsyncSession, uuid.UUID], Awaitable[str | None]]

_placements: dict[str, Placement] = {}
_deletion_checks: list[DeletionCheck] = []
_loaded = False


def register_placement(placement: Placement) -> None:
    _placements[placement.key] = placement


def register_deletion_check(check: DeletionCheck) -> None:
    if check not in _deletion_checks:
        _deletion_checks.append(check)


def _load() -> None:
    global _loaded
    if not _loaded:
        import_module_parts("placements")
        _loaded = True


def placement(key: str) -> Placement:
    _load()
    return _placements[key]


def deletion_checks() -> list[DeletionCheck]:
    _load()
    return list(_deletion_checks)
