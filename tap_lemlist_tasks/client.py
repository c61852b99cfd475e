"""The lemlist REST client: url, auth, paging, retries, throttling and versioning."""

from __future__ import annotations

import email.utils
import sys
import time
import typing as t
import weakref
from datetime import datetime, timezone
from functools import cached_property
from http import HTTPStatus
from importlib import metadata
from urllib.parse import parse_qs, urlparse

import backoff
import msgspec
import requests
from requests.auth import HTTPBasicAuth
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import PageNumberPaginator

from tap_lemlist_tasks.filters import encode_filters
from tap_lemlist_tasks.records import RecordNormaliser
from tap_lemlist_tasks.seen import SeenKeys
from tap_lemlist_tasks.throttle import RequestBudget

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context, RequestFunc

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

MAX_BACKOFF_SECONDS = 60
TRANSIENT_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class Page(msgspec.Struct):
    """The body of a lemlist list endpoint: `{"results": [...], "page": "0"}`."""

    results: list[t.Any]


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


def retry_after_seconds(error: BaseException) -> float | None:
    """Return the wait lemlist asked for in `Retry-After`, if it asked.

    Args:
        error: The exception of the failed attempt.

    Returns:
        Seconds to wait, or None when the response carries no usable header.
    """
    response = getattr(error, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    if not header:
        return None
    if header.strip().isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def describe_failure(error: BaseException) -> str:
    """Say in a few words what went wrong with one attempt.

    Args:
        error: The exception of the failed attempt.

    Returns:
        E.g. `HTTP 503 Service Unavailable` or `read timeout`.
    """
    if isinstance(error, RetriableAPIError):
        return str(error)
    if isinstance(error, requests.exceptions.Timeout):
        return "read timeout"
    if isinstance(error, (ConnectionResetError, requests.exceptions.ConnectionError)):
        return "connection error"
    return f"{type(error).__name__}"


def page_of(prepared_request: requests.PreparedRequest) -> str:
    """Return the `page` query parameter of a request.

    Args:
        prepared_request: A request to lemlist.

    Returns:
        The page number as sent.
    """
    query = parse_qs(urlparse(prepared_request.url or "").query)
    return query.get("page", ["?"])[0]


class LemlistStream(RESTStream[int]):
    """A lemlist list endpoint read page by page, in full, at lemlist's pace."""

    # RecordNormaliser already gives every field its schema type (and drops the
    # undeclared ones); the SDK's generic pass would only repeat that, per field.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

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
    def get_new_paginator(self) -> PageNumberPaginator:
        # Pages count from 0; the SDK stops at the first page that yields no record,
        # which is lemlist's only end signal (there is no documented page size).
        return PageNumberPaginator(0)

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: int | None
    ) -> dict[str, t.Any]:
        # Always send `filters`: lemlist was seen refusing requests without it.
        return {
            "page": next_page_token or 0,
            "filters": encode_filters(self.config.get("filters", [])),
        }

    # Retries and throttling

    @cached_property
    def request_budget(self) -> RequestBudget:
        """The rate limit budget of this stream, one per tap process."""
        return RequestBudget(
            self.config["rate_limit_requests"],
            self.config["rate_limit_window_seconds"],
        )

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        def throttled(
            prepared_request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            self.request_budget.wait_for_turn()
            try:
                response = func(prepared_request, context)
            except RetriableAPIError as error:
                self._spend_budget(error.response)
                raise
            except requests.exceptions.RequestException:
                self._spend_budget(None)
                raise
            self._spend_budget(response)
            return response

        retrying = backoff.on_exception(
            self.backoff_wait_generator,
            TRANSIENT_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=None,
            logger=None,
        )(throttled)

        def request_or_give_up(
            prepared_request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            try:
                return retrying(prepared_request, context)
            except TRANSIENT_ERRORS as error:
                msg = (
                    f"lemlist kept failing on page {page_of(prepared_request)} after "
                    f"{self.backoff_max_tries()} tries: {describe_failure(error)}. "
                    "Try again later, or raise retry_max_tries."
                )
                raise LemlistError(msg) from None

        return request_or_give_up

    def _spend_budget(self, response: requests.Response | None) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining") if response else None
        self.request_budget.spend(
            int(remaining) if remaining and remaining.isdigit() else None
        )

    @override
    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        # Honour `Retry-After` to the second; otherwise back off exponentially with
        # full jitter, so parallel jobs on one key do not retry in lockstep.
        exponential = backoff.expo(factor=1, max_value=MAX_BACKOFF_SECONDS)
        next(exponential)
        error = yield 0.0
        while True:
            retry_after = retry_after_seconds(error)
            if retry_after is None:
                retry_after = backoff.full_jitter(next(exponential))
            error = yield retry_after

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config["retry_max_tries"])

    @override
    def backoff_handler(self, details: Details) -> None:
        prepared_request = details["args"][0]
        self.logger.warning(
            "Retrying page %s in %.1f s (attempt %d of %d failed: %s)",
            page_of(prepared_request),
            details.get("wait", 0.0),
            details["tries"],
            self.backoff_max_tries(),
            describe_failure(t.cast("BaseException", details.get("exception"))),
        )

    # Responses

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        transient = status >= HTTPStatus.INTERNAL_SERVER_ERROR
        if transient or status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RetriableAPIError(self._status_text(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise LemlistError(self._fatal_message(response))
        self._results_by_response[response] = self._decode_results(response)

    @cached_property
    def _results_by_response(
        self,
    ) -> weakref.WeakKeyDictionary[requests.Response, list[t.Any]]:
        # Decoded once in validate_response, where a bad body can still be retried.
        return weakref.WeakKeyDictionary()

    def _decode_results(self, response: requests.Response) -> list[t.Any]:
        try:
            return msgspec.json.decode(response.content, type=Page).results
        except msgspec.ValidationError as error:
            msg = f"page body has an unexpected shape ({error})"
        except msgspec.DecodeError:
            content_type = response.headers.get("Content-Type", "no content type")
            msg = f"page body is not valid JSON ({content_type})"
        raise RetriableAPIError(msg, response)

    @staticmethod
    def _status_text(response: requests.Response) -> str:
        return f"HTTP {response.status_code} {response.reason}".strip()

    def _fatal_message(self, response: requests.Response) -> str:
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            return (
                "lemlist rejected the API key (HTTP 401). Set a valid key in the "
                "api_key setting or the TAP_LEMLIST_TASKS_API_KEY variable."
            )
        if status == HTTPStatus.FORBIDDEN:
            return (
                "lemlist refused access (HTTP 403): the lemlist user owning this API "
                "key is blocked. Ask the team's lemlist admin to unblock it."
            )
        if status == HTTPStatus.NOT_FOUND:
            return (
                f"lemlist has no {self.path} at {self.url_base} (HTTP 404): the "
                "api_url setting looks wrong; the default is https://api.lemlist.com/api."
            )
        if status == HTTPStatus.BAD_REQUEST:
            return (
                f"lemlist refused the request (HTTP 400: {response.text.strip():.200}) "
                f"with filters {encode_filters(self.config.get('filters', []))}."
            )
        return f"lemlist answered {self._status_text(response)}."

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        tasks = self._results_by_response.pop(response)
        new_tasks = [task for task in map(self._normalise, tasks) if self._is_new(task)]
        if tasks and not new_tasks:
            msg = (
                f"lemlist served page {page_of(response.request)} with only tasks "
                "already read in this sync: it seems to ignore the page parameter. "
                "Stopping instead of looping; no task was emitted twice."
            )
            raise LemlistError(msg)
        return new_tasks

    @cached_property
    def _normalise(self) -> RecordNormaliser:
        return RecordNormaliser(self.schema, self.primary_keys[0], self.logger)

    @cached_property
    def _seen_keys(self) -> SeenKeys:
        return SeenKeys()

    def _is_new(self, record: dict[str, t.Any]) -> bool:
        # A task can reappear on a later page when the list shifts during the sync.
        return self._seen_keys.add(record[self.primary_keys[0]])

    # Versions: retire tasks that are gone only after a complete sync

    @override
    @property
    def emit_activate_version_messages(self) -> bool:
        # The SDK sends ACTIVATE_VERSION before the first record, which tells the
        # target to retire every row the sync has not seen yet: a sync failing half
        # way would mark most tasks deleted. get_records sends it at the end instead.
        return False

    @cached_property
    def _retires_unseen_tasks(self) -> bool:
        return bool(self.config.get("emit_activate_version_messages", True))

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if not self._retires_unseen_tasks:
            yield from super().get_records(context)
            return
        # Microseconds, not the SDK's seconds: two syncs started together differ.
        # The SDK has no public hook for either step, hence its private members:
        # records carry _stream_version, and the message honours stream maps.
        version = time.time_ns() // 1_000
        self._stream_version = version
        yield from super().get_records(context)
        self._write_activate_version_message(version)
