"""lemlist's rate limit, kept per API key: a request budget and the adapter using it."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import socket
import sys
import threading
import time
import typing as t
from dataclasses import dataclass

import backoff
from requests.adapters import HTTPAdapter
from requests.exceptions import ReadTimeout, RequestException
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, ReadTimeoutError

from tap_lemlist_tasks.errors import DeadlineExceededError, LemlistError, redirected

if t.TYPE_CHECKING:
    import requests

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self


@dataclass(frozen=True, eq=False)
class Clock:
    """Where the tap reads the time, waits, and spreads waits; tests pass fakes."""

    now: t.Callable[[], float] = time.monotonic
    sleep: t.Callable[[float], None] = time.sleep
    #: Spreads retry waits, so jobs sharing a key do not retry in lockstep.
    jitter: t.Callable[[float], float] = backoff.full_jitter


SYSTEM_CLOCK = Clock()
_CHUNK = 64 * 1024
_MAX_DIGITS = 9


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


_watched = threading.local()


class _Watch:
    """One request's deadline, enforced by shutting its socket when it passes.

    requests' timeout applies to each socket read: a server sending a byte a
    second (headers, a chunk-size line, a gzip body of empty blocks that urllib3
    keeps reading because it decodes to nothing) would keep a request alive for
    hours. A timer that shuts the socket ends any of those reads at once.
    """

    def __init__(self, seconds: float) -> None:
        self.connection: object = None  #: set by the pool when it hands one out
        self.fired = False
        self._done = threading.Event()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        _watched.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._timer.cancel()
        _watched.watch = None

    def _fire(self) -> None:
        self.fired = True
        while not self._done.is_set():  # until connected, if still connecting
            sock = getattr(self.connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                return
            self._done.wait(0.05)


def _watched_pool(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    class WatchedPool(pool):  # type: ignore[valid-type,misc]
        """Tells the request's watch which connection it got."""

        def _get_conn(self, timeout: float | None = None) -> t.Any:  # noqa: ANN401
            connection = super()._get_conn(timeout)
            watch = getattr(_watched, "watch", None)
            if watch is not None:
                watch.connection = connection
            return connection

    return WatchedPool


_WATCHED_POOLS = {
    "http": _watched_pool(HTTPConnectionPool),
    "https": _watched_pool(HTTPSConnectionPool),
}


class ThrottledAdapter(HTTPAdapter):
    """Sends each request when the key's budget allows it, and counts its answer.

    It also gives each request a deadline for its whole answer, the headers
    included (see `_Watch`), and follows no redirect.
    """

    def __init__(self, budget: RequestBudget, *, deadline: float) -> None:
        """Wrap the default adapter.

        Args:
            budget: The API key's request budget.
            deadline: Seconds for connecting, the headers and the whole body.
        """
        self.budget = budget
        self.deadline = deadline
        super().__init__()

    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Build requests' pool manager, with pools that tell a request's watch.

        Args:
            *args: As for `HTTPAdapter.init_poolmanager`.
            **kwargs: As for `HTTPAdapter.init_poolmanager`.
        """
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

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
        cut: BaseException | None = None
        with _Watch(self.deadline) as watch:
            try:
                response, body = self._send_and_read(request, **kwargs)
            except (OSError, RequestException, HTTPError) as error:
                # A socket silent for the whole deadline races the watch: either
                # way the answer did not come in time, and is told so.
                silent = isinstance(
                    error, (ReadTimeout, ReadTimeoutError, TimeoutError)
                )
                if not (watch.fired or silent):
                    raise
                cut = error
        if cut is not None or watch.fired:
            msg = f"no complete answer within {self.deadline:g} s"
            raise DeadlineExceededError(msg, request=request) from cut
        # What Session.send would have read itself, had stream been False.
        response._content = body  # noqa: SLF001
        return response

    def _send_and_read(
        self,
        request: requests.PreparedRequest,
        **kwargs: t.Any,  # noqa: ANN401 - as HTTPAdapter.send
    ) -> tuple[requests.Response, bytes]:
        response = super().send(request, **{**kwargs, "stream": True})
        if response.is_redirect:
            # lemlist documents no redirect; following one could take the key to
            # another host, loop, or lead to a URL requests cannot even parse.
            response.close()
            location = response.headers.get("Location", "")
            raise LemlistError(redirected(response.status_code, location))
        body = bytearray()
        try:
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                body += chunk
        finally:
            response.close()
        return response, bytes(body)


def rate_limit_remaining(response: requests.Response) -> int | None:
    """Return lemlist's `X-RateLimit-Remaining`, or None when absent or unreadable.

    Args:
        response: A response from lemlist.

    Returns:
        The requests left in the current window.
    """
    header = response.headers.get("X-RateLimit-Remaining", "").strip()
    # A count of requests: more digits than any budget has would only be garbage
    # (and Python refuses to read an integer of over 4,300 digits).
    readable = header.isascii() and header.isdigit() and len(header) <= _MAX_DIGITS
    return int(header) if readable else None
