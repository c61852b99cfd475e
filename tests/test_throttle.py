"""lemlist allows 20 requests per 2 s per key; the tap stays under it by itself."""

from __future__ import annotations

import asyncio
import time
import typing as t

import pytest
import requests
from conftest import API_KEY, FakeClock, Run
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from requests.adapters import HTTPAdapter

from tap_lemlist_tasks.throttle import ThrottledAdapter, budget_for

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
def test_syncs_at_lemlists_rate_limit_get_no_429(
    run: Run,
    tasks: int,
    syncs: int,
    settings: dict[str, t.Any],
    requests: int | None,
) -> None:
    with LemlistStandIn(
        sample_tasks(tasks), api_key=API_KEY, page_size=5, rate_limit=(20, 2.0),
        clock=run.clock.now,
    ) as standin:  # fmt: skip
        synced = [run(api_url=standin.url, **settings) for _ in range(syncs)]

    assert [len(s.ids) for s in synced] == [tasks] * syncs, synced[0].stderr
    arrivals = [r.time for r in standin.requests]
    # At most 20 requests in any window of 2 s: a 429 would be the 21st of one.
    assert max(sum(a <= b < a + 2 for b in arrivals) for a in arrivals) <= 20
    if requests is not None:  # and no slower than the limit makes it
        assert len(arrivals) == requests
        assert arrivals[-1] - arrivals[0] <= 2.0 * ((requests - 1) // 20) + 0.5


def test_the_budget_is_held_per_api_key(fake_clock: FakeClock) -> None:
    budget = budget_for(API_KEY, 20, 2, fake_clock.clock)

    assert budget_for(API_KEY, 20, 2, fake_clock.clock) is budget
    assert budget_for("other", 20, 2, fake_clock.clock) is not budget


def test_a_rate_limit_header_of_5000_digits_is_not_read_as_a_number(run: Run) -> None:
    header = {"X-RateLimit-Remaining": "9" * 5000}

    synced = run(faults=[(0, "headers", {"headers": header})])

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250


def test_a_stop_while_the_deadline_cuts_an_answer_stays_a_stop(
    monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock
) -> None:
    def send(*_args: object, **_kwargs: object) -> t.NoReturn:
        time.sleep(0.1)  # the watchdog cuts the answer meanwhile
        raise asyncio.CancelledError  # a BaseException, as Dagster's interrupt

    monkeypatch.setattr(HTTPAdapter, "send", send)
    adapter = ThrottledAdapter(budget_for("k", 20, 2, fake_clock.clock), deadline=0.01)
    with pytest.raises(asyncio.CancelledError):
        adapter.send(requests.Request("GET", "http://127.0.0.1/").prepare())
