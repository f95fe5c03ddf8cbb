from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from renda.modules.sso.models import DEFAULT_SCOPES, IdentityProvider
from renda.modules.sso.service import ProviderIn

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class ProviderCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    issuer: Text
    client_id: Text
    client_secret: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    scopes: Text = DEFAULT_SCOPES
    office_claim: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "division_codes"
    roles_claim: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "renda_roles"
    default_roles: list[str] = msgspec.field(default_factory=lambda: ["viewer"])
    office_codes: list[str] = msgspec.field(default_factory=list)
    is_default: bool = False

    def to_input(self) -> ProviderIn:
        return ProviderIn(
            self.name,
            self.issuer,
            self.client_id,
            self.client_secret,
            self.scopes,
            self.office_claim,
            self.roles_claim,
            tuple(self.default_roles),
            tuple(self.office_codes),
            self.is_default,
        )


class ProviderOut(msgspec.Struct):
    """Never carries the client secret."""

    id: uuid.UUID
    name: str
    issuer: str
    client_id: str
    scopes: str
    office_claim: str
    roles_claim: str
    default_roles: list[str]
    office_codes: list[str]
    is_default: bool
    enabled: bool

    @classmethod
    def of(cls, p: IdentityProvider) -> ProviderOut:
        return cls(
            p.id,
            p.name,
            p.issuer,
            p.client_id,
            p.scopes,
            p.office_claim,
            p.roles_claim,
            p.default_roles,
            p.office_codes,
            p.is_default,
            p.enabled,
        )
