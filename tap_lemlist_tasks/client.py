"""The lemlist REST client: url, auth, session, retries; and lemlist's paged lists."""

from __future__ import annotations

import typing as t
from functools import cached_property
from importlib import metadata
from urllib.parse import parse_qs, urlsplit

import requests
from requests.auth import HTTPBasicAuth
from singer_sdk.exceptions import SkippableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_lemlist_tasks import retirement, retries, throttle
from tap_lemlist_tasks.errors import LemlistError
from tap_lemlist_tasks.filters import map_filters
from tap_lemlist_tasks.paging import ListPaginator, PageToken
from tap_lemlist_tasks.records import Quirks, items_sent

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.singerlib import Catalog

_Token = t.TypeVar("_Token")


class LemlistStream(retirement.Retiring, retries.RetryingStream[_Token]):
    """A lemlist endpoint: its url, Basic auth, the key's rate budget and retries."""

    extra_retry_statuses = (429, 408, 425)  # too many requests, timeout, too early
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # msgspec and Quirks did it
    allow_redirects = False  # the key must not go elsewhere: `_refuse_redirect`
    primary_keys = ("_id",)  # lemlist's key of most objects
    state_partitioning_keys: t.ClassVar[list[str]] = []  # one state: a key has one team

    @override
    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @override
    @property
    def authenticator(self) -> HTTPBasicAuth:
        return HTTPBasicAuth("", self.config["api_key"])  # lemlist: no user name

    @override
    @cached_property
    def user_agent(self) -> str:  # read when a sync starts: --help needs no metadata
        return f"tap-lemlist-tasks/{metadata.version('tap-lemlist-tasks')}"

    @override
    @cached_property
    def requests_session(self) -> requests.Session:
        session = requests.Session()
        # Read the environment's proxies and CA bundle once; requests would per request.
        read = session.merge_environment_settings(self.url_base, {}, None, None, None)
        session.proxies, session.verify = read["proxies"], read["verify"]
        session.trust_env = False
        # The adapter bounds each whole answer; it sets the sockets' timeout itself.
        deadline = int(self.config["request_timeout_seconds"])
        adapter = throttle.ThrottledAdapter(self.request_budget, deadline=deadline)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.hooks["response"].append(_refuse_redirect)
        return session

    @override
    def apply_catalog(self, catalog: Catalog) -> None:
        # Selection is honoured. A different key would make de-duplication drop records,
        # different types defeat the records' shapes: refused before any request.
        keys = list(self.primary_keys or ())
        super().apply_catalog(catalog)
        entry = catalog.get_stream(self.name)
        given = entry.schema.to_dict().get("properties", {}) if entry else {}
        changes = [
            f"field {name!r} the type {_type_of(given[name])} instead of {kind}"
            for name, schema in self.schema["properties"].items()
            if name in given and (kind := _type_of(schema)) != _type_of(given[name])
        ]
        if (now := list(self.primary_keys or ())) != keys:
            changes.insert(0, f"key properties {now} instead of {keys}")
        if changes:
            fix = "Use the catalog from --discover; select fields with metadata."
            msg = f"The catalog gives stream {self.name!r} {changes[0]}. {fix}"
            raise LemlistError(msg)

    def settled(self, rows: list[Record], context: Context | None) -> Iterator[Record]:
        """Yield whole records of rows that come in one answer (team, users); retire."""
        quirks, key = Quirks(self.name, self.schema, context), self.primary_keys[0]
        records = [quirks.scrub_nul(quirks(row, row[key])) for row in rows]
        quirks.report(self.logger)
        return self.whole(records)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        # What a refusal means for the user; any other status is transient. No message
        # may hold the key: a status, settings, 200 characters of lemlist's own words.
        status, body = response.status_code, f"{response.text.strip():.200}"
        filters = parse_qs(urlsplit(response.url).query).get("filters")
        sent = f" with filters {filters[0]}" if filters else ""
        refusals = {
            401: "lemlist rejected the API key (HTTP 401). Set a valid key in the "
            "api_key setting or the TAP_LEMLIST_TASKS_API_KEY variable.",
            403: "lemlist refused access (HTTP 403): the lemlist user owning this API "
            "key is blocked. Ask the team's lemlist admin to unblock it.",
            404: f"lemlist has no {self.path} at {self.url_base} (HTTP 404): the "
            "api_url setting looks wrong; the default is https://api.lemlist.com/api.",
            400: f"lemlist refused the request (HTTP 400: {body}){sent}."
            if self.path != "/team"
            else "lemlist refused to name the API key's team (HTTP 400, 'Bad team' "
            "or no key): check the api_key setting.",
        }
        return refusals.get(status, f"HTTP {status} {response.reason}".strip())


