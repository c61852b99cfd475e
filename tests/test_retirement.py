"""Retiring done tasks: ACTIVATE_VERSION, only after a complete sync, and never a
task that stayed open while the sync read the list.

lemlist pages over a live list. A completion behind the cursor moves every later
task one place left, so a forward read skips one; a creation behind the cursor of a
backward read moves them right, so it skips one. The tap reads forward, then back
until one read is proven whole (tap_lemlist_tasks/paging.py), and retires only then.
These are the shapes that broke earlier versions, through the stand-in's HTTP; the
model in test_retirement_model.py tries every other.
"""

from __future__ import annotations

import json
import signal
import time
import typing as t

import pytest
from conftest import API_KEY, FakeClock, Run, tap_process
from lemlist_sample import Task

from tap_lemlist_tasks.paging import Read, Verdict
from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lemlist_standin import LemlistStandIn

    from tap_lemlist_tasks.streams import TasksStream

# 250 tasks in pages of 100. Request 1 reads the team; 2-5 read pages 0-3 forward
# (3 is empty); 6 asks page 3 again, 7-9 read pages 2, 1, 0 back. A third read, when
# one is needed, asks page 3 again (10), then 2, 1, 0 (11-13).
AFTER_TEAM, AFTER_PAGE_0 = 1, 2
AFTER_BACK_PAGE_2, AFTER_BACK_PAGE_1 = 7, 8


def ids_of(standin: LemlistStandIn) -> list[str]:
    """The open tasks, in lemlist's order."""
    return [task["_id"] for task in standin.pending_records()]


def new_tasks(count: int, prefix: str = "opp_new") -> list[Task]:
    return [Task({"_id": f"{prefix}{n:05d}", "title": "new"}) for n in range(count)]


def test_a_quiet_sync_proves_its_first_read_and_retires_after_the_last_record(
    run: Run,
) -> None:
    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert synced.summary == (
        "tasks: 250 emitted in 2 reads of the list, 8 requests (0 retried); "
        "retired the others (read 1 of 2 proven complete)."
    )
    for stream in ("tasks", "teams", "users", "campaigns"):
        types = [m["type"] for m in synced.messages if m.get("stream") == stream]
        assert (types[0], types[-1]) == ("SCHEMA", "ACTIVATE_VERSION"), stream
        (activate,) = synced.of_type("ACTIVATE_VERSION", stream)
        records = synced.of_type("RECORD", stream)
        assert records, stream
        assert {m["version"] for m in records} == {activate["version"]}


