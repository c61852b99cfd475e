"""Many lemlist teams on Dagster: wall time, each team against its floor, memory.

For N teams (1, 10, 50), each with its own stand-in process, key and lemlist's rate
limit (20 requests per 2 s per key), every team is loaded once with the documented
command, `dagster asset materialize -m orchestrate.definitions --select
lemlist_team_load --partition SLUG` (multiprocess executor, one fresh instance per
configuration, with orchestrate/dagster.yaml), C at a time (1, 4). C stands for the
run queue's limit: in a deployment the daemon starts C runs and the others wait as
rows, without a process, which is what a pool of C launchers does here.

Per configuration it prints the total wall time, each team's run against its floor
(the least time its R requests need under the limit: 2 s x floor((R-1) / 20), as
benchmarks/bench_rate_limit.py explains; R counted from the SDK's request metrics
in the run's log), and the peak memory of all the runs' processes at once (RSS,
sampled every 0.2 s). It asserts nothing.

Needs `meltano install` (the tap, target-postgres) and PostgreSQL's server
programs (scripts/ensure-postgresql).

Run: .venv/bin/python benchmarks/bench_teams.py [--teams 1 10 50]
     [--concurrency 1 4] [--tasks 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from measure import REPO, StandInProcess

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))
from embedded_warehouse import PostgresCluster
from warehouse import Pipeline

if t.TYPE_CHECKING:
    from typing_extensions import Self

DAGSTER = Path(sys.executable).parent / "dagster"
LIMIT, WINDOW = 20, 2.0
REQUEST = re.compile(r'"metric":\s*"http_request_duration"')
PAGE_SIZE = 100


@dataclass
class TeamRun:
    """One team's run: its wall time and requests."""

    seconds: float
    requests: int

    @property
    def floor(self) -> float:
        """Least time its requests need under lemlist's limit."""
        return WINDOW * ((self.requests - 1) // LIMIT)


class MemoryPeak:
    """Samples the summed RSS of some processes and their descendants."""

    def __init__(self) -> None:
        """Nothing is watched yet."""
        self.roots: set[int] = set()
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                fields = dict(
                    line.split(":", 1) for line in status.splitlines() if ":" in line
                )
                pid = int(entry.name)
                parents[pid] = int(fields.get("PPid", "0"))
                rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
            total = sum(
                size for pid, size in rss.items() if self._watched(pid, parents)
            )
            self.peak_kib = max(self.peak_kib, total)

    def _watched(self, pid: int, parents: dict[int, int]) -> bool:
        while pid > 1:
            if pid in self.roots:
                return True
            pid = parents.get(pid, 0)
        return False


def create_storage(home: Path) -> None:
    """Create the instance's tables: first runs at once would each try (sqlite)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
        instance.all_instigator_state()
        instance.get_latest_materialization_event(dg.AssetKey("lemlist_team_load"))


def run_team(slug: str, environment: dict[str, str], memory: MemoryPeak) -> TeamRun:
    """Materialize one team's partition; its wall time and requests."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [
            str(DAGSTER),
            *("asset", "materialize", "-m", "orchestrate.definitions"),
            *("--select", "lemlist_team_load", "--partition", slug),
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    memory.roots.add(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    memory.roots.discard(process.pid)
    if process.returncode:
        msg = f"team {slug} failed: {output[-2000:]}"
        raise RuntimeError(msg)
    return TeamRun(seconds, len(REQUEST.findall(output)))


def configuration(
    postgres: PostgresCluster, teams: int, concurrency: int, tasks: int
) -> dict[str, float]:
    """Load `teams` teams, `concurrency` at a time; the row of the table."""
    standins = [
        StandInProcess(
            tasks,
            *("--api-key", f"bench-key-{n:03d}", "--seed", str(n)),
            *("--rate-limit", f"{LIMIT}/{WINDOW:g}", "--page-size", str(PAGE_SIZE)),
        )
        for n in range(teams)
    ]
    try:
        with tempfile.TemporaryDirectory() as directory:
            teams_file = Path(directory) / "teams.yml"
            teams_file.write_text(
                "".join(
                    "- "
                    + json.dumps(
                        {
                            "slug": f"t{n:03d}",
                            "api_key_env": f"BENCH_KEY_{n:03d}",
                            "schema": f"bench_n{teams}_c{concurrency}_{n:03d}",
                            "api_url": standin.url,
                        }
                    )
                    + "\n"
                    for n, standin in enumerate(standins)
                )
            )
            home = Path(directory) / "dagster_home"
            home.mkdir()
            # The shipped instance settings (no telemetry among them).
            shutil.copy(REPO / "orchestrate" / "dagster.yaml", home)
            create_storage(home)
            environment = {
                **Pipeline(postgres, "bench").connection_environment(),
                **{f"BENCH_KEY_{n:03d}": f"bench-key-{n:03d}" for n in range(teams)},
                "LEMLIST_TEAMS_FILE": str(teams_file),
                "DAGSTER_HOME": str(home),
            }
            started = time.perf_counter()
            with MemoryPeak() as memory, ThreadPoolExecutor(concurrency) as pool:
                runs = list(
                    pool.map(
                        lambda n: run_team(f"t{n:03d}", environment, memory),
                        range(teams),
                    )
                )
            total = time.perf_counter() - started
    finally:
        for standin in standins:
            standin.stop()
    ratios = [run.seconds / run.floor for run in runs]
    return {
        "total": total,
        "team_mean": statistics.mean(run.seconds for run in runs),
        "team_max": max(run.seconds for run in runs),
        "floor": statistics.mean(run.floor for run in runs),
        "requests": statistics.mean(run.requests for run in runs),
        "ratio_mean": statistics.mean(ratios),
        "ratio_max": max(ratios),
        "peak_mib": memory.peak_kib / 1024,
    }


def main() -> None:
    """Measure every configuration and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--tasks", type=int, default=1000, help="open tasks per team")
    args = parser.parse_args()
    os.environ.update(
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_CLI_DISABLE_VERSION_CHECK="1",
    )
    print(
        f"{args.tasks} open tasks per team, pages of {PAGE_SIZE}, {LIMIT} requests "
        f"per {WINDOW:g} s per key; {os.cpu_count()} cores\n"
    )
    print(
        "| teams | at once | total wall | per team: mean / max wall "
        "| requests | floor | wall / floor: mean / max | peak memory |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    postgres = PostgresCluster()
    postgres.start()
    try:
        for teams in args.teams:
            for concurrency in args.concurrency:
                row = configuration(postgres, teams, concurrency, args.tasks)
                print(
                    f"| {teams} | {concurrency} | {row['total']:.1f} s "
                    f"| {row['team_mean']:.1f} / {row['team_max']:.1f} s "
                    f"| {row['requests']:.0f} | {row['floor']:.0f} s "
                    f"| {row['ratio_mean']:.2f} / {row['ratio_max']:.2f} "
                    f"| {row['peak_mib']:.0f} MiB |",
                    flush=True,
                )
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
