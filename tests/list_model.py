"""A model of lemlist's task list that changes between requests, and syncs over it,
for tests/test_retirement_model.py and benchmarks/bench_retirement.py.

Page p holds the tasks at positions p*s … p*s+s-1 of the list when it is asked, as
in lemlist. Between two requests a task may be created, completed, moved or
reopened, anywhere, and one answer may lie: an empty page whatever the list holds.
A sync drives the tap's real paginator over it, without HTTP: a sync that retires
must have emitted every task open when it started and still open when it ends.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tap_lemlist_tasks.paging import ListPaginator, RepeatedPagesError, Verdict

if t.TYPE_CHECKING:
    import requests

Kind = t.Literal["complete", "create", "move", "reopen"]
SINGLE_KINDS: tuple[Kind, ...] = ("complete", "create", "move")
ANY_KINDS: tuple[Kind, ...] = (*SINGLE_KINDS, "reopen")


@dataclass(frozen=True)
class Change:
    """One change to the list, made after request number `after` (from 1).

    It changes the task `task` if named (wherever it is then), else the task at
    position `at` modulo the list's length, so any scenario applies to any list;
    `to` chooses where a task goes, modulo the length.
    """

    after: int
    kind: Kind
    at: int = 0
    to: int = 0
    task: str | None = None


@dataclass
class Outcome:
    """What one sync over the model did."""

    verdict: Verdict
    emitted: set[str]
    missed: set[str]  #: open at the start and at the end, yet never emitted
    requests: int
    left_and_came_back: bool  #: some task, old or new, was completed, then reopened
    failed: bool  #: the sync stopped with an error, retiring nothing

    @property
    def retired(self) -> bool:
        """Whether the sync would send ACTIVATE_VERSION."""
        return not self.failed and self.verdict.proven is not None

    @property
    def unsafe(self) -> bool:
        """Whether it would retire a task that is open."""
        return self.retired and bool(self.missed)


@dataclass
class LemlistList:
    """The list, as the changes so far left it."""

    tasks: list[str]
    done: list[str] = field(default_factory=list)
    created: int = 0
    reopened: set[str] = field(default_factory=set)

    def apply(self, change: Change) -> None:
        if change.kind == "create":
            self.created += 1
            self.tasks.insert(change.at % (len(self.tasks) + 1), f"new{self.created}")
        elif change.kind == "reopen":
            if self.done:
                task = self.done.pop(change.at % len(self.done))
                self.reopened.add(task)
                self.tasks.insert(change.to % (len(self.tasks) + 1), task)
        elif self.tasks and (change.task is None or change.task in self.tasks):
            at = self.tasks.index(change.task) if change.task else change.at
            task = self.tasks.pop(at % len(self.tasks))
            if change.kind == "complete":
                self.done.append(task)
            else:  # a move
                self.tasks.insert(change.to % (len(self.tasks) + 1), task)


def sync(  # noqa: PLR0913 - a scenario and the tap's settings
    tasks: list[str],
    changes: list[Change],
    *,
    page_size: int,
    max_reads: int,
    lie_at: int | None = None,
    short_page_ends: bool = False,
) -> Outcome:
    """Run one sync over the list while the changes happen.

    Args:
        tasks: The open tasks when the sync starts, in lemlist's order.
        changes: What people do meanwhile.
        page_size: lemlist's page size.
        max_reads: The tap's `max_reads_per_sync`.
        lie_at: The request (from 1) answered with an empty page, if any.
        short_page_ends: A page shorter than `page_size` ends the list, as for
            campaigns (whose page size is documented); else only an empty page.

    Returns:
        What the sync emitted and whether it would retire.
    """
    listed = LemlistList(list(tasks))
    page: list[str] = []
    paginator = ListPaginator(
        max_reads=max_reads,
        keys_of=lambda _: page,
        page_size=page_size if short_page_ends else 0,
    )
    emitted: set[str] = set()
    made, failed = 0, False
    while not paginator.finished:
        made += 1
        number = paginator.current_value.number
        page = listed.tasks[number * page_size : (number + 1) * page_size]
        page = [] if made == lie_at else page
        emitted.update(task for task in page if paginator.is_new(task))
        try:
            paginator.advance(t.cast("requests.Response", None))
        except RepeatedPagesError:
            failed = True
            break
        if paginator.finished:
            break  # what happens next happens after the sync
        for change in [c for c in changes if c.after == made]:
            listed.apply(change)
    missed = (set(tasks) & set(listed.tasks)) - emitted  # open then and now
    return Outcome(
        paginator.verdict(), emitted, missed, made, bool(listed.reopened), failed
    )


# Scenarios for hypothesis: a list, a page size, and changes after any request.

MAX_REQUEST = 40
#: One answer in three scenarios lies, at any request.
lies = st.one_of(st.none(), st.none(), st.integers(1, MAX_REQUEST))
#: Tasks, changes, the page size, and the request that lies, if one does.
Scenario = tuple[list[str], list[Change], int, int | None]


@st.composite
def single_changes(draw: st.DrawFn) -> Scenario:
    """A list, changes in which no task changes twice, a page size, maybe a lie."""
    tasks = [f"t{n}" for n in range(draw(st.integers(0, 30)))]
    untouched = list(tasks)
    changes = []
    for _ in range(draw(st.integers(0, 6))):
        after = draw(st.integers(1, MAX_REQUEST))
        kind = draw(st.sampled_from(SINGLE_KINDS))
        if kind == "create":
            changes.append(Change(after, "create", at=draw(st.integers(0, 100))))
        elif untouched:
            task = untouched.pop(draw(st.integers(0, len(untouched) - 1)))
            to = draw(st.integers(0, 100))
            changes.append(Change(after, kind, to=to, task=task))
    return tasks, changes, draw(st.integers(1, 6)), draw(lies)


@st.composite
def any_changes(draw: st.DrawFn) -> Scenario:
    """A list, changes of any kind to any position, a page size, maybe a lie.

    A task may change twice: be moved and moved back, or completed and reopened.
    """
    tasks = [f"t{n}" for n in range(draw(st.integers(0, 30)))]
    positions, kinds = st.integers(0, 100), st.sampled_from(ANY_KINDS)
    change = st.builds(Change, st.integers(1, MAX_REQUEST), kinds, positions, positions)
    changes = [draw(change) for _ in range(draw(st.integers(0, 8)))]
    return tasks, changes, draw(st.integers(1, 6)), draw(lies)
