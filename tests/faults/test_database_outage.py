"""PostgreSQL stopped and started under a running `renda serve` (a private server, never the machine's).

While it is down every request answers at once 503 `database_unavailable` with the Chinese message,
as JSON for the API and as the error page for a browser: those it meets in the handler (requests in
flight when it stops) and those that find no connection at all; the log takes one line per failed
request and no traceback; `/ready` answers 503 with the database check failed, `/health` 200. A pool
exhausted by requests that hang answers 503 after the pool timeout, not minutes later. When PostgreSQL
is back everything recovers by itself: requests succeed, `/ready` is 200 again, and the outbox relay
LISTENs again, so a commit is relayed on its NOTIFY (its sweep is set to an hour: it cannot be that).
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.faults.private_postgres import private_postgres, provision, serving, sql, wait_until

MESSAGE = "数据库暂时不可用,请稍后重试"
POOL_SIZE = 3  # connections: POOL_SIZE pooled and as many again in overflow
LOAD = 20  # concurrent requests at each step


async def listening(server) -> set[int]:
    rows = await sql(server, "select pid from pg_stat_activity where query ilike 'LISTEN%renda_outbox%'")
    return {row["pid"] for row in rows}


async def blocked_by(locker: asyncpg.Connection) -> int:
    await locker.execute("select pg_stat_clear_snapshot()")
    return await locker.fetchval(
        "select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))", locker.get_server_pid()
    )


def assert_unavailable(response: httpx.Response, *, html: bool = False) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["retry-after"] == "5"
    if html:
        assert response.headers["content-type"].startswith("text/html")
        assert MESSAGE in response.text
    else:
        assert response.json() == {"code": "database_unavailable", "message": MESSAGE}


async def test_postgresql_stopped_and_started_under_load(tmp_path) -> None:
    with private_postgres() as server:
        deployment = await provision(server)
        office = deployment.office
        api, page = f"/api/v1/t/{office}/exports", f"/t/{office}/"
        env = {
            "RENDA_DATABASE_POOL_SIZE": str(POOL_SIZE),
            "RENDA_DATABASE_POOL_TIMEOUT": "1",
            "RENDA_OUTBOX_POLL_SECONDS": "3600",
        }
        async with (
            serving(server, tmp_path / "serve.log", **env) as service,
            httpx.AsyncClient(base_url=service.base_url, headers=deployment.headers, timeout=60) as client,
        ):
            html = {"Accept": "text/html"}

            async def load(count: int = LOAD) -> list[tuple[bool, httpx.Response]]:
                """`count` API requests and a page for every fourth, all at once."""
                calls = [
                    (n % 4 == 0, client.get(page, headers=html) if n % 4 == 0 else client.get(api))
                    for n in range(count)
                ]
                answers = await asyncio.gather(*(call for _, call in calls))
                return [(is_page, answer) for (is_page, _), answer in zip(calls, answers, strict=True)]

            assert {answer.status_code for _, answer in await load()} == {200}
            [listener] = await wait_until(lambda: listening(server), what="the outbox relay LISTENing")

            # Requests that hang in their handlers (tables locked) until they hold every connection of
            # the pool: one more answers 503 once the pool's timeout has passed.
            locker = await asyncpg.connect(server.dsn)
            await locker.execute(f"begin; lock table t_{office}.exports, t_{office}.audit_log in access exclusive mode")
            in_flight = [
                (n % 4 == 0, asyncio.create_task(client.get(page, headers=html) if n % 4 == 0 else client.get(api)))
                for n in range(2 * POOL_SIZE)
            ]

            async def all_waiting() -> bool:
                return await blocked_by(locker) == 2 * POOL_SIZE

            await wait_until(all_waiting, what="every pooled connection in a waiting request")
            assert_unavailable(await client.get(api))

            async def logged() -> bool:  # its request line is written once its answer has gone
                return any(e.get("msg") == "request" and e["status"] == 503 for e in service.log_lines())

            await wait_until(logged, what="the 503 logged")
            first_outage_line = len(service.log_lines())

            # PostgreSQL stops: the requests in flight fail in their handlers, every new one at its start.
            # At once ("immediate"): a fast stop ends the locker's backend too, and a waiting request
            # could take the freed lock and answer before its own backend ends.
            server.stop("immediate")
            locker.terminate()
            for is_page, task in in_flight:
                assert_unavailable(await task, html=is_page)
            during = await load()
            for is_page, answer in during:
                assert_unavailable(answer, html=is_page)
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"].startswith("error")
            assert (await client.get("/health")).status_code == 200

            # One warning a failed request, naming the cause; no traceback anywhere.
            lines = service.log_lines()
            outage = lines[first_outage_line:]
            failures = len(in_flight) + len(during)
            warnings = [e for e in outage if e.get("level") in ("warning", "error", "critical")]
            requests = [e for e in warnings if e.get("logger") != "renda.outbox"]
            assert [e["msg"] for e in requests] == ["database unavailable"] * failures
            assert all(e["path"] in (api, page.rstrip("/")) and e["error"] for e in requests)
            assert len(warnings) - len(requests) <= 2  # the relay: its LISTEN lost, its sweep failing, once each
            answered = [e for e in outage if e.get("msg") == "request" and e.get("path") != "/ready"]
            assert [e["status"] for e in answered] == [503] * failures
            assert not [e for e in lines if "exc" in e or "Traceback" in e.get("raw", "")]

            # PostgreSQL is back: no restart of the service, and nothing fails any more.
            server.start()
            assert {answer.status_code for _, answer in await load()} == {200}
            assert (await client.get("/ready")).json()["checks"]["database"] == "ok"
            [again] = await wait_until(lambda: listening(server), what="the outbox relay LISTENing again")
            assert again != listener
            requested = await client.post(api, json={"kind": "audit_log"})
            assert requested.status_code == 202, requested.text

            async def built() -> bool:
                answer = await client.get(f"{api}/{requested.json()['id']}")
                return answer.json()["status"] == "done"

            await wait_until(built, what="the export relayed on its NOTIFY and built")
            assert any(e.get("msg", "").startswith("outbox LISTEN is back") for e in service.log_lines())
        assert not [e for e in service.log_lines() if "exc" in e or "Traceback" in e.get("raw", "")]
