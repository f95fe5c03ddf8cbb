"""Request and response types of the points store (积分超市) API.

The types only say what a field is (an integer, a text); what a value may be (a price above zero, a
stock not below zero, a quantity of at most ten) is the service's to check, so that the API and the
pages answer a bad value with the same Chinese message and code.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from msgspec import UNSET, UnsetType


# --- items ---------------------------------------------------------------------------------------------
class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    price: int  # points
    stock: int
    description: str = ""
    active: bool = True


class ItemPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    price: int | UnsetType = UNSET
    stock: int | UnsetType = UNSET  # a count corrected after a stocktake
    active: bool | UnsetType = UNSET


class RestockIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: int  # added to what is in stock


class ItemOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str
    price: int
    stock: int
    active: bool
    created_at: datetime
    updated_at: datetime


class ItemPage(msgspec.Struct):
    items: list[ItemOut]
    total: int
    page: int
    page_size: int


# --- the balance -----------------------------------------------------------------------------------------
class BalanceOut(msgspec.Struct):
    person_id: uuid.UUID
    points_year: int  # the year whose points are spent: the one before this one
    earned: int  # that year's points, rounded down to whole points
    spent: int  # on redemptions of that year's points not cancelled
    available: int


# --- redemptions -----------------------------------------------------------------------------------------
class RedeemIn(msgspec.Struct, forbid_unknown_fields=True):
    store_item_id: uuid.UUID
    quantity: int = 1


class HandOverIn(msgspec.Struct, forbid_unknown_fields=True):
    note: str = ""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""


class RedemptionOut(msgspec.Struct):
    id: uuid.UUID
    item_id: uuid.UUID
    item_name: str
    person_id: uuid.UUID
    person_name: str
    points_year: int
    quantity: int
    points: int
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    note: str


class RedemptionPage(msgspec.Struct):
    items: list[RedemptionOut]
    total: int
    page: int
    page_size: int
