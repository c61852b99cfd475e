"""lemlist's failures: transient ones retried on backoff's terms, others explained in
one line; an answer ends by its deadline; a redirect, a bad certificate, a closed port
or a web page fails at once."""

from __future__ import annotations

import re
import ssl
import subprocess
import typing as t

import pytest
import requests
import urllib3
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import free_port

from tap_lemlist_tasks.retries import cause, retry_after_seconds

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun

TRANSIENT_FAULTS = {
    "500": ({}, "HTTP 500 Internal Server Error"),
    "503": ({}, "HTTP 503 Service Unavailable"),
    "status": ({"status": 408}, "HTTP 408 "),
    "reset": ({}, "connection reset"),
    "truncated": ({}, "page body is not valid JSON (application/json)"),
    "html": ({}, "page body is not valid JSON (text/html)"),
    "not_a_list": ({}, "page body has an unexpected shape"),
}


@pytest.mark.parametrize(
    ("fault", "options", "described"),
    [(fault, *case) for fault, case in TRANSIENT_FAULTS.items()],
    ids=TRANSIENT_FAULTS,
)
def test_a_transient_fault_is_retried_and_no_task_is_lost_or_doubled(
    run: Callable[..., TapRun],
    standin: LemlistStandIn,
    fault: str,
    options: dict[str, t.Any],
    described: str,
) -> None:
    tapped = run(faults=[(1, fault, {"times": 2, **options})])

    assert tapped.exit_code == 0, tapped.stderr
    assert tapped.ids == [task["_id"] for task in standin.pending_records()]
    lines = re.findall(r"Retrying page .*", tapped.stderr)
    assert lines[0].startswith("Retrying page 1 in 0.5 s (attempt 1 of 8 failed: ")
    assert described in lines[0]
    assert len(lines) == 2


WAITS = {  # the fake clock's jitter halves each wait
    "429 with Retry-After: exactly that": ((2, "429", {"times": 2, "retry_after": 3}),
                                           {}, [3.0, 3.0]),
    "429 without: 1, 2, 4 s": ((0, "429", {"times": 4, "retry_after": None}), {},
                               [0.5, 1.0, 2.0, 4.0]),
    "at most a minute": ((0, "503", {"times": 9}), {"retry_max_tries": 10},
                         [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]),
    "at most the longest wait": ((0, "503", {"times": 5}),
                                 {"max_retry_wait_seconds": 4, "retry_max_tries": 6},
                                 [0.5, 1.0, 2.0, 2.0, 2.0]),
}  # fmt: skip


@pytest.mark.parametrize(("fault", "settings", "sleeps"), WAITS.values(), ids=WAITS)
def test_retry_waits_on_the_clock(
    run: Callable[..., TapRun],
    fault: tuple[int, str, dict[str, t.Any]],
    settings: dict[str, t.Any],
    sleeps: list[float],
) -> None:
    tapped = run(faults=[fault], **settings)

    assert tapped.exit_code == 0, tapped.stderr
    assert tapped.sleeps == sleeps


FAILURES = {
    "retries exhausted": ((1, "503", {"times": 99}), 3, "failing on page 1 after 3"),
    "Retry-After over the longest wait": (
        (1, "429", {"retry_after": 3600}), 8, "asked to wait 3600 s before page 1"),
    "401": ((1, "401", {}), 8, "rejected the API key (HTTP 401). Set a valid key"),
    "403": ((1, "403", {}), 8, "the lemlist user owning this API key is blocked"),
    "400": ((1, "400", {}), 8, 'Bad params) with filters [{"filterId":"type"'),
    "404": ((1, "404", {}), 8, "the api_url setting looks wrong"),
    "two Content-Lengths": ((0, "two_lengths", {"times": 99}), 8, "malformed header"),
}  # fmt: skip


@pytest.mark.parametrize(("fault", "tries", "line"), FAILURES.values(), ids=FAILURES)
def test_a_failure_no_retry_fixes_stops_the_sync_in_one_line(
    run: Callable[..., TapRun],
    standin: LemlistStandIn,
    fault: tuple[int, str, dict[str, t.Any]],
    tries: int,
    line: str,
) -> None:
    filters = [{"filterId": "type", "in": ["phone"]}]
    tapped = run(faults=[fault], retry_max_tries=tries, filters=filters)

    assert_failed(tapped, line)
    assert bool(tapped.ids) == (fault[0] > 0)  # the pages before it, not retired
    # Each page before the fault once, the faulted one as often as it was tried.
    retried = tries if fault[1] == "503" else 1
    assert len(standin.task_requests) == fault[0] + retried
    assert tapped.sleeps == [0.5, 1.0, 2.0][: retried - 1]


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["sync", "test mode"])
def test_a_wrong_api_key_fails_in_one_line_and_is_never_shown(
    standin: LemlistStandIn, tap: Callable[..., TapRun], args: tuple[str, ...]
) -> None:
    tapped = tap({"api_key": API_KEY + "-revoked", "api_url": standin.url}, *args)

    assert_failed(tapped, "lemlist rejected the API key (HTTP 401)")
    assert tapped.exit_code == 1
    assert "revoked" not in tapped.stderr + str(tapped.messages)


