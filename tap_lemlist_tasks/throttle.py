"""The HTTP adapter: lemlist's rate limit, kept per API key, and a request deadline.

lemlist counts requests per key, so every stream and sync on a key spends one
budget. requests' timeout bounds each socket read: a server sending a byte a second
(headers, a chunk extension, a gzip body that decodes to nothing yet) keeps a
request alive for hours. Here a watchdog shuts the request's socket when its
deadline passes, which ends any read at once, and the body is read under that watch.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import math
import os
import re
import socket
import threading
import time
import typing as t
from dataclasses import dataclass

import backoff
from requests.adapters import HTTPAdapter
from requests.exceptions import ReadTimeout, RequestException
from typing_extensions import override
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError

if t.TYPE_CHECKING:
    import requests
    from urllib3.response import HTTPResponse


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


def budget_for(api_key: str, limit: int, window: float, clock: Clock) -> RequestBudget:
    """Return the process's one budget for a key and limit: lemlist counts per key."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()  # the key itself not kept
    # One setdefault is atomic: threads syncing on one key get one budget.
    new = RequestBudget(limit, window, clock)
    return _budgets.setdefault((clock, digest, limit, window), new)


class DeadlineExceededError(ReadTimeout):
    """lemlist's answer did not arrive in full within the request's deadline."""


class _Watch:
    """One request's deadline: when it passes, the sockets the request reads shut."""

    def __init__(self, seconds: float) -> None:
        self.fired: bool | None = None  # until the deadline or the whole answer
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        _watchdog.add(self, seconds)

    def hold(self, sock: socket.socket | None) -> None:
        with self.lock:
            self.sockets += [sock] if sock is not None else []
            self._shut_if_fired()

    def end(self, *, fired: bool = False) -> bool:
        """End the watch, at the deadline or with the whole answer; say if it fired."""
        _watchdog.discard(self)
        with self.lock:
            # Once over, the answer is whole and the socket back in the pool.
            self.fired = fired if self.fired is None else self.fired
            self._shut_if_fired()
            return self.fired

    def _shut_if_fired(self) -> None:
        for sock in self.sockets if self.fired else []:
            # The plain socket's shutdown, also for TLS: SSLSocket's own would drop
            # its TLS state under the thread reading it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One thread that ends the watch of every request of the process at its deadline.

    A timer thread per request cost a quarter of the tap's CPU. Requests come one
    after the other with one deadline, so the watchdog mostly sleeps through them.
    """

    def __init__(self) -> None:
        self.start_afresh()

    def start_afresh(self) -> None:
        """Forget every watch and the thread (none runs in a forked child)."""
        self.due: dict[_Watch, float] = {}
        self.wakes_at = math.inf
        self.changed = threading.Condition()
        self.thread: threading.Thread | None = None

    def add(self, watch: _Watch, seconds: float) -> None:
        at = time.monotonic() + seconds
        with self.changed:
            self.due[watch] = at
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, daemon=True)
                self.thread.start()
            elif at < self.wakes_at:  # a later deadline waits for the earlier one
                self.changed.notify()

    def discard(self, watch: _Watch) -> None:
        with self.changed:
            self.due.pop(watch, None)

    def run(self) -> None:
        with self.changed:
            while True:
                now = time.monotonic()
                for watch in [w for w, at in self.due.items() if at <= now]:
                    watch.end(fired=True)  # which discards it
                self.wakes_at = min(self.due.values(), default=math.inf)
                self.changed.wait(min(self.wakes_at - now, threading.TIMEOUT_MAX))


_watchdog = _Watchdog()
# A forked child has no watchdog thread, and its lock may be held: start afresh.
os.register_at_fork(after_in_child=_watchdog.start_afresh)
_requests = threading.local()  # the watch of the request this thread sends


class _WatchedConnection(HTTPConnection):
    """Hands its socket to the watch of the request whose answer it reads."""

    @override
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        if watch := getattr(_requests, "watch", None):
            watch.hold(self.sock)
        return super().getresponse()


class _WatchedTLSConnection(_WatchedConnection, HTTPSConnection):
    """The same, over TLS."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedTLSConnection


class ThrottledAdapter(HTTPAdapter):
    """Sends each request when the key's budget allows, and counts its answer."""

    def __init__(self, budget: RequestBudget, *, deadline: float) -> None:
        """Spend the API key's `budget`; give each whole answer `deadline` seconds."""
        self.budget, self.deadline = budget, deadline
        super().__init__()

    @override
    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    @override
    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: t.Any
    ) -> requests.Response:
        # Sockets wait a second longer than the deadline: its watch ends a silent
        # answer, and names it, rather than a socket timeout racing it.
        connect = kwargs.get("timeout") or self.deadline
        kwargs |= {"stream": True, "timeout": (connect, self.deadline + 1)}
        self.budget.wait_for_turn()
        watch = _requests.watch = _Watch(self.deadline)
        remaining: int | None = None
        cut: BaseException | None = None  # a shut socket may also read as an end
        try:
            response = super().send(request, **kwargs)
            _ = response.content  # the whole body, before the deadline
            header = response.headers.get("X-RateLimit-Remaining", "").strip()
            # A count of requests: more digits than any budget has are garbage (and
            # Python refuses to read an integer of over 4,300 digits).
            if re.fullmatch(r"[0-9]{1,9}", header):
                remaining = int(header)
        except (OSError, RequestException, HTTPError) as error:
            if not watch.end():
                raise
            cut = error
        finally:
            _requests.watch = None
            self.budget.spend(None if watch.end() else remaining)
        if watch.end():
            msg = f"no complete answer within {self.deadline:g} s"
            raise DeadlineExceededError(msg, request=request) from cut
        return response
