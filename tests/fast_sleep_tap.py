"""Run the tap's CLI with sleeping replaced by a note on stderr.

Retry and throttle waits are asserted from these notes, and tests stay fast.
"""

from __future__ import annotations

import sys
import time
from typing import SupportsIndex


def _note_sleep(seconds: float | SupportsIndex) -> None:
    sys.stderr.write(f"FAKE_SLEEP {float(seconds):.3f}\n")


if __name__ == "__main__":
    time.sleep = _note_sleep  # before the tap imports it
    from tap_lemlist_tasks.tap import TapLemlistTasks

    TapLemlistTasks.cli()
