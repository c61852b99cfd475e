"""lemlist allows 20 requests per 2 s per key; the tap stays under it by itself."""

from __future__ import annotations

import typing as t

from conftest import API_KEY, run_tap_cli
from lemlist_standin import LemlistStandIn, sample_tasks

from tap_lemlist_tasks.throttle import RequestBudget

if t.TYPE_CHECKING:
    from pathlib import Path


class FakeClock:
    """A clock that only moves when someone sleeps, plus a bit per request."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def most_requests_in_any_window(times: list[float], window: float) -> int:
    return max(
        sum(1 for other in times if start <= other < start + window) for start in times
    )


def test_budget_never_allows_more_than_the_limit_in_any_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(20, 2.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(100):
        budget.wait_for_turn()
        sent.append(clock.now)
        clock.now += 0.01  # the response takes 10 ms
        budget.spend()

    assert most_requests_in_any_window(sent, 2.0) == 20
    assert sent[20] >= 2.0
    assert sent[-1] <= 2.0 * (99 // 20) + 0.5  # and no slower than it must be


def test_remaining_zero_from_lemlist_makes_the_budget_wait_a_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(20, 2.0, clock=clock, sleep=clock.sleep)
    budget.wait_for_turn()
    budget.spend(remaining=0)  # another job spent the key's budget

    budget.wait_for_turn()

    assert clock.now == 2.0


def test_a_sync_at_lemlists_rate_limit_gets_no_429(tmp_path: Path) -> None:
    with LemlistStandIn(
        sample_tasks(230), api_key=API_KEY, page_size=5, rate_limit=(20, 2.0)
    ) as standin:
        run = run_tap_cli(
            {"api_key": API_KEY, "api_url": standin.url}, tmp_path, fake_sleep=False
        )

    arrivals = [r.time for r in standin.requests]
    assert run.exit_code == 0, run.stderr
    assert len(arrivals) == 47
    assert standin.rate_limited_count == 0
    assert most_requests_in_any_window(arrivals, 2.0) <= 20


def test_a_key_shared_with_another_job_is_respected_through_remaining(
    tmp_path: Path,
) -> None:
    # This tap thinks it may send 100 requests per 2 s; lemlist's headers say no.
    with LemlistStandIn(
        sample_tasks(130), api_key=API_KEY, page_size=5, rate_limit=(20, 2.0)
    ) as standin:
        run = run_tap_cli(
            {"api_key": API_KEY, "api_url": standin.url, "rate_limit_requests": 100},
            tmp_path,
            fake_sleep=False,
        )

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 130
    assert standin.rate_limited_count == 0
