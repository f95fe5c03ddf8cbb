"""The image's HEALTHCHECK: `renda serve` answers /health; the other commands (worker, scheduler,
migrate) have no port and count as healthy while they run."""

import os
import sys
import urllib.request
from pathlib import Path

command = Path("/proc/1/cmdline").read_bytes().split(b"\0")
if b"serve" not in command:
    sys.exit(0)
port = os.environ.get("RENDA_PORT", "8000")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
