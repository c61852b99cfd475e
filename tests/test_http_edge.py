"""The HTTP edge: an answer ends by its deadline, a redirect or bad certificate at once,
and settings that could send the key astray are refused before any request."""

from __future__ import annotations

import json
import ssl
import subprocess
import typing as t

import pytest
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun


@pytest.mark.timeout(30)
@pytest.mark.parametrize("trickle", ["gzip_trickle", "chunk_trickle"])
def test_a_trickled_gzip_or_chunked_answer_is_cut_at_the_deadline(
    run: Callable[..., TapRun], trickle: str
) -> None:
    # A byte a second: a timeout per socket read never fires, only a deadline does.
    tapped = run(
        faults=[(0, trickle, {"every": 1.0})],
        request_timeout_seconds=1,
        retry_max_tries=1,
    )

    assert_failed(
        tapped, "kept failing on page 0 after 1 tries: no complete answer within 1 s"
    )


REDIRECTS = {
    "elsewhere": "https://collector.example/api/tasks",
    "ftp": "ftp://127.0.0.1/api/tasks",
    "malformed": "http://127.0.0.1:99999/api/tasks",
    "loop": "/api/tasks?page=0&filters=%5B%5D",
}


@pytest.mark.parametrize("location", REDIRECTS.values(), ids=REDIRECTS)
def test_a_redirect_is_not_followed_and_fails_at_once_in_one_line(
    run: Callable[..., TapRun], standin: LemlistStandIn, location: str
) -> None:
    tapped = run(faults=[(0, "redirect", {"times": 99, "location": location})])

    assert_failed(tapped, f"lemlist answered HTTP 302, a redirect to {location!r}.")
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
    assert_failed(
        run,
        "Reading the team request (GET /team) from lemlist failed: TLS certificate "
        "verify failed. Not retried.",
    )
    assert run.sleeps == []


NOT_TEXT = "*** is not of type 'string' in config['api_key']"
REFUSED = {
    "userinfo sending the key elsewhere": (
        {"api_url": "http://192.0.2.2:8080\\@127.0.0.1/api"}, "holds a backslash",
    ),
    "userinfo": (
        {"api_url": "https://user:pass@api.lemlist.com/api"}, "user name or password",
    ),
    "port too large": ({"api_url": "http://localhost:99999/api"}, "1 to 65535?"),
    "port not a number": ({"api_url": "https://api.lemlist.com:x/api"}, "1 to 65535?"),
    "query": ({"api_url": "https://api.lemlist.com/api?k=x"}, "query or fragment"),
    "clear text": ({"api_url": "http://api.lemlist.com/api"}, "start with https://"),
    "ftp": ({"api_url": "ftp://127.0.0.1/api"}, "start with https://"),
    "no scheme": ({"api_url": "api.lemlist.com"}, "start with https://"),
    "cyrillic key": ({"api_key": "ключ-" + API_KEY}, "non-ASCII or control"),
    "newline in key": ({"api_key": API_KEY + "\n"}, "starts or ends with whitespace"),
    "space in key": ({"api_key": " " + API_KEY}, "starts or ends with whitespace"),
    "key a list": ({"api_key": [API_KEY]}, NOT_TEXT),
    "key a number": ({"api_key": 4242424242}, NOT_TEXT),
    "key an object": ({"api_key": {"key": API_KEY}}, NOT_TEXT),
    "no key": ({"api_key": None}, "'api_key' is a required property"),
}  # fmt: skip


@pytest.mark.parametrize(("settings", "problem"), REFUSED.values(), ids=REFUSED)
def test_settings_that_could_send_the_key_astray_are_refused_before_any_request(
    tap: Callable[..., TapRun],
    standin: LemlistStandIn,
    settings: dict[str, t.Any],
    problem: str,
) -> None:
    config = {"api_key": API_KEY, "api_url": standin.url, **settings}
    run = tap({name: value for name, value in config.items() if value is not None})

    assert_failed(run, problem)
    assert "4242424242" not in run.stderr
    assert API_KEY.strip() not in run.stderr
    assert standin.requests == []


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
    catalog = TapLemlistTasks(
        config={"api_key": API_KEY}, validate_config=False
    ).catalog_dict
    change(next(s for s in catalog["streams"] if s["tap_stream_id"] == "tasks"))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))

    run = tap(
        {"api_key": API_KEY, "api_url": standin.url},
        "--catalog",
        str(tmp_path / "catalog.json"),
    )

    assert_failed(run, problem)
    assert standin.requests == []
