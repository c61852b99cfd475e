"""The HTTP edge: every misbehaving answer ends, soon, in a retry or one line."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import typing as t

import pytest
import requests
import urllib3
from conftest import API_KEY
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks import errors, throttle
from tap_lemlist_tasks.retries import retry_after_seconds
from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun


def assert_one_line_failure(run: TapRun, line: str) -> None:
    assert run.exit_code != 0
    assert line in run.stderr
    assert run.of_type("ACTIVATE_VERSION") == []
    encoded = base64.b64encode(f":{API_KEY}".encode()).decode()
    assert API_KEY not in run.stderr + json.dumps(run.messages)
    assert encoded not in run.stderr


def test_a_trickling_answer_is_cut_at_the_deadline_and_retried(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(1, "trickle", every=0.05)  # ~40 kB at 20 bytes/s: hours

    run = run_tap(request_timeout_seconds=1)

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250
    assert "failed: no complete answer within 1 s)" in run.stderr


def test_a_silent_answer_reads_as_the_deadline_when_the_socket_notices_first(
    standin: LemlistStandIn,
    run_tap: Callable[..., TapRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The socket's own timeout and the deadline's timer race; here the timer loses.
    monkeypatch.setattr(throttle._Watch, "_fire", lambda _watch: None)
    standin.add_faults(1, "timeout", delay=2.0)

    run = run_tap(request_timeout_seconds=1)

    assert len(run.ids) == 250
    assert "(attempt 1 of 8 failed: no complete answer within 1 s)" in run.stderr


@pytest.mark.parametrize("status", [408, 425])
def test_408_and_425_are_retried(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], status: int
) -> None:
    standin.add_faults(1, "status", status=status)

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert f"attempt 1 of 8 failed: HTTP {status} " in run.stderr


def test_a_retry_after_longer_than_the_longest_wait_fails_at_once(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(1, "429", retry_after=3600)

    run = run_tap()

    assert_one_line_failure(
        run,
        "lemlist asked to wait 3600 s before page 1 (Retry-After), longer than "
        "max_retry_wait_seconds (120 s)",
    )
    assert run.sleeps == []
    assert len(standin.task_requests) == 2


def test_exponential_waits_never_exceed_the_longest_wait(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "503", times=5)

    run = run_tap(max_retry_wait_seconds=4, retry_max_tries=6)

    assert run.exit_code == 0, run.stderr
    assert run.sleeps == [0.5, 1.0, 2.0, 2.0, 2.0]  # jitter halves a cap of 4 s


class _FailedError(Exception):
    def __init__(self, retry_after: str) -> None:
        super().__init__("429")
        self.response = requests.Response()
        self.response.status_code = 429
        self.response.headers["Retry-After"] = retry_after


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 12 ", 12.0),
        ("99999999999999999999999999", 1e26),
        ("Fri, 31 Dec 9999 23:59:59 GMT", "huge"),
        ("Fri, 31 Dec 9999 23:59:59 -0000", "huge"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("²", None),
        ("-5", None),
        ("soon", None),
        ("Fri, 99 Dec 2025 99:99:99 GMT", None),
    ],
)
def test_retry_after_is_read_defensively(header: str, expected: object) -> None:
    wait = retry_after_seconds(_FailedError(header))

    if expected == "huge":
        assert wait is not None
        assert wait > 1e9
    else:
        assert wait == expected


REDIRECTS = {
    "elsewhere": "https://collector.example/api/tasks",
    "ftp": "ftp://127.0.0.1/api/tasks",
    "malformed": "http://127.0.0.1:99999/api/tasks",
    "loop": "/api/tasks?page=0&filters=%5B%5D",
}


@pytest.mark.parametrize("location", REDIRECTS.values(), ids=REDIRECTS)
def test_a_redirect_is_not_followed_and_fails_at_once_in_one_line(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], location: str
) -> None:
    standin.add_faults(0, "redirect", times=99, location=location)

    run = run_tap()

    assert_one_line_failure(
        run, f"lemlist answered HTTP 302, a redirect to {location!r}. The tap follows"
    )
    assert len(standin.task_requests) == 1


def test_two_different_content_lengths_are_a_broken_answer_in_one_line(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "two_lengths", times=99)

    run = run_tap(retry_max_tries=2)

    assert run.exit_code == 1
    assert "page 0" in run.stderr
    assert "Traceback" not in run.stderr


OPENSSL = [
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
]


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603
        [*OPENSSL, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_a_certificate_that_does_not_verify_fails_at_once(
    tap: Callable[..., TapRun], self_signed: ssl.SSLContext
) -> None:
    with LemlistStandIn(sample_tasks(5), api_key=API_KEY, tls=self_signed) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    # The key's team is the first request of a sync.
    assert_one_line_failure(
        run,
        "Reading the team request (GET /team) from lemlist failed: TLS certificate "
        "verify failed. Not retried.",
    )
    assert run.sleeps == []


def test_a_host_that_does_not_resolve_is_named() -> None:
    reason = urllib3.exceptions.NameResolutionError("api.lemlist.example", None, "")  # type: ignore[arg-type]
    pool_error = urllib3.exceptions.MaxRetryError(None, "/api/tasks", reason)  # type: ignore[arg-type]

    cause = errors.failure_cause(requests.exceptions.ConnectionError(pool_error))

    assert cause == "host not found (DNS)"


BAD_URLS = {
    "userinfo sending the key elsewhere": (
        "http://192.0.2.2:8080\\@127.0.0.1/api",
        "holds a backslash",
    ),
    "userinfo": ("https://user:pass@api.lemlist.com/api", "user name or password"),
    "port too large": ("http://localhost:99999/api", "is the port 1 to 65535?"),
    "port not a number": (
        "https://api.lemlist.com:notaport/api",
        "is the port 1 to 65535?",
    ),
    "query": ("https://api.lemlist.com/api?access_token=x", "query or fragment"),
    "clear text": ("http://api.lemlist.com/api", "must start with https://"),
}


@pytest.mark.parametrize(("api_url", "problem"), BAD_URLS.values(), ids=BAD_URLS)
def test_an_api_url_other_than_https_host_path_is_refused_before_any_request(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], api_url: str, problem: str
) -> None:
    run = run_tap(api_url=api_url)

    assert_one_line_failure(run, problem)
    assert "Setting 'api_url' " in run.stderr
    assert standin.requests == []


BAD_KEYS = {
    "cyrillic": ("ключ-" + API_KEY, "non-ASCII or control characters"),
    "newline": (API_KEY + "\n", "starts or ends with whitespace"),
    "space": (" " + API_KEY, "starts or ends with whitespace"),
}


@pytest.mark.parametrize(("api_key", "problem"), BAD_KEYS.values(), ids=BAD_KEYS)
def test_a_key_that_cannot_be_lemlists_is_refused_without_showing_it(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], api_key: str, problem: str
) -> None:
    run = run_tap(api_key=api_key)

    assert_one_line_failure(run, problem)
    assert "Setting 'api_key' " in run.stderr
    assert api_key.strip() not in run.stderr
    assert standin.requests == []


@pytest.mark.parametrize("api_key", [[API_KEY], 4242424242, {"key": API_KEY}])
def test_a_key_of_the_wrong_type_is_never_echoed(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], api_key: object
) -> None:
    run = run_tap(api_key=api_key)

    assert run.exit_code != 0
    assert "api_key" in run.stderr
    assert "4242424242" not in run.stderr
    assert_one_line_failure(run, "*** is not of type 'string' in config['api_key']")
    assert standin.requests == []


def catalog_with(change: Callable[[dict[str, t.Any]], None]) -> dict[str, t.Any]:
    catalog = TapLemlistTasks(
        config={"api_key": API_KEY}, validate_config=False
    ).catalog_dict
    (tasks,) = [s for s in catalog["streams"] if s["tap_stream_id"] == "tasks"]
    change(tasks)
    return catalog


def drop_keys(stream: dict[str, t.Any]) -> None:
    stream["key_properties"] = []
    for entry in stream["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"]["table-key-properties"] = []


CATALOG_CHANGES: dict[str, tuple[Callable[[dict[str, t.Any]], None], str]] = {
    "no key": (drop_keys, "key properties []"),
    "other key": (lambda s: s.update(key_properties=["title"]), "['title']"),
    "other type": (
        lambda s: s["schema"]["properties"]["priority"].update(type=["string"]),
        "field 'priority' of stream 'tasks' the type",
    ),
}


@pytest.mark.parametrize(
    ("change", "problem"), CATALOG_CHANGES.values(), ids=CATALOG_CHANGES
)
def test_a_catalog_changing_keys_or_types_is_refused_before_any_request(
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    tmp_path: Path,
    change: Callable[[dict[str, t.Any]], None],
    problem: str,
) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_with(change)))

    run = tap({"api_key": API_KEY, "api_url": standin.url}, "--catalog", str(catalog))

    assert_one_line_failure(run, problem)
    assert standin.requests == []
