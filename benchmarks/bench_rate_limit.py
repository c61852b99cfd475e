"""How close to lemlist's rate limit the tap syncs, in how many requests, with 429s.

The stand-in enforces lemlist's limit (20 requests per 2 s, 429 beyond) over 60
pages of tasks. Two configurations are synced, each in a fresh stand-in:

- retiring (default settings): the tap reads forward from page 0 to the first
  empty page, then asks that page again and reads back down to page 0, so
  2 x (pages + 1) requests in a quiet sync;
- one read (`emit_activate_version_messages` false): forward only, pages + 1.

The floor: with at most 20 requests in any 2 s, request k (from 0) cannot start
before 2 s x floor(k / 20), so R requests need at least 2 s x floor((R-1) / 20)
between the first and the last. That is exact for a sliding window (the first 20
go at once, each later block of 20 a window later) and leaves out the time of the
requests themselves, which is why a ratio just above 1 is the best a client can do.

Requests are counted from the SDK's `http_request_duration` metric, which it logs
for every attempt, 429s included. Timings are printed, never asserted.

Run: .venv/bin/python benchmarks/bench_rate_limit.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from measure import StandInProcess, measure, tap_command

PAGES = 60
PAGE_SIZE = 100
LIMIT, WINDOW = 20, 2.0
CONFIGURATIONS: dict[str, dict[str, object]] = {
    "retiring (defaults)": {},
    "one read (no ACTIVATE_VERSION)": {"emit_activate_version_messages": False},
}
METRIC = re.compile(r"METRIC: (\{.*\})$", re.MULTILINE)


@dataclass
class Run:
    """What one throttled sync cost."""

    requests: int
    records: int
    sync_seconds: float
    process_seconds: float
    too_many: int
    warnings: int

    @property
    def floor_seconds(self) -> float:
        """Least time R requests take under the limit: 2 s x floor((R-1) / 20)."""
        return WINDOW * ((self.requests - 1) // LIMIT)

    @property
    def ratio(self) -> float:
        """SDK sync duration over the floor."""
        return self.sync_seconds / self.floor_seconds


def sync_once(settings: dict[str, object]) -> Run:
    """Sync 60 full pages under the rate limit, in a fresh stand-in."""
    standin = StandInProcess(
        PAGES * PAGE_SIZE,
        "--page-size",
        str(PAGE_SIZE),
        "--rate-limit",
        f"{LIMIT}/{WINDOW:g}",
    )
    try:
        with tempfile.TemporaryDirectory() as directory:
            config = standin.tap_config(Path(directory), **settings)
            cost = measure(tap_command(config), stdout=subprocess.DEVNULL)
    finally:
        standin.stop()
    metrics = [json.loads(found) for found in METRIC.findall(cost.stderr)]
    attempts = [m for m in metrics if m["metric"] == "http_request_duration"]
    # The team's sync holds the tasks' (the SDK syncs them as its child stream).
    sync = max(m["value"] for m in metrics if m["metric"] == "sync_duration")
    records = sum(m["value"] for m in metrics if m["metric"] == "record_count")
    return Run(
        requests=len(attempts),
        records=records,
        sync_seconds=sync,
        process_seconds=cost.wall_seconds,
        too_many=sum(m["tags"].get("http_status_code") == 429 for m in attempts),  # noqa: PLR2004
        warnings=cost.stderr.count("| WARNING "),
    )


def span(values: list[float], fmt: str) -> str:
    """`low-high`, or one value when they are equal once formatted."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low}-{high}"


def main(runs: int) -> None:
    """Sync each configuration `runs` times and print every run, then the ranges."""
    print(f"{PAGES} pages of {PAGE_SIZE} tasks, stand-in limit {LIMIT}/{WINDOW:g} s")
    print(f"floor for R requests: {WINDOW:g} s x floor((R-1) / {LIMIT})")
    print()
    print(
        "| configuration                  | requests | pages | req/page | sync s "
        "| process s | floor s | sync/floor | 429s | warnings |"
    )
    print(
        "|--------------------------------|---------:|------:|---------:|-------:"
        "|----------:|--------:|-----------:|-----:|---------:|"
    )
    results: dict[str, list[Run]] = {name: [] for name in CONFIGURATIONS}
    for _ in range(runs):
        for name, settings in CONFIGURATIONS.items():
            run = sync_once(settings)
            results[name].append(run)
            print(
                f"| {name:<30} | {run.requests:8} | {PAGES:5} "
                f"| {run.requests / PAGES:8.3f} | {run.sync_seconds:6.2f} "
                f"| {run.process_seconds:9.2f} | {run.floor_seconds:7.2f} "
                f"| {run.ratio:10.3f} | {run.too_many:4} | {run.warnings:8} |",
                flush=True,
            )
    print()
    print(f"Over {runs} runs (records per run should be {PAGES * PAGE_SIZE:,}):")
    for name, done in results.items():
        print(
            f"- {name}: {span([r.requests for r in done], 'd')} requests "
            f"({span([r.requests / PAGES for r in done], '.3f')} per page), "
            f"records {span([r.records for r in done], ',d')}, "
            f"sync {span([r.sync_seconds for r in done], '.2f')} s, "
            f"process {span([r.process_seconds for r in done], '.2f')} s, "
            f"floor {span([r.floor_seconds for r in done], '.2f')} s, "
            f"ratio {span([r.ratio for r in done], '.3f')} (target <= 1.10), "
            f"429s {span([r.too_many for r in done], 'd')} (target 0)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="syncs per configuration")
    main(parser.parse_args().runs)
