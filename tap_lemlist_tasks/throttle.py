"""lemlist's rate limit, kept per API key: a request budget and the adapter using it."""

from __future__ import annotations

import collections
import hashlib
import threading
import time
import typing as t
from dataclasses import dataclass

import backoff
from requests.adapters import HTTPAdapter

from tap_lemlist_tasks.errors import DeadlineExceededError, LemlistError, redirected

if t.TYPE_CHECKING:
    import requests


@dataclass(frozen=True, eq=False)
class Clock:
    """Where the tap reads the time, waits, and spreads waits; tests pass fakes."""

    now: t.Callable[[], float] = time.monotonic
    sleep: t.Callable[[float], None] = time.sleep
    #: Spreads retry waits, so jobs sharing a key do not retry in lockstep.
    jitter: t.Callable[[float], float] = backoff.full_jitter


SYSTEM_CLOCK = Clock()
_CHUNK = 64 * 1024


class RequestBudget:
    """At most `limit` requests in any `window` seconds.

    A sliding log of the last `limit` requests, each stamped when its response
    arrived: lemlist counted the request no later than that, so a request sent a
    full window after the stamp can never be the one over the limit.
    """

    def __init__(self, limit: int, window: float, clock: Clock = SYSTEM_CLOCK) -> None:
        """Start with the whole budget available.

        Args:
            limit: Requests allowed per window.
            window: The window in seconds.
            clock: Where to read the time and wait.
        """
        self.limit = limit
        self.window = window
        self._clock = clock
        self._spent: collections.deque[float] = collections.deque(maxlen=limit)
        self._resume_at = 0.0
        self._sent_at = 0.0

    def wait_for_turn(self) -> None:
        """Sleep until one more request fits in the budget."""
        now = self._clock.now()
        resume_at = self._resume_at
        if self._is_full(now):
            resume_at = max(resume_at, self._spent[0] + self.window)
        if resume_at > now:
            self._clock.sleep(resume_at - now)
        self._sent_at = max(now, resume_at)

    def spend(self, remaining: int | None = None) -> None:
        """Count a request whose response just arrived.

        Args:
            remaining: lemlist's `X-RateLimit-Remaining`, if it sent one.
        """
        self._spent.append(self._clock.now())
        # lemlist counted the request when it arrived, after it was sent: judged at
        # the send time, our own requests explain a 0 whenever they can.
        if remaining == 0 and not self._is_full(self._sent_at):
            # Someone else (another job on the same key) spent the budget we did
            # not: lemlist does not say when it frees up, so sit out one window.
            self.pause(self.window)

    def pause(self, seconds: float) -> None:
        """Send no request on this key for `seconds` from now (a retry's wait).

        Args:
            seconds: How long to wait before the next request.
        """
        self._resume_at = max(self._resume_at, self._clock.now() + seconds)

    def _is_full(self, now: float) -> bool:
        return len(self._spent) == self.limit and self._spent[0] > now - self.window


_budgets: dict[tuple[Clock, str, int, float], RequestBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(api_key: str, limit: int, window: float, clock: Clock) -> RequestBudget:
    """Return the process's budget for one API key: lemlist counts per key.

    Args:
        api_key: The key; only its digest is kept.
        limit: Requests allowed per window.
        window: The window in seconds.
        clock: Where to read the time and wait.

    Returns:
        The same budget for every stream and sync using this key and limit.
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    with _budgets_lock:
        return _budgets.setdefault(
            (clock, digest, limit, window), RequestBudget(limit, window, clock)
        )


class ThrottledAdapter(HTTPAdapter):
    """Sends each request when the key's budget allows it, and counts its answer.

    It also gives each request a deadline for its whole answer (requests' own
    timeout applies to each socket read, so a server trickling a byte a second
    would keep one request alive for hours), and follows no redirect.
    """

    def __init__(self, budget: RequestBudget, *, deadline: float) -> None:
        """Wrap the default adapter.

        Args:
            budget: The API key's request budget.
            deadline: Seconds for connecting, the headers and the whole body.
        """
        super().__init__()
        self.budget = budget
        self.deadline = deadline

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        **kwargs: t.Any,  # noqa: ANN401 - as HTTPAdapter.send
    ) -> requests.Response:
        """Wait for a turn, send, and spend the budget whatever happened.

        Args:
            request: The request to send.
            **kwargs: As for `HTTPAdapter.send`.

        Returns:
            lemlist's response.
        """
        self.budget.wait_for_turn()
        try:
            response = self._send_within_deadline(request, **kwargs)
        except Exception:
            self.budget.spend()
            raise
        self.budget.spend(rate_limit_remaining(response))
        return response

    def _send_within_deadline(
        self,
        request: requests.PreparedRequest,
        **kwargs: t.Any,  # noqa: ANN401 - as HTTPAdapter.send
    ) -> requests.Response:
        # Real time, not the clock's: the network does not run on a fake clock.
        give_up_at = time.monotonic() + self.deadline
        response = super().send(request, **{**kwargs, "stream": True})
        if response.is_redirect:
            # lemlist documents no redirect; following one could take the key to
            # another host, loop, or lead to a URL requests cannot even parse.
            response.close()
            location = response.headers.get("Location", "")
            raise LemlistError(redirected(response.status_code, location))
        body = bytearray()
        try:
            # read1 returns what has arrived, so the deadline is checked between
            # reads of at most one socket timeout each.
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                body += chunk
                if time.monotonic() > give_up_at:
                    msg = f"no complete answer within {self.deadline:g} s"
                    raise DeadlineExceededError(msg, request=request)
        finally:
            response.close()
        # What Session.send would have read itself, had stream been False.
        response._content = bytes(body)  # noqa: SLF001
        return response


def rate_limit_remaining(response: requests.Response) -> int | None:
    """Return lemlist's `X-RateLimit-Remaining`, or None when absent or unreadable.

    Args:
        response: A response from lemlist.

    Returns:
        The requests left in the current window.
    """
    header = response.headers.get("X-RateLimit-Remaining", "").strip()
    return int(header) if header.isascii() and header.isdigit() else None
