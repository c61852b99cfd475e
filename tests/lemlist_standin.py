"""A stand-in for lemlist's API (tasks, team, campaigns); it never imports the tap.

It serves paged, filtered, pending tasks as lemlist documents them (Basic auth with an
empty user, 0-indexed ``page``, JSON ``filters``), can enforce lemlist's rate limit and
misbehave on cue (``add_faults``). As a process (demo, benchmarks, rehearsal) it prints
``LEMLIST_STANDIN_URL=...`` and serves until SIGTERM; its commands change a serving one.
"""

from __future__ import annotations

import argparse
import base64
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
import urllib.request
from collections import deque
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import lemlist_sample as sample
import regex
from lemlist_sample import Record, Task

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterable

    from typing_extensions import Self

    _Event = Callable[["LemlistStandIn"], None]  # a change made after a request

_TEXT, _JSON, _HTML = "text/plain; charset=utf-8", "application/json", "text/html"
_UNAUTHORIZED = b"The authentication you supplied is incorrect"
_ROUTES = {"/api/tasks": "tasks", "/api/team": "team", "/api/campaigns": "campaigns"}
# What lemlist's web app answers on a path that is not its API: a page, with 200.
_WEB_APP_PAGE = b"<!DOCTYPE html><html><head><title>lemlist</title></head></html>"
_JS_DATE = "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)"  # in UTC


