"""Retiring done tasks: never a task that stayed open while the sync read the list.

lemlist pages over a live list. A completion behind the cursor moves every later
task one place left, so a forward read skips one; an insertion before the cursor
moves them right, so a backward read skips one. The tap reads forward, then back,
and retires only when the two reads together are sure to hold every open task.
"""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import API_KEY
from lemlist_standin import LemlistStandIn, Task

from tap_lemlist_tasks.tap import SETTINGS

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun

# 250 tasks in pages of 100. Requests: 1 reads the team, 2-5 read pages 0-3 forward
# (3 is empty), 6-8 read pages 2, 1, 0 back.
AFTER_PAGE_0, AFTER_PAGE_1 = 2, 3
AFTER_CONFIRMING_PAGE_2, AFTER_CONFIRMING_PAGE_1 = 6, 7


def ids_of(standin: LemlistStandIn) -> list[str]:
    return [task["_id"] for task in standin.pending_records()]


def new_tasks(count: int, prefix: str = "opp_new") -> list[Task]:
    return [Task({"_id": f"{prefix}{n:05d}", "title": "new"}) for n in range(count)]


def complete(ids: list[str]) -> Callable[[LemlistStandIn], None]:
    return lambda standin: standin.complete(ids)


def insert(tasks: list[Task]) -> Callable[[LemlistStandIn], None]:
    return lambda standin: standin.insert(0, tasks)


def test_tasks_completed_during_the_first_read_skip_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, complete(first[0:3]))
    standin.after_request(AFTER_PAGE_1, complete(first[100:102]))

    run = run_tap()

    open_throughout = set(first) - set(first[0:3]) - set(first[100:102])
    assert run.exit_code == 0, run.stderr
    assert open_throughout <= set(run.ids)
    assert len(run.ids) == len(set(run.ids))
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_tasks_inserted_during_the_confirming_read_skip_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_CONFIRMING_PAGE_1, insert(new_tasks(3)))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) <= set(run.ids)
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_a_sync_that_may_have_missed_an_open_task_retires_nothing(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, complete(first[0:3]))
    standin.after_request(AFTER_CONFIRMING_PAGE_1, insert(new_tasks(3)))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first[100:103]).isdisjoint(run.ids)  # skipped by both reads
    assert run.of_type("ACTIVATE_VERSION") == []
    assert (
        "Not retiring tasks this sync: lemlist's task list lost 3 and gained 3 tasks"
        in run.stderr
    )


def test_a_burst_of_inserted_pages_does_not_fail_the_sync(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, insert(new_tasks(200, "opp_burst_a")))
    standin.after_request(AFTER_PAGE_1, insert(new_tasks(100, "opp_burst_b")))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) <= set(run.ids)
    assert len(run.ids) == len(set(run.ids))
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


@pytest.mark.parametrize("hard_delete", [None])
def test_batch_config_is_refused_before_any_request(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], hard_delete: None
) -> None:
    del hard_delete
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": "file:///tmp/lemlist-batches"},
    }

    run = run_tap(batch_config=batch_config)

    assert run.exit_code != 0
    assert "Setting 'batch_config' is not supported" in run.stderr
    assert standin.requests == []
    assert run.messages == []


SETTINGS_WITH_DEFAULTS = [
    name
    for name, schema in SETTINGS.to_dict()["properties"].items()
    if "default" in schema
]


@pytest.mark.parametrize("setting", SETTINGS_WITH_DEFAULTS)
def test_a_null_setting_is_refused_before_any_request(
    standin: LemlistStandIn, tap: Callable[..., TapRun], setting: str
) -> None:
    run = tap({"api_key": API_KEY, "api_url": standin.url, setting: None})

    assert run.exit_code != 0
    assert f"Setting '{setting}' is null: set a value, or remove it" in run.stderr
    assert standin.requests == []
    assert json.dumps(run.messages) == "[]"
