"""The one retry decision: after a failed attempt, wait N seconds, or give up.

backoff only loops (see `LemlistStream.request_decorator`); this decides each time,
from the failure and the settings, and the wait happens in the key's budget.
"""

from __future__ import annotations

import email.utils
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qs, urlparse

import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_lemlist_tasks import errors

if t.TYPE_CHECKING:
    from collections.abc import Callable

MAX_BACKOFF_SECONDS = 60
# Every failure of a request ends in backoff, which asks `decide` what to do.
REQUEST_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.RequestException,
)
TRANSIENT_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def is_transient(error: BaseException) -> bool:
    """Return whether trying the same request again may succeed.

    Args:
        error: The exception of the failed attempt.

    Returns:
        False for redirects gone wrong, malformed URLs or headers, and TLS
        certificates that do not verify; True for timeouts, resets and 5xx.
    """
    if isinstance(error, requests.exceptions.SSLError):
        return not errors.certificate_rejected(error)
    return isinstance(error, TRANSIENT_ERRORS)


def retry_after_seconds(error: BaseException) -> float | None:
    """Return the wait lemlist asked for in a 429's `Retry-After`, if readable.

    lemlist sends `Retry-After` on every response, with its rate-limit headers: it
    says when the key's window frees up, which matters for a 429 only.

    Args:
        error: The exception of the failed attempt.

    Returns:
        Seconds to wait (possibly huge), or None without a usable header.
    """
    response = getattr(error, "response", None)
    if response is None or response.status_code != HTTPStatus.TOO_MANY_REQUESTS:
        return None
    header = response.headers.get("Retry-After")
    text = (header or "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:  # "-0000": RFC 5322's unknown zone; HTTP means GMT
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def what_of(prepared_request: requests.PreparedRequest | None) -> str:
    """Name what a request asks lemlist for, for the user.

    Args:
        prepared_request: A request to lemlist.

    Returns:
        `page 3` for a page of a list, else e.g. `the team request (GET /team)`.
    """
    url = urlparse((prepared_request.url if prepared_request else None) or "")
    query = parse_qs(url.query)
    endpoint = url.path.rsplit("/", 1)[-1]
    if "page" in query:
        return f"page {query['page'][0]}"
    if "offset" in query:
        return f"{endpoint} from offset {query['offset'][0]}"
    return f"the {endpoint} request (GET /{endpoint})"


@dataclass(frozen=True)
class RetryDecision:
    """After a failed attempt: wait `wait` seconds and try again, or give up."""

    wait: float = 0.0
    #: The one line to stop the sync with; None to try again.
    give_up: str | None = None


def decide(  # noqa: PLR0913 - a decision from the failure and four settings
    error: BaseException,
    tries: int,
    *,
    what: str,
    max_tries: int,
    longest_wait: int,
    jitter: Callable[[float], float],
) -> RetryDecision:
    """Decide, after failed attempt number `tries`, whether and when to retry.

    Args:
        error: Why the attempt failed.
        tries: Attempts made so far.
        what: What was asked for, e.g. `page 3`, for the message.
        max_tries: `retry_max_tries`.
        longest_wait: `max_retry_wait_seconds`.
        jitter: Spreads a wait (full jitter; tests halve it).

    Returns:
        A 429's `Retry-After` exactly (unless longer than the longest wait: give
        up); otherwise 1, 2, 4 … 60 s, spread by the jitter; or the line to give up
        with, at once for what no retry can fix, else after the last try.
    """
    cause = errors.failure_cause(error)
    retry_after = retry_after_seconds(error)
    if retry_after is not None and retry_after > longest_wait:
        return RetryDecision(
            give_up=errors.wait_too_long(what, retry_after, longest_wait)
        )
    if not is_transient(error):
        return RetryDecision(give_up=errors.failed_at_once(what, cause))
    if tries >= max_tries:
        return RetryDecision(give_up=errors.gave_up(what, tries, cause))
    if retry_after is not None:
        return RetryDecision(wait=retry_after)
    cap = min(MAX_BACKOFF_SECONDS, longest_wait)
    return RetryDecision(wait=jitter(min(2.0 ** (tries - 1), cap)))
