"""Retiring done tasks: never a task that stayed open while the sync read the list.

lemlist pages over a live list. A completion behind the cursor moves every later
task one place left, so a forward read skips one; a creation behind the cursor of a
backward read moves them right, so it skips one. The tap reads forward, then back
until one read is proven whole (tap_lemlist_tasks/paging.py), and retires only then.
These are the shapes that broke earlier versions, through the stand-in's HTTP; the
model in test_retirement_model.py tries every other.
"""

from __future__ import annotations

import json
import typing as t

import pytest
from lemlist_sample import Task

from tap_lemlist_tasks import retirement
from tap_lemlist_tasks.paging import Read, Verdict

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn

# 250 tasks in pages of 100. Request 1 reads the team; 2-5 read pages 0-3 forward
# (3 is empty); 6 asks page 3 again, 7-9 read pages 2, 1, 0 back. A third read, when
# one is needed, asks page 3 again (10), then 2, 1, 0 (11-13).
AFTER_PAGE_0 = 2
AFTER_BACK_PAGE_2, AFTER_BACK_PAGE_1 = 7, 8


def ids_of(standin: LemlistStandIn) -> list[str]:
    return [task["_id"] for task in standin.pending_records()]


def new_tasks(count: int, prefix: str = "opp_new") -> list[Task]:
    return [Task({"_id": f"{prefix}{n:05d}", "title": "new"}) for n in range(count)]


def complete(*ids: str) -> Callable[[LemlistStandIn], None]:
    return lambda standin: standin.complete(ids)


def insert_at_top(tasks: list[Task]) -> Callable[[LemlistStandIn], None]:
    return lambda standin: standin.insert(0, tasks)


def move(task_id: str, position: int) -> Callable[[LemlistStandIn], None]:
    return lambda standin: standin.move(task_id, position)


def state_after(run: TapRun) -> dict[str, t.Any]:
    states = run.of_type("STATE")
    return t.cast("dict[str, t.Any]", states[-1]["value"])


def summary(run: TapRun) -> str:
    (line,) = [
        line
        for line in run.stderr.splitlines()
        if line.startswith("tasks: ") and " emitted in " in line
    ]
    return line


def test_a_quiet_sync_proves_its_first_read_and_retires(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    assert summary(run) == (
        "tasks: 250 emitted in 2 reads of the list, 8 requests (0 retried); "
        "retired the others (read 1 of 2 proven complete)."
    )


def test_a_completion_and_a_creation_that_make_both_first_reads_skip_a_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # The last task of page 0 is done: the first of page 1 slides onto page 0,
    # read already, and the forward read skips it. A task created at the top
    # while the backward read is past page 1 pushes it back up: that read skips it
    # too. The third read finds it, but no read before it saw it: the fourth,
    # quiet, proves the list. The third and fourth ask the empty end page twice.
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, complete(first[99]))
    standin.after_request(AFTER_BACK_PAGE_1, insert_at_top(new_tasks(1)))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert first[100] in run.ids
    assert set(first) - {first[99]} <= set(run.ids)
    assert len(run.ids) == len(set(run.ids))
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    assert "in 4 reads of the list, 18 requests" in summary(run)