# Stalls never complete; trickles send the page a byte at a time (every 0.05 s: hours
# for 40 kB), so a timeout per socket read never fires, only a deadline does.
NEVER_COMPLETE = {
    "no answer": ("timeout", {"delay": 2.0}),
    "slow headers": ("slow_headers", {"every": 0.05}),
    "gzip of empty blocks": ("gzip_stall", {"every": 0.02}),
    "endless chunk extension": ("chunk_stall", {"every": 0.02}),
    "trickled body": ("trickle", {"every": 0.05}),
    "trickled gzip": ("gzip_trickle", {}),
    "trickled chunks": ("chunk_trickle", {}),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("fault", "options"), NEVER_COMPLETE.values(), ids=NEVER_COMPLETE
)
def test_an_answer_that_does_not_complete_in_time_is_cut_at_the_deadline(
    run: Callable[..., TapRun], fault: str, options: dict[str, t.Any]
) -> None:
    tapped = run(
        faults=[(0, fault, options)], request_timeout_seconds=1, retry_max_tries=1
    )

    assert_failed(
        tapped, "failing on page 0 after 1 tries: no complete answer within 1 s"
    )


REDIRECTS = {
    "elsewhere": "https://collector.example/api/tasks",
    "ftp": "ftp://127.0.0.1/api/tasks",
    "malformed": "http://127.0.0.1:99999/api/tasks",
    "loop": "/api/tasks?page=0&filters=%5B%5D",
    "carrying the key": f"https://x.example/?key={API_KEY}",  # not shown: assert_failed
}


@pytest.mark.parametrize("location", REDIRECTS.values(), ids=REDIRECTS)
def test_a_redirect_is_not_followed_and_fails_at_once_in_one_line(
    run: Callable[..., TapRun], standin: LemlistStandIn, location: str
) -> None:
    tapped = run(faults=[(0, "redirect", {"times": 99, "location": location})])

    assert_failed(tapped, "lemlist answered HTTP 302, a redirect to")
    assert API_KEY in location or repr(location) in tapped.errors[0]
    assert len(standin.task_requests) == 1


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_a_certificate_that_does_not_verify_fails_at_once(
    tap: Callable[..., TapRun], self_signed: ssl.SSLContext
) -> None:
    with LemlistStandIn(sample_tasks(5), api_key=API_KEY, tls=self_signed) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    # The key's team is the first request of a sync.
    assert_failed(run, "team request (GET /team) from lemlist failed: TLS certificate")
    assert "Not retried" in run.errors[0]
    assert run.sleeps == []


def test_nothing_listening_is_named_with_host_and_port_not_blamed_on_lemlist(
    tap: Callable[..., TapRun],
) -> None:
    port = free_port()

    run = tap({"api_key": API_KEY, "api_url": f"http://127.0.0.1:{port}/api",
               "retry_max_tries": 2})  # fmt: skip

    assert_failed(run, f"Could not connect to 127.0.0.1:{port} after 2 tries")
    assert "connection refused" in run.errors[0]
    assert "lemlist kept failing" not in run.stderr


def test_an_api_url_that_answers_a_web_page_is_named_at_once(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    # lemlist's web app answers every path that is not its API with a page.
    tapped = run(api_url=standin.url.replace("/api", "/app"))

    assert_failed(tapped, "answered with a web page (text/html), not lemlist's API")
    assert len(standin.requests) == 1


class _ThrottledError(Exception):
    def __init__(self, retry_after: str) -> None:
        super().__init__("429")
        self.response = requests.Response()
        self.response.status_code = 429
        self.response.headers["Retry-After"] = retry_after


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 12 ", 12.0), ("99999999999999999999999999", 1e26),
     ("Fri, 31 Dec 9999 23:59:59 GMT", "huge"), ("Fri, 31 Dec 9999 23:59:59 -0000",
     "huge"), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("²", None), ("-5", None),
     ("soon", None), ("Fri, 99 Dec 2025 99:99:99 GMT", None)],
)  # fmt: skip
def test_retry_after_is_read_defensively(header: str, expected: object) -> None:
    wait = retry_after_seconds(_ThrottledError(header))

    assert (wait is not None and wait > 1e9) if expected == "huge" else wait == expected


def test_a_host_that_does_not_resolve_is_named() -> None:
    reason = urllib3.exceptions.NameResolutionError("api.lemlist.example", None, "")  # type: ignore[arg-type]
    pool_error = urllib3.exceptions.MaxRetryError(None, "/api/tasks", reason)  # type: ignore[arg-type]

    assert cause(requests.ConnectionError(pool_error)) == "host not found (DNS)"
