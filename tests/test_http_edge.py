"""The HTTP edge: an answer ends by its deadline; a redirect, a bad certificate, a
closed port or a web page fails at once, in one line."""

from __future__ import annotations

import ssl
import subprocess
import typing as t

import pytest
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import free_port

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun

# Stalls never complete; trickles send the page a byte at a time (every 0.05 s: hours
# for 40 kB), so a timeout per socket read never fires, only a deadline does.
NEVER_COMPLETE = {
    "no answer": ("timeout", {"delay": 2.0}),
    "slow headers": ("slow_headers", {"every": 0.02}),
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
