"""Refused input (settings, variables, files) fails in one line before any request."""

from __future__ import annotations

import json
import logging
import os
import threading
import typing as t

import pytest
from conftest import API_KEY, MISSING, Run, TapRun, assert_failed, tap_process

from tap_lemlist_tasks.inputs import SETTINGS
from tap_lemlist_tasks.tap import TapLemlistTasks, _hide, hide_in_logs

if t.TYPE_CHECKING:
    from pathlib import Path


NOT_TEXT = "*** is not of type 'string' in config['api_key']"
URL, KEY = "api_url", "api_key"
BAD_URL, BAD_KEY = "'api_url' is no https://host[:port]", "'api_key' holds a space"
REFUSED_SETTINGS = {
    "beyond its maximum": ({"request_timeout_seconds": 10**10}, "maximum of 3600"),
    "far beyond": ({"rate_limit_requests": 10**30}, "config['rate_limit_requests']"),
    "misspelt": ({"rate_limit_request": 5}, "('rate_limit_request' was unexpected)"),
    "batch_config": ({"batch_config": {}}, "'batch_config' was unexpected"),
    "empty host label": ({URL: "https://x..y/api"}, BAD_URL),
    "300-character label": ({URL: f"https://{'a' * 300}.co/api"}, BAD_URL),
    "hyphen first": ({URL: "https://-x-/api"}, BAD_URL),
    "userinfo sending the key elsewhere": (
        {URL: "http://192.0.2.2:8080\\@127.0.0.1/api"}, BAD_URL),
    "userinfo": ({URL: "https://u:p@api.lemlist.com/api"}, BAD_URL),
    "port too large": ({URL: "http://localhost:99999/api"}, BAD_URL),
    "port not a number": ({URL: "https://api.lemlist.com:x/api"}, BAD_URL),
    "query": ({URL: "https://api.lemlist.com/api?k=x"}, BAD_URL),
    "fragment": ({URL: "https://api.lemlist.com/api#k"}, BAD_URL),
    "space": ({URL: "https://api.lemlist.com/my api"}, BAD_URL),
    "clear text": ({URL: "http://api.lemlist.com/api"}, BAD_URL),
    "clear text, loopback look-alike": ({URL: "http://127.0.0.1.nip.io/"}, BAD_URL),
    "ftp": ({URL: "ftp://127.0.0.1/api"}, BAD_URL),
    "no scheme": ({URL: "api.lemlist.com"}, BAD_URL),
    "cyrillic key": ({KEY: "ключ-" + API_KEY}, BAD_KEY),
    "newline in key": ({KEY: API_KEY + "\n"}, BAD_KEY),
    "space in key": ({KEY: " " + API_KEY}, BAD_KEY),
    "key a list": ({KEY: [API_KEY]}, NOT_TEXT),
    "key a number": ({KEY: 4242424242}, NOT_TEXT),
    "key an object": ({KEY: {"key": API_KEY}}, NOT_TEXT),
    "no key": ({KEY: MISSING}, "'api_key' is a required property"),
    "key pasted as a filterId": (
        {"filters": [{"filterId": API_KEY, "in": ["phone"]}]}, "is not one of"),
    "stream map removing the key": (
        {"stream_maps": {"tasks": {"_id": None}}}, "Removing key property '_id'"),
    **{
        f"{name} null": (
            {name: None}, f"not of type '{schema['type']}' in config['{name}']"
        )
        for name, schema in SETTINGS["properties"].items()
        if "default" in schema
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "phrase"), REFUSED_SETTINGS.values(), ids=REFUSED_SETTINGS
)
def test_a_refused_setting_fails_in_one_line_before_any_request(
    run: Run, settings: dict[str, t.Any], phrase: str
) -> None:
    failed = run(**settings)

    assert_failed(failed, phrase)
    assert "4242424242" not in failed.stderr
    assert failed.messages == []
    assert run.standin.requests == []


@pytest.fixture
def tap_env(run: Run, monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., TapRun]:
    """Run with `--config ENV`, the settings as TAP_LEMLIST_TASKS_* variables."""

    def run_env(**variables: str) -> TapRun:
        settings = {"api_key": API_KEY, "api_url": run.standin.url, **variables}
        for name, value in settings.items():
            monkeypatch.setenv(f"TAP_LEMLIST_TASKS_{name.upper()}", value)
        return run("--config", "ENV")

    return run_env


@pytest.mark.parametrize(
    ("setting", "value", "phrase"),
    [
        ("rate_limit_requests", "abc", "TAP_LEMLIST_TASKS_* variable"),
        ("request_timeout_seconds", "", "invalid literal for int()"),
        ("filters", "[bad", "TAP_LEMLIST_TASKS_* variable"),
        ("filters", '{"filterId": "type"}', "is not of type 'array'"),
        ("filters", json.dumps([{"filterId": API_KEY, "in": ["x"]}]), "is not one of"),
        ("stream_maps", "[]", "is not of type 'object'"),
    ],
)
def test_a_variable_the_sdk_cannot_read_fails_in_one_line_before_any_request(
    run: Run, tap_env: t.Callable[..., TapRun], setting: str, value: str, phrase: str
) -> None:
    assert_failed(tap_env(**{setting: value}), phrase)
    assert run.standin.requests == []


EMIT = "emit_activate_version_messages"