def test_two_syncs_of_one_embedded_tap_both_emit_every_task(
    standin: LemlistStandIn, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    del fake_clock
    tap = TapLemlistTasks(config={"api_key": API_KEY, "api_url": standin.url})

    tap.sync_all()
    tap.sync_all()

    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tasks = [m for m in messages if m.get("stream") == "tasks"]
    records = [m["record"]["_id"] for m in tasks if m["type"] == "RECORD"]
    versions = [m["version"] for m in tasks if m["type"] == "ACTIVATE_VERSION"]
    assert sorted(records) == sorted(2 * [t["_id"] for t in standin.pending_records()])
    assert len(versions) == len(set(versions)) == 2


def test_a_sync_stopped_by_sigterm_does_not_look_finished(
    standin: LemlistStandIn, tmp_path: Path
) -> None:
    standin.add_faults(1, "timeout", delay=3.0)  # page 1 is slow to come
    sync = tap_process({"api_key": API_KEY, "api_url": standin.url}, tmp_path)
    deadline = time.monotonic() + 30
    while len(standin.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    sync.send_signal(signal.SIGTERM)
    stdout, stderr = sync.communicate(timeout=30)

    assert sync.returncode == 128 + signal.SIGTERM
    assert "Sync stopped by SIGTERM before it finished." in stderr
    assert '"ACTIVATE_VERSION"' not in stdout


EMPTY_PAGE_1 = '{"results": [], "page": "1"}'
SKIPPED_TWICE = "a completion and a creation make both first reads skip a task"
# Each: the changes made after a request number, given the first ids; the ids that
# may be missing; how many reads and requests, if that is the point.
LIVE_CHANGES: dict[str, tuple[Callable[[list[str]], list[t.Any]], int, str]] = {
    # The last task of page 0 is done: the first of page 1 slides onto page 0, read
    # already. A task created at the top while the backward read is past page 1
    # pushes it back up: that read skips it too. The third read finds it, but no
    # read before it saw it: the fourth, quiet, proves the list.
    SKIPPED_TWICE: (
        lambda ids: [(AFTER_PAGE_0, lambda s: s.complete([ids[99]])),
                     (AFTER_BACK_PAGE_1, lambda s: s.insert(0, new_tasks(1)))],
        1, "in 4 reads of the list, 18 requests",
    ),
    "a completion beside a backward page boundary": (
        lambda ids: [(AFTER_BACK_PAGE_2, lambda s: s.complete(ids[99:101]))], 2, "",
    ),
    # Created as the last task of page 0 once it was read: the forward read reads
    # the task it pushed onto page 1 twice.
    "an arrival on a forward page boundary": (
        lambda _: [(AFTER_PAGE_0, lambda s: s.insert(99, new_tasks(1)))], 0, "",
    ),
    "a task reopened during the sync": (
        lambda ids: [(AFTER_TEAM, lambda s: s.complete(ids[:1])),
                     (AFTER_PAGE_0, lambda s: s.complete([ids[0]], done=False))],
        1, "",
    ),
    "a task moved to the end behind the forward read, then back": (
        lambda ids: [(AFTER_PAGE_0, lambda s: s.move(ids[10], 249)),
                     (AFTER_PAGE_0 + 2, lambda s: s.move(ids[10], 10))],
        0, "",
    ),
    # Once, lemlist answers page 1 with a well-formed empty page: the forward read
    # ends there. The backward read asks page 1 again, finds tasks, climbs to the
    # real end and cannot be proven; the third read proves the list.
    "an empty page in the middle of the list": (
        lambda _: [(AFTER_TEAM, lambda s: s.add_faults(1, "body", body=EMPTY_PAGE_1))],
        0, "read 3 of 3 proven complete",
    ),
    "a burst of inserted pages": (
        lambda _: [(AFTER_PAGE_0, lambda s: s.insert(0, new_tasks(200, "opp_a"))),
                   (AFTER_PAGE_0 + 1, lambda s: s.insert(0, new_tasks(100, "opp_b")))],
        0, "",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "gone", "reads"), LIVE_CHANGES.values(), ids=LIVE_CHANGES
)
def test_a_change_during_the_sync_retires_no_open_task(
    run: Run, changes: Callable[[list[str]], list[t.Any]], gone: int, reads: str
) -> None:
    first = ids_of(run.standin)
    for after, change in changes(first):
        run.standin.after_request(after, change)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert len(set(first) - set(synced.ids)) <= gone
    assert set(ids_of(run.standin)) <= set(synced.ids)
    assert len(synced.ids) == len(set(synced.ids))
    assert len(synced.of_type("ACTIVATE_VERSION")) == 1
    assert reads in synced.summary


def test_a_sync_whose_reads_are_all_unproven_retires_nothing_and_says_why(
    run: Run,
) -> None:
    for after, change in LIVE_CHANGES[SKIPPED_TWICE][0](ids_of(run.standin)):
        run.standin.after_request(after, change)

    synced = run(max_reads_per_sync=2)

    assert synced.exit_code == 0, synced.stderr
    assert synced.of_type("ACTIVATE_VERSION") == []
    assert "in 2 reads of the list" in synced.summary
    assert "retired nothing: no read was proven complete" in synced.summary


def test_a_stream_map_that_filters_tasks_is_named_counted_and_recorded(
    run: Run,
) -> None:
    synced = run(stream_maps={"tasks": {"__filter__": "priority == 2"}})

    assert synced.exit_code == 0, synced.stderr
    assert synced.stderr.count("filters tasks with 'priority == 2'") == 1
    assert 0 < len(synced.records) < 250
    assert f"tasks: {len(synced.records)} emitted in " in synced.summary
    (team,) = synced.records_of("teams")
    assert json.loads(team["taskFilters"]) == [
        {"filterId": "streamMap", "stream": "tasks", "expression": "priority == 2"}
    ]


def test_with_retirement_off_one_read_to_the_first_empty_page_retires_nothing(
    run: Run,
) -> None:
    synced = run(emit_activate_version_messages=False)

    # 250 tasks in pages of 100: page 2 holds 50, and only page 3 is empty.
    assert [r.query["page"] for r in run.standin.task_requests] == list("0123")
    assert synced.ids == ids_of(run.standin)
    assert synced.of_type("ACTIVATE_VERSION") == []
    assert "retired nothing: emit_activate_version_messages is false" in synced.summary


# The collapse guard: state carries what the last retiring sync emitted.


@pytest.mark.parametrize("lemlist_takes_it_back", [False, True])
def test_a_sync_that_would_retire_most_tasks_withholds_once_then_retires(
    run: Run, *, lemlist_takes_it_back: bool
) -> None:
    first = run()
    gone = ids_of(run.standin)[:200]
    run.standin.complete(gone)  # lemlist has a bad minute, or not
    # As `meltano state get` prints it: the guard reads the count inside the wrapper.
    withheld = run(state={"singer_state": first.state})
    if lemlist_takes_it_back:
        run.standin.complete(gone, done=False)

    after = run(state=withheld.state)

    assert len(first.of_type("ACTIVATE_VERSION")) == 1
    assert withheld.of_type("ACTIVATE_VERSION") == []
    assert "200 of the 250 tasks of the last retiring sync are gone" in withheld.summary
    assert "more than max_retired_percent (50%)" in withheld.summary
    assert len(after.of_type("ACTIVATE_VERSION")) == 1
    assert len(after.ids) == (250 if lemlist_takes_it_back else 50)
    assert ("as the sync before saw too" in after.summary) != lemlist_takes_it_back
    memory = after.state["bookmarks"]["tasks"]["retirement"]
    assert memory["last_retiring_sync_emitted"] == len(after.ids)
    assert "collapse_withheld_emitted" not in memory


PROVEN = Verdict([Read(0), Read(1)], Read(0))
UNPROVEN = Verdict([Read(0), Read(1)], None)


@pytest.mark.parametrize(
    ("syncs", "retired"),
    [
        # 250 tasks, then really 100; an unproven sync of 120 (tasks came and went)
        # is a collapse too, and tells nothing against it.
        ([(PROVEN, 250), (PROVEN, 100), (UNPROVEN, 120), (PROVEN, 100)],
         [True, False, False, True]),
        ([(PROVEN, 1000), (PROVEN, 400), (PROVEN, 10), (PROVEN, 10)],
         [True, False, False, True]),
        # lemlist came back whole, too busy for a sync to prove a read; days later
        # another bad minute is a collapse of its own.
        ([(PROVEN, 250), (PROVEN, 50), (UNPROVEN, 251), (PROVEN, 50)],
         [True, False, False, False]),
    ],
    ids=["an unproven sync saw it too", "a deeper drop after it", "a second collapse"],
)  # fmt: skip
def test_a_withheld_collapse_stays_withheld_until_a_proven_sync_agrees(
    syncs: list[tuple[Verdict, int]], retired: list[bool]
) -> None:
    # One state carried from sync to sync, at 50%.
    tasks = t.cast(
        "TasksStream", TapLemlistTasks(config={"api_key": API_KEY}).streams["tasks"]
    )
    retires = [tasks.decide(verdict, emitted, "")[0] for verdict, emitted in syncs]

    assert retires == retired
