"""The dramatiq broker, chosen by RENDA_BROKER_URL.

`amqp://…` → RabbitMQ, `redis://…` → Redis, nothing → an in-process broker whose worker threads run
inside the service (the demo). Actors are declared against a placeholder broker at import time and
re-bound to the real one by `use_broker`, so importing a tasks module never connects anywhere.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

if TYPE_CHECKING:
    from renda.config import Settings

# Every actor gets explicit limits: dramatiq's defaults would retry for about a month.
DEFAULT_ACTOR_OPTIONS: dict[str, Any] = {
    "max_retries": 5,
    "min_backoff": 1_000,
    "max_backoff": 5 * 60_000,
    "time_limit": 5 * 60_000,
    "max_age": 24 * 3_600_000,
}

_actors: dict[str, dramatiq.Actor[Any, Any]] = {}
# Actors that claim their message (`outbox.claim_message`) in the transaction of their effect: a
# message of theirs with no claim on record long after it was sent was lost, and is sent again.
_recoverable: set[str] = set()


class SharedAsyncIO(AsyncIO):
    """dramatiq keeps one event-loop thread per process, but its middleware starts a new one for
    every worker and stops only the latest. Two workers in one process (the in-process worker of
    the service next to a test's worker) would leak a thread that keeps the process alive, so the
    thread is shared and stopped when the last worker stops."""

    _lock = threading.Lock()
    _workers = 0

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        with SharedAsyncIO._lock:
            if SharedAsyncIO._workers == 0:
                super().before_worker_boot(broker, worker)
            SharedAsyncIO._workers += 1

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        with SharedAsyncIO._lock:
            SharedAsyncIO._workers -= 1
            if SharedAsyncIO._workers == 0:
                _close_loop_connections()
                super().after_worker_shutdown(broker, worker)


def _close_loop_connections() -> None:
    """The database keeps an engine per event loop; the loop thread is about to stop, and its
    pool's connections would stay open on the server for as long as the process lives."""
    from dramatiq.asyncio import get_event_loop_thread

    from renda.core.db import configured_database

    database, loop_thread = configured_database(), get_event_loop_thread()
    if database is not None and loop_thread is not None:
        try:
            loop_thread.run_coroutine(database.dispose())
        except Exception:  # a broken connection must not keep the worker from stopping
            logging.getLogger("renda.worker").warning("closing the worker's database connections failed")


def _middleware() -> list[Any]:
    from renda.workers.dead_jobs import DeadJobRecorder
    from renda.workers.job_log import JobLog

    return [
        JobLog(),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(),
        CurrentMessage(),
        SharedAsyncIO(),
        DeadJobRecorder(),
    ]


_placeholder = StubBroker(middleware=_middleware())
dramatiq.set_broker(_placeholder)


# Redis: how often every worker process beats its heartbeat and returns dead workers' messages.
REDIS_SWEEP_SECONDS = 5.0


def _quorum_rabbitmq_broker() -> type:
    """dramatiq's RabbitMQ broker declaring every queue it uses as a quorum queue (replicated over
    the cluster's nodes, Raft-based): the work queue, its delay queue (`.DQ`) and its dead-letter
    queue (`.XQ`). dramatiq declares them through these three methods and takes no queue arguments
    of its own, so they are overridden here; everything else (dead-lettering into `.XQ`, the TTL of
    dead messages, publisher confirms) is dramatiq's, and quorum queues support all of it."""
    from dramatiq.brokers.rabbitmq import DEAD_MESSAGE_TTL, RabbitmqBroker, xq_name

    class QuorumRabbitmqBroker(RabbitmqBroker):
        def _build_queue_arguments(self, queue_name: str) -> dict[str, Any]:
            return {**super()._build_queue_arguments(queue_name), "x-queue-type": "quorum"}

        def _declare_xq_queue(self, queue_name: str) -> Any:
            return self.channel.queue_declare(
                queue=xq_name(queue_name),
                durable=True,
                arguments={"x-message-ttl": DEAD_MESSAGE_TTL, "x-queue-type": "quorum"},
            )

    return QuorumRabbitmqBroker


def create_broker(
    url: str | None,
    *,
    quorum: bool = False,
    heartbeat_seconds: int = 30,
    maintenance_chance: int = 1000,
    sweep_seconds: float = REDIS_SWEEP_SECONDS,
) -> dramatiq.Broker:
    """`heartbeat_seconds`, `maintenance_chance` (per million commands) and `sweep_seconds` tune only
    Redis: a worker silent for `heartbeat_seconds` is dead, and every live worker looks for the dead
    ones' unacknowledged messages every `sweep_seconds` (besides dramatiq's own chance per command),
    so a killed worker's messages are back in their queues within the sum of the two. `quorum`
    (RabbitMQ only): declare the queues as quorum queues (RENDA_RABBITMQ_QUORUM)."""
    if not url:
        broker: dramatiq.Broker = StubBroker(middleware=_middleware())
        broker.emit_after("process_boot")
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: the relay marks a message sent only once RabbitMQ has taken it, so a
        # publish into a dying connection stays in the outbox instead of vanishing. A dead worker's
        # unacknowledged messages return to their queue when its connection closes.
        kind = _quorum_rabbitmq_broker() if quorum else RabbitmqBroker
        broker = kind(url=url, middleware=_middleware(), confirm_delivery=True)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from renda.workers.redis_heartbeat import RedisHeartbeat, RendaRedisBroker

        broker = RendaRedisBroker(
            url=url,
            middleware=[*_middleware(), RedisHeartbeat(sweep_seconds)],
            heartbeat_timeout=heartbeat_seconds * 1000,
            maintenance_chance=maintenance_chance,
        )
    else:
        raise ValueError("RENDA_BROKER_URL must start with amqp:// or redis://")
    return broker


def broker_for(settings: Settings) -> dramatiq.Broker:
    return create_broker(
        settings.broker_url,
        quorum=settings.rabbitmq_quorum,
        heartbeat_seconds=settings.broker_heartbeat_seconds,
        maintenance_chance=settings.broker_maintenance_chance,
        sweep_seconds=settings.broker_sweep_seconds,
    )


# An actor whose first parameter is one of these works for that office only (`office_job`).
OFFICE_PARAMETERS = ("tenant_code", "office_code")


def actor(queue_name: str = "default", *, recoverable: bool = False, **options: Any) -> Any:
    """Declare an actor with explicit retry, time and age limits. `recoverable`: it claims every
    message it acts on (`claim_message`), so the outbox may send an unclaimed one again."""

    def decorator(fn: Any) -> dramatiq.Actor[Any, Any]:
        declared = dramatiq.actor(
            _bound_to_office(fn), queue_name=queue_name, broker=_placeholder, **{**DEFAULT_ACTOR_OPTIONS, **options}
        )
        _actors[declared.actor_name] = declared
        if recoverable:
            _recoverable.add(declared.actor_name)
        return declared

    return decorator


def _bound_to_office(fn: Any) -> Any:
    """A job whose message names an office runs inside `office_job`: a session it opens for any
    other office is refused, as in a request."""
    parameters = list(inspect.signature(fn).parameters)
    if not parameters or parameters[0] not in OFFICE_PARAMETERS or not inspect.iscoroutinefunction(fn):
        return fn
    from renda.tenants.scoping import office_job

    @functools.wraps(fn)
    async def for_office(code: str, *args: Any, **kwargs: Any) -> Any:
        with office_job(code):
            return await fn(code, *args, **kwargs)

    return for_office


def use_broker(broker: dramatiq.Broker) -> dramatiq.Broker:
    """Make `broker` the one every actor sends to and is consumed from."""
    load_actor_modules()
    dramatiq.set_broker(broker)
    for declared in _actors.values():
        declared.broker = broker
        broker.declare_actor(declared)
    return broker


def registered_actors() -> dict[str, dramatiq.Actor[Any, Any]]:
    return dict(_actors)


def recoverable_actors() -> set[str]:
    load_actor_modules()
    return set(_recoverable)


def load_actor_modules() -> None:
    """Import every module that declares actors (one tasks.py per module that has any)."""
    import importlib

    from renda.modules import import_module_parts

    for platform_jobs in ("renda.workers.fan_out", "renda.workers.maintenance"):
        importlib.import_module(platform_jobs)
    import_module_parts("tasks")
