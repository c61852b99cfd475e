"""lemlist's failures: transient ones retried on backoff's terms, others explained in
one line; an answer ends by its deadline; a redirect, a bad certificate, a closed port
or a web page fails at once."""

from __future__ import annotations

import re
import ssl
import subprocess
import typing as t

import pytest
from conftest import API_KEY, Fault, Run, assert_failed
from embedded_warehouse import free_port
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

if t.TYPE_CHECKING:
    from pathlib import Path

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
    run: Run, fault: str, options: dict[str, t.Any], described: str
) -> None:
    tapped = run(faults=[(1, fault, {"times": 2, **options})])

    assert tapped.exit_code == 0, tapped.stderr
    assert tapped.ids == [task["_id"] for task in run.standin.pending_records()]
    lines = re.findall(r"Retrying page .*", tapped.stderr)
    assert lines[0].startswith("Retrying page 1 in 0.5 s (attempt 1 of 8 failed: ")
    assert described in lines[0]
    assert len(lines) == 2


def throttled(retry_after: str) -> Fault:
    """A 429 on page 0 whose Retry-After header is `retry_after`, as written."""
    return (0, "status", {"status": 429, "headers": {"Retry-After": retry_after}})


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
    # Retry-After is read defensively: what is no delay or date is no Retry-After.
    "Retry-After padded": (throttled(" 12 "), {}, [12.0]),
    "Retry-After a past date": (throttled("Wed, 21 Oct 2015 07:28:00 GMT"), {}, []),
    "Retry-After negative": (throttled("-5"), {}, [0.5]),
    "Retry-After a Unicode digit": (throttled("²"), {}, [0.5]),
    "Retry-After a word": (throttled("soon"), {}, [0.5]),
    "Retry-After no date": (throttled("Fri, 99 Dec 2025 99:99:99 GMT"), {}, [0.5]),
}  # fmt: skip


@pytest.mark.parametrize(("fault", "settings", "sleeps"), WAITS.values(), ids=WAITS)
def test_retry_waits_on_the_clock(
    run: Run, fault: Fault, settings: dict[str, t.Any], sleeps: list[float]
) -> None:
    tapped = run(faults=[fault], **settings)

    assert tapped.exit_code == 0, tapped.stderr
    assert tapped.sleeps == sleeps


FAILURES = {  # the fault, the tries allowed, the requests for its page, the line
    "retries exhausted": (
        (1, "503", {"times": 99}), 3, 3, "page 1 from lemlist failed after 3 tries"),
    "Retry-After over the longest wait": (
        (1, "429", {"retry_after": 3600}), 8, 1, "asked to wait 3600 s (Retry-After)"),
    "Retry-After of 26 digits": (throttled("9" * 26), 8, 1, "asked to wait 1"),
    "Retry-After in 9999": (
        throttled("Fri, 31 Dec 9999 23:59:59 GMT"), 8, 1, "asked to wait "),
    "Retry-After in 9999, zone -0000": (
        throttled("Fri, 31 Dec 9999 23:59:59 -0000"), 8, 1, "asked to wait "),
    "401": ((1, "401", {}), 8, 1, "rejected the API key (HTTP 401). Set a valid key"),
    "403": ((1, "403", {}), 8, 1, "the lemlist user owning this API key is blocked"),
    "400": ((1, "400", {}), 8, 1, 'Bad params) with filters [{"filterId":"type"'),
    "404": ((1, "404", {}), 8, 1, "the api_url setting looks wrong"),
    "two Content-Lengths": ((0, "two_lengths", {"times": 99}), 8, 1, "InvalidHeader"),
    "an empty page carrying an error": (
        (1, "body", {"times": 9, "body": '{"results": [], "error": "busy"}'}), 3, 3,
        "failed after 3 tries: page body carries an error: busy."),
}  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "tries", "requests", "line"), FAILURES.values(), ids=FAILURES
)
def test_a_failure_no_retry_fixes_stops_the_sync_in_one_line(
    run: Run, fault: Fault, tries: int, requests: int, line: str
) -> None:
    filters = [{"filterId": "type", "in": ["phone"]}]
    tapped = run(faults=[fault], retry_max_tries=tries, filters=filters)

    assert_failed(tapped, line)
    assert bool(tapped.ids) == (fault[0] > 0)  # the pages before it, not retired
    # Each page before the fault once, the faulted one as often as it was tried.
    assert len(run.standin.task_requests) == fault[0] + requests
    assert tapped.sleeps == [0.5, 1.0, 2.0][: requests - 1]


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["sync", "test mode"])
def test_a_wrong_api_key_fails_in_one_line_and_is_never_shown(
    run: Run, args: tuple[str, ...]
) -> None:
    tapped = run(*args, api_key=API_KEY + "-revoked")

    assert_failed(tapped, "lemlist rejected the API key (HTTP 401)")
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
    run: Run, fault: str, options: dict[str, t.Any]
) -> None:
    tapped = run(
        faults=[(0, fault, options)], request_timeout_seconds=1, retry_max_tries=1
    )

    assert_failed(tapped, "failed after 1 try: no complete answer within 1 s")


REDIRECTS = {
    "elsewhere": "https://collector.example/api/tasks",
    "ftp": "ftp://127.0.0.1/api/tasks",
    "malformed": "http://127.0.0.1:99999/api/tasks",
    "loop": "/api/tasks?page=0&filters=%5B%5D",
    "carrying the key": f"https://x.example/?key={API_KEY}",  # not shown: assert_failed
}


@pytest.mark.parametrize("location", REDIRECTS.values(), ids=REDIRECTS)
def test_a_redirect_is_not_followed_and_fails_at_once_in_one_line(
    run: Run, location: str
) -> None:
    tapped = run(faults=[(0, "redirect", {"times": 99, "location": location})])

    assert_failed(tapped, "lemlist answered HTTP 302, a redirect to")
    assert API_KEY in location or repr(location) in tapped.errors[0]
    assert len(run.standin.task_requests) == 1


def test_a_certificate_that_does_not_verify_fails_at_once(
    run: Run, tmp_path: Path
) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    self_signed = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    self_signed.load_cert_chain(cert, key)
    with LemlistStandIn(sample_tasks(5), api_key=API_KEY, tls=self_signed) as standin:
        tapped = run(api_url=standin.url)

    # The key's team is the first request of a sync.
    assert_failed(
        tapped, "(GET /team) from lemlist failed after 1 try: TLS certificate"
    )
    assert "Not retried" in tapped.errors[0]
    assert tapped.sleeps == []


def test_nothing_listening_is_named_with_host_and_port_not_blamed_on_lemlist(
    run: Run,
) -> None:
    port = free_port()

    tapped = run(api_url=f"http://127.0.0.1:{port}/api", retry_max_tries=2)

    assert_failed(tapped, f"could not connect to 127.0.0.1:{port} (connection refused)")
    assert "after 2 tries" in tapped.errors[0]
    assert "Check api_url" in tapped.errors[0]


def test_a_host_that_does_not_resolve_is_named(run: Run) -> None:
    tapped = run(api_url="https://api.lemlist.invalid/api", retry_max_tries=1)

    assert_failed(tapped, "connect to api.lemlist.invalid:443 (host not found in DNS)")
    assert_failed(tapped, "Check api_url")


def test_an_api_url_that_answers_a_web_page_is_named_at_once(run: Run) -> None:
    # lemlist's web app answers every path that is not its API with a page.
    tapped = run(api_url=run.standin.url.replace("/api", "/app"))

    assert_failed(tapped, "answered with a web page (text/html), not lemlist's API")
    assert len(run.standin.requests) == 1
