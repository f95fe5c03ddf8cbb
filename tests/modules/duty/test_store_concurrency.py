"""Redemptions at the same moment, sent over HTTP on separate connections to the app served by uvicorn
(each request its own database connection and transaction): one deputy's burst never spends more than
their balance, a burst of deputies never takes more than the stock, and redemptions racing cancellations
keep stock and points whole."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import dramatiq
import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

import renda.core.db
from renda.modules.duty import store_redemptions
from renda.modules.duty.models import Redemption, StoreItem
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import use_broker
from tests.conftest import Caller
from tests.modules.duty.support import ACTOR, duty_office
from tests.modules.duty.support_store import at, give_points, make_item

pytestmark = pytest.mark.date_sensitive

SPRING = date(2027, 3, 15)
BURST = 20


@pytest.fixture(scope="module")
async def served(database, database_url, settings) -> AsyncIterator[str]:
    """The app served by uvicorn in a thread of this process (its own event loop, engine and pool)."""
    from renda.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    previous_broker = dramatiq.get_broker()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(renda.core.db, "_database", renda.core.db._database)
        app = create_app(replace(settings, public_url=base_url), database_url)
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="store-server", daemon=True)
        thread.start()
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=2) as probe:
                for _ in range(300):
                    try:
                        if (await probe.get("/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    pytest.fail("the served app did not answer /health within 30s", pytrace=False)
            yield base_url
        finally:
            server.should_exit = True
            await asyncio.to_thread(thread.join, 30)
            sock.close()
            use_broker(previous_broker)


@dataclass
class Overlap:
    """How many requests were inside a wrapped step at once, at most: above one, they did overlap."""

    inside: int = 0
    most: int = 0

    def wrap(self, step: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.inside += 1
            self.most = max(self.most, self.inside)
            try:
                return await step(*args, **kwargs)
            finally:
                self.inside -= 1

        return counted


async def burst(base_url: str, calls: list[tuple[str, str, Caller, dict]]) -> list[httpx.Response]:
    """All calls at once, each on a connection of its own."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.request(method, url, json=body, headers=caller.headers) for method, url, caller, body in calls)
        )


async def spent_and_stock(code: str, item: uuid.UUID) -> tuple[dict[uuid.UUID, int], int, list[tuple[str, int]]]:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        spent = dict(
            (
                await session.execute(
                    select(Redemption.person_id, func.sum(Redemption.points))
                    .where(Redemption.item_id == item, Redemption.status != "cancelled")
                    .group_by(Redemption.person_id)
                )
            ).all()
        )
        stock = (await session.execute(select(StoreItem.stock).where(StoreItem.id == item))).scalar_one()
        rows = await session.execute(select(Redemption.status, Redemption.quantity).where(Redemption.item_id == item))
        return {k: int(v) for k, v in spent.items()}, stock, [tuple(r) for r in rows]


def outcome(responses: list[httpx.Response]) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in responses:
        key = "ok" if r.status_code in (200, 201) else r.json().get("code", str(r.status_code))
        found[key] = found.get(key, 0) + 1
    return found


async def test_one_deputys_burst_never_spends_beyond_the_balance(served, database, offices, monkeypatch) -> None:
    office = await duty_office(database, offices["a"], "远安并发余额", deputies=1)
    await give_points(office.code, office.person, 2026, 55)
    item = await make_item(office.code, price=10, stock=100)
    waiting = Overlap()
    monkeypatch.setattr(store_redemptions, "lock_person", waiting.wrap(store_redemptions.lock_person))
    url = f"/api/v1/t/{office.code}/duty/store/redemptions"
    with at(SPRING):
        responses = await burst(served, [("POST", url, office.deputy, {"store_item_id": str(item)})] * BURST)
        balance = await burst(served, [("GET", f"{url.rsplit('/', 1)[0]}/balance", office.deputy, None)])
    assert outcome(responses) == {"ok": 5, "points_insufficient": 15}, [r.text for r in responses]
    assert waiting.most > 1, "the requests did not overlap"
    spent, stock, rows = await spent_and_stock(office.code, item)
    assert spent == {office.person: 50} and stock == 95 and len(rows) == 5
    assert (balance[0].json()["spent"], balance[0].json()["available"]) == (50, 5)


async def test_a_burst_of_deputies_never_takes_more_than_the_last_units(served, database, offices, monkeypatch) -> None:
    office = await duty_office(database, offices["a"], "远安并发库存", deputies=BURST // 2)
    for person in office.persons:
        await give_points(office.code, person, 2026, 100)
    item = await make_item(office.code, price=1, stock=3)
    inside = Overlap()
    monkeypatch.setattr(store_redemptions, "balance_of", inside.wrap(store_redemptions.balance_of))
    url = f"/api/v1/t/{office.code}/duty/store/redemptions"
    calls = [("POST", url, deputy, {"store_item_id": str(item)}) for deputy in office.deputies * 2]
    with at(SPRING):
        responses = await burst(served, calls)
    assert outcome(responses) == {"ok": 3, "out_of_stock": BURST - 3}, [r.text for r in responses]
    assert inside.most > 1, "the requests did not overlap"
    spent, stock, rows = await spent_and_stock(office.code, item)
    assert stock == 0 and len(rows) == 3 and sum(spent.values()) == 3


async def test_redemptions_racing_cancellations_keep_stock_and_points_whole(served, database, offices) -> None:
    office = await duty_office(database, offices["a"], "远安并发取消", deputies=1)
    await give_points(office.code, office.person, 2026, 30)
    item = await make_item(office.code, price=10, stock=3)
    url = f"/api/v1/t/{office.code}/duty/store/redemptions"
    with at(SPRING):
        made = await burst(served, [("POST", url, office.deputy, {"store_item_id": str(item)})] * 3)
        assert outcome(made) == {"ok": 3}
        cancels = [("POST", f"{url}/{r.json()['id']}/cancel", office.staff, {"reason": "库存盘点"}) for r in made]
        redeems = [("POST", url, office.deputy, {"store_item_id": str(item)})] * (BURST - len(cancels))
        responses = await burst(served, [*cancels, *redeems])
    results = outcome(responses[len(cancels) :])
    assert all(r.status_code == 200 for r in responses[: len(cancels)])
    assert set(results) <= {"ok", "points_insufficient", "out_of_stock"} and results.get("ok", 0) <= 3
    spent, stock, rows = await spent_and_stock(office.code, item)
    held = sum(quantity for status, quantity in rows if status != "cancelled")
    # Nothing oversold or lost: what is on the shelf and what is held add up to the 3 there were;
    # the points held never exceed the 30 earned.
    assert stock >= 0 and stock + held == 3 and held == results.get("ok", 0)
    assert spent.get(office.person, 0) == 10 * held <= 30
