"""Starts `renda worker` processes quickly: this process imports renda once, then forks a child per
worker that runs the `renda worker` command itself (the same code, settings from the same
environment). Importing renda costs seconds of CPU; a test that kills and replaces a worker a
hundred times would spend minutes importing.

Reads commands from stdin, one a line: `start THREADS LOG_PATH` answers with the child's pid.
Children are reaped here (SIGCHLD ignored), so a test kills one by pid and sees it gone. When stdin
closes, every child still running is killed.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback


def _child(threads: str, log_path: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    code = 1
    try:
        from renda.cli import main

        main(["worker", "--threads", threads], standalone_mode=False)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# What `renda worker` imports when it starts, besides the actors: imported here once, before any fork.
PRELOAD = (
    "renda.cli",
    "renda.core.crypto",
    "renda.core.embedded",
    "renda.modules.audit.recorder",
    "renda.modules.duty.points_watch",
    "renda.modules.notifications.channels",
    "renda.modules.rollups.service",
    "renda.workers.outbox",
    "renda.workers.redis_heartbeat",
    "dramatiq.brokers.rabbitmq",
    "dramatiq.brokers.redis",
)


def main() -> None:
    import importlib

    from renda.workers.broker import load_actor_modules

    for name in PRELOAD:
        importlib.import_module(name)
    load_actor_modules()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children: set[int] = set()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            command, *args = line.split()
            if command == "start":
                pid = os.fork()
                if pid == 0:
                    _child(args[0], args[1])
                children.add(pid)
                print(pid, flush=True)
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