@pytest.mark.parametrize(
    ("variables", "retires", "only_phone"),
    [({EMIT: "true"}, True, False), ({EMIT: "FALSE"}, False, False),
     ({EMIT: "1"}, True, False), ({EMIT: "0"}, False, False),
     ({"filters": '[{"filterId": "type", "in": ["phone"]}]'}, True, True)],
)  # fmt: skip
def test_a_setting_is_read_from_its_variable(
    tap_env: t.Callable[..., TapRun],
    variables: dict[str, str],
    *,
    retires: bool,
    only_phone: bool,
) -> None:
    synced = tap_env(**variables)

    assert synced.exit_code == 0, synced.stderr
    assert bool(synced.of_type("ACTIVATE_VERSION")) == retires
    assert ({task["type"] for task in synced.records} == {"phone"}) == only_phone


# Input files: the SDK and click read them; whatever they trip on is one line.


RETIREMENT_AS_TEXT = {"retirement": {"last_retiring_sync_emitted": "9"}}
NO_FILE, DIRECTORY, PIPE = "<no file>", "<directory>", "<pipe>"


def input_file(tmp_path: Path, text: str) -> str:
    """A file holding `text`; or none, a directory, or a pipe that gives `{}`."""
    given = tmp_path / "given.json"
    if text == DIRECTORY:
        given.mkdir()
    elif text == PIPE:
        os.mkfifo(given)
        threading.Thread(target=given.write_text, args=("{}",), daemon=True).start()
    elif text != NO_FILE:
        given.write_text(text, encoding="utf-8")
    return str(given)


@pytest.mark.parametrize(
    ("option", "text", "phrase"),
    [
        ("--config", NO_FILE, "was not found"),
        ("--config", DIRECTORY, "--config"),
        ("--config", "", "--config"),
        ("--config", "{not json", "JSONDecodeError"),
        ("--config", '["api_key"]', "--config"),
        ("--state", NO_FILE, "Invalid value for '--state'"),
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
def test_an_input_file_the_sdk_cannot_read_fails_in_one_line(
    run: Run, tmp_path: Path, option: str, text: str, phrase: str
) -> None:
    failed = run(option, input_file(tmp_path, text))

    assert_failed(failed, phrase)
    assert run.standin.requests == []


@pytest.mark.timeout(20)  # read twice, the pipe would block for ever
@pytest.mark.parametrize(
    ("option", "text"),
    [
        ("--config", PIPE),
        ("--config", "\ufeff{}"),  # a byte order mark
        ("--state", '{"bookmarks": {"elsewhere": {"x": 1e400}}}'),  # handed on
    ],
)
def test_an_unusual_input_file_is_read(
    run: Run, tmp_path: Path, option: str, text: str
) -> None:
    synced = run(option, input_file(tmp_path, text))

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250
    if option == "--state":  # another stream's bookmark is handed on, not dropped
        assert "elsewhere" in synced.state["bookmarks"]


@pytest.mark.parametrize(
    ("expression", "error"),
    [("1/0", "ZeroDivisionError: division by zero"), ("record['x']", "KeyError")],
)
def test_a_stream_map_failing_on_a_record_fails_in_one_line(
    run: Run, expression: str, error: str
) -> None:
    failed = run(stream_maps={"tasks": {"x": expression}})

    assert_failed(failed, error)
    assert "stream_maps" in failed.errors[0]


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_the_command_line_prints_one_line_and_a_traceback_only_at_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setenv("TAP_LEMLIST_TASKS_LOGLEVEL", level)
    failed = tap_process({"api_key": [API_KEY], "retry_max_tries": 0}, tmp_path)
    _, stderr = failed.communicate(timeout=120)

    assert failed.returncode == 1
    (line,) = [line for line in stderr.splitlines() if "ERROR" in line]
    assert "less than the minimum of 1 in config['retry_max_tries']" in line
    assert ("Traceback" in stderr) == (level == "DEBUG")
    assert API_KEY not in stderr  # the traceback quotes the key too


def test_the_key_filter_leaves_other_log_records_as_logged() -> None:
    hide_in_logs(API_KEY)
    metric = logging.LogRecord("m", logging.INFO, "", 0, "METRIC: %s", ([1],), None)
    malformed = logging.LogRecord("m", logging.INFO, "", 0, "%d", ("x",), None)

    assert _hide(metric)
    assert metric.args == ([1],)  # the SDK's metric formatter and filter read it
    assert _hide(malformed)  # logging's own handler reports it; the sync goes on


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda s: s.update(key_properties=["title"]),
         "key properties ['title'] instead of ['_id']"),
        (lambda s: s["schema"]["properties"].update(dueDate={"type": ["integer"]}),
         "'dueDate' the type integer instead of null or string (date-time)"),
    ],
    ids=["key", "type"],
)  # fmt: skip
def test_a_catalog_changing_a_key_or_a_type_is_refused_before_any_request(
    run: Run, tmp_path: Path, change: t.Callable[[dict[str, t.Any]], None], phrase: str
) -> None:
    catalog = TapLemlistTasks(config={"api_key": API_KEY}).catalog_dict
    (tasks,) = [s for s in catalog["streams"] if s["tap_stream_id"] == "tasks"]
    change(tasks)
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))

    assert_failed(run("--catalog", str(tmp_path / "catalog.json")), phrase)
    assert run.standin.requests == []
