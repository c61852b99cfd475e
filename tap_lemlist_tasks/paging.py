"""lemlist's pages: what proves the end, and the two reads that make a sync sure.

lemlist pages over a live list with page numbers. When a task already read is
completed, every later task moves one place left and one crosses the page boundary
unread; when a task is inserted before the cursor, one is read twice. So a forward
read skips only when tasks leave, and a backward read only when tasks arrive.

A sync that retires tasks reads forward to the end, then back down to page 0, and
unites the two. A task open throughout is then missed only if tasks left during the
first read and arrived during the second. The first is seen as tasks only the first
read holds. The second is seen as tasks only the confirming read holds, except for
the ones the first read skipped: those sit, in the confirming read, exactly between
the last task of a first-read page and the first task of the next one.
"""

from __future__ import annotations

import array
import typing as t

import msgspec
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.seen import CONFIRMING_READ, FIRST_READ, digest_of

if t.TYPE_CHECKING:
    import weakref

    import requests

    from tap_lemlist_tasks.seen import ReadLedger

# How many pages in a row may hold exactly the tasks of the page before them. One
# such page happens when exactly a page of new tasks is inserted between two
# requests; a server that ignores `page` does it on every page.
MAX_REPEATED_PAGES = 2


class Page(msgspec.Struct):
    """The body of a lemlist list endpoint: `{"results": [...], "page": "0"}`."""

    results: list[t.Any]
    page: int | str | None = None
    error: t.Any = None


class PageToken(t.NamedTuple):
    """Which page to ask for, and whether it belongs to the confirming read."""

    number: int
    confirming: bool = False


_Body = t.TypeVar("_Body")


def decode_body(response: requests.Response, shape: type[_Body], what: str) -> _Body:
    """Decode a JSON body into `shape`; a body that is not one is worth a retry.

    Args:
        response: A 2xx answer from lemlist.
        shape: The msgspec type to decode into (undeclared fields are not kept).
        what: What the body is, for the message: `page` or `team`.

    Returns:
        The decoded body.

    Raises:
        RetriableAPIError: When the body is not JSON, or not of that shape. msgspec
            names the field and types, never a value, so the body is never quoted.
    """
    try:
        return msgspec.json.decode(response.content, type=shape)
    except msgspec.ValidationError as error:
        raise RetriableAPIError(errors.body_shape(what, str(error)), response) from None
    except msgspec.DecodeError:
        content_type = response.headers.get("Content-Type", "no content type")
        message = errors.body_not_json(what, content_type)
        raise RetriableAPIError(message, response) from None


def decode_page(response: requests.Response, requested: int) -> Page:
    """Decode a page, and refuse one that is not what was asked for.

    Args:
        response: A 2xx answer from lemlist.
        requested: The page number asked for.

    Returns:
        The page.

    Raises:
        RetriableAPIError: When the body is not a page, carries an error, says it
            is another page, or is empty without saying which page it is.
    """
    page = decode_body(response, Page, "page")
    problem = _page_problem(page, requested)
    if problem:
        raise RetriableAPIError(problem, response)
    return page


def _page_problem(page: Page, requested: int) -> str | None:
    if page.error is not None:
        return errors.page_error(page.error)
    echoed = _page_number(page.page)
    if page.page is not None and echoed != requested:
        return errors.page_mismatch(page.page, requested)
    if not page.results and echoed is None:
        return errors.page_unproven_end()
    return None


def _page_number(echoed: int | str | None) -> int | None:
    if isinstance(echoed, int):
        return echoed
    if isinstance(echoed, str) and echoed.isascii() and echoed.isdigit():
        return int(echoed)
    return None


