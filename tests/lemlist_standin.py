"""A stand-in for lemlist's API (tasks, team, campaigns); it never imports the tap.

It serves paged, filtered, pending tasks as lemlist documents them (Basic auth with an
empty user, 0-indexed ``page``, JSON ``filters``), can enforce lemlist's rate limit and
misbehave on cue (``add_faults``). As a process (demo, benchmarks, rehearsal) it prints
``LEMLIST_STANDIN_URL=...`` and serves until SIGTERM; its commands change a serving one.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import gzip
import json
import math
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import regex
from lemlist_sample import (
    CAMPAIGN_STATES,
    TASK_TYPES,
    Task,
    sample_campaigns,
    sample_tasks,
    sample_team,
)

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from typing_extensions import Self

LEAD_ATTRIBUTES = ("fullName", "email", "phone", "linkedin")
_TEXT, _JSON, _HTML = "text/plain; charset=utf-8", "application/json", "text/html"
_UNAUTHORIZED = b"The authentication you supplied is incorrect"
_STATIC_FAULTS = {
    "400": (400, _TEXT, b"Bad params"),
    "401": (401, _TEXT, _UNAUTHORIZED),
    "403": (403, _TEXT, b"User linked to this API key is blocked"),
    "404": (404, _TEXT, b"Not Found"),
    "500": (500, _TEXT, b"Internal Server Error"),
    "503": (503, _HTML, b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    "html": (200, _HTML, b"<html><body>Maintenance</body></html>"),
}
_STALLS = ("slow_headers", "gzip_stall", "chunk_stall", "gzip_trickle", "chunk_trickle")
_OTHER_FAULTS = (
    "429", "reset", "timeout", "truncated", "not_a_list", "body", "status",
    "redirect", "trickle", "two_lengths", "headers", *_STALLS,
)  # fmt: skip
# What lemlist's web app answers on a path that is not its API: a page, with 200.
_WEB_APP_PAGE = b"<!DOCTYPE html><html><head><title>lemlist</title></head></html>"
# Stalls that send bytes steadily without ever completing an answer.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
_EMPTY_DEFLATE_BLOCK = b"\x00\x00\x00\xff\xff"  # a stored block of no bytes
_STALL_BYTES = 2000
FAULTS = frozenset(_STATIC_FAULTS).union(_OTHER_FAULTS)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_CAMPAIGNS_LIMIT = 100
_LEMLIST_LIMIT, _LEMLIST_WINDOW = 20, 2  # lemlist's documented rate limit
#: Routes answered in one response, with a fault script of their own each.
_ONE_SHOT_ROUTES = {"/api/team": "team", "/api/campaigns": "campaigns"}


@dataclass
class RecordedRequest:
    """A request as received; `status` 0 while unanswered or reset."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    time: float


class MalformedFiltersError(ValueError):
    """``filters`` is missing, not JSON, or not a list of valid filter objects."""


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str | None] = field(default_factory=dict)
    trickle: float = 0.0  # seconds between bytes of the body
    extra_length: bool = False  # a second, different Content-Length header
    #: A whole response written by hand instead (status line, headers, body):
    #: its first `raw_at_once` bytes at once, the rest trickled.
    raw: bytes = b""
    raw_at_once: int = 0


def _params(item: dict[str, Any], allowed: set[str], valid: type) -> dict[str, Any]:
    """Return a filter's parameters: at least one, all ``allowed`` and ``valid``."""
    params = {key: value for key, value in item.items() if key != "filterId"}
    valid_values = all(isinstance(value, valid) for value in params.values())
    if not params or not set(params) <= allowed or not valid_values:
        raise MalformedFiltersError
    return params


def _lead_filter(attribute: str, item: dict[str, Any]) -> Callable[[Task], bool]:
    params = _params(item, {"value", "regex"}, str)
    value = params.get("value")
    # lemlist runs on Node.js: a regex is JavaScript's, e.g. \p{L} or (?<name>…),
    # which the `regex` module reads and Python's `re` refuses.
    try:
        pattern = (
            regex.compile(params["regex"], regex.IGNORECASE)
            if "regex" in params
            else None
        )
    except regex.error as error:
        raise MalformedFiltersError from error

    def match(task: Task) -> bool:
        actual = task.lead.get(attribute)
        return (
            actual is not None
            and (value is None or actual.casefold() == value.casefold())
            and (pattern is None or pattern.search(actual) is not None)
        )

    return match


