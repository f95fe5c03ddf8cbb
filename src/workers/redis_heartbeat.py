"""Bounded recovery of a dead worker's messages on Redis.

dramatiq's Redis broker keeps every fetched message in the fetching worker's "acks" set until it is
acknowledged. A worker that dies (SIGKILL, OOM, a lost node) leaves them there; they go back to
their queue only when some later broker command, by a chance of `maintenance_chance` per million,
runs the maintenance step and finds the worker's heartbeat older than `heartbeat_timeout`. Idle
queues send few commands, so that could take hours. And a worker whose consumers are all busy
sends no command, so a long job could make a live worker look dead.

Here every worker process runs one thread that, every `sweep_seconds`, beats its heartbeat and
runs that maintenance step on each of its queues (and their delay queues): a live worker never
looks dead, and a dead one's messages are back within `heartbeat_timeout + sweep_seconds`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis

log = logging.getLogger("renda.worker")


class RendaRedisBroker(RedisBroker):
    def return_dead_workers_messages(self) -> None:
        """One heartbeat of this process, and the maintenance step on every queue it consumes."""
        dispatch = self.scripts["dispatch"]
        for queue_name in sorted(self.get_declared_queues() | self.get_declared_delay_queues()):
            # `qsize` only reads; the `1` asks the script for its maintenance step on this queue.
            dispatch(
                args=[
                    "qsize",
                    current_millis(),
                    queue_name,
                    self.broker_id,
                    self.heartbeat_timeout,
                    self.dead_message_ttl,
                    1,
                    self._max_unpack_size(),
                ],
                keys=[self.namespace],
            )


class RedisHeartbeat(dramatiq.Middleware):
    """Runs `return_dead_workers_messages` every `sweep_seconds` while a worker runs."""

    def __init__(self, sweep_seconds: float) -> None:
        self.sweep_seconds = sweep_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        if not isinstance(broker, RendaRedisBroker) or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(broker,), name="redis-heartbeat", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.sweep_seconds + 5)
            self._thread = None

    def _run(self, broker: RendaRedisBroker) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                broker.return_dead_workers_messages()
                if failing:
                    log.info("redis heartbeat is back")
                failing = False
            except Exception as exc:  # Redis down: the consumers reconnect on their own; say it once
                if not failing:
                    log.warning("redis heartbeat failed: %s", f"{type(exc).__name__}: {exc}")
                failing = True
            self._stop.wait(self.sweep_seconds)