class ShiftAudit:
    """Tells tasks that moved past a page boundary from tasks that came or went.

    Tasks only the first read holds were completed, or were skipped by the
    confirming read; tasks only the confirming read holds arrived, or were skipped
    by the first read. A skipped run sits, in the other read, exactly between the
    two tasks of one of this read's page boundaries; a run anywhere else came or
    went.
    """

    def __init__(self, ledger: ReadLedger) -> None:
        """Start before the first page.

        Args:
            ledger: Which read saw which task.
        """
        self._ledger = ledger
        self._first_sequence = array.array("q")
        self._first_boundaries: set[tuple[int | None, int | None]] = set()
        self._confirming_boundaries: set[tuple[int | None, int | None]] = set()
        self._next_page_first: int | None = None
        self.arrived = 0

    def first_read_page(self, ids: list[str]) -> None:
        """Note a non-empty page of the first read, in reading order."""
        digests = [digest_of(key) for key in ids]
        if self._first_sequence:
            self._first_boundaries.add((self._first_sequence[-1], digests[0]))
        self._first_sequence.extend(digests)

    def confirming_page(self, ids: list[str]) -> None:
        """Note a page of the confirming read (pages come last to first)."""
        digests = [digest_of(key) for key in ids]
        if digests:
            self._confirming_boundaries.add((digests[-1], self._next_page_first))
        runs = self._runs_only_in(digests, self._next_page_first, CONFIRMING_READ)
        self.arrived += sum(
            length
            for boundary, length in runs
            if boundary not in self._first_boundaries
        )
        self._next_page_first = digests[0] if digests else None

    def departed(self) -> int:
        """Return how many tasks the first read holds that left during the sync."""
        runs = self._runs_only_in(self._first_sequence, None, FIRST_READ)
        return sum(
            length
            for boundary, length in runs
            if boundary not in self._confirming_boundaries
        )

    def _runs_only_in(
        self, digests: t.Sequence[int], after: int | None, read: int
    ) -> list[tuple[tuple[int | None, int | None], int]]:
        # Each maximal run of tasks only `read` saw, with the tasks around it.
        runs = []
        start = 0
        while start < len(digests):
            end = start
            while (
                end < len(digests)
                and self._ledger.reads_of_digest(digests[end]) == read
            ):
                end += 1
            if end > start:
                left = digests[start - 1] if start else None
                right = digests[end] if end < len(digests) else after
                runs.append(((left, right), end - start))
            start = end + 1
        return runs


class TwoPassPaginator(BaseAPIPaginator[PageToken]):
    """Pages 0, 1, … up to the first empty page; then, if asked, back down to 0."""

    def __init__(
        self,
        pages: weakref.WeakKeyDictionary[requests.Response, Page],
        ledger: ReadLedger,
        *,
        confirm: bool,
    ) -> None:
        """Start at page 0 of the first read.

        Args:
            pages: The decoded page of each response, filled by the stream.
            ledger: Which read saw which task, filled by the stream.
            confirm: Whether to read back down to page 0 after the end.
        """
        super().__init__(PageToken(0))
        self._pages = pages
        self._confirm = confirm
        self._previous_ids: list[str] = []
        self._repeated = 0
        self.audit = ShiftAudit(ledger)

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Keep going: a page with no new task is not the end; `get_next` decides.

        Returns:
            Always True.
        """
        return True

    def get_next(self, response: requests.Response) -> PageToken | None:
        """Return the next page to read, or None when both reads are done.

        Args:
            response: The answer for the current page.

        Returns:
            The next page, or None.
        """
        number, confirming = self.current_value
        ids = [task["_id"] for task in self._pages[response].results]
        if confirming:
            self.audit.confirming_page(ids)
            return PageToken(number - 1, confirming=True) if number > 0 else None
        if ids:
            self._note_first_read_page(number, ids)
            return PageToken(number + 1)
        if self._confirm and number > 0:
            return PageToken(number - 1, confirming=True)
        return None

    def _note_first_read_page(self, number: int, ids: list[str]) -> None:
        self._repeated = self._repeated + 1 if ids == self._previous_ids else 0
        if self._repeated >= MAX_REPEATED_PAGES:
            raise errors.LemlistError(errors.page_ignored(number))
        self.audit.first_read_page(ids)
        self._previous_ids = ids
