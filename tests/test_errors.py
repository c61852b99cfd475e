"""lemlist's failures: transient ones are retried, permanent ones explained."""

from __future__ import annotations

import base64
import re
import typing as t

import pytest
from conftest import API_KEY

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def assert_key_not_shown(run: TapRun) -> None:
    output = run.stderr + str(run.messages)
    encoded = base64.b64encode(f":{API_KEY}".encode()).decode()
    assert API_KEY not in output
    assert encoded not in output


def assert_every_task_once(run: TapRun, standin: LemlistStandIn) -> None:
    assert run.exit_code == 0, run.stderr
    assert run.ids == [task["_id"] for task in standin.pending_records()]


def retry_lines(run: TapRun) -> list[str]:
    return re.findall(r"Retrying page .*", run.stderr)


TRANSIENT_FAULTS = {
    "500": "HTTP 500 Internal Server Error",
    "502": "HTTP 502 Bad Gateway",
    "503": "HTTP 503 Service Unavailable",
    "504": "HTTP 504 Gateway Timeout",
    "reset": "connection reset",
    "timeout": "no complete answer within 1 s",
    "truncated": "page body is not valid JSON (application/json)",
    "html": "page body is not valid JSON (text/html)",
    "not_a_list": "page body has an unexpected shape",
}


@pytest.mark.parametrize(("fault", "described"), TRANSIENT_FAULTS.items())
def test_a_transient_fault_is_retried_and_no_task_is_lost_or_doubled(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], fault: str, described: str
) -> None:
    standin.add_faults(1, fault, times=2, delay=2.0)

    run = run_tap(request_timeout_seconds=1)

    assert_every_task_once(run, standin)
    lines = retry_lines(run)
    assert len(lines) == 2
    assert f"attempt 1 of 8 failed: {described}" in lines[0]
    assert lines[1].startswith("Retrying page 1 in ")
    assert_key_not_shown(run)


def test_429_with_retry_after_waits_exactly_that_long(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(2, "429", times=2, retry_after=3)

    run = run_tap()

    assert_every_task_once(run, standin)
    assert run.sleeps == [3.0, 3.0]
    assert retry_lines(run)[0] == (
        "Retrying page 2 in 3.0 s (attempt 1 of 8 failed: HTTP 429 Too Many Requests)"
    )


def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "429", times=4, retry_after=None)

    run = run_tap()  # the fake clock's jitter halves each wait

    assert_every_task_once(run, standin)
    assert run.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_waits_grow_to_at_most_a_minute(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(0, "503", times=9)

    run = run_tap(retry_max_tries=10)

    assert_every_task_once(run, standin)
    assert run.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_retries_exhausted_fail_the_sync_in_one_line(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(1, "503", times=99)

    run = run_tap(retry_max_tries=3)

    assert run.exit_code == 1
    assert (
        "lemlist kept failing on page 1 after 3 tries: HTTP 503 Service Unavailable."
        in run.stderr
    )
    assert "Traceback" not in run.stderr
    assert run.of_type("ACTIVATE_VERSION") == []
    assert_key_not_shown(run)


FATAL_FAULTS = {
    "401": "lemlist rejected the API key (HTTP 401). Set a valid key in the api_key "
    "setting or the TAP_LEMLIST_TASKS_API_KEY variable.",
    "403": "the lemlist user owning this API key is blocked",
    "400": "lemlist refused the request (HTTP 400: Bad params) with filters "
    '[{"filterId":"type","in":["phone"]}].',
    "404": "the api_url setting looks wrong",
}


@pytest.mark.parametrize(("fault", "explained"), FATAL_FAULTS.items())
def test_a_permanent_fault_fails_at_once_with_an_explanation(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], fault: str, explained: str
) -> None:
    standin.add_faults(1, fault)

    run = run_tap(filters=[{"filterId": "type", "in": ["phone"]}])

    assert run.exit_code == 1
    assert explained in run.stderr
    assert "Traceback" not in run.stderr
    assert len(standin.task_requests) == 2
    assert run.of_type("ACTIVATE_VERSION") == []
    assert_key_not_shown(run)


def test_a_wrong_api_key_is_never_shown_in_any_output(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap(api_key=API_KEY + "-revoked")

    assert run.exit_code == 1
    assert "lemlist rejected the API key (HTTP 401)" in run.stderr
    assert "revoked" not in run.stderr + str(run.messages)
    assert_key_not_shown(run)


@pytest.mark.parametrize(
    "api_url", ["http://api.lemlist.com/api", "ftp://127.0.0.1/api", "api.lemlist.com"]
)
def test_an_api_url_that_would_send_the_key_in_clear_text_is_refused(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], api_url: str
) -> None:
    run = run_tap(api_url=api_url)

    assert run.exit_code != 0
    assert "must start with https://" in run.stderr
    assert standin.requests == []
    assert_key_not_shown(run)


def test_a_missing_api_key_is_refused_before_any_request(
    standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    run = tap({"api_url": standin.url})

    assert run.exit_code != 0
    assert "'api_key' is a required property" in run.stderr
    assert standin.requests == []