class LemlistListStream(LemlistStream[PageToken]):
    """A lemlist list, read as many times as it takes to prove one read whole."""

    page_size = 0  # lemlist's for the list; 0: it documents none, an empty page ends
    #: The last answer's items, decoded in `validate_response`: a bad body is retried.
    _items: list[t.Any]
    scope = ""  # what selects the items this sync (the tasks' filters), as text

    @override
    def get_new_paginator(self) -> ListPaginator:
        self._paginator = ListPaginator(
            max_reads=int(self.config["max_reads_per_sync"]) if self.retires else 1,
            keys_of=lambda _: [item["_id"] for item in self._items],
            page_size=self.page_size,
        )
        return self._paginator

    @override
    def parse_response(self, response: requests.Response) -> Iterable[Record]:
        paginator, items = self._paginator, self._items
        if not paginator.ledger:  # a field lemlist adds shows on every item
            sent = [i for i in items_sent(response.content) if isinstance(i, dict)]
            if new := sorted(set().union(*sent) - set(self.schema["properties"])):
                msg = "dropping fields lemlist sent but the schema does not declare"
                self.logger.warning("%s: %s: %s", self.name, msg, ", ".join(new))
        # An item may reappear on another page or read: only its first reading is sent.
        fresh = {i["_id"]: i for i in items if paginator.is_new(i["_id"])}
        records = [self._quirks(item, key) for key, item in fresh.items()]
        if b"\\u0000" in response.content:
            records = [self._quirks.scrub_nul(record) for record in records]
        read, page = paginator.read, paginator.current_value.number
        if read.pages == 0 or (read.pages + 1) % 25 == 0:  # a read's first, every 25th
            way = "back from the end to" if read.backward else "forward from"
            so_far = f"{len(paginator.ledger) + len(records):,} {self.name} so far"
            msg = f"{self.name}: read {read.number + 1} ({way} page 0), page {page}"
            self.logger.info("%s; %s", msg, so_far)
        return records

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        self._quirks, self.retried = Quirks(self.name, self.schema, context), 0
        if self.retires:
            self.start_version()
        sent = 0  # the records that stream maps' __filter__ expressions send on
        aliases = map_filters(self.config, self.name)
        filters = [m for m in self.stream_maps if m.stream_alias in aliases]
        try:
            for record in super().get_records(context):
                sent += all(m.get_filter_result(record) for m in filters)
                yield record
        except SkippableAPIError as skipped:  # e.g. a route the plan lacks: no retiring
            self.logger.warning("%s", skipped)
            return
        self._quirks.report(self.logger)
        self.settle(self._paginator.verdict(), sent, self.scope, self.retried)


def _type_of(schema: dict[str, t.Any]) -> str:  # e.g. `null or string (date-time)`
    types = schema.get("type", [])
    kinds = " or ".join(sorted([types] if isinstance(types, str) else types))
    return f"{kinds} ({schema['format']})" if "format" in schema else kinds


def _refuse_redirect(response: requests.Response, **_kwargs: t.Any) -> None:  # noqa: ANN401
    # lemlist documents no redirect; one could take the key elsewhere, or loop. A hook:
    # requests parses the Location, which may not parse, before validate_response.
    if response.is_redirect:
        location = response.headers.get("Location", "")
        msg = (
            f"lemlist answered HTTP {response.status_code}, a redirect to "
            f"{location!r:.120}. The tap follows no redirect, so the API key never "
            "goes elsewhere: if lemlist moved its API, set api_url to the new address."
        )
        raise LemlistError(msg)
