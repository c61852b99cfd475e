"""lemlist allows 20 requests per 2 s per key; the tap stays under it by itself."""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY, FakeClock
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks.throttle import RequestBudget, budget_for

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun


def most_requests_in_any_window(times: list[float], window: float = 2.0) -> int:
    return max(
        sum(start <= other < start + window for other in times) for start in times
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

    assert most_requests_in_any_window(sent) == 20
    assert sent[20] - sent[0] >= 2.0
    assert sent[-1] - sent[0] <= 2.0 * (99 // 20) + 0.5  # no slower than it must be


def test_remaining_zero_the_tap_did_not_spend_sits_out_a_window() -> None:
    fake = FakeClock()
    budget = RequestBudget(20, 2.0, fake.clock)
    budget.wait_for_turn()
    budget.spend(remaining=0)  # another job spent the key's budget

    budget.wait_for_turn()

    assert fake.sleeps == [2.0]
    assert budget_for(API_KEY, 20, 2, fake.clock) is budget_for(
        API_KEY, 20, 2, fake.clock
    )
    assert budget_for(API_KEY, 20, 2, fake.clock) is not budget_for(
        "other", 20, 2, fake.clock
    )


# The tasks forward to the empty page and back, the team, the campaigns' page twice;
# this tap may think it may send 100 requests per 2 s: lemlist's headers say no.
SYNCS = {
    "one sync": (230, 1, {}, 1 + 47 + 47 + 2),
    "two syncs share the key": (40, 2, {}, 2 * (1 + 9 + 9 + 2)),
    "another job spends the key": (130, 1, {"rate_limit_requests": 100}, None),
}


@pytest.mark.parametrize(
    ("tasks", "syncs", "settings", "requests"), SYNCS.values(), ids=SYNCS
)
def test_syncs_at_lemlists_rate_limit_get_no_429(  # noqa: PLR0913, PLR0917
    tap: Callable[..., TapRun],
    fake_clock: FakeClock,
    tasks: int,
    syncs: int,
    settings: dict[str, t.Any],
    requests: int | None,
) -> None:
    with LemlistStandIn(
        sample_tasks(tasks), api_key=API_KEY, page_size=5, rate_limit=(20, 2.0),
        clock=fake_clock.now,
    ) as standin:  # fmt: skip
        config = {"api_key": API_KEY, "api_url": standin.url, **settings}
        runs = [tap(config) for _ in range(syncs)]

    assert [len(run.ids) for run in runs] == [tasks] * syncs, runs[0].stderr
    assert standin.rate_limited_count == 0
    arrivals = [r.time for r in standin.requests]
    assert requests in {None, len(arrivals)}
    assert most_requests_in_any_window(arrivals) <= 20