def _in_out_filter(
    get: Callable[[Task], str | None],
    allowed: frozenset[str] | None,
    item: dict[str, Any],
) -> Callable[[Task], bool]:
    params = _params(item, {"in", "out"}, list)
    values = [value for listed in params.values() for value in listed]
    if not all(isinstance(value, str) for value in values):
        raise MalformedFiltersError
    if allowed is not None and not allowed.issuperset(values):
        raise MalformedFiltersError
    include, exclude = params.get("in"), set(params.get("out", ()))

    def match(task: Task) -> bool:
        actual = get(task)
        included = include is None or (actual is not None and actual in include)
        return included and actual not in exclude

    return match


def _due_date_filter(item: dict[str, Any]) -> Callable[[Task], bool]:
    params = _params(item, {"from", "to"}, str)
    if not all(_DAY.fullmatch(day) for day in params.values()):
        raise MalformedFiltersError
    try:
        for day in params.values():
            date.fromisoformat(day)
    except ValueError as error:
        raise MalformedFiltersError from error
    start, end = params.get("from", ""), params.get("to", "9999")

    def match(task: Task) -> bool:
        due = task.record.get("dueDate")  # ISO-8601 in UTC: its first 10 chars
        return isinstance(due, str) and start <= due[:10] <= end

    return match


_IN_OUT: dict[str, tuple[Callable[[Task], Any], frozenset[str] | None]] = {
    "campaignId": (lambda task: task.record.get("campaignId"), None),
    "campaignState": (lambda task: task.campaign_state, frozenset(CAMPAIGN_STATES)),
    "type": (lambda task: task.record.get("type"), frozenset(TASK_TYPES)),
    "assignedTo": (lambda task: task.record.get("userId"), None),
}


def _predicate(item: object) -> Callable[[Task], bool]:
    """Build the predicate of one filter object."""
    if not isinstance(item, dict):
        raise MalformedFiltersError
    filter_id = item.get("filterId")
    if filter_id in LEAD_ATTRIBUTES:
        return _lead_filter(filter_id, item)
    if filter_id in _IN_OUT:
        return _in_out_filter(*_IN_OUT[filter_id], item)
    if filter_id == "dueDate":
        return _due_date_filter(item)
    raise MalformedFiltersError


def parse_filters(raw: str | None) -> tuple[str, list[Callable[[Task], bool]]]:
    """Parse a ``filters`` query parameter as lemlist would.

    Args:
        raw: The parameter's value; None when absent.

    Returns:
        A canonical key of the filters, and one predicate per filter (all must hold).

    Raises:
        MalformedFiltersError: When lemlist answers ``{"error":"Malformed filters"}``.
    """
    try:
        items = json.loads(raw) if raw is not None else None
    except ValueError as error:
        raise MalformedFiltersError from error
    if not isinstance(items, list):
        raise MalformedFiltersError
    return json.dumps(items, sort_keys=True), [_predicate(item) for item in items]


def _presented_key(authorization: str | None) -> str | None:
    """Return the API key of a ``Basic base64(":" + key)`` header.

    Returns:
        The key; "" for a header that is not one; None without a header.
    """
    if authorization is None:
        return None
    scheme, _, encoded = authorization.partition(" ")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, colon, password = decoded.partition(":")
    return password if scheme == "Basic" and colon and not user else ""


def _js_date(timestamp: float) -> str:
    """Format like JavaScript's ``Date.toString()`` in UTC."""
    utc = time.gmtime(timestamp)
    return time.strftime(
        "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", utc
    )


