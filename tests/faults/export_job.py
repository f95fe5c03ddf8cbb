"""Exports built by a dramatiq worker in a process of its own whose files may not grow past a size
(RLIMIT_FSIZE, SIGXFSZ ignored): every write beyond it fails with EFBIG, as it would on a full disk.

    python tests/faults/export_job.py DATABASE_URL OFFICE MAX_FILE_BYTES EXPORT_ID...

The limit is set once everything is imported and configured, just before the worker starts; the
worker's log (JSON lines) goes to stderr, a pipe, which no file size limit touches.
"""

from __future__ import annotations

import resource
import signal
import sys


def main(database_url: str, office: str, max_file_bytes: int, export_ids: list[str]) -> None:
    import dramatiq

    from renda.core.crypto import configure_secrets
    from renda.core.db import configure_database
    from renda.core.logging import configure_logging
    from renda.modules.audit.recorder import install_audit_recorder
    from renda.modules.exports.tasks import build_export
    from renda.workers.broker import create_broker, use_broker
    from renda.workers.outbox import install_outbox_notify

    configure_logging("INFO")
    configure_secrets("test-secret")
    install_audit_recorder()
    install_outbox_notify()
    configure_database(database_url)
    broker = use_broker(create_broker(None))
    worker = dramatiq.Worker(broker, worker_threads=1)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    worker.start()
    try:
        for export_id in export_ids:
            build_export.send(office, export_id)
        broker.join(build_export.queue_name)  # and any retry, were there one
        worker.join()
    finally:
        worker.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:])
