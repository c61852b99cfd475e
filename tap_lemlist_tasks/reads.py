"""The reads of a paged lemlist list, and the proof that one of them saw every task.

lemlist pages by position over a list that people change while the tap reads it.
Page p, asked at time τ, holds the tasks at positions ps … ps+s-1 of the list as it
is at τ, for a page size s lemlist fixes (for tasks it does not say which). Between
two requests tasks may be created, completed or moved (a rescheduled task moves in
lemlist's order), anywhere.

**Reads.** The first read goes forward: pages 0, 1, 2, … up to the first page that
ends the list (tasks: an empty page; campaigns: a page shorter than the limit). Each
later read goes backward: it asks that end page again and, if it still ends the
list, reads down to page 0. If it does not, the list grew or lemlist's end page
lied: the read climbs to the new end before going down, and cannot be proven.

**Proof.** A read is *proven* when it saw no task twice, its end was seen twice (the
forward read's end page ended the list again when the next read asked it; a backward
read started at a page that ended the list, the previous read's end), and every task
it saw was seen again by a later read (forward) or before by an earlier one
(backward). A proven read saw every task that was in the list throughout it:

- Forward. Let page k be the first with fewer than s tasks (the end page is one).
  Pages 0 … k-1 held ks tasks, all different. Each was still in the list when page k
  was read: it was there when read, and again when a later read saw it. None is on
  page k (no task twice), and the list ends inside page k, so at that moment these
  ks tasks fill positions 0 … ks-1: the list is made of tasks the read saw. A task in
  the list throughout was in it then.
- Backward: the same count, in reverse time. The read starts at a page that ends the
  list; let page k be the lowest with fewer than s tasks. Pages k-1 … 0 come after it
  and hold ks different tasks; each was seen earlier by another read and again after
  page k, so it was in the list when page k was read, at positions 0 … ks-1.

Both steps need one assumption: **no task leaves the list and comes back during one
sync** (completed, then reopened). Moves need none: the count ignores order. Seeing
the end twice guards against an empty page that lies. The sync emits the union of its
reads, which holds the proven read, so retiring what it did not emit is safe.

Completions behind a forward read's cursor make it skip tasks, and creations behind a
backward read's cursor make it skip too; both show as a task without its witness or
seen twice, so a busy list may need a third read. `max_reads` bounds them.
"""

from __future__ import annotations

import enum
import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.seen import ReadLedger

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import requests

# How many pages in a row may hold exactly the tasks of the page before them. One
# such page happens when exactly a page of new tasks is inserted between two
# requests; a server that ignores `page` does it on every page.
MAX_REPEATED_PAGES = 2


class PageToken(t.NamedTuple):
    """Which read of the sync asks, and for which page."""

    read: int
    number: int


class _Phase(enum.Enum):
    FORWARD = "forward"
    CHECK_END = "check end"  # a backward read asks the previous read's end page
    CLIMB = "climb"  # the end moved up: find it before going down
    DOWN = "down"


@dataclass
class Read:
    """What one read of the list saw."""

    number: int
    pages: int = 0
    tasks: int = 0  #: tasks it saw, counting a task seen twice twice
    seen_twice: int = 0
    #: For the forward read: the next read found its end page still ending the list.
    #: For a backward read: its first page ended the list.
    end_seen_twice: bool = False
    complete: bool = False

    @property
    def backward(self) -> bool:
        """Whether this read goes from the end down to page 0."""
        return self.number > 0


@dataclass(frozen=True)
class Verdict:
    """How a sync's reads went, and which read, if any, is proven."""

    reads: list[Read]
    proven: Read | None

    @property
    def pages(self) -> int:
        """Pages asked for, over all reads (retries not counted)."""
        return sum(read.pages for read in self.reads)


