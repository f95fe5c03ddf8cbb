"""An office's organisation, for its routes and pages and for other modules: its standing committee
per term, its special committees and working commissions, its deputy groups and its stations (家站室).

Every check that has a database constraint behind it is also made first, so the caller gets a message
naming the person or group concerned; the constraint still decides under concurrent writes. The rules
live in `committee.py`, `bodies.py`, `groups.py`, `stations.py`, `refs.py` (the deputies, users and terms
they refer to) and `deputy.py`; this facade re-exports what callers outside those files use.
"""

from renda.modules.organisation.bodies import (
    add_body_member,
    body_deputy_candidates,
    body_detail,
    create_body,
    delete_body,
    get_body,
    list_bodies,
    remove_body_member,
    remove_body_member_by_id,
    update_body,
    update_body_member,
    update_body_member_by_id,
)
from renda.modules.organisation.committee import (
    committee,
    committee_member_out,
    create_committee_member,
    delete_committee_member,
    get_committee_member,
    own_terms,
    update_committee_member,
)
from renda.modules.organisation.common import reception_label
from renda.modules.organisation.deputy import person_organisation
from renda.modules.organisation.groups import (
    add_external_member,
    add_group_member,
    create_group,
    delete_group,
    get_group,
    group_detail,
    group_summary,
    list_groups,
    remove_external_member,
    remove_group_member,
    update_group,
)
from renda.modules.organisation.refs import (
    check_township,
    elsewhere_entry,
    external_refs,
    group_member_names,
    person_refs,
    search_candidates,
    search_elsewhere,
)
from renda.modules.organisation.schemas import CommitteeMemberIn, CommitteeMemberOut, TermOut
from renda.modules.organisation.stations import (
    assign_deputy,
    assign_external_deputy,
    create_station,
    delete_station,
    get_station,
    list_stations,
    station_detail,
    station_summary,
    unassign_deputy,
    unassign_external_deputy,
    update_station,
)
from renda.modules.organisation.worklist import empty_rosters

__all__ = [
    "CommitteeMemberIn",
    "CommitteeMemberOut",
    "TermOut",
    "add_body_member",
    "add_external_member",
    "add_group_member",
    "assign_deputy",
    "assign_external_deputy",
    "body_deputy_candidates",
    "body_detail",
    "check_township",
    "committee",
    "committee_member_out",
    "create_body",
    "create_committee_member",
    "create_group",
    "create_station",
    "delete_body",
    "delete_committee_member",
    "delete_group",
    "delete_station",
    "elsewhere_entry",
    "empty_rosters",
    "external_refs",
    "get_body",
    "get_committee_member",
    "get_group",
    "get_station",
    "group_detail",
    "group_member_names",
    "group_summary",
    "list_bodies",
    "list_groups",
    "list_stations",
    "own_terms",
    "person_organisation",
    "person_refs",
    "reception_label",
    "remove_body_member",
    "remove_body_member_by_id",
    "remove_external_member",
    "remove_group_member",
    "search_candidates",
    "search_elsewhere",
    "station_detail",
    "station_summary",
    "unassign_deputy",
    "unassign_external_deputy",
    "update_body",
    "update_body_member",
    "update_body_member_by_id",
    "update_committee_member",
    "update_group",
    "update_station",
]
