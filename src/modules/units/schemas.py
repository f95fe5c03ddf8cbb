"""Request and response types of the handling-unit register."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

UnitName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
ShortText = Annotated[str, msgspec.Meta(max_length=500)]


class UnitIn(msgspec.Struct, forbid_unknown_fields=True):
    name: UnitName
    contact_name: ShortText | None = None
    note: ShortText | None = None


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: UnitName | UnsetType = UNSET
    contact_name: ShortText | UnsetType | None = UNSET
    note: ShortText | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


class UnitUserIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID


class UnitUserOut(msgspec.Struct):
    user_id: uuid.UUID
    display_name: str
