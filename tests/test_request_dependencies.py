"""A request whose dependencies of one level (the activity and the caller of a duty roster) both use
the office's session, one of which fails (an activity that does not exist: 404): they are resolved
in turn (`core/dependency_order.py`), the failure is thrown into the session's dependency as a
failing handler's is, and nothing is left to be closed later against a finished transaction (it
warned "transaction already deassociated from connection"). The next request works as usual."""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings

from sqlalchemy.exc import SAWarning

from tests.conftest import ensure_tenant, make_caller

CITY, OFFICE = "659000", "659010"


async def test_a_failed_dependency_leaves_nothing_to_undo(database, client) -> None:
    await ensure_tenant(database, CITY, "依赖清理测试市人大常委会", "city", None)
    await ensure_tenant(database, OFFICE, "依赖清理测试县人大常委会", "county", CITY)
    staff = await make_caller(database, "依赖清理测试管理员", {OFFICE: ["office_admin"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            missing = f"/api/v1/t/{OFFICE}/duty/activities/{uuid.uuid4()}/roster"
            response = await client.get(missing, headers=staff.headers)
            assert response.status_code == 404, response.text
        gc.collect()  # the unfinished dependencies are closed now, in tasks of this loop
        await asyncio.sleep(0.1)
    found = [str(w.message) for w in caught if issubclass(w.category, SAWarning)]
    assert found == []
    listed = await client.get(f"/api/v1/t/{OFFICE}/duty/activities", headers=staff.headers)
    assert listed.status_code == 200, listed.text
