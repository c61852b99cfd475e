"""Retries on backoff's terms, told in one line each.

`RetryingStream.request_decorator` hands backoff its terms: `is_permanent` as its
`giveup`, the tries setting as `max_tries`, and waits that honour a 429's
Retry-After. Each retry and the give-up are told in one line, naming the `cause`.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import typing as t
from datetime import datetime, timezone
from http import HTTPStatus

import backoff
import requests
from requests import exceptions as bad
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override
from urllib3.exceptions import NameResolutionError, NewConnectionError

from tap_lemlist_tasks import throttle
from tap_lemlist_tasks.errors import LemlistError

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import RequestFunc
    from singer_sdk.streams.rest import HTTPRequest, PageContext

_Token = t.TypeVar("_Token")

MAX_BACKOFF_SECONDS = 60
#: Every failure of a request goes to backoff, which retries or gives up in one line.
REQUEST_ERRORS = (ConnectionResetError, RetriableAPIError, requests.RequestException)
_TRANSIENT = (
    *REQUEST_ERRORS[:2],
    bad.Timeout,
    bad.ConnectionError,
    bad.ChunkedEncodingError,
    bad.ContentDecodingError,
)
#: What went wrong with an attempt: a phrase in the error says, else the kind it is.
_CAUSES: dict[str | type[BaseException], str] = {
    "CERTIFICATE_VERIFY_FAILED": "TLS certificate verify failed",
    "Connection reset": "connection reset",
    bad.ConnectTimeout: "connect timeout",
    bad.Timeout: "read timeout",
    bad.SSLError: "TLS handshake failed",
    bad.ConnectionError: "connection broken",
}
_NOT_CONNECTED = "could not connect to"


def retry_after_seconds(error: BaseException) -> float | None:
    """Return the wait (maybe huge) a 429's `Retry-After` asks for, None if unreadable.

    lemlist sends `Retry-After` on every response, with its rate-limit headers: it
    says when the key's window frees up, which matters for a 429 only. (urllib3's
    `Retry.parse_retry_after` caps the wait at 6 h and reads 99 Dec as 7 Mar.)
    """
    response = getattr(error, "response", None)
    if response is None or response.status_code != HTTPStatus.TOO_MANY_REQUESTS:
        return None
    text = (response.headers.get("Retry-After") or "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    with contextlib.suppress(TypeError, ValueError, OverflowError, IndexError):
        when = email.utils.parsedate_to_datetime(text)
        # "-0000" is RFC 5322's unknown zone; an HTTP date is in GMT.
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return None


def is_permanent(error: BaseException, longest_wait: float) -> bool:
    """Return whether no retry can fix the failure, or none within the longest wait.

    True for errors of no transient kind (a malformed header, say), a certificate
    that does not verify, and a `Retry-After` longer than `longest_wait`.
    """
    return (
        (retry_after_seconds(error) or 0) > longest_wait
        or not isinstance(error, _TRANSIENT)
        or cause(error) == _CAUSES["CERTIFICATE_VERIFY_FAILED"]
    )


def cause(error: BaseException) -> str:
    """Say what went wrong with one attempt, e.g. `read timeout`."""
    if isinstance(error, (RetriableAPIError, throttle.DeadlineExceededError)):
        return str(error)  # the status (see response_error_message), or the deadline
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(reason, NewConnectionError):
        why = (
            "host not found in DNS"
            if isinstance(reason, NameResolutionError)
            else "connection refused"
            if "refused" in str(reason)
            else "unreachable"
        )
        return f"{_NOT_CONNECTED} {reason.conn.host}:{reason.conn.port} ({why})"
    for key, name in _CAUSES.items():
        if key in str(error) if isinstance(key, str) else isinstance(error, key):
            return name
    return f"{type(error).__name__}: {error!s:.120}"


class RetryingStream(RESTStream[_Token]):
    """Retries, waits on the API key's budget, gives up; says when, how and why."""

    #: Where waits happen; tests replace it with a fake clock.
    clock: t.ClassVar[throttle.Clock] = throttle.SYSTEM_CLOCK
    #: Attempts that failed and were retried, this sync.
    retried = 0
    #: What the request being sent asks for, e.g. `page 3`, for retry lines.
    asking = "a request"

    @property
    def request_budget(self) -> throttle.RequestBudget:
        """The API key's rate-limit budget, shared by every stream and sync."""
        return throttle.budget_for(
            self.config["api_key"],
            self.config["rate_limit_requests"],
            self.config["rate_limit_window_seconds"],
            self.clock,
        )

    @property
    def _longest_wait(self) -> int:
        return int(self.config["max_retry_wait_seconds"])

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        params, endpoint = request.params, self.path.strip("/")
        self.asking = (
            f"page {params['page']}"
            if "page" in params
            else f"{endpoint} from offset {params['offset']}"
            if "offset" in params
            else f"the {endpoint} request (GET {self.path})"
        )
        return request

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        return backoff.on_exception(
            self.backoff_wait_generator,
            REQUEST_ERRORS,
            max_tries=self.backoff_max_tries,
            giveup=lambda error: is_permanent(error, self._longest_wait),
            on_giveup=self._give_up,
            jitter=None,  # backoff_wait_generator spreads its own waits
            logger=None,  # backoff_wait_generator logs one line of its own
        )(func)

    @override
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        # backoff sends each failure in. The wait is a 429's Retry-After exactly,
        # else 1, 2, 4 … 60 s (at most the longest wait), spread by the jitter, as
        # dlt's `wait_exponential_retry_after`. It goes into the key's budget, which
        # every stream on the key waits for, on the stream's clock: backoff's own
        # sleep, on the real clock, is told 0.
        error = yield 0.0  # backoff's priming
        for tries in itertools.count(1):
            wait = retry_after_seconds(error)
            if wait is None:
                exponential = min(2.0 ** (tries - 1), MAX_BACKOFF_SECONDS)
                wait = self.clock.jitter(min(exponential, self._longest_wait))
            self.retried += 1
            self.logger.warning(
                "Retrying %s in %.1f s (attempt %d of %d failed: %s)",
                self.asking,
                wait,
                tries,
                self.backoff_max_tries(),
                cause(error),
            )
            self.request_budget.pause(wait)
            error = yield 0.0

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config["retry_max_tries"])

    def _give_up(self, details: Details) -> None:
        # In one line: what failed, how often, why, and the fix.
        error = t.cast("BaseException", details.get("exception"))
        why, fix = cause(error), "Try again later, or raise retry_max_tries."
        if (wait := retry_after_seconds(error) or 0) > (longest := self._longest_wait):
            why = (
                f"lemlist asked to wait {wait:.0f} s (Retry-After), longer than "
                f"max_retry_wait_seconds ({longest} s)"
            )
            fix = "Run again later, or raise max_retry_wait_seconds."
        elif is_permanent(error, longest):
            fix = "Not retried."
        elif why.startswith(_NOT_CONNECTED):
            fix = "Check api_url (default https://api.lemlist.com/api) and the network."
        what, tries = self.asking, details["tries"]
        tried = "1 try" if tries == 1 else f"{tries} tries"
        line = f"Reading {what} from lemlist failed after {tried}: {why}. {fix}"
        raise LemlistError(line) from None
