from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

Roles = Annotated[list[str], msgspec.Meta(min_length=1, max_length=6)]


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    roles: Roles
    email: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    valid_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 14


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    contact: str
    contact_kind: str
    roles: list[str]
    invited_by: str
    created_at: datetime
    expires_at: datetime
    status: str  # pending | accepted | revoked | expired


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    display_name: str
    roles: list[str]
    source: str
    since: datetime


class ApiTokenIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[str], msgspec.Meta(min_length=1, max_length=50)]


class ApiTokenOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str


class ApiTokenCreated(msgspec.Struct):
    token: str  # shown this once; only its hash is kept
    details: ApiTokenOut
