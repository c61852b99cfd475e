"""The HTTP adapter: lemlist's rate limit, kept per API key, and a request deadline.

requests' timeout bounds each socket read: a server sending a byte a second keeps a
request alive for hours. A watchdog shuts the socket at the deadline, ending any read.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import re
import socket
import threading
import time
import typing as t

import backoff
from requests.adapters import HTTPAdapter
from requests.exceptions import ReadTimeout, RequestException
from typing_extensions import override
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

if t.TYPE_CHECKING:
    import requests
    from urllib3.response import HTTPResponse


class Clock(t.NamedTuple):
    """Where the tap reads the time, waits, and spreads waits; tests pass fakes."""

    now: t.Callable[[], float] = time.monotonic
    sleep: t.Callable[[float], None] = time.sleep
    #: Spreads retry waits, so jobs sharing a key do not retry in lockstep.
    jitter: t.Callable[[float], float] = backoff.full_jitter


class RequestBudget:
    """At most `limit` requests in any `window` seconds.

    A log of when the last `limit` answers arrived: lemlist counted each request no
    later than that, so one sent a window after the oldest can never be over the limit.
    """

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        """Start with the whole budget available: `limit` answers long ago."""
        self.window, self.clock = window, clock
        self.spent = collections.deque([-math.inf] * limit, maxlen=limit)
        self.resume_at = self.sent_at = 0.0

    def wait_for_turn(self) -> None:
        """Sleep until one more request fits in the budget."""
        now = self.clock.now()
        self.sent_at = max(now, self.resume_at, self.spent[0] + self.window)
        if self.sent_at > now:
            self.clock.sleep(self.sent_at - now)

    def spend(self, remaining: str | None = None) -> None:
        """Count a request whose response just arrived, with `X-RateLimit-Remaining`."""
        self.spent.append(self.clock.now())
        # A 0, read as text (over 9 digits is garbage; Python refuses an integer of
        # over 4,300). lemlist counted the request on arrival, after it was sent: judged
        # at the send time, our own answers explain a 0 whenever they can; if they do
        # not, another job on the key spent the budget, for a time lemlist does not say.
        zero = re.fullmatch(r"\s*0{1,9}\s*", remaining or "")
        if zero and self.spent[0] <= self.sent_at - self.window:
            self.pause(self.window)

    def pause(self, seconds: float) -> None:
        """Send no request on this key for `seconds` from now (a retry's wait)."""
        self.resume_at = max(self.resume_at, self.clock.now() + seconds)


_budgets: dict[tuple[Clock, str, int, float], RequestBudget] = {}


def budget_for(api_key: str, limit: int, window: float, clock: Clock) -> RequestBudget:
    """Return the process's one budget for a key and limit: lemlist counts per key."""
    # One setdefault is atomic: threads syncing on one key get one budget.
    new = RequestBudget(limit, window, clock)
    return _budgets.setdefault((clock, api_key, limit, window), new)


class DeadlineExceededError(ReadTimeout):
    """lemlist's answer did not arrive in full within the request's deadline."""


def _shut(sock: socket.socket | None) -> None:
    # The plain socket's shutdown, also for TLS: SSLSocket's own would drop its TLS
    # state under the thread reading it.
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One thread for every request's deadline, not a timer each (docs/performance)."""

    def __init__(self) -> None:
        #: By the sending thread: the deadline, the socket; dropped when cut.
        self.watches: dict[int, tuple[float, socket.socket | None]] = {}
        self.wakes_at = math.inf
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def watch(self, seconds: float) -> None:
        """Watch the request this thread sends now, for `seconds`."""
        at = time.monotonic() + seconds
        with self.changed:
            self.watches[threading.get_ident()] = (at, None)
            if not self.thread.is_alive():  # started by a request, not by an import
                self.thread.start()
            elif at < self.wakes_at:  # a later deadline waits for the earlier one
                self.changed.notify()

    def hold(self, sock: socket.socket | None) -> None:
        """Hand over the socket this thread's request reads its answer from."""
        with self.changed:
            if watch := self.watches.get(ident := threading.get_ident()):
                self.watches[ident] = (watch[0], sock)
            else:  # the deadline passed while connecting
                _shut(sock)

    def end(self) -> bool:
        """End this thread's watch, with the whole answer or not; say if it cut it."""
        with self.changed:
            return self.watches.pop(threading.get_ident(), None) is None

    def run(self) -> None:
        with self.changed:
            while True:
                now = time.monotonic()
                for ident in [i for i, (at, _) in self.watches.items() if at <= now]:
                    _shut(self.watches.pop(ident)[1])
                dues = [at for at, _ in self.watches.values()]
                self.wakes_at = min(dues, default=math.inf)
                self.changed.wait(min(self.wakes_at - now, threading.TIMEOUT_MAX))


_watchdog = _Watchdog()
# A forked child has no watchdog thread, and its lock may be held: start afresh.
os.register_at_fork(after_in_child=lambda: _Watchdog.__init__(_watchdog))


class _Watched(HTTPConnection):
    """Hands its socket to the watch of the request whose answer it reads."""

    @override
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        _watchdog.hold(self.sock)
        return super().getresponse()


class _WatchedTLS(_Watched, HTTPSConnection): ...


class ThrottledAdapter(HTTPAdapter):
    """Sends each request when the key's budget allows, and counts its answer."""

    def __init__(self, budget: RequestBudget, *, deadline: float) -> None:
        """Spend the API key's `budget`; give each whole answer `deadline` seconds."""
        self.budget, self.deadline = budget, deadline
        super().__init__()

    @override
    def get_connection_with_tls_context(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        # Each pool, proxied or not, opens connections that hand their socket over.
        pool: t.Any = super().get_connection_with_tls_context(*args, **kwargs)
        pool.ConnectionCls = _WatchedTLS if pool.scheme == "https" else _Watched
        return pool

    @override
    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: t.Any
    ) -> requests.Response:
        # Sockets wait a second longer than the deadline: its watch ends a silent
        # answer, and names it, rather than a socket timeout racing it.
        kwargs["timeout"] = (self.deadline, self.deadline + 1)
        self.budget.wait_for_turn()
        _watchdog.watch(self.deadline)
        failed: BaseException | None = None  # a shut socket may also read as an end
        try:
            response = super().send(request, **kwargs)
            _ = response.content  # the whole body, before the deadline
        except (OSError, RequestException, HTTPError) as error:
            failed = error  # anything else (a bug, a stop) goes on as it is
        finally:
            cut = _watchdog.end()
        headers = {} if failed or cut else response.headers
        self.budget.spend(headers.get("X-RateLimit-Remaining"))
        if cut:
            msg = f"no complete answer within {self.deadline:g} s"
            raise DeadlineExceededError(msg, request=request) from failed
        if failed:
            raise failed
        return response