def _stall(fault: str, every: float, page: _Reply) -> _Reply:
    """A 200 that sends a byte every `every` seconds and never completes.

    `slow_headers` trickles the status line and headers; `gzip_stall` sends a gzip
    body made of empty deflate blocks, which decode to nothing; `chunk_stall` sends
    a chunk-size line whose extension never ends. `gzip_trickle` and `chunk_trickle`
    send the page itself, gzip-encoded or in chunks with extensions, a byte at a time.
    """
    if fault in {"gzip_trickle", "chunk_trickle"}:
        gzipped = fault == "gzip_trickle"
        encoding = b"Content-Encoding: gzip\r\n" if gzipped else b""
        start = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + encoding
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        data = gzip.compress(page.body) if gzipped else page.body
        pieces = [data[at : at + 64] for at in range(0, len(data), 64)]
        chunks = b"".join(b"%x;ext=trickled\r\n%s\r\n" % (len(c), c) for c in pieces)
        raw = start + chunks + b"0\r\n\r\n"
        return replace(page, raw=raw, raw_at_once=len(start), trickle=every)
    if fault == "slow_headers":
        raw = b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"." * _STALL_BYTES
        return replace(page, raw=raw, trickle=every)
    if fault == "gzip_stall":
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {10**7}\r\n\r\n"
        ).encode()
        body = _GZIP_HEADER + _EMPTY_DEFLATE_BLOCK * (_STALL_BYTES // 5)
    else:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        body = b"1;ext=" + b"x" * _STALL_BYTES
    return replace(page, raw=head + body, raw_at_once=len(head), trickle=every)


def _check_fault(fault: str) -> None:
    if fault not in FAULTS:
        msg = f"unknown fault {fault!r}; expected one of {sorted(FAULTS)}"
        raise ValueError(msg)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: LemlistStandIn

    def handle_error(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: object,
    ) -> None:
        """Stay quiet when a client hangs up (the tap cuts answers at its deadline)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a benchmark client expects
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def do_GET(self) -> None:
        """Let the stand-in answer (every method goes through here)."""
        self.server.standin.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def log_message(self, *_args: object) -> None:
        """Stay quiet: no per-request logging."""


class LemlistStandIn:
    """An in-process HTTP server answering like lemlist's ``GET /api/tasks``."""

    def __init__(  # noqa: PLR0913
        self,
        tasks: list[Task] | None = None,
        *,
        api_key: str = "test-key",
        page_size: int = 100,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: tuple[int, float] | None = None,
        ignore_page: bool = False,
        clock: Callable[[], float] = time.monotonic,
        tls: ssl.SSLContext | None = None,
        campaigns: list[dict[str, Any]] | None = None,
    ) -> None:
        """Serve `tasks` in order to `api_key`; `rate_limit` is (limit, seconds) per
        key on `clock`; `ignore_page` serves page 0 whatever is asked."""
        self._tasks = list(sample_tasks(250) if tasks is None else tasks)
        self._by_id = {task.id: task for task in self._tasks}
        self.api_key, self.page_size, self.ignore_page = api_key, page_size, ignore_page
        #: Serve page p past the end as page p mod P, as some APIs do: never empty.
        self.wrap_pages = False
        self._address, self._rate_limit = (host, port), rate_limit
        self._clock = clock
        self._tls = tls
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._arrivals: dict[str | None, deque[float]] = {}
        self._rate_limited = 0
        self._faults: dict[int, deque[tuple[str, dict[str, Any]]]] = {}
        self._events: dict[int, list[Callable[[LemlistStandIn], None]]] = {}
        self._matches: dict[str, list[dict[str, Any]]] = {}
        self._pages: dict[tuple[str, int], bytes] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: What ``GET /api/team`` serves; None: ``sample_team(api_key=api_key)``.
        self.team: dict[str, Any] | None = None
        #: What ``GET /api/campaigns`` serves, in creation order.
        self.campaigns: list[dict[str, Any]] = (
            sample_campaigns() if campaigns is None else campaigns
        )
        #: ``array`` as lemlist's OpenAPI document shows, or ``object`` as other
        #: clients read: ``{"campaigns": [...], "pagination": {...}}``.
        self.campaigns_shape = "array"
        #: Routes (``team``, ``campaigns``) this account's plan does not include:
        #: lemlist answers them 402.
        self.plan_gated: set[str] = set()
        self._route_faults: dict[str, deque[tuple[str, dict[str, Any]]]] = {}
        self._created = 0

    def __enter__(self) -> Self:
        """Start serving (see ``start()``)."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    def start(self) -> None:
        """Bind the port and serve in a daemon thread."""
        self._server = _Server(self._address, _Handler)
        self._server.standin = self
        if self._tls is not None:
            self._server.socket = self._tls.wrap_socket(
                self._server.socket, server_side=True
            )
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port; requests in progress are abandoned."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        """The API base URL (the tap's ``api_url``): ``http://127.0.0.1:PORT/api``."""
        assert self._server is not None, "the stand-in is not running"
        host, port = self._server.server_address[:2]
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{host!s}:{port}/api"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def rate_limited_count(self) -> int:
        """How many 429s the rate limit (not the fault script) has sent."""
        with self._lock:
            return self._rate_limited

    def pending_records(
        self, filters: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Return what a full paged read with ``filters`` serves, in order."""
        key, predicates = parse_filters(json.dumps(filters or []))
        with self._lock:
            return [dict(record) for record in self._matching(key, predicates)]

    def complete(self, task_ids: Iterable[str]) -> None:
        """Mark tasks done so they vanish from results; KeyError for unknown ids."""
        self._set_done(task_ids, done=True)

    def update(self, task_id: str, **fields: Any) -> None:
        """Change fields of a task's record (e.g. ``dueDate``, ``userId``)."""
        with self._lock:
            self._by_id[task_id].record.update(fields)
            self._matches.clear()
            self._pages.clear()

    def reopen(self, task_ids: Iterable[str]) -> None:
        """Mark tasks pending again; KeyError for unknown ids."""
        self._set_done(task_ids, done=False)

    def insert(self, position: int, tasks: Iterable[Task]) -> None:
        """Add new pending tasks at ``position`` of the list, as a campaign launch."""
        with self._lock:
            new = list(tasks)
            self._tasks[position:position] = new
            self._by_id.update((task.id, task) for task in new)
            self._matches.clear()
            self._pages.clear()

    def move(self, task_id: str, position: int) -> None:
        """Move a pending task to `position` of the served list (a reschedule)."""
        with self._lock:
            task = self._by_id[task_id]
            self._tasks.remove(task)
            pending = [other for other in self._tasks if other.pending]
            before = pending[position] if position < len(pending) else None
            self._tasks.insert(
                self._tasks.index(before) if before else len(self._tasks), task
            )
            self._matches.clear()
            self._pages.clear()

    def delete_campaign(self, campaign_id: str) -> None:
        """Delete a campaign: it is no longer listed."""
        with self._lock:
            self.campaigns = [c for c in self.campaigns if c["_id"] != campaign_id]

    def replace_tasks(self, tasks: Iterable[Task]) -> None:
        """Serve these tasks instead, in this order."""
        with self._lock:
            self._tasks = list(tasks)
            self._by_id = {task.id: task for task in self._tasks}
            self._matches.clear()
            self._pages.clear()

    def after_request(
        self, number: int, event: Callable[[LemlistStandIn], None]
    ) -> None:
        """Run ``event`` once request ``number`` (counting from 1) was answered.

        The list then changes between two of the tap's requests, as lemlist's does
        while people work.
        """
        with self._lock:
            self._events.setdefault(number, []).append(event)

    def add_faults(self, page: int, fault: str, times: int = 1, **kwargs: Any) -> None:
        """Answer the next ``times`` requests for ``page`` with ``fault``.

        Options: ``retry_after`` (429; None omits it), ``delay`` (timeout), ``body``,
        ``status`` and ``headers`` (status), ``location`` (redirect), ``every``
        (seconds between bytes of the trickles and stalls).
        """
        _check_fault(fault)
        with self._lock:
            self._faults.setdefault(page, deque()).extend([(fault, kwargs)] * times)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Record and answer one request (called by the server's threads)."""
        now = self._clock()
        url = urlsplit(handler.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = dict(handler.headers.items())
        recorded = RecordedRequest(handler.command, url.path, query, headers, 0, now)
        key = _presented_key(handler.headers.get("Authorization"))
        with self._lock:
            self._requests.append(recorded)
            len_at_arrival = len(self._requests)
            admitted, limit_headers = self._admit(key, now)
        reply = (
            self._answer(handler.command, url.path, query, key)
            if admitted
            else _Reply(429, _TEXT, b"Too Many Requests")
        )
        if reply is not None and reply.raw:
            handler.close_connection = True
            with contextlib.suppress(OSError):  # the client gave up, as it should
                self._write(handler, reply.raw, reply.raw_at_once, reply.trickle)
            self._run_events(len_at_arrival)
            return
        if reply is None:  # "reset": SO_LINGER 0 makes close() send a TCP RST
            linger = struct.pack("ii", 1, 0)
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            handler.connection.close()
            handler.close_connection = True
            self._run_events(len_at_arrival)
            return
        recorded.status = reply.status
        length = str(len(reply.body))
        sent = {"Content-Type": reply.content_type, "Content-Length": length}
        try:
            handler.send_response(reply.status)
            for name, value in (sent | limit_headers | reply.headers).items():
                if value is not None:  # None: a header the reply leaves out
                    handler.send_header(name, value)
            if reply.extra_length:
                handler.send_header("Content-Length", str(len(reply.body) + 7))
            handler.end_headers()
            if handler.command != "HEAD":
                self._write(handler, reply.body, 0, reply.trickle)
        except OSError:  # the client gave up, e.g. during a "timeout" fault
            handler.close_connection = True
        self._run_events(len_at_arrival)

    @staticmethod
    def _write(
        handler: BaseHTTPRequestHandler, data: bytes, at_once: int, every: float
    ) -> None:
        """Write `at_once` bytes, then the rest a byte every `every` seconds."""
        at_once = len(data) if not every else at_once
        handler.wfile.write(data[:at_once])
        for byte in range(at_once, len(data)):
            handler.wfile.write(data[byte : byte + 1])
            handler.wfile.flush()
            time.sleep(every)

    def _run_events(self, number: int) -> None:
        with self._lock:
            events = self._events.pop(number, [])
        for event in events:
            event(self)

    def _admit(self, key: str | None, now: float) -> tuple[bool, dict[str, str]]:
        """Apply the sliding-window rate limit (hold the lock).

        Every admitted request counts, faulted or not; rejected ones do not. lemlist
        documents its rate-limit headers, `Retry-After` included, on every response;
        without a limit to enforce, they show lemlist's with a full budget.
        """
        if self._rate_limit is None:
            return True, {
                "X-RateLimit-Limit": str(_LEMLIST_LIMIT),
                "X-RateLimit-Remaining": str(_LEMLIST_LIMIT),
                "X-RateLimit-Reset": _js_date(time.time() + _LEMLIST_WINDOW),
                "Retry-After": str(_LEMLIST_WINDOW),
            }
        limit, window = self._rate_limit
        arrivals = self._arrivals.setdefault(key, deque())
        while arrivals and arrivals[0] <= now - window:
            arrivals.popleft()
        admitted = len(arrivals) < limit
        if admitted:
            arrivals.append(now)
        else:
            self._rate_limited += 1
        frees_in = arrivals[0] + window - now
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - len(arrivals))),
            "X-RateLimit-Reset": _js_date(time.time() + frees_in),
            "Retry-After": str(max(1, math.ceil(frees_in))),
        }
        return admitted, headers

    def _answer(
        self, method: str, path: str, query: dict[str, str], key: str | None
    ) -> _Reply | None:
        """Reply to an admitted request; None means reset the connection."""
        if path.startswith("/_standin/") and method == "POST":
            return self._story(path.removeprefix("/_standin/"), query)
        if path not in {"/api/tasks", *_ONE_SHOT_ROUTES}:
            return _Reply(200, _HTML, _WEB_APP_PAGE)  # lemlist's web app answers
        if refusal := self._refusal(method, key):
            return refusal
        if path in _ONE_SHOT_ROUTES:
            return self._route_reply(_ONE_SHOT_ROUTES[path], query)
        page = query.get("page", "0")
        if not re.fullmatch(r"[0-9]+", page):
            return _Reply(400, _TEXT, b"Bad params")
        return self._faulted(int(page), query.get("filters"))

    def tell(self, command: str, targets: list[str] | int, days: int = 7) -> list[str]:
        """Change tasks as people in lemlist do; return the ids changed or created.

        `targets`: task ids, or how many of the oldest pending tasks (the end of the
        list), or for `create` how many new ones to put at the top. `reassign` moves
        a task to the next team member, `reschedule` its due date by `days`.
        """
        if command == "create":
            if not isinstance(targets, int):
                msg = "create takes how many tasks to make, not ids"
                raise ValueError(msg)
            return self._create(targets)
        pending = [task["_id"] for task in self.pending_records()]
        if isinstance(targets, int):
            chosen = pending[::-1][:targets]
        else:
            chosen = list(targets)
            unknown = sorted(set(chosen) - set(pending))
            if unknown:
                msg = f"no pending task {', '.join(unknown)}"
                raise ValueError(msg)
        if command == "complete":
            self.complete(chosen)
            return chosen
        for task_id in chosen:
            record = self._by_id[task_id].record
            if command == "reassign":
                self.update(task_id, userId=self._next_member(record.get("userId")))
            else:
                self.update(task_id, dueDate=_days_later(record.get("dueDate"), days))
        return chosen

    def _create(self, count: int) -> list[str]:
        users = [user["userId"] for user in self.team_document().get("users", [])]
        self._created += count
        due = _days_later(None, 1)
        new = [
            Task({
                "_id": f"opp_rehearsal{self._created - n:06d}", "type": "manual",
                "title": "Created for the rehearsal", "dueDate": due,
                **({"userId": users[n % len(users)]} if users else {}),
            })
            for n in range(count)
        ]  # fmt: skip
        self.insert(0, new)
        return [task.id for task in new]

    def _next_member(self, user_id: str | None) -> str | None:
        """The team member listed after `user_id` (the first one for nobody)."""
        users = [user["userId"] for user in self.team_document().get("users", [])]
        if not users:
            return user_id
        at = users.index(user_id) + 1 if user_id in users else 0
        return str(users[at % len(users)])

    def _story(self, command: str, query: dict[str, str]) -> _Reply:
        ids = [one for one in query.get("ids", "").split(",") if one]
        try:
            targets = ids or int(query.get("count", "1"))
            changed = self.tell(command, targets, int(query.get("days", "7")))
        except ValueError as error:
            return _Reply(400, _TEXT, str(error).encode())
        return _Reply(200, _JSON, json.dumps({"changed": changed}).encode())

    def _refusal(self, method: str, key: str | None) -> _Reply | None:
        if key is None:
            return _Reply(400, _TEXT, b"No API key provided")
        if key != self.api_key:
            return _Reply(401, _TEXT, _UNAUTHORIZED)
        if method != "GET":
            return _Reply(405, _TEXT, b"Method Not Allowed")
        return None

    def _faulted(self, page: int, filters: str | None) -> _Reply | None:
        """Serve ``page``, unless the fault script says otherwise."""
        with self._lock:
            queued = self._faults.get(page)
            fault, options = queued.popleft() if queued else ("", {})
        if fault in _STATIC_FAULTS:
            return _Reply(*_STATIC_FAULTS[fault])
        return self._instead_of_page(fault, options, page) or self._page_with_fault(
            fault, options, page, filters
        )

    @staticmethod
    def _instead_of_page(
        fault: str, options: dict[str, Any], page: int
    ) -> _Reply | None:
        if fault == "429":
            retry_after = options.get("retry_after", 1)
            retry = {"Retry-After": None if retry_after is None else f"{retry_after:g}"}
            return _Reply(429, _TEXT, b"Too Many Requests", retry)
        if fault == "body":
            return _Reply(200, _JSON, str(options["body"]).encode())
        if fault == "status":
            headers = dict(options.get("headers") or {})
            return _Reply(int(options["status"]), _TEXT, b"Try later", headers)
        if fault == "redirect":
            return _Reply(302, _TEXT, b"", {"Location": str(options["location"])})
        if fault == "not_a_list":
            body = json.dumps({"results": {"oops": 1}, "page": str(page)})
            return _Reply(200, _JSON, body.encode())
        return None

    def _page_with_fault(
        self, fault: str, options: dict[str, Any], page: int, filters: str | None
    ) -> _Reply | None:
        if fault == "timeout":
            time.sleep(options.get("delay", 2.0) or 0.0)
        if fault == "reset":
            return None
        reply = self._page(filters, page)
        every = float(options.get("every", 0.05))
        changed: dict[str, Callable[[], _Reply]] = {
            "truncated": lambda: replace(
                reply, body=reply.body[: len(reply.body) // 2]
            ),
            "trickle": lambda: replace(reply, trickle=float(options.get("every", 0.2))),
            "two_lengths": lambda: replace(reply, extra_length=True),
            "headers": lambda: replace(reply, headers=dict(options.get("headers", {}))),
        }
        if fault in _STALLS:
            return _stall(fault, every, reply)
        return changed[fault]() if fault in changed else reply

    def _page(self, filters: str | None, page: int) -> _Reply:
        """Serve a page, encoded once per (filters, page) until the tasks change."""
        try:
            key, predicates = parse_filters(filters)
        except MalformedFiltersError:
            return _Reply(400, _JSON, b'{"error":"Malformed filters"}')
        served = 0 if self.ignore_page else page
        with self._lock:
            body = self._pages.get((key, page))
            if body is None:
                matching = self._matching(key, predicates)
                if self.wrap_pages:  # past the end, page p is page p mod P
                    served %= max(1, math.ceil(len(matching) / self.page_size))
                start = served * self.page_size
                results = matching[start:][: self.page_size]
                document = {"results": results, "page": str(page)}
                text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
                body = self._pages[key, page] = text.encode()
        return _Reply(200, _JSON, body)

    def _matching(
        self, key: str, predicates: list[Callable[[Task], bool]]
    ) -> list[dict[str, Any]]:
        """Records of the pending tasks matching all predicates (hold the lock)."""
        if key not in self._matches:
            self._matches[key] = [
                task.record
                for task in self._tasks
                if task.pending and all(match(task) for match in predicates)
            ]
        return self._matches[key]

    def _set_done(self, task_ids: Iterable[str], *, done: bool) -> None:
        with self._lock:
            for task_id in task_ids:
                self._by_id[task_id].done = done
            self._matches.clear()
            self._pages.clear()

    # GET /api/team: the key's team, secrets included, as lemlist documents it.

    @property
    def task_requests(self) -> list[RecordedRequest]:
        """The requests for ``/api/tasks`` pages, in arrival order (no team read)."""
        return [r for r in self.requests if r.path == "/api/tasks"]

    def team_document(self) -> dict[str, Any]:
        """Return the Team object ``GET /api/team`` serves to this stand-in's key."""
        return self.team or sample_team(api_key=self.api_key)

    def add_route_faults(
        self, route: str, fault: str, times: int = 1, **kwargs: Any
    ) -> None:
        """Answer the next ``times`` requests of ``/api/<route>`` with ``fault``."""
        _check_fault(fault)
        with self._lock:
            queue = self._route_faults.setdefault(route, deque())
            queue.extend([(fault, kwargs)] * times)

    def _route_reply(self, route: str, query: dict[str, str]) -> _Reply | None:
        """Serve a one-shot route, unless its fault script or plan says otherwise."""
        with self._lock:
            queued = self._route_faults.get(route)
            fault, options = queued.popleft() if queued else ("", {})
        if fault == "reset":
            return None
        if fault in _STATIC_FAULTS:
            return _Reply(*_STATIC_FAULTS[fault])
        reply = self._instead_of_page(fault, options, 0)
        if reply is None and route in self.plan_gated:
            reply = _Reply(402, _JSON, b'"route is available starting emailPro plan"')
        if reply is None:
            reply = self._team(query) if route == "team" else self._campaigns(query)
        if fault == "truncated":
            return replace(reply, body=reply.body[: len(reply.body) // 2])
        return reply

    def _team(self, query: dict[str, str]) -> _Reply:
        # lemlist adds the team's users only with ?version=v2.
        team = dict(self.team_document())
        if query.get("version") != "v2":
            team.pop("users", None)
        return _Reply(200, _JSON, json.dumps(team, ensure_ascii=False).encode())

    def _campaigns(self, query: dict[str, str]) -> _Reply:
        # lemlist's reference: offset, limit (at most 100), sortBy=createdAt and
        # sortOrder. The order without sortBy is undocumented: newest first here, so
        # that a client which does not ask for oldest first sees the list shift.
        try:
            offset, limit = (
                int(query.get("offset", "0")),
                int(query.get("limit", "100")),
            )
        except ValueError:
            return _Reply(400, _TEXT, b"Bad params")
        if offset < 0 or not 1 <= limit <= _MAX_CAMPAIGNS_LIMIT:
            return _Reply(400, _TEXT, b"Bad params")
        oldest_first = (
            query.get("sortBy") == "createdAt" and query.get("sortOrder") == "asc"
        )
        with self._lock:
            ordered = sorted(
                self.campaigns,
                key=lambda campaign: str(campaign.get("createdAt", "")),
                reverse=not oldest_first,
            )
        page = ordered[offset : offset + limit]
        body: object = page
        if self.campaigns_shape == "object":
            pages = max(1, math.ceil(len(ordered) / limit))
            body = {
                "campaigns": page,
                "pagination": {
                    "totalRecords": len(ordered),
                    "currentPage": offset // limit + 1,
                    "totalPage": pages,
                },
            }
        return _Reply(200, _JSON, json.dumps(body, ensure_ascii=False).encode())


def _days_later(due: str | None, days: int) -> str:
    """A lemlist dueDate `days` after `due`, or after now when there is none."""
    start = (
        datetime.fromisoformat(due.replace("Z", "+00:00"))
        if due
        else datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    )
    moved = start + timedelta(days=days)
    return moved.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moved.microsecond // 1000:03d}Z"


def _rate_limit(text: str) -> tuple[int, float]:
    """Parse ``N/SECONDS`` (e.g. ``20/2``)."""
    limit, _, window = text.partition("/")
    return int(limit), float(window)


STORY_COMMANDS = ("complete", "create", "reassign", "reschedule")


def main(argv: list[str] | None = None) -> int:
    """Serve sample tasks, or change the tasks of a stand-in that is serving."""
    parser = argparse.ArgumentParser(
        description="Serve a stand-in of lemlist's API with sample tasks (print "
        "LEMLIST_STANDIN_URL=<api url>, serve until SIGTERM or SIGINT), or, with a "
        "command, change the tasks of one that is serving at --url, as people "
        "working in lemlist would: complete, reassign (to the next member of the "
        "team) or reschedule (by --days) the N oldest open tasks or the tasks named "
        "by id; create N new tasks at the top of the list. Sample due dates are "
        "spread around today: overdue, due today, upcoming, a few without one.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("command", nargs="?", choices=("serve", *STORY_COMMANDS), default="serve")
    add("targets", nargs="*", help="how many tasks (default 1), or task ids")
    add("--days", type=int, default=7, help="days to reschedule by")
    add("--url", help="the serving stand-in's API url, for a command")
    add("--tasks", type=int, default=500, help="number of sample tasks")
    add("--page-size", type=int, default=100, help="tasks per page")
    add("--api-key", default="test-key", help="the API key accepted")
    add("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    add("--rate-limit", type=_rate_limit, metavar="N/SECONDS", help="e.g. 20/2")
    args = parser.parse_args(argv)
    if args.command != "serve":
        if not args.url:
            parser.error("a command needs --url, the serving stand-in's API url")
        targets = args.targets or ["1"]
        if len(targets) == 1 and targets[0].isdigit():
            query = {"count": targets[0]}
        else:
            query = {"ids": ",".join(targets)}
        return _tell(args.url, args.command, {**query, "days": str(args.days)})
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    standin = LemlistStandIn(
        sample_tasks(args.tasks, today=datetime.now(timezone.utc).date()),
        api_key=args.api_key,
        page_size=args.page_size,
        port=args.port,
        rate_limit=args.rate_limit,
    )
    with standin:
        sys.stdout.write(f"LEMLIST_STANDIN_URL={standin.url}\n")
        sys.stdout.flush()
        stopping.wait()
    return 0


def _tell(url: str, command: str, query: dict[str, str]) -> int:
    """Send a story command to a serving stand-in; print what it changed."""
    control = url.rstrip("/").removesuffix("/api") + f"/_standin/{command}"
    request = urllib.request.Request(  # noqa: S310 - the url given
        f"{control}?{urlencode(query)}", method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            changed = json.loads(answer.read())["changed"]
    except urllib.error.HTTPError as refused:
        sys.stderr.write(f"{command}: {refused.read().decode()}\n")
        return 1
    sys.stdout.write(f"{command}: {', '.join(changed) or 'no task'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