def test_a_completion_beside_a_backward_page_boundary_retires_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_BACK_PAGE_2, complete(first[99], first[100]))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) - {first[99], first[100]} <= set(run.ids)
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_an_arrival_on_a_forward_page_boundary_retires_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # Created as the last task of page 0, once page 0 was read: the forward read
    # reads the task it pushed onto page 1 twice.
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, lambda s: s.insert(99, new_tasks(1)))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) | {"opp_new00000"} <= set(run.ids)
    assert len(run.ids) == len(set(run.ids))
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_a_task_reopened_during_the_sync_is_emitted_and_retires_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.complete([first[0]])
    standin.after_request(AFTER_PAGE_0, lambda s: s.reopen([first[0]]))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) - {first[0]} <= set(run.ids)
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_a_task_moved_away_and_back_during_the_sync_retires_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # Rescheduled to the end of the list behind the forward read, then back.
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, move(first[10], 249))
    standin.after_request(AFTER_PAGE_0 + 2, move(first[10], 10))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) <= set(run.ids)
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_an_empty_page_in_the_middle_of_the_list_retires_no_open_task(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    # Once, lemlist answers page 1 with a well-formed empty page: the forward read
    # ends there. The backward read asks page 1 again, finds tasks, climbs to the
    # real end and cannot be proven; the third read proves the list.
    standin.add_faults(1, "body", body='{"results": [], "page": "1"}')

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(set(run.ids)) == 250
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    assert "read 3 of 3 proven complete" in summary(run)


def lie_on_next_page_0(standin: LemlistStandIn) -> None:
    """The next request for page 0 gets a well-formed empty page, whatever is there."""
    standin.add_faults(0, "body", body=json.dumps({"results": [], "page": "0"}))


@pytest.mark.parametrize(
    "change",
    [
        lambda ids: complete(ids[0]),
        lambda ids: move(ids[-1], 0),
    ],
    ids=["completion", "move"],
)
def test_an_empty_page_lying_on_the_way_down_after_a_change_retires_no_open_task(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    change: Callable[[list[str]], Callable[[LemlistStandIn], None]],
) -> None:
    ids = ids_of(standin)
    standin.after_request(3, change(ids))
    standin.after_request(AFTER_BACK_PAGE_1, lie_on_next_page_0)

    synced = run(max_reads_per_sync=2)

    assert synced.exit_code == 0, synced.stderr
    still_open = set(ids_of(standin))
    assert still_open <= set(synced.ids) or synced.of_type("ACTIVATE_VERSION") == []


def test_a_sync_whose_reads_are_all_unproven_retires_nothing_and_says_why(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, complete(first[99]))
    standin.after_request(AFTER_BACK_PAGE_1, insert_at_top(new_tasks(1)))

    run = run_tap(max_reads_per_sync=2)

    assert run.exit_code == 0, run.stderr
    assert run.of_type("ACTIVATE_VERSION") == []
    assert summary(run) == (
        "tasks: 250 emitted in 2 reads of the list, 8 requests (0 retried); "
        "retired nothing: no read was proven complete (tasks came, went or came "
        "back during each read); the next quieter sync retires."
    )


def test_a_burst_of_inserted_pages_does_not_fail_the_sync(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    first = ids_of(standin)
    standin.after_request(AFTER_PAGE_0, insert_at_top(new_tasks(200, "opp_burst_a")))
    standin.after_request(AFTER_PAGE_0 + 1, insert_at_top(new_tasks(100, "opp_b")))

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert set(first) <= set(run.ids)
    assert len(run.ids) == len(set(run.ids))
    assert len(run.of_type("ACTIVATE_VERSION")) == 1


def test_a_stream_map_that_filters_tasks_is_named_counted_and_recorded(
    run: Callable[..., TapRun],
) -> None:
    synced = run(stream_maps={"tasks": {"__filter__": "priority == 2"}})

    assert synced.exit_code == 0, synced.stderr
    assert synced.stderr.count("filters tasks with 'priority == 2'") == 1
    assert 0 < len(synced.records) < 250
    assert f"tasks: {len(synced.records)} emitted in " in summary(synced)
    (team,) = synced.records_of("teams")
    assert json.loads(team["taskFilters"]) == [
        {"filterId": "streamMap", "stream": "tasks", "expression": "priority == 2"}
    ]


def test_a_change_of_filters_since_the_last_complete_sync_is_a_warning_naming_both(
    run: Callable[..., TapRun],
) -> None:
    first = run(filters=[{"filterId": "type", "in": ["phone", "email"]}])

    narrowed = run(
        state=state_after(first), filters=[{"filterId": "type", "in": ["phone"]}]
    )
    again = run(
        state=state_after(narrowed), filters=[{"filterId": "type", "in": ["phone"]}]
    )

    lines = narrowed.stderr.splitlines()
    (warning,) = [line for line in lines if "since the last complete sync" in line]
    assert '"in":["email","phone"]' in warning
    assert '"in":["phone"]}]' in warning
    assert "retires every task outside the new filters" in warning
    assert "retires every task outside" not in again.stderr


def test_one_read_is_made_when_retirement_is_off(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap(emit_activate_version_messages=False)

    assert run.exit_code == 0, run.stderr
    assert [r.query["page"] for r in standin.task_requests] == ["0", "1", "2", "3"]
    assert run.of_type("ACTIVATE_VERSION") == []
    assert "retired nothing: emit_activate_version_messages is false" in summary(run)


# The collapse guard: state carries what the last retiring sync emitted.


def test_a_sync_that_would_retire_most_tasks_withholds_once_then_retires(
    standin: LemlistStandIn, run_tap_with_state: Callable[..., TapRun]
) -> None:
    first = run_tap_with_state(None)
    standin.complete(ids_of(standin)[:200])  # lemlist has a bad minute, or not

    withheld = run_tap_with_state(state_after(first))
    agreed = run_tap_with_state(state_after(withheld))

    assert len(first.of_type("ACTIVATE_VERSION")) == 1
    assert withheld.of_type("ACTIVATE_VERSION") == []
    assert (
        "retired nothing: 200 of the 250 tasks of the last retiring sync are gone, "
        "more than max_retired_percent (50%); if lemlist really holds 50 now, the "
        "next sync retires them." in summary(withheld)
    )
    assert len(agreed.of_type("ACTIVATE_VERSION")) == 1
    assert "as the sync before saw too" in summary(agreed)


def test_a_collapse_that_lemlist_takes_back_retires_nothing_it_listed(
    standin: LemlistStandIn, run_tap_with_state: Callable[..., TapRun]
) -> None:
    first = run_tap_with_state(None)
    gone = ids_of(standin)[:200]
    standin.complete(gone)
    withheld = run_tap_with_state(state_after(first))
    standin.reopen(gone)

    back = run_tap_with_state(state_after(withheld))

    assert withheld.of_type("ACTIVATE_VERSION") == []
    assert len(back.ids) == 250
    assert len(back.of_type("ACTIVATE_VERSION")) == 1
    memory = state_after(back)["bookmarks"]["tasks"]["retirement"]
    assert memory["last_retiring_sync_emitted"] == 250
    assert "collapse_withheld_emitted" not in memory


def test_a_second_collapse_after_lemlist_came_back_is_withheld_anew(
    standin: LemlistStandIn, run_tap_with_state: Callable[..., TapRun]
) -> None:
    first = run_tap_with_state(None)
    ids = ids_of(standin)
    standin.complete(ids[:200])
    withheld = run_tap_with_state(state_after(first))
    standin.reopen(ids[:200])
    # lemlist is whole again, but too busy for this sync to prove a read.
    made = len(standin.requests)
    standin.after_request(made + 2, lambda api: api.complete([ids[99]]))
    standin.after_request(made + 8, insert_at_top(new_tasks(1)))
    busy = run_tap_with_state(state_after(withheld), max_reads_per_sync=2)
    standin.complete(ids_of(standin)[:200])  # another bad minute, days later

    second = run_tap_with_state(state_after(busy))

    assert len(busy.ids) >= 250
    assert busy.of_type("ACTIVATE_VERSION") == []
    assert second.of_type("ACTIVATE_VERSION") == []
    assert "more than max_retired_percent" in summary(second)


PROVEN = Verdict([Read(0), Read(1)], Read(0))
UNPROVEN = Verdict([Read(0), Read(1)], None)


def guarded_syncs(*syncs: tuple[Verdict, int]) -> list[bool]:
    """Whether each sync of the sequence retires, at the default 50%."""
    state: dict[str, t.Any] = {}
    return [
        retirement.decide(
            verdict, emitted, state, noun="tasks", max_retired_percent=50, scope=""
        ).retire
        for verdict, emitted in syncs
    ]


def test_an_unproven_sync_that_saw_the_collapse_too_keeps_it_withheld() -> None:
    # 250 tasks, then really 100; an unproven sync of 120 (tasks came and went)
    # is a collapse too, and tells nothing against it.
    retired = guarded_syncs(
        (PROVEN, 250), (PROVEN, 100), (UNPROVEN, 120), (PROVEN, 100)
    )

    assert retired == [True, False, False, True]


def test_a_deeper_drop_after_a_withheld_collapse_is_withheld_again() -> None:
    retired = guarded_syncs((PROVEN, 1000), (PROVEN, 400), (PROVEN, 10), (PROVEN, 10))

    assert retired == [True, False, False, True]
