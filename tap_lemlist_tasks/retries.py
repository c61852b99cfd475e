"""Retries on backoff's terms (giveup, max_tries, Retry-After), each told in a line."""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import typing as t
from datetime import datetime, timezone
from http import HTTPStatus

import backoff
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

#: The failures the SDK retries; any other failure of a request is not retried.
_TRANSIENT = (
    ConnectionResetError,
    RetriableAPIError,
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
    """Return the wait (maybe huge) a 429's Retry-After asks for; None if unreadable."""
    # Not urllib3's `Retry.parse_retry_after`: it caps at 6 h, reads 99 Dec as 7 Mar.
    response = getattr(error, "response", None)
    if response is None or response.status_code != HTTPStatus.TOO_MANY_REQUESTS:
        return None
    text = response.headers.get("Retry-After", "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    with contextlib.suppress(TypeError, ValueError, OverflowError, IndexError):
        when = email.utils.parsedate_to_datetime(text)
        # "-0000" is RFC 5322's unknown zone; an HTTP date is in GMT.
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return None


def cause(error: BaseException) -> str:
    """Say what went wrong with one attempt, e.g. `read timeout`."""
    if isinstance(error, (RetriableAPIError, throttle.DeadlineExceededError)):
        return str(error)  # the status (see response_error_message), or the deadline
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(reason, NewConnectionError):
        why = "connection refused" if "refused" in str(reason) else "unreachable"
        if isinstance(reason, NameResolutionError):
            why = "host not found in DNS"
        return f"{_NOT_CONNECTED} {reason.conn.host}:{reason.conn.port} ({why})"
    for key, name in _CAUSES.items():
        if key in str(error) if isinstance(key, str) else isinstance(error, key):
            return name
    return f"{type(error).__name__}: {error!s:.120}"


class RetryingStream(RESTStream[_Token]):
    """Retries, waits on the API key's budget, gives up; says when, how and why."""

    #: Where waits happen; tests replace it with a fake clock.
    clock: t.ClassVar[throttle.Clock] = throttle.Clock()
    #: Attempts that failed and were retried, this sync.
    retried = 0
    #: What the request being sent asks for, e.g. `page 3`, for retry lines.
    asking = "a request"

    @property
    def request_budget(self) -> throttle.RequestBudget:
        """The API key's rate-limit budget, shared by every stream and sync."""
        window = self.config["rate_limit_window_seconds"]
        limit, key = self.config["rate_limit_requests"], self.config["api_key"]
        return throttle.budget_for(key, limit, window, self.clock)

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        params, endpoint = request.params, self.path.strip("/")
        if "page" in params:
            self.asking = f"page {params['page']}"
        elif "offset" in params:
            self.asking = f"{endpoint} from offset {params['offset']}"
        else:
            self.asking = f"the {endpoint} request (GET {self.path})"
        return request

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        return backoff.on_exception(
            self.backoff_wait_generator,
            # Every failure of a request: retried, or given up in one line.
            (*_TRANSIENT, bad.RequestException),
            max_tries=self.backoff_max_tries,
            giveup=lambda error: self.no_retry_fixes(error) is not None,
            on_giveup=self._give_up,
            logger=None,  # backoff_wait_generator logs one line of its own
        )(func)

    @override
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        # As dlt's `wait_exponential_retry_after`: Retry-After, else 1, 2, 4 … 60 s
        # jittered, waited in the key's budget on our clock (backoff itself sleeps 0).
        error = yield 0.0  # backoff's priming
        for tries in itertools.count(1):
            if (wait := retry_after_seconds(error)) is None:
                cap = min(2.0 ** (tries - 1), 60, self.config["max_retry_wait_seconds"])
                wait = self.clock.jitter(cap)
            self.retried += 1
            msg = f"Retrying {self.asking} in {wait:.1f} s (attempt {tries} of "
            msg += f"{self.backoff_max_tries()} failed: {cause(error)})"
            self.logger.warning("%s", msg)
            self.request_budget.pause(wait)
            error = yield 0.0

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config["retry_max_tries"])

    def no_retry_fixes(self, error: BaseException) -> tuple[str, str] | None:
        """Return why no retry can fix the failure, and the fix; None if one may."""
        longest_wait = int(self.config["max_retry_wait_seconds"])
        if (wait := retry_after_seconds(error) or 0) > longest_wait:
            why = f"lemlist asked to wait {wait:.0f} s (Retry-After), longer than "
            why += f"max_retry_wait_seconds ({longest_wait} s)"
            return why, "Run again later, or raise max_retry_wait_seconds."
        why, retriable = cause(error), isinstance(error, _TRANSIENT)
        if not retriable or why == _CAUSES["CERTIFICATE_VERIFY_FAILED"]:
            return why, "Not retried."
        return None

    def _give_up(self, details: Details) -> None:
        error = details["exception"]
        fatal = self.no_retry_fixes(error)
        why, fix = fatal or (cause(error), "Try again later, or raise retry_max_tries.")
        if why.startswith(_NOT_CONNECTED):
            fix = "Check api_url (default https://api.lemlist.com/api) and the network."
        tried = "1 try" if details["tries"] == 1 else f"{details['tries']} tries"
        line = f"Reading {self.asking} from lemlist failed after {tried}: {why}. {fix}"
        raise LemlistError(line) from None
