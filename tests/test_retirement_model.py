"""Retirement over a model of lemlist's list: a proven read never misses a task.

The model (tests/list_model.py) changes the list between any two requests, at any
position, and drives the tap's real reads and paginator. `scripts/test` runs a few
hundred scenarios of each kind; `benchmarks/bench_retirement.py` runs tens of
thousands and prints the rates.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from list_model import Change, Scenario, any_changes, single_changes, sync

SCENARIOS = settings(max_examples=300, deadline=None)


@SCENARIOS
@given(single_changes())
def test_with_no_task_changing_twice_a_sync_that_retires_missed_no_open_task(
    scenario: Scenario,
) -> None:
    tasks, changes, page_size, lie_at = scenario

    outcome = sync(tasks, changes, page_size=page_size, max_reads=4, lie_at=lie_at)

    assert not outcome.unsafe, outcome


@SCENARIOS
@given(any_changes())
def test_only_a_task_that_left_and_came_back_can_make_a_sync_unsafe(
    scenario: Scenario,
) -> None:
    tasks, changes, page_size, lie_at = scenario

    outcome = sync(tasks, changes, page_size=page_size, max_reads=4, lie_at=lie_at)

    assert not outcome.unsafe or outcome.left_and_came_back, outcome


def test_a_task_completed_and_reopened_during_a_sync_can_be_missed() -> None:
    # Pages of 1. Once t0 and t1 are read, t0 is completed: t2 slides to page 1,
    # already read, and the forward read ends at page 2. The backward read finds
    # page 2 still empty; then t0 comes back to page 0, pushing t2 up to page 2,
    # already checked. Both reads miss t2, and the forward read looks proven.
    tasks = ["t0", "t1", "t2"]
    changes = [
        Change(after=2, kind="complete", task="t0"),
        Change(after=4, kind="reopen", at=0, to=0),
    ]

    outcome = sync(tasks, changes, page_size=1, max_reads=4)

    assert outcome.unsafe
    assert outcome.missed == {"t2"}
    assert outcome.left_and_came_back


def test_a_task_created_then_completed_and_reopened_left_and_came_back_too() -> None:
    # Found by hypothesis: the task created during the sync leaves and comes back,
    # which the proof's assumption rules out as much as for a task open at the start.
    changes = [
        Change(after=1, kind="create", at=1),
        Change(after=1, kind="create", at=1),
        Change(after=3, kind="move", at=0, to=3),
        Change(after=3, kind="complete", at=0),
        Change(after=6, kind="reopen", at=0, to=0),
        Change(after=7, kind="complete", at=1),
    ]

    outcome = sync(["t0", "t1"], changes, page_size=1, max_reads=2)

    assert outcome.unsafe
    assert outcome.missed == {"t1"}
    assert outcome.left_and_came_back


@pytest.mark.parametrize(
    ("change", "lie_at"),
    [
        (Change(after=1, kind="complete", task="t0"), 4),
        (Change(after=1, kind="move", task="t1", to=0), 6),
    ],
)
def test_an_empty_page_lying_on_the_way_down_after_a_change_proves_no_read(
    change: Change, lie_at: int
) -> None:
    # Pages of 1. A change after the forward read's first page; then page 0 of the
    # backward read lies empty. Before a read's lowest empty page had to be answered
    # empty twice, the backward read was proven and t1, open, retired.
    outcome = sync(["t0", "t1"], [change], page_size=1, max_reads=2, lie_at=lie_at)

    assert not outcome.retired
    assert not outcome.unsafe


@pytest.mark.parametrize(
    ("changes", "lie_at"),
    [
        (
            [
                Change(after=2, kind="move", task="t0", to=2),
                Change(after=3, kind="move", task="t0", to=0),
            ],
            2,
        ),
        (
            [
                Change(after=1, kind="move", task="t2", to=0),
                Change(after=2, kind="move", task="t2", to=2),
            ],
            3,
        ),
    ],
    ids=["forward read", "second read"],
)
def test_a_short_page_ending_a_list_is_no_second_empty_answer(
    changes: list[Change], lie_at: int
) -> None:
    # Found by a review, with campaigns' rule (a short page ends the list): pages
    # of 2 of three tasks; a lying empty end page and a short one were taken for the
    # end answered empty twice, and t2, open throughout, was retired.
    outcome = sync(
        ["t0", "t1", "t2"],
        changes,
        page_size=2,
        max_reads=2,
        lie_at=lie_at,
        short_page_ends=True,
    )

    assert not outcome.unsafe


def test_a_page_that_fills_between_its_two_answers_sends_the_read_climbing() -> None:
    # Found by hypothesis: pages of 1; a third read's empty end page, asked again,
    # holds a task, since the list grew: that read cannot be proven, and no read is.
    changes = [
        Change(after=1, kind="complete"),
        Change(after=2, kind="complete"),
        Change(after=2, kind="complete"),
        Change(after=1, kind="create"),
        Change(after=1, kind="create"),
        Change(after=31, kind="reopen"),
    ]

    outcome = sync([f"t{n}" for n in range(15)], changes, page_size=1, max_reads=4)

    assert not outcome.unsafe


def test_one_lying_page_leaves_a_quiet_sync_to_prove_a_later_read() -> None:
    tasks = [f"t{n}" for n in range(10)]

    outcome = sync(tasks, [], page_size=3, max_reads=4, lie_at=8)

    assert outcome.retired
    assert len(outcome.verdict.reads) == 3
    assert outcome.emitted == set(tasks)


def test_a_quiet_sync_reads_forward_and_back_once_each() -> None:
    tasks = [f"t{n}" for n in range(10)]

    outcome = sync(tasks, [], page_size=3, max_reads=4)

    assert outcome.retired
    assert len(outcome.verdict.reads) == 2
    # Forward: pages 0-3 and the empty page 4; back: page 4 again, then 3-0.
    assert outcome.requests == 5 + 5
    assert outcome.emitted == set(tasks)


def test_a_sync_allowed_one_read_reads_forward_and_retires_nothing() -> None:
    tasks = [f"t{n}" for n in range(10)]

    outcome = sync(tasks, [], page_size=3, max_reads=1)

    assert not outcome.retired
    assert outcome.requests == 5
    assert outcome.emitted == set(tasks)
