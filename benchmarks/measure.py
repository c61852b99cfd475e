"""Helpers for the benchmark scripts: a stand-in process and measured child runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

if t.TYPE_CHECKING:
    from collections.abc import Sequence

REPO = Path(__file__).parent.parent
STANDIN = REPO / "tests" / "lemlist_standin.py"
API_KEY = "bench-key"


@dataclass
class ProcessCost:
    """What one whole child process cost."""

    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    stderr: str


def measure(command: Sequence[str], *, stdout: t.IO[bytes] | int) -> ProcessCost:
    """Run a command and return its wall time, user+sys CPU and peak RSS.

    Raises:
        RuntimeError: If the command fails.
    """
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        log = stderr.read().decode(errors="replace")
    if process.returncode:
        msg = f"{command[0]} failed ({process.returncode}): {log[-2000:]}"
        raise RuntimeError(msg)
    cpu = usage.ru_utime + usage.ru_stime
    return ProcessCost(wall, cpu, usage.ru_maxrss / 1024, log)


class StandInProcess:
    """The lemlist stand-in in a process of its own, so it competes for no GIL."""

    def __init__(self, tasks: int, *extra: str) -> None:
        """Start serving `tasks` sample tasks; `extra` are more CLI arguments."""
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(STANDIN),
                "--tasks",
                str(tasks),
                "--api-key",
                API_KEY,
                *extra,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None  # noqa: S101
        self.url = (
            self.process.stdout.readline().strip().removeprefix("LEMLIST_STANDIN_URL=")
        )

    def stop(self) -> None:
        """Stop serving."""
        self.process.terminate()
        self.process.wait(timeout=10)

    def tap_config(self, directory: Path, **settings: object) -> Path:
        """Write a tap config file pointed at this stand-in and return its path."""
        path = directory / "config.json"
        path.write_text(
            json.dumps({"api_key": API_KEY, "api_url": self.url, **settings})
        )
        return path


def tap_command(config_path: Path) -> list[str]:
    """The tap's CLI, from the same environment as this script."""
    tap = Path(sys.executable).parent / "tap-lemlist-tasks"
    return [str(tap), "--config", str(config_path)]
