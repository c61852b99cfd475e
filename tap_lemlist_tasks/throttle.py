"""lemlist's rate limit, kept per API key: a budget, and the adapter spending it."""

from __future__ import annotations

import collections
import hashlib
import sys
import threading
import time
import typing as t
from dataclasses import dataclass

import backoff

from tap_lemlist_tasks.deadline import DeadlineAdapter

if t.TYPE_CHECKING:
    import requests

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

_MAX_DIGITS = 9


@dataclass(frozen=True, eq=False)
class Clock:
    """Where the tap reads the time, waits, and spreads waits; tests pass fakes."""

    now: t.Callable[[], float] = time.monotonic
    sleep: t.Callable[[float], None] = time.sleep
    #: Spreads retry waits, so jobs sharing a key do not retry in lockstep.
    jitter: t.Callable[[float], float] = backoff.full_jitter


SYSTEM_CLOCK = Clock()


class RequestBudget:
    """At most `limit` requests in any `window` seconds.

    A sliding log of the last `limit` requests, each stamped when its response
    arrived: lemlist counted the request no later than that, so a request sent a
    full window after the stamp can never be the one over the limit.
    """

    def __init__(self, limit: int, window: float, clock: Clock = SYSTEM_CLOCK) -> None:
        """Start with the whole budget available."""
        self.limit, self.window, self.clock = limit, window, clock
        self.spent: collections.deque[float] = collections.deque(maxlen=limit)
        self.resume_at = self.sent_at = 0.0

    def wait_for_turn(self) -> None:
        """Sleep until one more request fits in the budget."""
        now, resume_at = self.clock.now(), self.resume_at
        if self.is_full(now):
            resume_at = max(resume_at, self.spent[0] + self.window)
        if resume_at > now:
            self.clock.sleep(resume_at - now)
        self.sent_at = max(now, resume_at)

    def spend(self, remaining: int | None = None) -> None:
        """Count a request whose response just arrived, with `X-RateLimit-Remaining`."""
        self.spent.append(self.clock.now())
        # lemlist counted the request when it arrived, after it was sent: judged at
        # the send time, our own requests explain a 0 whenever they can.
        if remaining == 0 and not self.is_full(self.sent_at):
            # Someone else (another job on the same key) spent the budget we did
            # not: lemlist does not say when it frees up, so sit out one window.
            self.pause(self.window)

    def pause(self, seconds: float) -> None:
        """Send no request on this key for `seconds` from now (a retry's wait)."""
        self.resume_at = max(self.resume_at, self.clock.now() + seconds)

    def is_full(self, now: float) -> bool:
        """Return whether `limit` requests were answered in the window before `now`."""
        return len(self.spent) == self.limit and self.spent[0] > now - self.window


_budgets: dict[tuple[Clock, str, int, float], RequestBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(api_key: str, limit: int, window: float, clock: Clock) -> RequestBudget:
    """Return the process's one budget for a key and limit: lemlist counts per key."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()  # the key itself not kept
    with _budgets_lock:
        return _budgets.setdefault(
            (clock, digest, limit, window), RequestBudget(limit, window, clock)
        )


class ThrottledAdapter(DeadlineAdapter):
    """Sends each request when the key's budget allows it, and counts its answer."""

    def __init__(self, budget: RequestBudget, *, deadline: float) -> None:
        """Send on the API key's `budget`, each answer whole within `deadline` s."""
        self.budget = budget
        super().__init__(deadline)

    @override
    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: t.Any
    ) -> requests.Response:
        self.budget.wait_for_turn()
        try:
            response = super().send(request, **kwargs)
        except Exception:
            self.budget.spend()
            raise
        header = response.headers.get("X-RateLimit-Remaining", "").strip()
        # A count of requests: more digits than any budget has would only be garbage
        # (and Python refuses to read an integer of over 4,300 digits).
        readable = header.isascii() and header.isdigit() and len(header) <= _MAX_DIGITS
        self.budget.spend(int(header) if readable else None)
        return response