class RecordedRequest(NamedTuple):
    """A request as received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float


class _Reply(NamedTuple):
    status: int
    content_type: str
    body: bytes
    #: Headers added or replaced: None leaves one out, a list sends it once a value.
    headers: dict[str, object] = {}  # noqa: RUF012 - never changed, only replaced
    delay: float = 0.0  # seconds before the answer
    trickle: float = 0.0  # seconds between bytes of the body
    raw: bool = False  # the body follows the status line: it is the headers


def _json(document: object) -> _Reply:
    return _Reply(200, _JSON, json.dumps(document, ensure_ascii=False).encode())


# lemlist's filters: filterId -> (its parameters, the values `in` and `out` allow).
# `in` and `out` take lists of texts; the others a text.
_LEAD, _IN_OUT, _DATES = {"value", "regex"}, {"in", "out"}, {"from", "to"}
_FILTERS: dict[str, tuple[set[str], tuple[str, ...]]] = {
    **dict.fromkeys(("fullName", "email", "phone", "linkedin"), (_LEAD, ())),
    **dict.fromkeys(("campaignId", "assignedTo"), (_IN_OUT, ())),
    "campaignState": (_IN_OUT, sample.CAMPAIGN_STATES),
    "type": (_IN_OUT, sample.TASK_TYPES),
    "dueDate": (_DATES, ()),
}


def _check(condition: object) -> None:
    if not condition:
        raise ValueError


def _predicate(item: object) -> Callable[[Task], bool]:
    """Build the predicate of one filter object (ValueError: lemlist refuses it)."""
    if not isinstance(item, dict) or item.get("filterId") not in _FILTERS:
        raise ValueError
    name = item["filterId"]
    names, choices = _FILTERS[name]
    params = {key: value for key, value in item.items() if key != "filterId"}
    _check(params and set(params) <= names)

    def get(task: Task) -> Any:  # a field of the task, its lead or its campaign
        fields = task.record | task.lead | {"campaignState": task.campaign_state}
        return fields.get("userId" if name == "assignedTo" else name)

    if names is _IN_OUT:
        _check(all(isinstance(listed, list) for listed in params.values()))
        texts = [one for listed in params.values() for one in listed]
        _check(all(isinstance(one, str) and one in (choices or texts) for one in texts))
        ins, outs = params.get("in"), params.get("out", [])
        return lambda t: (ins is None or get(t) in ins) and get(t) not in outs
    _check(all(isinstance(one, str) for one in params.values()))
    if name == "dueDate":  # ISO-8601 in UTC: its day is its first 10 characters
        for day in params.values():
            _check(re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", day))
            date.fromisoformat(day)
        start, end = params.get("from", ""), params.get("to", "9999")
        return lambda t: isinstance(due := get(t), str) and start <= due[:10] <= end
    # lemlist runs on Node.js: a regex is JavaScript's, e.g. \p{L} or (?<name>…),
    # which the `regex` module reads and Python's `re` refuses.
    pattern = regex.compile(params.get("regex", ""), regex.IGNORECASE)
    value = params.get("value")
    return lambda task: (
        isinstance(actual := get(task), str)
        and (value is None or actual.casefold() == value.casefold())
        and pattern.search(actual) is not None
    )


def parse_filters(raw: str | None) -> tuple[str, Callable[[Task], bool]]:
    """Parse a ``filters`` query parameter (None: absent) as lemlist would: a
    canonical key of the filters, and whether a task matches them all; ValueError
    where lemlist answers ``{"error":"Malformed filters"}``."""
    try:
        items = json.loads(raw or "null")
        _check(isinstance(items, list))
        tests = [_predicate(item) for item in items]
    except regex.error as error:  # e.g. a group not closed
        raise ValueError from error
    return json.dumps(items, sort_keys=True), lambda t: all(test(t) for test in tests)


def _chunks(data: bytes) -> bytes:
    """`data` in chunked transfer encoding, 64 bytes a chunk, each with an extension."""
    pieces = [data[at : at + 64] for at in range(0, len(data), 64)]
    chunks = b"".join(b"%x;ext=trickled\r\n%s\r\n" % (len(c), c) for c in pieces)
    return chunks + b"0\r\n\r\n"


def _trickled(
    make: Callable[[bytes], bytes], headers: dict[str, Any], *, raw: bool = False
) -> Callable[..., _Reply]:
    """A fault that sends `make(page)` a byte every `every` seconds (an option)."""
    return lambda page, every=0.05: page._replace(
        body=make(page.body), headers=headers, trickle=every, raw=raw
    )


_CHUNKED = {"Transfer-Encoding": "chunked", "Content-Length": None}
_GZIP = {"Content-Encoding": "gzip"}
# A gzip header, then stored deflate blocks of no bytes: they decode to nothing.
_GZIP_STALL = bytes.fromhex("1f8b0800000000000003") + b"\0\0\0\xff\xff" * 400
# Faults: what lemlist, or the network, answers instead of `page`, the reply lemlist
# would give, given the fault's options; None resets the connection.
_FAULTS: dict[str, _Reply | Callable[..., _Reply | None]] = {
    "400": _Reply(400, _TEXT, b"Bad params"),
    "401": _Reply(401, _TEXT, _UNAUTHORIZED),
    "403": _Reply(403, _TEXT, b"User linked to this API key is blocked"),
    "404": _Reply(404, _TEXT, b"Not Found"),
    "500": _Reply(500, _TEXT, b"Internal Server Error"),
    "503": _Reply(503, _HTML, b"<html><h1>503 Service Unavailable</h1></html>"),
    "html": _Reply(200, _HTML, b"<html><body>Maintenance</body></html>"),
    "not_a_list": _Reply(200, _JSON, b'{"results":{"oops":1},"page":"0"}'),
    "429": lambda _, retry_after=1: _Reply(  # retry_after None: no Retry-After
        429, _TEXT, b"Too Many Requests", {"Retry-After": retry_after}
    ),
    "body": lambda _, body: _Reply(200, _JSON, str(body).encode()),
    "status": lambda _, status, headers=None: _Reply(
        status, _TEXT, b"Try later", headers or {}
    ),
    "redirect": lambda _, location: _Reply(302, _TEXT, b"", {"Location": location}),
    "reset": lambda _: None,
    "timeout": lambda page, delay=2.0: page._replace(delay=delay or 0),
    "truncated": lambda page: page._replace(body=page.body[: len(page.body) // 2]),
    "two_lengths": lambda page: page._replace(
        headers={"Content-Length": [len(page.body), len(page.body) + 7]}
    ),
    "headers": lambda page, headers: page._replace(headers=headers),
    "trickle": lambda page, every=0.2: page._replace(trickle=every),
    # The page, gzip-encoded or in chunks with extensions, a byte at a time.
    "gzip_trickle": _trickled(lambda b: _chunks(gzip.compress(b)), _GZIP | _CHUNKED),
    "chunk_trickle": _trickled(_chunks, _CHUNKED),
    # Stalls, that never complete an answer: endless headers; a gzip body of empty
    # blocks; a chunk extension that never ends.
    "slow_headers": _trickled(lambda _: b"X-Padding: " + b"." * 2000, {}, raw=True),
    "gzip_stall": _trickled(lambda _: _GZIP_STALL, _GZIP | {"Content-Length": 10**7}),
    "chunk_stall": _trickled(lambda _: b"1;ext=" + b"x" * 2000, _CHUNKED),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a benchmark client expects
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: LemlistStandIn

    def handle(self) -> None:
        """Serve a connection; a client hanging up (at its deadline) is no error."""
        with contextlib.suppress(ConnectionError):
            super().handle()

    def do_GET(self) -> None:
        """Answer as lemlist would (every method goes through here)."""
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        auth = self.headers.get("Authorization")  # an API key's: its rate limit
        request = RecordedRequest(self.command, url.path, query, dict(self.headers), 0)
        number, reply, limit_headers = self.server._receive(request, auth)
        self.close_connection |= reply is None or reply.raw
        try:
            if reply is None:  # SO_LINGER 0 makes close() send a TCP RST
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
            else:
                self._send(reply, limit_headers)
        except OSError:  # the client gave up, e.g. during a "timeout" fault
            self.close_connection = True
        with self.server._lock:  # the events due once this request was answered
            events = self.server._events.pop(number, [])
        for event in events:
            event(self.server)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def _send(self, reply: _Reply, limit_headers: dict[str, str]) -> None:
        """Send `reply`, after its delay; its body a byte every `trickle` seconds."""
        time.sleep(reply.delay)
        self.send_response(reply.status)
        body, step = reply.body, 1 if reply.trickle else max(1, len(reply.body))
        if reply.raw:  # the body continues the headers
            self.flush_headers()
        else:
            own = {"Content-Type": reply.content_type, "Content-Length": len(body)}
            for name, value in (own | limit_headers | reply.headers).items():
                for one in value if isinstance(value, list) else [value]:
                    if one is not None:  # None: a header left out
                        self.send_header(name, str(one))
            self.end_headers()
        for at in range(0, len(body), step):
            self.wfile.write(body[at : at + step])
            time.sleep(reply.trickle)

    def log_message(self, *_args: object) -> None:
        """Stay quiet: no per-request logging."""


class LemlistStandIn(ThreadingHTTPServer):
    """An in-process HTTP server answering like lemlist's API."""

    def __init__(  # noqa: PLR0913
        self,
        tasks: list[Task] | None = None,
        *,
        api_key: str = "test-key",
        page_size: int = 100,
        port: int = 0,
        rate_limit: tuple[int, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """Serve `tasks` (250 sample ones by default) in order to `api_key`;
        `rate_limit` is (limit, seconds) per key on `clock`."""
        super().__init__(("127.0.0.1", port), _Handler, bind_and_activate=False)
        self._lock = threading.Lock()
        # Per filters: the pending records they match, and the pages served encoded.
        self._matches: dict[str, tuple[list[Record], dict[tuple[int, int], bytes]]] = {}
        self.replace_tasks(sample.sample_tasks(250) if tasks is None else tasks)
        self.api_key, self.page_size = api_key, page_size
        self._rate_limit, self._clock, self._tls = rate_limit, clock, tls
        #: Serve page 0 whatever is asked; serve page p past the end as page p mod P.
        self.ignore_page = self.wrap_pages = False
        #: What ``GET /api/team`` serves; None: ``sample_team(api_key=api_key)``.
        self.team: Record | None = None
        #: What ``GET /api/campaigns`` serves, in creation order: an ``array`` as in
        #: lemlist's OpenAPI, or ``{"campaigns": [...], "pagination": {...}}``.
        self.campaigns, self.campaigns_shape = sample.sample_campaigns(), "array"
        #: Routes (``team``, ``campaigns``) outside the plan: lemlist answers 402.
        self.plan_gated: set[str] = set()
        self._requests: list[RecordedRequest] = []
        self._arrivals: dict[str | None, deque[float]] = {}
        self._created = 0
        self._faults: dict[int | str, deque[tuple[str, dict[str, Any]]]] = {}
        self._events: dict[int, list[_Event]] = {}

    def start(self) -> Self:
        """Bind the port and serve in a daemon thread (also as ``with`` begins)."""
        self.server_bind()
        self.server_activate()
        if self._tls is not None:
            self.socket = self._tls.wrap_socket(self.socket, server_side=True)
        # stop() waits for the loop's next poll, after every test: poll every 10 ms.
        threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True).start()
        return self

    def stop(self, *_exc: object) -> None:
        """Stop serving and free the port (also as ``with`` ends); requests in
        progress are abandoned."""
        self.shutdown()
        self.server_close()

    __enter__, __exit__ = start, stop

    @property
    def url(self) -> str:
        """The tap's ``api_url`` once started: ``http://127.0.0.1:PORT/api``."""
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.server_port}/api"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def task_requests(self) -> list[RecordedRequest]:
        """The requests for ``/api/tasks`` pages, in arrival order (no team read)."""
        return [r for r in self.requests if r.path == "/api/tasks"]

    def team_document(self) -> Record:
        """Return the Team object ``GET /api/team`` serves to this stand-in's key."""
        return self.team or sample.sample_team(api_key=self.api_key)

    def pending_records(self, filters: list[Record] | None = None) -> list[Record]:
        """Return what a full paged read with ``filters`` serves, in order."""
        key, match = parse_filters(json.dumps(filters or []))
        with self._lock:
            return [dict(record) for record in self._matching(key, match)[0]]

    def complete(self, task_ids: Iterable[str], *, done: bool = True) -> None:
        """Mark tasks done (`done=False`: pending again); KeyError for unknown ids."""
        with self._lock:
            for task_id in task_ids:
                self._by_id[task_id].done = done
            self._matches.clear()

    def update(self, task_id: str, **fields: Any) -> None:
        """Change fields of a task's record (e.g. ``dueDate``, ``userId``)."""
        with self._lock:
            self._by_id[task_id].record.update(fields)
            self._matches.clear()

    def insert(self, position: int, tasks: Iterable[Task]) -> None:
        """Add new pending tasks at ``position`` of the list, as a campaign launch."""
        with self._lock:
            self._tasks[position:position] = new = list(tasks)
            self._by_id.update((task.id, task) for task in new)
            self._matches.clear()

    def move(self, task_id: str, position: int) -> None:
        """Move a pending task to `position` of the served list (a reschedule)."""
        with self._lock:
            self._tasks.remove(task := self._by_id[task_id])
            pending = [other for other in self._tasks if other.pending]
            before = pending[position] if position < len(pending) else None
            at = self._tasks.index(before) if before else len(self._tasks)
            self._tasks.insert(at, task)
            self._matches.clear()

    def replace_tasks(self, tasks: Iterable[Task]) -> None:
        """Serve these tasks instead, in this order."""
        with self._lock:
            self._tasks = list(tasks)
            self._by_id = {task.id: task for task in self._tasks}
            self._matches.clear()

    def delete_campaign(self, campaign_id: str) -> None:
        """Delete a campaign: it is no longer listed."""
        self.campaigns = [c for c in self.campaigns if c["_id"] != campaign_id]

    def _tell(self, command: str, query: dict[str, str]) -> _Reply:
        """Change ``targets`` as people in lemlist do; answer the ids changed: the N
        oldest pending tasks (the end of the list) or ids; for `create`, N new ones
        at the top. `reassign` moves to the next member, `reschedule` by ``days``."""
        ids, days = query.get("targets", "1").split(","), int(query.get("days", "7"))
        count = int(ids[0]) if len(ids) == 1 and ids[0].isdecimal() else None
        users = [user["userId"] for user in self.team_document().get("users", [])]
        if command == "create" and count is None:
            return _Reply(400, _TEXT, b"create takes how many tasks to make, not ids")
        if command == "create" and count is not None:
            self._created += count
            new = [Task({
                "_id": f"opp_rehearsal{self._created - n:06d}", "type": "manual",
                "title": "Created for the rehearsal", "dueDate": _days_later(None, 1),
                **({"userId": users[n % len(users)]} if users else {}),
            }) for n in range(count)]  # fmt: skip
            self.insert(0, new)
            return _json({"changed": [task.id for task in new]})
        pending = [task["_id"] for task in self.pending_records()]
        chosen = ids if count is None else pending[::-1][:count]
        if unknown := sorted(set(chosen) - set(pending)):
            return _Reply(400, _TEXT, f"no pending task {', '.join(unknown)}".encode())
        for task_id in chosen:
            record = self._by_id[task_id].record
            if command == "complete":
                self.complete([task_id])
            elif command == "reassign":  # to the member listed after its assignee
                user = record.get("userId")
                later = users[users.index(user) + 1 :] if user in users else []
                self.update(task_id, userId=[*later, *users, user][0])
            else:
                self.update(task_id, dueDate=_days_later(record.get("dueDate"), days))
        return _json({"changed": chosen})

    def after_request(self, number: int, event: _Event) -> None:
        """Run ``event(stand-in)`` once request ``number`` (from 1) was answered:
        the list changes between two requests, as lemlist's does while people work."""
        with self._lock:
            self._events.setdefault(number, []).append(event)

    def add_faults(
        self, at: int | str, fault: str, times: int = 1, **options: Any
    ) -> None:
        """Answer the next ``times`` requests for page ``at`` of ``/api/tasks`` (or
        for ``/api/<at>``: ``team``, ``campaigns``) with ``fault``, given ``options``:
        the keywords of the fault in ``_FAULTS``, e.g. ``retry_after`` of 429."""
        if fault not in _FAULTS:
            msg = f"unknown fault {fault!r}; expected one of {sorted(_FAULTS)}"
            raise ValueError(msg)
        with self._lock:
            self._faults.setdefault(at, deque()).extend([(fault, options)] * times)

    def _receive(
        self, request: RecordedRequest, auth: str | None
    ) -> tuple[int, _Reply | None, dict[str, str]]:
        """Record a request; make its reply and lemlist's rate-limit headers (a full
        budget without a limit). Admitted requests count, faulted or not."""
        now = self._clock()
        limit, window = self._rate_limit or (20, 2)  # lemlist's documented limit
        with self._lock:
            self._requests.append(request._replace(time=now))
            arrivals = self._arrivals.setdefault(auth, deque())
            while arrivals and arrivals[0] <= now - window:
                arrivals.popleft()
            admitted = self._rate_limit is None or len(arrivals) < limit
            if admitted and self._rate_limit:
                arrivals.append(now)
            frees_in = (arrivals[0] if arrivals else now) + window - now
            remaining, number = max(0, limit - len(arrivals)), len(self._requests)
        reset = time.strftime(_JS_DATE, time.gmtime(time.time() + frees_in))
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset,
            "Retry-After": str(max(1, math.ceil(frees_in))),
        }
        if not admitted:
            return number, _Reply(429, _TEXT, b"Too Many Requests"), headers
        return number, self._answer(request, auth), headers

    def _answer(self, request: RecordedRequest, auth: str | None) -> _Reply | None:
        """Reply to an admitted request; None means reset the connection."""
        route, page = _ROUTES.get(request.path, ""), request.query.get("page", "0")
        if request.path.startswith("/_standin/") and request.method == "POST":
            return self._tell(request.path.removeprefix("/_standin/"), request.query)
        bad_page = route == "tasks" and not re.fullmatch("[0-9]+", page)
        basic = base64.b64encode(f":{self.api_key}".encode()).decode()
        refusals = [  # in lemlist's order
            (not route, _Reply(200, _HTML, _WEB_APP_PAGE)),  # its web app answers
            (auth is None, _Reply(400, _TEXT, b"No API key provided")),
            (auth != f"Basic {basic}", _Reply(401, _TEXT, _UNAUTHORIZED)),
            (request.method != "GET", _Reply(405, _TEXT, b"Method Not Allowed")),
            (bad_page, _Reply(400, _TEXT, b"Bad params")),
        ]
        if refusal := next((reply for refused, reply in refusals if refused), None):
            return refusal
        at = int(page) if route == "tasks" else route  # page or route: its faults
        with self._lock:
            queued = self._faults.get(at)
            fault, options = queued.popleft() if queued else ("", {})
        served = self._serve(route, request.query, at)
        action = _FAULTS[fault] if fault else served
        return action if isinstance(action, _Reply) else action(served, **options)

    def _serve(self, route: str, query: dict[str, str], page: Any) -> _Reply:
        """The reply lemlist gives on a route (a page of tasks), faults aside."""
        if route in self.plan_gated:
            return _Reply(402, _JSON, b'"route is available starting emailPro plan"')
        if route == "team":  # lemlist adds the team's users with version=v2 only
            v2, team = query.get("version") == "v2", self.team_document()
            return _json({key: team[key] for key in team if v2 or key != "users"})
        if route == "campaigns":
            return self._campaigns(query)
        try:
            key, match = parse_filters(query.get("filters"))
        except ValueError:  # not JSON, not a list of valid filters
            return _Reply(400, _JSON, b'{"error":"Malformed filters"}')
        with self._lock:
            matching, pages = self._matching(key, match)
            served = 0 if self.ignore_page else page
            if self.wrap_pages:  # past the end, page p is page p mod P
                served %= max(1, math.ceil(len(matching) / self.page_size))
            if (served, page) not in pages:  # encoded once: a fast server to measure
                results = matching[served * self.page_size :][: self.page_size]
                document = {"results": results, "page": str(page)}
                text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
                pages[served, page] = text.encode()
            return _Reply(200, _JSON, pages[served, page])

    def _matching(
        self, key: str, match: Callable[[Task], bool]
    ) -> tuple[list[Record], dict[tuple[int, int], bytes]]:
        """The pending records that `match` (hold the lock), kept until a change."""
        if key not in self._matches:
            pending = [t.record for t in self._tasks if t.pending and match(t)]
            self._matches[key] = (pending, {})
        return self._matches[key]

    def _campaigns(self, query: dict[str, str]) -> _Reply:
        # lemlist's reference: offset, limit (at most 100), sortBy=createdAt and
        # sortOrder. The order without sortBy is undocumented: newest first here, so
        # that a client which does not ask for oldest first sees the list shift.
        start, size = query.get("offset", "0"), query.get("limit", "100")
        if not (start.isdecimal() and size.isdecimal() and 1 <= int(size) <= 100):
            return _Reply(400, _TEXT, b"Bad params")
        offset, limit = int(start), int(size)
        asc = query.get("sortBy") == "createdAt" and query.get("sortOrder") == "asc"
        ordered = sorted(self.campaigns, key=lambda c: c["createdAt"], reverse=not asc)
        page: object = ordered[offset : offset + limit]
        if self.campaigns_shape == "object":
            pages = max(1, math.ceil(len(ordered) / limit))
            paging = {"totalRecords": len(ordered), "currentPage": offset // limit + 1}
            page = {"campaigns": page, "pagination": paging | {"totalPage": pages}}
        return _json(page)


def _days_later(due: str | None, days: int) -> str:
    """A lemlist dueDate `days` after `due`, or after this hour when there is none."""
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = datetime.fromisoformat(due.replace("Z", "+00:00")) if due else now
    moved = start + timedelta(days=days)
    return moved.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _rate_limit(text: str) -> tuple[int, float]:
    limit, _, window = text.partition("/")
    return int(limit), float(window)


def main(argv: list[str] | None = None) -> int:
    """Serve sample tasks, or change the tasks of a stand-in that is serving."""
    parser = argparse.ArgumentParser(
        description="Serve lemlist's API with sample tasks due around today (print "
        "LEMLIST_STANDIN_URL=<api url>, serve until SIGTERM or SIGINT), or change "
        "the tasks of the one serving at --url as people in lemlist do: complete, "
        "reassign (to the next team member) or reschedule (by --days) the N oldest "
        "open tasks or the tasks named by id; create N new tasks at the top.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    commands = ("serve", "complete", "create", "reassign", "reschedule")
    add = parser.add_argument
    add("command", nargs="?", choices=commands, default="serve")
    add("targets", nargs="*", default=["1"], help="how many tasks, or task ids")
    add("--days", type=int, default=7, help="days to reschedule by")
    add("--url", help="the serving stand-in's API url, for a command")
    add("--tasks", type=int, default=500, help="number of sample tasks")
    add("--seed", type=int, default=7, help="seed of the sample tasks")
    add("--page-size", type=int, default=100, help="tasks per page")
    add("--api-key", default="test-key", help="the API key accepted")
    add("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    add("--rate-limit", type=_rate_limit, metavar="N/SECONDS", help="e.g. 20/2")
    args = parser.parse_args(argv)
    if args.command != "serve":
        if not args.url:
            parser.error("a command needs --url, the serving stand-in's API url")
        query = urlencode({"targets": ",".join(args.targets), "days": args.days})
        control = args.url.rstrip("/").removesuffix("/api") + "/_standin/"
        try:  # POST, as it has data
            with urllib.request.urlopen(  # noqa: S310 - the url given
                f"{control}{args.command}?{query}", data=b"", timeout=10
            ) as answer:
                changed = json.loads(answer.read())["changed"]
        except urllib.request.HTTPError as refused:
            sys.stderr.write(f"{args.command}: {refused.read().decode()}\n")
            return 1
        sys.stdout.write(f"{args.command}: {', '.join(changed) or 'no task'}\n")
        return 0
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on SIGINT
    today = datetime.now(timezone.utc).date()
    tasks = sample.sample_tasks(args.tasks, args.seed, today=today)
    names = ("api_key", "page_size", "port", "rate_limit")
    standin = LemlistStandIn(tasks, **{name: vars(args)[name] for name in names})
    with contextlib.suppress(KeyboardInterrupt), standin:
        print(f"LEMLIST_STANDIN_URL={standin.url}", flush=True)  # noqa: T201
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
