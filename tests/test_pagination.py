"""lemlist pages: numbered from 0, no page size, the end is the first empty page."""

from __future__ import annotations

import typing as t

from conftest import API_KEY
from lemlist_standin import LemlistStandIn, sample_tasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun

from conftest import run_tap_cli


def test_pages_are_read_from_0_until_the_first_empty_page(tmp_path: Path) -> None:
    with LemlistStandIn(sample_tasks(200), api_key=API_KEY, page_size=100) as standin:
        run = run_tap_cli({"api_key": API_KEY, "api_url": standin.url}, tmp_path)

    assert run.exit_code == 0, run.stderr
    assert [r.query["page"] for r in standin.requests] == ["0", "1", "2"]
    assert run.ids == [task["_id"] for task in standin.pending_records()]


def test_a_short_page_is_not_taken_for_the_last_one(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # 250 tasks in pages of 100: page 2 holds 50, and only page 3 is empty.
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert [r.query["page"] for r in standin.requests] == ["0", "1", "2", "3"]
    assert len(run.ids) == 250


def test_a_task_served_again_on_a_later_page_is_emitted_once(tmp_path: Path) -> None:
    tasks = sample_tasks(150)
    shifted = [*tasks[:100], tasks[99], *tasks[100:]]  # the list moved one place
    with LemlistStandIn(shifted, api_key=API_KEY, page_size=100) as standin:
        run = run_tap_cli({"api_key": API_KEY, "api_url": standin.url}, tmp_path)

    assert run.exit_code == 0, run.stderr
    assert run.ids == [task.id for task in tasks]


def test_lemlist_ignoring_the_page_parameter_stops_the_sync_with_an_error(
    tmp_path: Path,
) -> None:
    with LemlistStandIn(
        sample_tasks(250), api_key=API_KEY, page_size=100, ignore_page=True
    ) as standin:
        run = run_tap_cli({"api_key": API_KEY, "api_url": standin.url}, tmp_path)

    assert run.exit_code == 1
    assert "seems to ignore the page parameter" in run.stderr
    assert len(run.ids) == len(set(run.ids)) == 100
    assert len(standin.requests) == 2
