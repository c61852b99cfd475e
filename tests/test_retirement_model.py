"""Retirement over a model of lemlist's list: a proven read never misses a task.

The model (tests/list_model.py) changes the list between any two requests, at any
position, and drives the tap's real reads and paginator. `scripts/test` runs a few
hundred scenarios of each kind; `benchmarks/bench_retirement.py` runs tens of
thousands and prints the rates.
"""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from list_model import Change, Scenario, any_changes, single_changes, sync


@pytest.mark.parametrize(
    "scenarios", [single_changes(), any_changes()], ids=["single changes", "any"]
)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_sync_that_retires_misses_no_open_task_unless_one_left_and_came_back(
    scenarios: st.SearchStrategy[Scenario], data: st.DataObject
) -> None:
    tasks, changes, page_size, lie_at = data.draw(scenarios)

    outcome = sync(tasks, changes, page_size=page_size, max_reads=4, lie_at=lie_at)

    # Only a reopening brings a task back: single changes never make a sync unsafe.
    assert not outcome.unsafe or outcome.left_and_came_back, outcome


# Scenarios that broke earlier versions, or that only a task that left and came
# back breaks: the tasks, the changes, how the sync reads them, and the open tasks
# it misses if it retires (None: it retires nothing).
SCENARIOS: dict[str, tuple[t.Any, ...]] = {
    # Pages of 1. Once t0 and t1 are read, t0 is completed: t2 slides to page 1,
    # already read, and the forward read ends at page 2. The backward read finds
    # page 2 still empty; then t0 comes back to page 0, pushing t2 up to page 2,
    # already checked. Both reads miss t2, and the forward read looks proven.
    "a task completed and reopened": (
        ["t0", "t1", "t2"],
        [Change(after=2, kind="complete", task="t0"),
         Change(after=4, kind="reopen", at=0, to=0)],
        {"page_size": 1, "max_reads": 4}, {"t2"}),
    # Found by hypothesis: the task created during the sync leaves and comes back,
    # which the proof's assumption rules out as much as for a task open at the start.
    "a task created, then completed and reopened": (
        ["t0", "t1"],
        [Change(after=1, kind="create", at=1), Change(after=1, kind="create", at=1),
         Change(after=3, kind="move", at=0, to=3),
         Change(after=3, kind="complete", at=0),
         Change(after=6, kind="reopen", at=0, to=0),
         Change(after=7, kind="complete", at=1)],
        {"page_size": 1, "max_reads": 2}, {"t1"}),
    # Pages of 1. A change after the forward read's first page; then page 0 of the
    # backward read lies empty. Before a read's lowest empty page had to be answered
    # empty twice, the backward read was proven and t1, open, retired.
    "a lying empty page on the way down after a completion": (
        ["t0", "t1"], [Change(after=1, kind="complete", task="t0")],
        {"page_size": 1, "max_reads": 2, "lie_at": 4}, None),
    "a lying empty page on the way down after a move": (
        ["t0", "t1"], [Change(after=1, kind="move", task="t1", to=0)],
        {"page_size": 1, "max_reads": 2, "lie_at": 6}, None),
    # Found by a review, with campaigns' rule (a short page ends the list): pages
    # of 2 of three tasks; a lying empty end page and a short one were taken for the
    # end answered empty twice, and t2, open throughout, was retired.
    "a short page is no second empty answer (forward read)": (
        ["t0", "t1", "t2"],
        [Change(after=2, kind="move", task="t0", to=2),
         Change(after=3, kind="move", task="t0", to=0)],
        {"page_size": 2, "max_reads": 2, "lie_at": 2, "short_page_ends": True}, None),
    "a short page is no second empty answer (second read)": (
        ["t0", "t1", "t2"],
        [Change(after=1, kind="move", task="t2", to=0),
         Change(after=2, kind="move", task="t2", to=2)],
        {"page_size": 2, "max_reads": 2, "lie_at": 3, "short_page_ends": True}, None),
    # Found by hypothesis: pages of 1; a third read's empty end page, asked again,
    # holds a task, since the list grew: that read cannot be proven, a later one is.
    "a page that fills between its two answers": (
        [f"t{n}" for n in range(15)],
        [Change(after=1, kind="complete"), Change(after=2, kind="complete"),
         Change(after=2, kind="complete"), Change(after=1, kind="create"),
         Change(after=1, kind="create"), Change(after=31, kind="reopen")],
        {"page_size": 1, "max_reads": 4}, set()),
}  # fmt: skip


@pytest.mark.parametrize(
    ("tasks", "changes", "reads", "missed"), SCENARIOS.values(), ids=SCENARIOS
)
def test_a_sync_retires_an_open_task_only_if_it_left_and_came_back(
    tasks: list[str],
    changes: list[Change],
    reads: dict[str, t.Any],
    missed: set[str] | None,
) -> None:
    outcome = sync(tasks, changes, **reads)

    assert (outcome.missed if outcome.retired else None) == missed
    assert outcome.left_and_came_back or not missed


@pytest.mark.parametrize(
    ("max_reads", "lie_at", "reads", "requests", "retires"),
    [
        # Forward: pages 0-3 and the empty page 4; back: page 4 again, then 3-0.
        (4, None, 2, 5 + 5, True),
        (4, 8, 3, 16, True),  # one lying page: a third read proves the list
        (1, None, 1, 5, False),
    ],
    ids=["quiet", "one lying page", "one read allowed"],
)
def test_a_sync_of_a_quiet_list_reads_it_whole_and_retires_if_a_read_is_proven(
    max_reads: int, lie_at: int | None, reads: int, requests: int, *, retires: bool
) -> None:
    tasks = [f"t{n}" for n in range(10)]

    outcome = sync(tasks, [], page_size=3, max_reads=max_reads, lie_at=lie_at)

    assert outcome.retired == retires
    assert len(outcome.verdict.reads) == reads
    assert outcome.requests == requests
    assert outcome.emitted == set(tasks)
