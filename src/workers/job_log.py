"""One structured log line when a job starts and one when it ends, fails or is skipped."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq

log = logging.getLogger("renda.jobs")


def job_fields(message: Any) -> dict[str, object]:
    return {
        "actor": message.actor_name,
        "queue": message.queue_name,
        "message_id": message.message_id,
        "office": message.options.get("tenant_code"),
        "retries": message.options.get("retries", 0),
    }


class JobLog(dramatiq.Middleware):
    """Both hooks of one message run in the same worker thread, so its start time is thread-local."""

    def __init__(self) -> None:
        self._local = threading.local()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._local.started = time.perf_counter()
        log.info("job started", extra=job_fields(message))

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        started = getattr(self._local, "started", None)
        fields = job_fields(message)
        if started is not None:
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if exception is not None:
            fields["error"] = f"{type(exception).__name__}: {exception}"[:500]
            log.warning("job failed", extra=fields)
        elif message.failed:  # refused before it ran (older than max_age)
            log.warning("job refused", extra=fields)
        else:
            log.info("job done", extra=fields)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        log.info("job skipped", extra=job_fields(message))