class ListReads:
    """Plans the reads of one sync, page by page, and judges them.

    `token` is the page to ask for next (None when done); `take` hands over what
    that page held and moves on.
    """

    def __init__(self, *, max_reads: int, ends_list: Callable[[int], bool]) -> None:
        """Start at page 0 of the forward read.

        Args:
            max_reads: How many reads at most; 1 reads forward once, proving nothing.
            ends_list: Whether a page of this many items ends the list.
        """
        self._max_reads = max_reads
        self._ends_list = ends_list
        self._ledger = ReadLedger()
        self._reads = [Read(0)]
        self._phase = _Phase.FORWARD
        self._end_page = 0
        self._previous_keys: Sequence[str] = ()
        self._repeated = 0
        self._proven: Read | None = None
        self.token: PageToken | None = PageToken(0, 0)

    def take(self, keys: Sequence[str]) -> list[bool]:
        """Note the keys of the page just read, and choose the next page.

        Args:
            keys: The `_id` of every item of the page, in order.

        Returns:
            For each key, whether it is new to the sync (to be emitted).

        Raises:
            RuntimeError: When no page is due.
        """
        if self.token is None:
            msg = "every read of this sync is done"
            raise RuntimeError(msg)
        read = self._reads[self.token.read]
        fresh = []
        for key in keys:
            sighting = self._ledger.add(key, read.number)
            read.seen_twice += sighting.again
            fresh.append(sighting.new)
        read.pages += 1
        read.tasks += len(keys)
        self.token = self._next(
            self.token.number, keys, ends=self._ends_list(len(keys))
        )
        return fresh

    def verdict(self) -> Verdict:
        """Return how the reads went, once `token` is None."""
        return Verdict(list(self._reads), self._proven)

    def _next(
        self, number: int, keys: Sequence[str], *, ends: bool
    ) -> PageToken | None:
        read = self._reads[-1]
        if self._phase in {_Phase.FORWARD, _Phase.CLIMB}:
            self._refuse_repeated_page(number, keys)
        if self._phase is _Phase.CHECK_END:
            read.end_seen_twice = ends
            if read.number == 1:
                self._reads[0].end_seen_twice = ends
            self._phase = _Phase.DOWN if ends else _Phase.CLIMB
        elif self._phase in {_Phase.FORWARD, _Phase.CLIMB} and ends:
            self._end_page = number
            if read.number == 0:
                return self._read_done(read)
            self._phase = _Phase.DOWN
        if self._phase in {_Phase.FORWARD, _Phase.CLIMB}:
            return PageToken(read.number, number + 1)
        if number == 0:
            return self._read_done(read)
        return PageToken(read.number, number - 1)

    def _read_done(self, read: Read) -> PageToken | None:
        read.complete = True
        self._proven = self._proven or next(
            (done for done in self._reads if done.complete and self._is_proven(done)),
            None,
        )
        if self._proven or len(self._reads) == self._max_reads:
            return None
        self._reads.append(Read(len(self._reads)))
        self._phase = _Phase.CHECK_END
        return PageToken(len(self._reads) - 1, self._end_page)

    def _is_proven(self, read: Read) -> bool:
        others: t.Literal["later", "earlier"] = "earlier" if read.backward else "later"
        return (
            read.seen_twice == 0
            and read.end_seen_twice
            and self._ledger.seen_by_no_other(read.number, others=others) == 0
        )

    def _refuse_repeated_page(self, number: int, keys: Sequence[str]) -> None:
        repeated = bool(keys) and keys == self._previous_keys
        self._repeated = self._repeated + 1 if repeated else 0
        if self._repeated >= MAX_REPEATED_PAGES:
            raise errors.LemlistError(errors.page_ignored(number))
        self._previous_keys = keys


class ListPaginator(BaseAPIPaginator[PageToken]):
    """The SDK's paginator over a sync's reads.

    The stream hands each page to the reads in `parse_response`; this paginator
    then asks them which page comes next.
    """

    def __init__(self, reads: ListReads) -> None:
        """Start where the reads start.

        Args:
            reads: The sync's reads.
        """
        super().__init__(PageToken(0, 0))
        self._reads = reads

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Keep going: an empty page, or one of tasks already emitted, may not end.

        Returns:
            Always True: the reads decide.
        """
        return True

    def get_next(self, response: requests.Response) -> PageToken | None:  # noqa: ARG002
        """Return the page the reads ask for next.

        Returns:
            The next page, or None when the reads are done.
        """
        return self._reads.token
