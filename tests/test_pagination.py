"""lemlist pages: numbered from 0, no page size, the end is the first empty page."""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun


def pages_requested(standin: LemlistStandIn) -> list[str]:
    return [r.query["page"] for r in standin.task_requests]


def test_pages_are_read_from_0_until_the_first_empty_page(
    tap: Callable[..., TapRun],
) -> None:
    with LemlistStandIn(sample_tasks(200), api_key=API_KEY, page_size=100) as standin:
        run = tap(
            {
                "api_key": API_KEY,
                "api_url": standin.url,
                "emit_activate_version_messages": False,
            }
        )

    assert run.exit_code == 0, run.stderr
    assert pages_requested(standin) == ["0", "1", "2"]
    assert run.ids == [task["_id"] for task in standin.pending_records()]


def test_a_sync_that_retires_asks_the_empty_page_again_and_reads_back_to_page_0(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert pages_requested(standin) == ["0", "1", "2", "3", "3", "2", "1", "0"]
    assert run.ids == [task["_id"] for task in standin.pending_records()]


def test_a_short_page_is_not_taken_for_the_last_one(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # 250 tasks in pages of 100: page 2 holds 50, and only page 3 is empty.
    run = run_tap(emit_activate_version_messages=False)

    assert run.exit_code == 0, run.stderr
    assert pages_requested(standin) == ["0", "1", "2", "3"]
    assert len(run.ids) == 250


def test_a_task_served_again_on_a_later_page_is_emitted_once(
    tap: Callable[..., TapRun],
) -> None:
    tasks = sample_tasks(150)
    shifted = [*tasks[:100], tasks[99], *tasks[100:]]  # the list moved one place
    with LemlistStandIn(shifted, api_key=API_KEY, page_size=100) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 0, run.stderr
    assert run.ids == [task.id for task in tasks]


def test_lemlist_ignoring_the_page_parameter_stops_the_sync_with_an_error(
    tap: Callable[..., TapRun],
) -> None:
    with LemlistStandIn(
        sample_tasks(250), api_key=API_KEY, page_size=100, ignore_page=True
    ) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 1
    assert "ignores the page parameter" in run.stderr
    assert len(run.ids) == len(set(run.ids)) == 100
    assert len(standin.task_requests) == 3
    assert run.of_type("ACTIVATE_VERSION") == []


def test_pages_past_the_end_that_repeat_the_list_stop_the_sync_retiring_nothing(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.wrap_pages = True  # page 3 is page 0 again, page 4 page 1, …

    synced = run()

    assert_failed(synced, "repeats the list past its end")
    assert len(synced.ids) == len(set(synced.ids)) == 250
    assert [r.query["page"] for r in standin.task_requests] == [
        "0", "1", "2", "3", "4", "5", "6"
    ]  # fmt: skip


@pytest.mark.parametrize("body", ['{"results": [], "page": "0"}', '{"results": []}'])
def test_an_empty_page_that_does_not_echo_its_number_is_not_the_end(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], body: str
) -> None:
    standin.add_faults(1, "body", times=2, body=body)

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.ids) == 250
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    assert "Retrying page 1 in 0.5 s (attempt 1 of 8 failed: " in run.stderr


def test_an_empty_page_carrying_an_error_is_not_the_end(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(2, "body", times=9, body='{"results": [], "error": "busy"}')

    run = run_tap(retry_max_tries=3)

    assert run.exit_code == 1
    assert (
        "lemlist kept failing on page 2 after 3 tries: page body carries an error: "
        "busy." in run.stderr
    )
    assert run.of_type("ACTIVATE_VERSION") == []


def test_an_integer_page_echo_proves_the_end_like_a_string_one(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(3, "body", body='{"results": [], "page": 3}')

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    assert run.sleeps == []


def test_a_sync_says_where_it_is_when_each_read_starts_and_every_25_pages(
    tap: Callable[..., TapRun],
) -> None:
    with LemlistStandIn(sample_tasks(130), api_key=API_KEY, page_size=5) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    progress = [line for line in run.stderr.splitlines() if "so far" in line]
    assert [line for line in progress if line.startswith("tasks: ")] == [
        "tasks: read 1 (forward from page 0), page 0; 5 tasks so far",
        "tasks: read 1 (forward from page 0), page 24; 125 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 26; 130 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 2; 130 tasks so far",
    ]
