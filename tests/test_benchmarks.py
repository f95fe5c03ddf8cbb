"""Every benchmark in bench/ still runs: each script at a tiny size, as a process, against the test
PostgreSQL (its own throwaway database) and, for the worker benchmarks, a Redis database of its own.
Only that they finish is checked here (their figures at this size mean nothing), so a benchmark
that no longer runs fails the build instead of being found broken the day it is needed. Two run at
a time; the whole takes about a minute."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import _server_url

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
HELPERS = {"bare_app.py"}  # the baseline server bench/requests.py starts
# A Redis database per worker benchmark: both empty their broker's queues first.
REDIS_DB = {"job_throughput.py": 11, "worker_crash.py": 12}
TINY: dict[str, list[str]] = {
    "requests.py": [
        *("--duration", "1", "--warmup", "0", "--repeat", "1"),
        *("--offices", "4", "--rotate", "1", "--register", "10"),
    ],
    "office_export.py": ["--pad-rows", "0"],  # the demo's office as it is: its smallest size
    "job_throughput.py": ["--messages", "20", "--threads", "2"],
    "worker_crash.py": ["--kills", "1"],
    "rollups.py": ["--counties", "1", "--townships", "1", "--mandates", "50", "--repeat", "1", "--suggestions", "20"],
    "register_import.py": ["--rows", "20", "--repeat", "1"],
    "register_search.py": ["--offices", "3", "--mandates", "60", "--requests", "20", "--concurrency", "2"],
    "tenants.py": ["--tenants", "2", "--repeat", "1"],
    "scale.py": [
        *("--offices", "2,3", "--floor-every", "2", "--concurrency", "2"),
        *("--provision-processes", "2", "--bare-schemas", "3"),
    ],
    "similarity.py": ["--size", "100", "--queries", "10"],
    "suggestions.py": ["--size", "100", "--connections", "2", "--duration", "1", "--warmup", "0", "--repeat", "1"],
    "archives.py": ["--deputies", "2", "--entries", "3"],
    "duty_ranking.py": [
        *("--deputies", "40", "--entries", "500", "--connections", "2"),
        *("--duration", "1", "--warmup", "0", "--repeat", "1"),
    ],
}


def missing_requirement(script: str) -> str | None:
    if script in REDIS_DB and not os.environ.get("RENDA_TEST_REDIS_URL"):
        return "RENDA_TEST_REDIS_URL is not set"
    if script in ("requests.py", "suggestions.py", "duty_ranking.py") and shutil.which("wrk") is None:
        return "wrk is not installed (scripts/test installs it as root)"
    return None


def command(script: str, server: str) -> list[str]:
    args = [sys.executable, str(BENCH / script), *TINY[script], "--database-url", server]
    if script in REDIS_DB:
        redis = os.environ["RENDA_TEST_REDIS_URL"]
        args += ["--broker-url", f"{redis.rsplit('/', 1)[0]}/{REDIS_DB[script]}"]
    return args


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    server = _server_url()
    runnable = [script for script in TINY if missing_requirement(script) is None]

    def run(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command(script, server), cwd=ROOT, capture_output=True, text=True, timeout=300)

    with ThreadPoolExecutor(max_workers=2) as pool:  # the longest are listed first
        return dict(zip(runnable, pool.map(run, runnable), strict=True))


def test_every_benchmark_has_a_tiny_run() -> None:
    scripts = {path.name for path in BENCH.glob("*.py")}
    assert scripts - HELPERS == set(TINY)


@pytest.mark.parametrize("script", list(TINY))
def test_benchmark_runs_at_a_tiny_size(script: str, runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    missing = missing_requirement(script)
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{script} cannot run in CI: {missing}")
        pytest.skip(missing)
    done = runs[script]
    assert done.returncode == 0, f"{' '.join(done.args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), "no figures printed"
