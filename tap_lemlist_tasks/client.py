"""The lemlist REST client: url, auth, paging, retries, throttling and versioning."""

from __future__ import annotations

import email.utils
import sys
import time
import typing as t
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from http import HTTPStatus
from importlib import metadata
from urllib.parse import parse_qs, urlparse

import backoff
import requests
from requests.auth import HTTPBasicAuth
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.filters import encode_filters
from tap_lemlist_tasks.paging import Page, PageToken, TwoPassPaginator, decode_page
from tap_lemlist_tasks.records import RecordNormaliser
from tap_lemlist_tasks.seen import CONFIRMING_READ, FIRST_READ, ReadLedger
from tap_lemlist_tasks.throttle import (
    SYSTEM_CLOCK,
    Clock,
    RequestBudget,
    ThrottledAdapter,
    budget_for,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context, RequestFunc
    from singer_sdk.singerlib import Catalog

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

MAX_BACKOFF_SECONDS = 60
# Every failure of a request ends in backoff: transient ones are retried, the rest
# give up at once, and either way the user reads one line (see _give_up).
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
    """Return the wait lemlist asked for in `Retry-After`, if it asked readably.

    Args:
        error: The exception of the failed attempt.

    Returns:
        Seconds to wait (possibly huge), or None without a usable header.
    """
    response = getattr(error, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
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
    page = parse_qs(url.query).get("page")
    if page:
        return f"page {page[0]}"
    endpoint = url.path.rsplit("/", 1)[-1]
    return f"the {endpoint} request (GET /{endpoint})"


@dataclass
class SyncState:
    """What one sync accumulates; a new sync starts from a new one."""

    normalise: RecordNormaliser
    ledger: ReadLedger = field(default_factory=ReadLedger)
    pages: weakref.WeakKeyDictionary[requests.Response, Page] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    paginator: TwoPassPaginator | None = None


class LemlistStream(RESTStream[PageToken]):
    """A lemlist list endpoint read page by page, in full, at lemlist's pace."""

    #: lemlist's transient statuses besides 5xx: rate limit, timeout, too early.
    extra_retry_statuses = [  # noqa: RUF012 - the SDK's attribute
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.REQUEST_TIMEOUT,
        HTTPStatus.TOO_EARLY,
    ]

    # RecordNormaliser already gives every field its schema type (and drops the
    # undeclared ones); the SDK's generic pass would only repeat that, per field.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    #: Where waits happen; tests replace it with a fake clock.
    clock: t.ClassVar[Clock] = SYSTEM_CLOCK

    _sync: SyncState

    @override
    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @override
    @property
    def authenticator(self) -> HTTPBasicAuth:
        # lemlist: empty user name, API key as password.
        return HTTPBasicAuth("", self.config["api_key"])

    @override
    @cached_property
    def user_agent(self) -> str:
        return f"tap-lemlist-tasks/{metadata.version('tap-lemlist-tasks')}"

    @override
    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout_seconds"])

    @override
    @cached_property
    def requests_session(self) -> requests.Session:
        session = requests.Session()
        adapter = ThrottledAdapter(self.request_budget, deadline=self.timeout)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @property
    def request_budget(self) -> RequestBudget:
        """The API key's rate-limit budget, shared by every stream and sync."""
        return budget_for(
            self.config["api_key"],
            self.config["rate_limit_requests"],
            self.config["rate_limit_window_seconds"],
            self.clock,
        )

    @override
    def apply_catalog(self, catalog: Catalog) -> None:
        # Selection and field metadata are honoured; a different key would make
        # de-duplication drop tasks, and different types would defeat the records'
        # normalisation, so those are refused before any request.
        keys, properties = list(self.primary_keys or ()), self.schema["properties"]
        super().apply_catalog(catalog)
        entry = catalog.get_stream(self.name)
        problem = errors.catalog_change(
            self.name,
            keys,
            list(self.primary_keys or ()),
            properties,
            entry.schema.to_dict().get("properties", {}) if entry else {},
        )
        if problem:
            raise errors.LemlistError(problem)

    @override
    def get_new_paginator(self) -> TwoPassPaginator:
        self._sync.paginator = TwoPassPaginator(
            self._sync.pages, self._sync.ledger, confirm=self._retires_unseen_tasks
        )
        return self._sync.paginator

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        # lemlist's reference always sends `filters`; `[]` when none are set.
        return {
            "page": next_page_token.number if next_page_token else 0,
            "filters": encode_filters(self.config.get("filters", [])),
        }

    @property
    def _paginator(self) -> TwoPassPaginator:
        if self._sync.paginator is None:
            msg = "no page is being read outside a sync"
            raise RuntimeError(msg)
        return self._sync.paginator

    # Retries: backoff counts the tries; the wait is a pause of the key's budget

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        # The SDK's, minus backoff's own log lines: backoff_handler logs one line.
        return backoff.on_exception(
            self.backoff_wait_generator,
            REQUEST_ERRORS,
            max_tries=self.backoff_max_tries,
            giveup=self._retry_would_not_help,
            on_backoff=self.backoff_handler,
            on_giveup=self._give_up,
            jitter=None,
            logger=None,
        )(func)

    @override
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        # No sleep in backoff: backoff_handler pauses the key's budget instead, so
        # every request on the key waits, through the stream's clock.
        return backoff.constant(interval=0)

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config["retry_max_tries"])

    @override
    def backoff_handler(self, details: Details) -> None:
        error = t.cast("BaseException", details.get("exception"))
        wait = self.retry_wait(error, details["tries"])
        self.logger.warning(
            errors.retrying(
                what_of(details["args"][0]),
                wait,
                details["tries"],
                self.backoff_max_tries(),
                errors.failure_cause(error),
            )
        )
        self.request_budget.pause(wait)

    def retry_wait(self, error: BaseException, tries: int) -> float:
        """Return how long to wait after the failed attempt number `tries`.

        Args:
            error: Why the attempt failed.
            tries: Attempts made so far.

        Returns:
            `Retry-After` exactly when lemlist sent it; otherwise 1, 2, 4 … 60 s,
            spread by the clock's jitter.
        """
        retry_after = retry_after_seconds(error)
        if retry_after is not None:
            return retry_after
        cap = min(MAX_BACKOFF_SECONDS, self._longest_wait)
        return self.clock.jitter(min(2.0 ** (tries - 1), cap))

    @property
    def _longest_wait(self) -> int:
        return int(self.config["max_retry_wait_seconds"])

    def _retry_would_not_help(self, error: Exception) -> bool:
        retry_after = retry_after_seconds(error)
        too_long = retry_after is not None and retry_after > self._longest_wait
        return too_long or not is_transient(error)

    def _give_up(self, details: Details) -> None:
        error = t.cast("BaseException", details.get("exception"))
        page, cause = what_of(details["args"][0]), errors.failure_cause(error)
        retry_after = retry_after_seconds(error)
        if retry_after is not None and retry_after > self._longest_wait:
            message = errors.wait_too_long(page, retry_after, self._longest_wait)
        elif not is_transient(error):
            message = errors.failed_at_once(page, cause)
        else:
            message = errors.gave_up(page, details["tries"], cause)
        raise errors.LemlistError(message) from None

    # Responses

    @override
    def response_error_message(self, response: requests.Response) -> str:
        return errors.status_message(
            response.status_code,
            response.reason,
            response.text,
            where=f"{self.path} at {self.url_base}",
            filters=encode_filters(self.config.get("filters", [])),
        )

    @override
    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        requested = self._paginator.current_value.number
        self._sync.pages[response] = decode_page(response, requested)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        sync = self._sync
        confirming = self._paginator.current_value.confirming
        read = CONFIRMING_READ if confirming else FIRST_READ
        key = self.primary_keys[0]
        # A task can reappear on another page when the list shifts during the sync:
        # only its first reading is normalised and emitted.
        return [
            sync.normalise(task)
            for task in sync.pages[response].results
            if sync.ledger.add(task.get(key) if isinstance(task, dict) else None, read)
        ]

    # Versions: retire tasks that are gone only after a complete, sure sync

    @override
    @property
    def emit_activate_version_messages(self) -> bool:
        # The SDK sends ACTIVATE_VERSION before the first record, which tells the
        # target to retire every row the sync has not seen yet: a sync failing half
        # way would mark most tasks deleted. get_records sends it at the end instead.
        return False

    @property
    def _retires_unseen_tasks(self) -> bool:
        return bool(self.config["emit_activate_version_messages"])

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        self._sync = SyncState(
            RecordNormaliser(self.schema, self.primary_keys[0], self.logger)
        )
        if not self._retires_unseen_tasks:
            yield from super().get_records(context)
            self._sync.normalise.report()
            return
        # Microseconds, not the SDK's seconds: two syncs started together differ.
        # The SDK has no public hook for either step, hence its private members:
        # records carry _stream_version, and the message honours stream maps.
        version = time.time_ns() // 1_000
        self._stream_version = version
        yield from super().get_records(context)
        self._sync.normalise.report()
        departed, arrived = (
            self._paginator.audit.departed(),
            self._paginator.audit.arrived,
        )
        if departed and arrived:
            # A task may have been skipped by both reads: retire nothing this time.
            self.logger.warning(errors.not_sure_to_retire(departed, arrived))
            return
        self._write_activate_version_message(version)
