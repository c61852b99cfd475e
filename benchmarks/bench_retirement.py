"""Retirement over a model of lemlist's list: safety, liveness and cost, as numbers.

Uses the model of tests/list_model.py, which drives the tap's real reads and
paginator without HTTP.

- Safety: hypothesis generates scenarios in which no task changes twice (any number
  of completions, creations and moves, after any request, at any position) and
  scenarios in which tasks may change twice (moved and moved back, completed and
  reopened). It counts the syncs that would retire an open task.
- Liveness: one completion and one creation, each after a request drawn uniformly
  from the requests of a quiet sync's two reads, at uniform positions, over lists
  of 5 and 20 pages of 100: how many syncs retire, with 2 to 5 reads allowed.
- Cost: requests of a quiet sync.

Run: .venv/bin/python benchmarks/bench_retirement.py [--examples N] [--trials N]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import typing as t
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from list_model import (
    SINGLE_KINDS,
    Change,
    Scenario,
    any_changes,
    single_changes,
    sync,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable

PAGE_SIZE = 100


def safety(examples: int) -> None:
    """Print how many generated syncs were unsafe, by kind of scenario."""
    quiet = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    for name, strategy in (
        ("no task changes twice", single_changes()),
        ("tasks may change twice", any_changes()),
    ):
        counts: collections.Counter[str] = collections.Counter()
        quiet(given(strategy)(counting_into(counts)))()
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def counting_into(
    counts: collections.Counter[str],
) -> Callable[[Scenario], None]:
    """Return a test that syncs one scenario and counts what happened in `counts`."""

    def count(scenario: Scenario) -> None:
        tally(scenario, counts)

    return count


def tally(scenario: Scenario, counts: collections.Counter[str]) -> None:
    """Sync one scenario and count what happened."""
    tasks, changes, page_size, lie_at = scenario
    outcome = sync(tasks, changes, page_size=page_size, max_reads=4, lie_at=lie_at)
    counts["scenarios"] += 1
    counts["retired"] += outcome.retired
    counts["failed"] += outcome.failed
    counts["left and came back"] += outcome.left_and_came_back
    counts["unsafe"] += outcome.unsafe
    counts["unsafe, no task left and came back"] += (
        outcome.unsafe and not outcome.left_and_came_back
    )


def liveness(trials: int, seed: int) -> None:
    """Print how often one completion and one creation let a sync retire."""
    rng = random.Random(seed)  # noqa: S311 - scenarios, not secrets
    print("| pages | reads allowed | syncs | retired | unsafe | reads | requests |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for pages in (5, 20):
        tasks = [f"t{n}" for n in range(pages * PAGE_SIZE)]
        quiet_requests = 2 * (pages + 1)
        scenarios = [
            [
                Change(rng.randint(1, quiet_requests), "complete", task=done),
                Change(rng.randint(1, quiet_requests), "create", at=position),
            ]
            for done, position in (
                (rng.choice(tasks), rng.randrange(len(tasks) + 1))
                for _ in range(trials)
            )
        ]
        for max_reads in (2, 3, 4, 5):
            outcomes = [
                sync(tasks, changes, page_size=PAGE_SIZE, max_reads=max_reads)
                for changes in scenarios
            ]
            retired = sum(o.retired for o in outcomes)
            unsafe = sum(o.unsafe for o in outcomes)
            reads = sum(len(o.verdict.reads) for o in outcomes) / trials
            requests = sum(o.requests for o in outcomes) / trials
            print(
                f"| {pages} | {max_reads} | {trials} | {retired / trials:.1%} "
                f"| {unsafe} | {reads:.2f} | {requests:.1f} |"
            )


def churn(trials: int, seed: int, *, lying: bool) -> None:
    """Print how often syncs of 250 tasks retire under churn of 0.05 per request."""
    rng = random.Random(seed)  # noqa: S311 - scenarios, not secrets
    tasks = [f"t{n}" for n in range(250)]
    kinds = list(SINGLE_KINDS)
    scenarios = [
        [
            Change(after, rng.choice(kinds), rng.randrange(300), rng.randrange(300))
            for after in range(1, 40)
            if rng.random() < 0.05  # noqa: PLR2004 - the review's churn
        ]
        for _ in range(trials)
    ]
    lies = [rng.randint(1, 20) if lying else None for _ in range(trials)]
    label = "one lying page" if lying else "no lie"
    for max_reads in (2, 3, 4):
        outcomes = [
            sync(tasks, c, page_size=PAGE_SIZE, max_reads=max_reads, lie_at=lie)
            for c, lie in zip(scenarios, lies, strict=True)
        ]
        retired = sum(o.retired for o in outcomes) / trials
        unsafe = sum(o.unsafe for o in outcomes)
        print(
            f"churn 0.05, {label}, {max_reads} reads: {retired:.1%} retire, "
            f"{unsafe} unsafe"
        )


def cost() -> None:
    """Print the requests of a quiet sync."""
    for pages in (1, 5, 20, 60):
        tasks = [f"t{n}" for n in range(pages * PAGE_SIZE)]
        outcome = sync(tasks, [], page_size=PAGE_SIZE, max_reads=4)
        print(
            f"quiet sync of {pages} pages: {len(outcome.verdict.reads)} reads, "
            f"{outcome.requests} page requests (+1 for the team)"
        )


def main() -> None:
    """Run all three measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    safety(args.examples)
    liveness(args.trials, args.seed)
    churn(args.trials, args.seed, lying=False)
    churn(args.trials, args.seed, lying=True)
    cost()


if __name__ == "__main__":
    main()
