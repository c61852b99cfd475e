"""How close to lemlist's rate limit the tap syncs, and whether it ever hits it.

The stand-in enforces lemlist's limit (20 requests per 2 s, 429 beyond) over 60
pages of tasks. With at most 20 requests in any 2 s, request k (from 0) cannot
start before 2 s x floor(k / 20), so R requests need at least 2 s x floor((R-1) / 20).

Run: .venv/bin/python benchmarks/bench_rate_limit.py
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from measure import StandInProcess, measure, tap_command

PAGES = 60
PAGE_SIZE = 100
LIMIT, WINDOW = 20, 2.0


def main() -> None:
    """Sync 60 full pages under the rate limit and print the numbers."""
    standin = StandInProcess(
        PAGES * PAGE_SIZE,
        "--page-size",
        str(PAGE_SIZE),
        "--rate-limit",
        f"{LIMIT}/{WINDOW:g}",
    )
    try:
        with tempfile.TemporaryDirectory() as directory:
            config = standin.tap_config(Path(directory))
            cost = measure(tap_command(config), stdout=subprocess.DEVNULL)
    finally:
        standin.stop()
    requests = PAGES + 1  # and the empty page that ends the sync
    floor = WINDOW * ((requests - 1) // LIMIT)
    too_many = len(re.findall(r"Retrying page .*HTTP 429", cost.stderr))
    sync = float(
        re.findall(r'"metric":"sync_duration","value":([0-9.]+)', cost.stderr)[-1]
    )
    print(f"requests:            {requests} ({PAGES} pages of {PAGE_SIZE} + 1 empty)")
    print(
        f"sync wall time:      {sync:.2f} s (SDK sync_duration: first request to end)"
    )
    print(f"process wall time:   {cost.wall_seconds:.2f} s (adds Python start-up)")
    print(f"theoretical floor:   {floor:.2f} s")
    print(f"ratio sync / floor:  {sync / floor:.3f} (target <= 1.10)")
    print(f"429s received:       {too_many} (target 0)")


if __name__ == "__main__":
    main()
