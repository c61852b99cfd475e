"""The reads of a paged lemlist list, and the proof that one of them saw every item.

lemlist pages by position over a list that people change while the tap reads it.
Page p, asked at time τ, holds the items at positions ps … ps+s-1 of the list as it
is at τ, for a page size s lemlist fixes (for tasks it does not say which). Between
two requests items may be created, completed or moved, anywhere.

**Reads.** The first read goes forward: pages 0, 1, 2, … up to the first page that
ends the list (tasks: an empty page; campaigns: a page shorter than the limit). Each
later read goes backward: it asks that end page E again and, if it still ends the
list, reads down to page 0. If it does not, the list grew or the end page lied: the
read climbs to the new end before going down, and cannot be proven.

**Proof.** A read is *proven* when it saw no item twice, its end was seen twice (the
forward read's end page ended the list again when the next read asked it; a backward
read started at a page that ended the list), every item it saw was seen again by a
later read (forward) or before by an earlier one (backward), and its decisive page
(below) told the truth. A proven read saw every item in the list throughout it.

Lemma: if a read saw a set S of different items, each in the list at a moment τ, and
the list then held at most |S| items, the list at τ was exactly S, so S holds every
item that was in the list throughout the sync.

- Let page k be the read's lowest page with fewer than s items (the *decisive*
  page). Pages 0 … k-1 are full: ks different items, each seen on both sides of the
  moment τ page k was answered (forward: before it, and again by a later read;
  backward: before, by an earlier read, and again after it, lower down). With no
  item leaving and coming back, each was in the list at τ. A truthful page k says
  the list then ended inside it, so it held ks + |page k| items, all seen: the lemma.
- lemlist has once answered a well-formed empty page in the middle of the list. A
  non-empty short page cannot be such a lie, and one lower than every empty page
  the read met is decisive (the lowest page shorter than the largest page of the
  sync is short for sure). Otherwise the decisive page may be the read's lowest
  empty page, and one lie there would break the step above. So it must be the end
  page E, answered empty by two requests, at τ₁ (the forward read's last) and at
  τ₂ (the next read's first), with every item of the read seen before τ₁ and again
  after τ₂: then each item was in the list at both moments, and whichever answer
  was true gives the lemma. The forward read's items are seen before τ₁ and, being
  witnessed, after τ₂; a backward read's items are seen by it after τ₂, and must
  have been seen by the forward read, which ended at τ₁. One lie cannot be both.

The proof assumes **no item leaves the list and comes back during one sync**
(completed, then reopened); moves need no assumption: the count ignores order. The
sync emits the union of its reads, which holds the proven read, so retiring what it
did not emit is safe. Completions behind a forward read's cursor, or creations
behind a backward one's, make a read skip items; each shows as an item without its
witness or seen twice, so a busy list may need a third read. `max_reads` bounds
them.
"""

from __future__ import annotations

import enum
import typing as t
from dataclasses import dataclass, field

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseAPIPaginator

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import requests

#: One bit per read in the ledger's values.
MAX_READS = 8

#: Pages a read may go beyond twice those the sync's items fill, before it stops.
MORE_PAGES = 10


class PageToken(t.NamedTuple):
    """Which read of the sync asks, and for which page."""

    read: int
    number: int
    #: A backward read asking its end page a second time (see `ListPaginator`).
    again: bool = False


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
    seen_twice: int = 0
    #: Forward: the next read found its end page still ending the list. Backward:
    #: its first page ended the list.
    end_seen_twice: bool = False
    #: The page it took for the list's end.
    end_page: int = 0
    #: Pages answered empty twice around all its items: before its first item, or
    #: the forward read's end page, answered empty again as the second read's first.
    empty_twice: set[int] = field(default_factory=set)
    #: Items per page number, as this read's last answer for that page held.
    sizes: dict[int, int] = field(default_factory=dict)

    @property
    def backward(self) -> bool:
        """Whether this read goes from the end down to page 0."""
        return self.number > 0


class Verdict(t.NamedTuple):
    """How a sync's reads went, and which read, if any, is proven."""

    reads: list[Read]
    proven: Read | None


class RepeatedPagesError(FatalAPIError):  # paging imports nothing of the tap
    """Pages past the end hold items the read already saw (`page` is ignored)."""


