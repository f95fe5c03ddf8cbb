"""The register's operations, for its routes and pages and for other modules.

Every write takes the tenant session and reads the actor and the office from `session.info` (set by
`tenant_session`), records a `MandateEvent` for every change to a mandate, and asks the platform's
mandate directory to republish what changed once the transaction commits. The rules live in
`terms.py` (congresses, terms, 换届), `persons.py`, `mandates.py` and `register.py` (search,
profile, export); this facade re-exports what callers outside those files use.
"""

from renda.modules.deputies.common import term_label
from renda.modules.deputies.directory import ElsewhereEntry, in_territory, live, mandates_changed, recorded_elsewhere
from renda.modules.deputies.mandates import (
    check_within_term,
    checked_organised_in,
    create_mandate,
    end_mandate,
    get_mandate,
    mandate_detail,
    resume_mandate,
    suspend_mandate,
    update_mandate,
)
from renda.modules.deputies.names import search_key
from renda.modules.deputies.persons import (
    clear_photo,
    create_person,
    delete_person,
    get_person,
    get_photo,
    id_number_key,
    link_user,
    masked_id_number,
    person_of_user,
    set_photo,
    update_person,
    user_ids_of,
    validated_person,
)
from renda.modules.deputies.placements import Place, Placement, register_deletion_check, register_placement
from renda.modules.deputies.register import filter_choices, profile, search
from renda.modules.deputies.schemas import (
    EDUCATION_LEVELS,
    ETHNICITIES,
    GENDER_LABELS,
    OCCUPATION_CATEGORIES,
    PARTIES,
    PUBLIC_FIELDS,
    RegisterFilter,
)
from renda.modules.deputies.terms import (
    change_term,
    create_congress,
    create_term,
    current_terms,
    get_congress,
    get_term,
    list_congresses,
    terms_of,
    update_term,
)

__all__ = [
    "EDUCATION_LEVELS",
    "ETHNICITIES",
    "GENDER_LABELS",
    "OCCUPATION_CATEGORIES",
    "PARTIES",
    "PUBLIC_FIELDS",
    "ElsewhereEntry",
    "Place",
    "Placement",
    "RegisterFilter",
    "change_term",
    "check_within_term",
    "checked_organised_in",
    "clear_photo",
    "create_congress",
    "create_mandate",
    "create_person",
    "create_term",
    "current_terms",
    "delete_person",
    "end_mandate",
    "filter_choices",
    "get_congress",
    "get_mandate",
    "get_person",
    "get_photo",
    "get_term",
    "id_number_key",
    "in_territory",
    "link_user",
    "list_congresses",
    "live",
    "mandate_detail",
    "mandates_changed",
    "masked_id_number",
    "person_of_user",
    "profile",
    "recorded_elsewhere",
    "register_deletion_check",
    "register_placement",
    "resume_mandate",
    "search",
    "search_key",
    "set_photo",
    "suspend_mandate",
    "term_label",
    "terms_of",
    "update_mandate",
    "update_person",
    "update_term",
    "user_ids_of",
    "validated_person",
]
