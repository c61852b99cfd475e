"""A request budget that keeps one tap process under lemlist's rate limit."""

from __future__ import annotations

import collections
import time
import typing as t


class RequestBudget:
    """At most `limit` requests in any `window` seconds.

    A sliding log of the last `limit` requests, each stamped when its response
    arrived: lemlist counted the request no later than that, so a request sent a
    full window after the stamp can never be the one over the limit. A fixed-rate
    token bucket would also work, but would be either slower or less exact, and no
    rate-limiting library gives this guarantee in fewer lines.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        """Start with the whole budget available.

        Args:
            limit: Requests allowed per window.
            window: The window in seconds.
            clock: Monotonic clock, replaceable in tests.
            sleep: Sleep function, replaceable in tests.
        """
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._spent: collections.deque[float] = collections.deque(maxlen=limit)
        self._resume_at = 0.0

    def wait_for_turn(self) -> None:
        """Sleep until one more request fits in the budget."""
        now = self._clock()
        resume_at = self._resume_at
        if self._is_full(now):
            resume_at = max(resume_at, self._spent[0] + self.window)
        if resume_at > now:
            self._sleep(resume_at - now)

    def spend(self, remaining: int | None = None) -> None:
        """Count a request whose response just arrived.

        Args:
            remaining: lemlist's `X-RateLimit-Remaining`, if it sent one.
        """
        now = self._clock()
        self._spent.append(now)
        if remaining == 0 and not self._is_full(now):
            # Someone else (another job on the same key) spent the budget we did
            # not: lemlist does not say when it frees up, so sit out one window.
            self._resume_at = now + self.window

    def _is_full(self, now: float) -> bool:
        return len(self._spent) == self.limit and self._spent[0] > now - self.window
