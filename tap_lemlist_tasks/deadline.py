"""A deadline for a whole answer: connecting, the headers and the body, gzip or chunked.

requests' timeout bounds each socket read: a server sending a byte a second (headers,
a chunk extension, a gzip body that decodes to nothing yet) keeps a request alive for
hours. Here a timer shuts the request's socket when its deadline passes, which ends
any read at once, and the body is read under that timer.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import typing as t

from requests.adapters import HTTPAdapter
from requests.exceptions import ReadTimeout, RequestException
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError

if t.TYPE_CHECKING:
    import requests

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override


class DeadlineExceededError(ReadTimeout):
    """lemlist's answer did not arrive in full within the request's deadline."""


class _Watch:
    """One request's deadline: when it passes, the sockets the request uses shut."""

    def __init__(self, seconds: float) -> None:
        self.fired = self.over = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()

    def hold(self, sock: socket.socket | None) -> None:
        with self.lock:
            if sock is not None:
                self.sockets.append(sock)
            self.shut_if_fired()

    def fire(self) -> None:
        with self.lock:
            # Once over, the answer is whole and the socket back in the pool.
            self.fired = not self.over
            self.shut_if_fired()

    def shut_if_fired(self) -> None:
        for sock in self.sockets if self.fired else []:
            # The plain socket's shutdown, also for TLS: SSLSocket's own would drop
            # its TLS state under the thread reading it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_requests = threading.local()  # the watch of the request this thread sends


class _WatchedConnection(HTTPConnection):
    """Hands its socket to the watch of the request it connects or sends for."""

    @override
    def connect(self) -> None:
        super().connect()
        if watch := getattr(_requests, "watch", None):
            watch.hold(self.sock)

    @override
    def request(self, *args: t.Any, **kwargs: t.Any) -> None:
        # A kept-alive connection, connected for an earlier request.
        if watch := getattr(_requests, "watch", None):
            watch.hold(self.sock)
        super().request(*args, **kwargs)


class _WatchedTLSConnection(_WatchedConnection, HTTPSConnection):
    """The same, over TLS."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedTLSConnection


class DeadlineAdapter(HTTPAdapter):
    """Gives each request `deadline` seconds for its whole answer, body included."""

    def __init__(self, deadline: float) -> None:
        """Build requests' adapter with pools of watched connections."""
        self.deadline = deadline
        super().__init__()

    @override
    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    @override
    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: t.Any
    ) -> requests.Response:
        # Sockets wait a second longer than the deadline: its timer ends a silent
        # answer, and names it, rather than a socket timeout racing it.
        connect = kwargs.get("timeout") or self.deadline
        kwargs |= {"stream": True, "timeout": (connect, self.deadline + 1)}
        watch = _requests.watch = _Watch(self.deadline)
        cut: BaseException | None = None  # a shut socket may also read as an end
        try:
            response = super().send(request, **kwargs)
            _ = response.content  # the whole body, before the deadline
        except (OSError, RequestException, HTTPError) as error:
            if not watch.fired:
                raise
            cut = error
        finally:
            with watch.lock:
                watch.over = True
            watch.timer.cancel()
            _requests.watch = None
        if watch.fired:
            msg = f"no complete answer within {self.deadline:g} s"
            raise DeadlineExceededError(msg, request=request) from cut
        return response
