"""lemlist allows 20 requests per 2 s per key; the tap stays under it by itself."""

from __future__ import annotations

import typing as t

from conftest import API_KEY, FakeClock
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks.throttle import RequestBudget, budget_for

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun


def most_requests_in_any_window(times: list[float], window: float) -> int:
    return max(
        sum(1 for other in times if start <= other < start + window) for start in times
    )


def test_budget_never_allows_more_than_the_limit_in_any_window() -> None:
    fake = FakeClock()
    budget = RequestBudget(20, 2.0, fake.clock)
    sent = []
    for _ in range(100):
        budget.wait_for_turn()
        sent.append(fake.time)
        fake.time += 0.01  # the response takes 10 ms
        budget.spend()

    assert most_requests_in_any_window(sent, 2.0) == 20
    assert sent[20] - sent[0] >= 2.0
    assert sent[-1] - sent[0] <= 2.0 * (99 // 20) + 0.5  # no slower than it must be


def test_remaining_zero_from_lemlist_makes_the_budget_wait_a_window() -> None:
    fake = FakeClock()
    budget = RequestBudget(20, 2.0, fake.clock)
    budget.wait_for_turn()
    budget.spend(remaining=0)  # another job spent the key's budget

    budget.wait_for_turn()

    assert fake.sleeps == [2.0]


def test_one_api_key_has_one_budget_for_the_whole_process() -> None:
    fake = FakeClock()

    first = budget_for(API_KEY, 20, 2, fake.clock)

    assert budget_for(API_KEY, 20, 2, fake.clock) is first
    assert budget_for(API_KEY + "-other-team", 20, 2, fake.clock) is not first


def test_a_sync_at_lemlists_rate_limit_gets_no_429(
    tap: Callable[..., TapRun], fake_clock: FakeClock
) -> None:
    with LemlistStandIn(
        sample_tasks(230),
        api_key=API_KEY,
        page_size=5,
        rate_limit=(20, 2.0),
        clock=fake_clock.now,
    ) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    arrivals = [r.time for r in standin.requests]
    assert run.exit_code == 0, run.stderr
    # The team, the tasks forward to the empty page and back from it to page 0,
    # the campaigns' one page read twice: one budget.
    assert len(arrivals) == 1 + 47 + 47 + 2
    assert standin.rate_limited_count == 0
    assert most_requests_in_any_window(arrivals, 2.0) == 20


def test_two_syncs_in_one_process_share_the_keys_budget(
    tap: Callable[..., TapRun], fake_clock: FakeClock
) -> None:
    with LemlistStandIn(
        sample_tasks(40),
        api_key=API_KEY,
        page_size=5,
        rate_limit=(20, 2.0),
        clock=fake_clock.now,
    ) as standin:
        config = {"api_key": API_KEY, "api_url": standin.url}
        runs = [tap(config), tap(config)]

    assert [len(run.ids) for run in runs] == [40, 40]
    assert standin.rate_limited_count == 0
    assert most_requests_in_any_window([r.time for r in standin.requests], 2.0) == 20


def test_a_key_shared_with_another_job_is_respected_through_remaining(
    tap: Callable[..., TapRun], fake_clock: FakeClock
) -> None:
    # This tap thinks it may send 100 requests per 2 s; lemlist's headers say no.
    with LemlistStandIn(
        sample_tasks(130),
        api_key=API_KEY,
        page_size=5,
        rate_limit=(20, 2.0),
        clock=fake_clock.now,
    ) as standin:
        run = tap(
            {"api_key": API_KEY, "api_url": standin.url, "rate_limit_requests": 100}
        )

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 130
    assert standin.rate_limited_count == 0
