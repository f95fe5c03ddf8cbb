"""How the audit log names handling units and the users who answer for them."""

from __future__ import annotations

from renda.modules.audit.service import register_entity
from renda.modules.units.models import HandlingUnit

register_entity("handling_units", "承办单位", fields={"contact_name": "联系人"}, title=HandlingUnit.name)
register_entity("handling_unit_users", "承办单位经办人", fields={"user_id": "经办人"}, refs={"user_id": "users"})
