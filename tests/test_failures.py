"""Every failure ends in one line naming what is wrong and how to fix it, in time.

Each case was reported by a review that made the tap print a traceback, run past its
deadline, or change behaviour silently. Whatever fails: exit code not 0, no
ACTIVATE_VERSION, no API key in any output, and the one error line below.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import typing as t

import pytest
from conftest import API_KEY
from warehouse import free_port

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def assert_fails_in_one_line(run: TapRun, line: str) -> None:
    assert run.exit_code != 0
    assert len(run.errors) == 1, run.errors
    assert line in run.errors[0]
    assert run.of_type("ACTIVATE_VERSION") == []
    shown = run.stderr + json.dumps(run.messages)
    assert API_KEY not in shown
    assert base64.b64encode(f":{API_KEY}".encode()).decode() not in shown


# Odd bodies and headers


def test_a_rate_limit_header_of_5000_digits_is_not_read_as_a_number(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "headers", headers={"X-RateLimit-Remaining": "9" * 5000})

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250


# Settings


@pytest.mark.parametrize(
    "api_url",
    ["https://x..y/api", f"https://{'a' * 300}.example.com/api", "https://-x-/api"],
    ids=["empty label", "300-character label", "label starting with a hyphen"],
)
def test_an_api_url_whose_host_no_resolver_takes_is_refused_before_any_request(
    tap: Callable[..., TapRun], api_url: str
) -> None:
    run = tap({"api_key": API_KEY, "api_url": api_url})

    assert_fails_in_one_line(
        run, "Setting 'api_url' names a host that is not a valid host name"
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("request_timeout_seconds", 10_000_000_000),
        ("rate_limit_requests", 10**30),
        ("retry_max_tries", 1000),
    ],
)
def test_a_setting_beyond_its_maximum_is_refused_before_any_request(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], setting: str, value: int
) -> None:
    run = run_tap(**{setting: value})

    assert_fails_in_one_line(run, f"Setting '{setting}'")
    assert "is greater than the maximum of" in run.errors[0]
    assert standin.requests == []


# What the SDK parses before the tap's own code runs: the environment, --state,
# stream maps


@pytest.fixture
def env_config(
    standin: LemlistStandIn, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., None]:
    """Configure the tap from TAP_LEMLIST_TASKS_* variables, as `--config ENV`."""
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_KEY", API_KEY)
    monkeypatch.setenv("TAP_LEMLIST_TASKS_API_URL", standin.url)

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(f"TAP_LEMLIST_TASKS_{name.upper()}", value)

    return set_variables


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("rate_limit_requests", "abc", "is not a whole number ('abc')"),
        ("request_timeout_seconds", "", "is empty"),
        ("filters", "[bad", "is not JSON"),
        ("filters", '{"filterId": "type"}', "is not a JSON array"),
        ("stream_maps", "[]", "is not a JSON object"),
    ],
)
def test_a_variable_the_sdk_cannot_parse_is_named_in_one_line(
    env_config: Callable[..., None],
    tap: Callable[..., TapRun],
    setting: str,
    value: str,
    problem: str,
) -> None:
    env_config(**{setting: value})

    run = tap(None)

    assert_fails_in_one_line(
        run, f"Environment variable TAP_LEMLIST_TASKS_{setting.upper()} {problem}"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ture", "is not true or false ('ture')"),
        ("garbage", "is not true or false ('garbage')"),
        ("", "is empty"),
    ],
)
def test_a_boolean_variable_that_is_not_a_boolean_is_refused_not_read_as_false(
    env_config: Callable[..., None],
    tap: Callable[..., TapRun],
    value: str,
    problem: str,
) -> None:
    env_config(emit_activate_version_messages=value)

    run = tap(None)

    assert_fails_in_one_line(
        run,
        f"Environment variable TAP_LEMLIST_TASKS_EMIT_ACTIVATE_VERSION_MESSAGES "
        f"{problem}",
    )


@pytest.mark.parametrize("value", ["true", "FALSE", "1", "0"])
def test_a_boolean_variable_reads_true_false_1_and_0(
    env_config: Callable[..., None], tap: Callable[..., TapRun], value: str
) -> None:
    env_config(emit_activate_version_messages=value)

    run = tap(None)

    assert run.exit_code == 0, run.stderr
    retired = bool(run.of_type("ACTIVATE_VERSION"))
    assert retired == (value.lower() in {"true", "1"})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ('["api_key"]', "is not a JSON object"),
    ],
)
def test_a_config_file_that_is_not_settings_is_refused_in_one_line(
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    tmp_path: Path,
    text: str | None,
    problem: str,
) -> None:
    config_file = tmp_path / "more-config.json"
    if text is not None:
        config_file.write_text(text)

    run = tap(
        {"api_key": API_KEY, "api_url": standin.url}, "--config", str(config_file)
    )

    assert_fails_in_one_line(run, f"The --config file {config_file} {problem}")
    assert standin.requests == []


@pytest.mark.timeout(20)  # read twice, the pipe would block for ever
def test_a_config_read_from_a_pipe_is_read_once(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path
) -> None:
    pipe = tmp_path / "config-pipe"
    os.mkfifo(pipe)
    settings = json.dumps({"api_key": API_KEY, "api_url": standin.url})
    threading.Thread(target=pipe.write_text, args=(settings,), daemon=True).start()

    run = tap({}, "--config", str(pipe))

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250


def test_a_config_device_that_is_not_json_is_refused_in_one_line(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    run = tap({"api_key": API_KEY, "api_url": standin.url}, "--config", "/dev/null")

    assert_fails_in_one_line(run, "The --config file /dev/null is not JSON")


def test_a_config_file_with_a_byte_order_mark_is_read(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path
) -> None:
    config_file = tmp_path / "saved-by-notepad.json"
    settings = json.dumps({"api_key": API_KEY, "api_url": standin.url})
    config_file.write_text("\ufeff" + settings, encoding="utf-8")

    run = tap({}, "--config", str(config_file))

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250


def test_a_config_file_that_is_a_directory_is_refused_in_one_line(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path
) -> None:
    run = tap({"api_key": API_KEY, "api_url": standin.url}, "--config", str(tmp_path))

    assert_fails_in_one_line(run, f"The --config file {tmp_path} is a directory")


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        ("{not json", "file is not JSON"),
        ("[1, 2]", "file is not a JSON object"),
        ('{"bookmarks": []}', "file's bookmarks is not a JSON object"),
        ('{"bookmarks": {"tasks": "x"}}', "file's bookmarks.tasks is not a JSON"),
        (
            '{"bookmarks": {"tasks": {"retirement": []}}}',
            "file's bookmarks.tasks.retirement is not a JSON object",
        ),
        (
            '{"bookmarks": {"tasks": {"partitions": "x"}}}',
            "file's bookmarks.tasks.partitions is not a JSON array",
        ),
        (
            (
                '{"bookmarks": {"tasks": {"retirement": '
                '{"last_retiring_sync_emitted": "250"}}}}'
            ),
            (
                "file's bookmarks.tasks.retirement.last_retiring_sync_emitted is not a "
                "whole number"
            ),
        ),
        ('{"bookmarks": {"tasks": {"x": NaN}}}', "file is not JSON"),
        (
            '{"bookmarks": {"tasks": {"partitions": [{}]}}}',
            "file's bookmarks.tasks.partitions[].context is not a JSON object",
        ),
    ],
)
def test_a_state_file_that_is_not_a_state_is_refused_in_one_line(
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    tmp_path: Path,
    state: str,
    problem: str,
) -> None:
    state_file = tmp_path / "bad-state.json"
    state_file.write_text(state)

    run = tap({"api_key": API_KEY, "api_url": standin.url}, "--state", str(state_file))

    assert_fails_in_one_line(run, f"The --state {problem}")
    assert standin.requests == []


@pytest.mark.parametrize(
    ("catalog", "problem"),
    [
        ("{not json", "is not JSON"),
        ("[]", "is not a JSON object"),
        ('{"streams": "tasks"}', "is not a Singer catalog"),
        ('{"streams": [{"stream": "tasks"}]}', "is not a Singer catalog"),
    ],
)
def test_a_catalog_file_that_is_not_a_catalog_is_refused_in_one_line(
    standin: LemlistStandIn,
    tap: Callable[..., TapRun],
    tmp_path: Path,
    catalog: str,
    problem: str,
) -> None:
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(catalog)

    run = tap(
        {"api_key": API_KEY, "api_url": standin.url}, "--catalog", str(catalog_file)
    )

    assert_fails_in_one_line(run, f"The --catalog file {problem}")
    assert standin.requests == []


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("1/0", "ZeroDivisionError: division by zero"),
        ("record['nope']", "KeyError: 'nope'"),
    ],
)
def test_a_stream_map_failing_on_a_record_is_named_in_one_line(
    run_tap: Callable[..., TapRun], expression: str, error: str
) -> None:
    run = run_tap(stream_maps={"tasks": {"x": expression}})

    assert_fails_in_one_line(
        run,
        f"Setting 'stream_maps': the expression {expression!r} for tasks.x failed "
        f"on a record ({error}); fix or remove it.",
    )


def test_the_state_meltano_state_get_prints_is_read_inside_its_wrapper(
    standin: LemlistStandIn, run_tap_with_state: Callable[..., TapRun]
) -> None:
    first = run_tap_with_state(None)
    standin.complete([task["_id"] for task in standin.pending_records()][:200])

    wrapped = {"singer_state": first.of_type("STATE")[-1]["value"]}
    collapse = run_tap_with_state(wrapped)

    # The guard read the last retiring sync's count from the wrapped state.
    assert collapse.exit_code == 0, collapse.stderr
    assert collapse.of_type("ACTIVATE_VERSION") == []
    assert "more than max_retired_percent" in collapse.stderr


def test_a_big_number_in_the_state_is_handed_on_as_written(
    standin: LemlistStandIn, tap: Callable[..., TapRun], tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"bookmarks": {"elsewhere": {"x": 1e400}}}')

    run = tap({"api_key": API_KEY, "api_url": standin.url}, "--state", str(state_file))

    assert run.exit_code == 0, run.stderr


def test_a_refused_key_in_test_mode_is_told_in_one_line(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    run = tap({"api_key": "sk-not-the-key-0000", "api_url": standin.url}, "--test")

    assert run.exit_code == 1
    assert len(run.errors) == 1, run.errors
    assert "401" in run.errors[0] or "key" in run.errors[0]


def test_a_stream_map_removing_the_key_is_refused_in_one_line(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap(stream_maps={"tasks": {"_id": None}})

    assert_fails_in_one_line(
        run, "Setting 'stream_maps': Removing key property '_id' is not permitted"
    )
    assert standin.requests == []


# Deadlines: the whole answer, headers included, within request_timeout_seconds


@pytest.mark.timeout(30)
@pytest.mark.parametrize("stall", ["slow_headers", "gzip_stall", "chunk_stall"])
def test_an_answer_that_never_completes_is_cut_at_the_deadline(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], stall: str
) -> None:
    standin.add_faults(0, stall, every=0.02)

    run = run_tap(request_timeout_seconds=1, retry_max_tries=1)

    assert_fails_in_one_line(
        run,
        "lemlist kept failing on page 0 after 1 tries: no complete answer within 1 s",
    )


# Echoes and blame


def test_a_key_pasted_as_a_filter_id_is_not_shown(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap(filters=[{"filterId": API_KEY, "in": ["phone"]}])

    assert_fails_in_one_line(run, "Setting 'filters', item 0: unknown filterId")
    assert standin.requests == []


def test_a_redirect_carrying_the_key_does_not_show_it(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "redirect", location=f"https://x.example/?key={API_KEY}")

    run = run_tap()

    assert_fails_in_one_line(run, "lemlist answered HTTP 302, a redirect to")


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

    assert_fails_in_one_line(
        run, f"Could not connect to 127.0.0.1:{port} after 2 tries (connection refused)"
    )
    assert "lemlist kept failing" not in run.stderr


def test_an_api_url_that_answers_a_web_page_is_named_at_once(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    # lemlist's web app answers every path that is not its API with a page.
    run = tap({"api_key": API_KEY, "api_url": standin.url.replace("/api", "/app")})

    assert_fails_in_one_line(
        run, "answered with a web page (text/html), not lemlist's API"
    )
    assert len(standin.requests) == 1
