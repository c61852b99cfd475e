"""Every failure ends in one line naming what is wrong and how to fix it, in time.

Whatever fails: exit code 1, one error line, no ACTIVATE_VERSION, no API key in any
output (`assert_failed`); refused input also before any request.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t

import pytest
from conftest import API_KEY, assert_failed, run_tap_cli
from warehouse import free_port

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


# Odd bodies and headers


def test_a_rate_limit_header_of_5000_digits_is_not_read_as_a_number(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "headers", headers={"X-RateLimit-Remaining": "9" * 5000})

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250


# Deadlines: the whole answer, headers included, within request_timeout_seconds


@pytest.mark.timeout(30)
@pytest.mark.parametrize("stall", ["slow_headers", "gzip_stall", "chunk_stall"])
def test_an_answer_that_never_completes_is_cut_at_the_deadline(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], stall: str
) -> None:
    standin.add_faults(0, stall, every=0.02)

    run = run_tap(request_timeout_seconds=1, retry_max_tries=1)

    assert_failed(
        run,
        "lemlist kept failing on page 0 after 1 tries: no complete answer within 1 s",
    )


# Echoes and blame


def test_a_redirect_carrying_the_key_does_not_show_it(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "redirect", location=f"https://x.example/?key={API_KEY}")

    run = run_tap()

    assert_failed(run, "lemlist answered HTTP 302, a redirect to")


def test_nothing_listening_is_named_with_host_and_port_not_blamed_on_lemlist(
    tap: Callable[..., TapRun],
) -> None:
    port = free_port()

    run = tap(
        {
            "api_key": API_KEY,
            "api_url": f"http://127.0.0.1:{port}/api",
            "retry_max_tries": 2,
        }
    )

    assert_failed(
        run, f"Could not connect to 127.0.0.1:{port} after 2 tries (connection refused)"
    )
    assert "lemlist kept failing" not in run.stderr


def test_an_api_url_that_answers_a_web_page_is_named_at_once(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    # lemlist's web app answers every path that is not its API with a page.
    run = tap({"api_key": API_KEY, "api_url": standin.url.replace("/api", "/app")})

    assert_failed(run, "answered with a web page (text/html), not lemlist's API")
    assert len(standin.requests) == 1


# Settings: the SDK checks them against the settings schema, the tap what no schema
# can say.

REFUSED_SETTINGS = {
    "beyond its maximum": (
        {"request_timeout_seconds": 10_000_000_000},
        "greater than the maximum of 3600 in config['request_timeout_seconds']",
    ),
    "far beyond": ({"rate_limit_requests": 10**30}, "config['rate_limit_requests']"),
    "null for a default": ({"retry_max_tries": None}, "None is not of type 'integer'"),
    "misspelt": ({"rate_limit_request": 5}, "('rate_limit_request' was unexpected)"),
    "empty host label": ({"api_url": "https://x..y/api"}, "not a valid host name"),
    "300-character label": (
        {"api_url": f"https://{'a' * 300}.example.com/api"},
        "not a valid host name",
    ),
    "label starting with a hyphen": (
        {"api_url": "https://-x-/api"},
        "Setting 'api_url' names a host that is not a valid host name",
    ),
    "key pasted as a filterId": (
        {"filters": [{"filterId": API_KEY, "in": ["phone"]}]},
        "is not one of ['fullName'",
    ),
    "stream map removing the key": (
        {"stream_maps": {"tasks": {"_id": None}}},
        "Setting 'stream_maps': Removing key property '_id' is not permitted",
    ),
}


@pytest.mark.parametrize(
    ("settings", "phrase"), REFUSED_SETTINGS.values(), ids=REFUSED_SETTINGS
)
def test_a_refused_setting_fails_in_one_line_before_any_request(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    settings: dict[str, t.Any],
    phrase: str,
) -> None:
    failed = run(**settings)

    assert_failed(failed, phrase)
    assert failed.exit_code == 1
    assert standin.requests == []


@pytest.mark.parametrize(
    ("setting", "value", "phrase"),
    [
        ("rate_limit_requests", "abc", "TAP_LEMLIST_TASKS_* variable"),
        ("request_timeout_seconds", "", "invalid literal for int()"),
        ("filters", "[bad", "TAP_LEMLIST_TASKS_* variable"),
        ("filters", '{"filterId": "type"}', "is not of type 'array'"),
        ("stream_maps", "[]", "is not of type 'object'"),
    ],
)
def test_a_variable_the_sdk_cannot_read_fails_in_one_line(  # noqa: PLR0913, PLR0917
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: str,
    phrase: str,
) -> None:
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_KEY", API_KEY)
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_URL", standin.url)
    monkeypatch.setenv(f"TAP_LEMLIST_TASKS_{setting.upper()}", value)

    assert_failed(tap(None), phrase)
    assert standin.requests == []


@pytest.mark.parametrize("value", ["true", "FALSE", "1", "0"])
def test_a_boolean_variable_reads_true_false_1_and_0(
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_KEY", API_KEY)
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_URL", standin.url)
    monkeypatch.setenv("TAP_LEMLIST_TASKS_EMIT_ACTIVATE_VERSION_MESSAGES", value)

    synced = tap(None)

    assert synced.exit_code == 0, synced.stderr
    assert bool(synced.of_type("ACTIVATE_VERSION")) == (value in {"true", "1"})


# Input files: the SDK and click read them; whatever they trip on is one line.


RETIREMENT_AS_TEXT = {"retirement": {"last_retiring_sync_emitted": "9"}}


@pytest.mark.parametrize(
    ("option", "text", "phrase"),
    [
        ("--config", None, "was not found"),
        ("--config", "{not json", "JSONDecodeError"),
        ("--config", '["api_key"]', "--config"),
        ("--state", None, "Invalid value for '--state'"),
        ("--state", "{not json", "JSONDecodeError"),
        ("--state", "[1, 2]", "--state"),
        ("--state", '{"bookmarks": []}', "--state"),
        ("--state", '{"bookmarks": {"tasks": "x"}}', "--state"),
        ("--state", '{"bookmarks": {"tasks": {"partitions": "x"}}}', "--state"),
        ("--state", '{"bookmarks": {"tasks": {"x": NaN}}}', "--state"),
        ("--state", json.dumps({"bookmarks": {"tasks": RETIREMENT_AS_TEXT}}), "$."),
        ("--state", '{"bookmarks": {"tasks": {"partitions": [{}]}}}', "--state"),
        ("--catalog", "[]", "--catalog"),
        ("--catalog", '{"streams": "tasks"}', "--catalog"),
        ("--catalog", '{"streams": [{"stream": "tasks"}]}', "tap_stream_id"),
    ],
)
def test_an_input_file_the_sdk_cannot_read_fails_in_one_line(  # noqa: PLR0913, PLR0917
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    tmp_path: Path,
    option: str,
    text: str | None,
    phrase: str,
) -> None:
    given = tmp_path / "given.json"
    if text is not None:
        given.write_text(text)

    failed = tap({"api_key": API_KEY, "api_url": standin.url}, option, str(given))

    assert_failed(failed, phrase)
    assert failed.exit_code == 1
    assert standin.requests == []


@pytest.mark.parametrize("path", ["/dev/null", "directory"])
def test_a_config_that_is_no_file_fails_in_one_line(
    tap: Callable[..., TapRun], tmp_path: Path, path: str
) -> None:
    given = str(tmp_path) if path == "directory" else path

    assert_failed(tap({}, "--config", given), "--config")


@pytest.mark.timeout(20)  # read twice, the pipe would block for ever
@pytest.mark.parametrize("kind", ["pipe", "byte order mark"])
def test_a_config_from_a_pipe_or_with_a_byte_order_mark_is_read(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path, kind: str
) -> None:
    given = tmp_path / "config"
    settings = json.dumps({"api_key": API_KEY, "api_url": standin.url})
    if kind == "pipe":
        os.mkfifo(given)
        threading.Thread(target=given.write_text, args=(settings,), daemon=True).start()
    else:
        given.write_text("\ufeff" + settings, encoding="utf-8")

    synced = tap({}, "--config", str(given))

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250


@pytest.mark.parametrize(
    ("expression", "error"),
    [("1/0", "ZeroDivisionError: division by zero"), ("record['x']", "KeyError")],
)
def test_a_stream_map_failing_on_a_record_fails_in_one_line(
    run: Callable[..., TapRun], expression: str, error: str
) -> None:
    failed = run(stream_maps={"tasks": {"x": expression}})

    assert_failed(failed, error)
    assert "stream_maps" in failed.errors[0]


def test_the_state_meltano_state_get_prints_is_read_inside_its_wrapper(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    first = run()
    standin.complete([task["_id"] for task in standin.pending_records()][:200])

    collapse = run(state={"singer_state": first.of_type("STATE")[-1]["value"]})

    # The guard read the last retiring sync's count from the wrapped state.
    assert collapse.exit_code == 0, collapse.stderr
    assert collapse.of_type("ACTIVATE_VERSION") == []
    assert "more than max_retired_percent" in collapse.stderr


def test_a_big_number_in_the_state_is_handed_on(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"bookmarks": {"elsewhere": {"x": 1e400}}}')

    synced = tap(
        {"api_key": API_KEY, "api_url": standin.url}, "--state", str(state_file)
    )

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250


def test_a_refused_key_in_test_mode_fails_in_one_line(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    failed = tap({"api_key": "sk-not-the-key-0000", "api_url": standin.url}, "--test")

    assert_failed(failed, "HTTP 401")
    assert failed.exit_code == 1


def test_the_command_line_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    failed = run_tap_cli({"api_key": API_KEY, "retry_max_tries": 0}, tmp_path)

    assert failed.exit_code == 1
    (line,) = [line for line in failed.stderr.splitlines() if "ERROR" in line]
    assert "less than the minimum of 1 in config['retry_max_tries']" in line
    assert "Traceback" not in failed.stderr
    assert API_KEY not in failed.stderr