class ListPaginator(BaseAPIPaginator[PageToken]):
    """Plans the reads of one sync page by page, keeps the ledger, and judges them.

    The stream asks `is_new` of each item while it parses a page; `get_next` then
    notes the page in the ledger and chooses the next one.
    """

    def __init__(
        self,
        *,
        max_reads: int,
        keys_of: Callable[[requests.Response], Sequence[str]],
        page_size: int = 0,
    ) -> None:
        """Start at page 0; a page short of `page_size` (0: unknown) ends the list."""
        super().__init__(PageToken(0, 0))
        self._max_reads = max_reads
        self._ends_below = max(page_size, 1)  # with no page size, an empty page
        self._keys_of = keys_of
        self._page_size = page_size
        #: Every key the sync saw, with one bit for each read that saw it.
        self.ledger: dict[str, int] = {}
        self.reads = [Read(0)]
        self._phase = _Phase.FORWARD
        self._repeated = 0
        self._proven: Read | None = None

    def is_new(self, key: str) -> bool:
        """Return whether no page before this one, in any read, held `key`."""
        return key not in self.ledger

    def verdict(self) -> Verdict:
        """Return how the reads went, once the paginator is finished."""
        return Verdict(list(self.reads), self._proven)

    @property
    def read(self) -> Read:
        """The read under way (or the last one)."""
        return self.reads[-1]

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Go on: an empty or repeated page may not end the reads; `get_next` says."""
        return True

    def get_next(self, response: requests.Response) -> PageToken | None:
        """Note the page lemlist answered; return the next to ask (None: done)."""
        keys = self._keys_of(response)
        number, read = self.current_value.number, self.read
        bit, repeated = 1 << read.number, bool(keys)
        for key in keys:
            seen = self.ledger.get(key, 0)
            read.seen_twice += bool(seen & bit)
            repeated &= bool(seen & bit)
            self.ledger[key] = seen | bit
        read.pages += 1
        read.sizes[number] = len(keys)
        self._page_size = max(self._page_size, len(keys))
        if self._phase in {_Phase.FORWARD, _Phase.CLIMB}:
            self._refuse_endless_repeats(number, repeated=repeated)
        return self._next(number, ends=len(keys) < self._ends_below)

    def _refuse_endless_repeats(self, number: int, *, repeated: bool) -> None:
        # A burst of k pages inserted at the top after j+1 pages were read repeats at
        # most min(k, j+1) pages; pages that keep repeating what the read already
        # had, longer than the read was before they started, do not end. Nor does a
        # read of twice the pages all the items the sync saw fill: a server wrapping
        # past the end, with tasks created meanwhile, never repeats a whole page.
        self._repeated = self._repeated + 1 if repeated else 0
        pages_seen = 2 * len(self.ledger) / max(self._page_size, 1) + MORE_PAGES
        if self._repeated > max(self.read.pages - self._repeated, 1) or (
            self.read.pages > pages_seen
        ):
            msg = (
                f"lemlist kept answering pages up to page {number} with items this "
                "read already had: it ignores the page parameter, or repeats the list "
                "past its end. Stopped instead of looping; nothing was emitted twice "
                "and nothing retired."
            )
            raise RepeatedPagesError(msg)

    def _next(self, number: int, *, ends: bool) -> PageToken | None:
        read = self.read
        if self._phase is _Phase.CHECK_END:
            read.end_seen_twice = ends
            if read.number == 1:
                forward = self.reads[0]
                forward.end_seen_twice = ends
                # Its end page, asked again, is empty twice only if both answers were:
                # a campaigns page shorter than the limit ends without being empty.
                if not (forward.sizes[number] or read.sizes[number]):
                    forward.empty_twice.add(number)
                    read.empty_twice.add(number)
            self._phase = _Phase.DOWN if ends else _Phase.CLIMB
        elif self._phase in {_Phase.FORWARD, _Phase.CLIMB} and ends:
            read.end_page = number
            if read.number == 0:
                return self._read_done(read)
            self._phase = _Phase.DOWN
        if self._phase in {_Phase.FORWARD, _Phase.CLIMB}:
            return PageToken(read.number, number + 1)
        return self._down(read, number)

    def _down(self, read: Read, number: int) -> PageToken | None:
        if self.current_value.again and read.sizes[number]:
            # The list grew past this page between the two answers: find its end.
            read.end_seen_twice, self._phase = False, _Phase.CLIMB
            return PageToken(read.number, number + 1)
        if not any(read.sizes.values()):  # empty pages only, so far
            if self.current_value.again:
                read.empty_twice.add(number)
            elif number not in read.empty_twice:
                # Lest this be the decisive page, and a lie: ask it again at once.
                return PageToken(read.number, number, again=True)
        if number == 0:
            return self._read_done(read)
        return PageToken(read.number, number - 1)

    def _read_done(self, read: Read) -> PageToken | None:
        # Every read so far is done: a later read may witness an earlier one's items.
        self._proven = self._proven or next(filter(self._is_proven, self.reads), None)
        if self._proven or len(self.reads) == self._max_reads:
            return None
        self.reads.append(Read(len(self.reads), end_page=read.end_page))
        self._phase = _Phase.CHECK_END
        return PageToken(len(self.reads) - 1, read.end_page)

    def _is_proven(self, read: Read) -> bool:
        bit = 1 << read.number
        witnesses = -(bit << 1) if not read.backward else bit - 1
        return (
            read.seen_twice == 0
            and read.end_seen_twice
            and all(seen & witnesses for seen in self.ledger.values() if seen & bit)
            and self._decisive_page_is_true(read)
        )

    def _decisive_page_is_true(self, read: Read) -> bool:
        # The docstring's two cases: a non-empty short page below every empty one
        # cannot lie; else the lowest empty page must be answered empty twice.
        empty = [n for n, size in read.sizes.items() if not size]
        short = [n for n, size in read.sizes.items() if 0 < size < self._page_size]
        if short and min(short) < min(empty, default=min(short) + 1):
            return True
        return min(empty, default=-1) in read.empty_twice
