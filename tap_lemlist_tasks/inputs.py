"""What the tap reads besides lemlist: its settings, and the state it resumes from.

The SDK validates the config against the settings schema before any request, and
reports what it refuses in the words of jsonschema, naming the setting;
`check_settings` refuses what no schema can say.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import typing as t

from singer_sdk import typing as th
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from tap_lemlist_tasks.errors import RefusedError
from tap_lemlist_tasks.filters import FILTER_SCHEMA
from tap_lemlist_tasks.paging import MAX_READS

FILTERS_EXAMPLE = [
    {"filterId": "type", "in": ["phone", "email"]},
    {"filterId": "dueDate", "from": "2025-01-01"},
]
#: The integer settings: name, default, minimum, maximum, title, description.
_INTEGERS = [
    ("max_reads_per_sync", 4, 2, MAX_READS, "Reads of the list per sync, at most",
     ("A sync that retires reads the task list forward, then backward, until one "
      "read is proven to hold every task that stayed open (two reads when nobody "
      "works meanwhile). This bounds the reads; a sync with no proven read retires "
      f"nothing. 2 to {MAX_READS}.")),
    ("max_retired_percent", 50, 0, 100, "Collapse guard (percent)",
     ("A sync that would retire more than this percentage of the tasks the last "
      "retiring sync emitted retires nothing, once, with a warning; the next sync "
      "that sees the same drop retires. 0 to 100; 100 turns the guard off.")),
    ("rate_limit_requests", 20, 1, 10_000, "Rate limit: requests",
     ("Requests allowed per window (lemlist: 20 per 2 s per API key). Lower it "
      "when several jobs share one key. 1 to 10000.")),
    ("rate_limit_window_seconds", 2, 1, 3600, "Rate limit: window (seconds)",
     "The window the request budget applies to. 1 to 3600."),
    ("request_timeout_seconds", 30, 1, 3600, "Request timeout (seconds)",
     ("Deadline for one request: connecting, the headers and the whole body (not "
      "the host name lookup). A request over it is retried like a timeout. 1 to "
      "3600.")),
    ("max_retry_wait_seconds", 120, 1, 3600, "Longest retry wait (seconds)",
     ("The longest wait the tap accepts before a retry. When lemlist's Retry-After "
      "asks for more, the sync fails at once, so a scheduled run never sleeps into "
      "the next one. 1 to 3600.")),
    ("retry_max_tries", 8, 1, 100, "Tries per request",
     ("Attempts per page on transient failures (429, 5xx, timeouts, broken "
      "responses) before the sync fails. 1 to 100.")),
]  # fmt: skip

# The tap's own settings; the SDK appends its built-in ones to config_jsonschema.
SETTINGS = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        title="API key",
        description="lemlist API key (lemlist: Settings > Integrations > API).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default="https://api.lemlist.com/api",
        title="API URL",
        description="Base URL of lemlist's API. Must be https:// unless the host is "
        "loopback (a local stand-in for tests).",
    ),
    th.Property(
        "filters",
        th.ArrayType(th.CustomType(FILTER_SCHEMA)),
        default=[],
        title="Filters",
        description="lemlist filter objects, sent as the `filters` query parameter, "
        'e.g. [{"filterId": "type", "in": ["phone"]}]. filterIds: fullName, email, '
        "phone, linkedin (value or regex), campaignId, campaignState, type, "
        "assignedTo (in and/or out), dueDate (from and/or to, YYYY-MM-DD).",
        examples=[FILTERS_EXAMPLE],
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=True,
        title="Retire done tasks",
        description="Send ACTIVATE_VERSION after a complete sync, so the target marks "
        "tasks lemlist no longer returns (done) as deleted. Never sent for a stream "
        "whose sync did not finish.",
    ),
    *(
        th.Property(
            name,
            th.IntegerType,
            default=default,
            title=title,
            description=text,
            minimum=low,
            maximum=high,
        )
        for name, default, low, high, title, text in _INTEGERS
    ),
    # A misspelt setting would be ignored. And batch_config would make the SDK
    # announce BATCH files after ACTIVATE_VERSION: the target would retire tasks
    # before loading them.
    additional_properties=False,
)


def _object(**properties: t.Any) -> dict[str, t.Any]:  # noqa: ANN401
    return {"type": "object", "properties": properties}


_COUNT, _TEXT = {"type": ["integer", "null"]}, {"type": ["string", "null"]}
_PARTITION = _object(context={"type": ["object", "null"]}) | {"required": ["context"]}
#: What the SDK and the collapse guard read from a stream's bookmark: a state that
#: is not so would fail half way through a sync, or retire on a wrong count.
_BOOKMARK = _object(
    partitions={"type": "array", "items": _PARTITION},
    progress_markers={"type": "object"},
    retirement=_object(
        last_retiring_sync_emitted=_COUNT,
        collapse_withheld_emitted=_COUNT,
        last_retiring_sync_scope=_TEXT,
    ),
)
STATE_SCHEMA = _object(bookmarks={"type": "object", "additionalProperties": _BOOKMARK})


def settings_schema() -> dict[str, t.Any]:
    """SETTINGS as JSON schema, its optional settings not nullable.

    The SDK makes every optional setting nullable; a null would not mean the default
    but e.g. no throttle, or no retirement.
    """
    schema = SETTINGS.to_dict()
    for setting in schema["properties"].values():
        if "default" in setting:
            setting["type"].remove("null")
    return schema


def check_settings(config: t.Mapping[str, t.Any]) -> None:
    """Refuse an API key, URL or date the settings schema accepts but lemlist not."""
    key = config["api_key"]
    if key != key.strip():
        # A newline from a copied file would reach lemlist as part of the key.
        msg = "Setting 'api_key' starts or ends with whitespace: remove it."
        raise RefusedError(msg)
    if not key.isascii() or not key.isprintable():
        msg = "Setting 'api_key' holds non-ASCII or control characters: copy it again."
        raise RefusedError(msg)
    if problem := _api_url_problem(config["api_url"]):
        msg = (
            f"Setting 'api_url' {problem}: use https://host[:port]/path (http:// only "
            "on localhost)."
        )
        raise RefusedError(msg)
    for position, one in enumerate(config["filters"]):
        what = f"Setting 'filters', item {position}:"
        dates = {name: one[name] for name in ("from", "to") if name in one}
        for name, text in dates.items():
            try:
                dt.date.fromisoformat(text)
            except ValueError:  # noqa: PERF203 - two dates at most
                msg = f"{what} '{name}' {text} is no calendar date: use YYYY-MM-DD."
                raise RefusedError(msg) from None
        # The schema's pattern makes them YYYY-MM-DD, which sort as text.
        if len(dates) == 2 and dates["from"] > dates["to"]:  # noqa: PLR2004
            msg = (
                f"{what} 'from' {dates['from']} is after 'to' {dates['to']}: swap them."
            )
            raise RefusedError(msg)


def _api_url_problem(api_url: str) -> str | None:  # noqa: PLR0911 - one per rule
    # `https://host[:port]/path`, read as requests will. Plain http:// only on
    # loopback (a local stand-in), so the key never travels in clear text; userinfo
    # and backslashes, because URL parsers disagree on the host they name.
    if "\\" in api_url or not api_url.isprintable() or " " in api_url:
        return "holds a backslash, a space or a control character"
    try:
        url = parse_url(api_url)
    except LocationParseError:
        return "is not a URL (is the port 1 to 65535?)"
    if url.auth is not None:
        return "holds a user name or password before the host"
    if url.query is not None or url.fragment is not None:
        return "holds a query or fragment"
    host = url.host or ""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        if not _is_host_name(host):
            return "names a host that is not a valid host name"
        loopback = host == "localhost"
    if url.scheme == "https" or (url.scheme == "http" and loopback):
        return None
    return "must start with https:// so the API key never travels in clear text"


def _is_host_name(host: str) -> bool:
    # What a resolver takes (RFC 1123), after IDNA encoding as the HTTP client does.
    try:
        labels = host.encode("idna").decode().removesuffix(".").split(".")
    except UnicodeError:
        return False
    label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    return all(re.fullmatch(label, one) for one in labels)
