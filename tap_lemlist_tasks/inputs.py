"""What the tap reads besides lemlist: its settings, and the state it resumes from."""

from __future__ import annotations

import re
import typing as t

from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from tap_lemlist_tasks.errors import RefusedError
from tap_lemlist_tasks.filters import FILTER_SCHEMA
from tap_lemlist_tasks.paging import MAX_READS

#: Each setting's name, JSON type, default, title, description, and rest of schema.
_SETTINGS: list[tuple[t.Any, ...]] = [
    ("api_key", "string", None, "API key",
     "lemlist API key (lemlist: Settings > Integrations > API).",
     {"secret": True, "writeOnly": True}),
    ("api_url", "string", "https://api.lemlist.com/api", "API URL",
     ("Base URL of lemlist's API. Must be https:// unless the host is loopback (a "
      "local stand-in for tests)."), {}),
    ("filters", "array", [], "Filters",
     ("lemlist filter objects, sent as the `filters` query parameter, e.g. "
      '[{"filterId": "type", "in": ["phone"]}]. filterIds: fullName, email, phone, '
      "linkedin (value or regex), campaignId, campaignState, type, assignedTo (in "
      "and/or out), dueDate (from and/or to, YYYY-MM-DD)."), {"items": FILTER_SCHEMA}),
    ("emit_activate_version_messages", "boolean", True, "Retire done tasks",
     ("Send ACTIVATE_VERSION after a complete sync, so the target marks tasks "
      "lemlist no longer returns (done) as deleted. Never sent for a stream whose "
      "sync did not finish."), {}),
    ("max_reads_per_sync", "integer", 4, "Reads of the list per sync, at most",
     ("A sync that retires reads the task list forward, then backward, until one "
      "read is proven to hold every task that stayed open (two reads when nobody "
      "works meanwhile). This bounds the reads; a sync with no proven read retires "
      f"nothing. 2 to {MAX_READS}."), {"minimum": 2, "maximum": MAX_READS}),
    ("max_retired_percent", "integer", 50, "Collapse guard (percent)",
     ("A sync that would retire more than this percentage of the tasks the last "
      "retiring sync emitted retires nothing, once, with a warning; the next sync "
      "that sees the same drop retires. 0 to 100; 100 turns the guard off."),
     {"minimum": 0, "maximum": 100}),
    ("rate_limit_requests", "integer", 20, "Rate limit: requests",
     ("Requests allowed per window (lemlist: 20 per 2 s per API key). Lower it when "
      "several jobs share one key. 1 to 10000."), {"minimum": 1, "maximum": 10_000}),
    ("rate_limit_window_seconds", "integer", 2, "Rate limit: window (seconds)",
     "The window the request budget applies to. 1 to 3600.",
     {"minimum": 1, "maximum": 3600}),
    ("request_timeout_seconds", "integer", 30, "Request timeout (seconds)",
     ("Deadline for one request: connecting, the headers and the whole body (not "
      "the host name lookup). A request over it is retried like a timeout. 1 to "
      "3600."), {"minimum": 1, "maximum": 3600}),
    ("max_retry_wait_seconds", "integer", 120, "Longest retry wait (seconds)",
     ("The longest wait the tap accepts before a retry. When lemlist's Retry-After "
      "asks for more, the sync fails at once, so a scheduled run never sleeps into "
      "the next one. 1 to 3600."), {"minimum": 1, "maximum": 3600}),
    ("retry_max_tries", "integer", 8, "Tries per request",
     ("Attempts per page on transient failures (429, 5xx, timeouts, broken "
      "responses) before the sync fails. 1 to 100."), {"minimum": 1, "maximum": 100}),
]  # fmt: skip

#: The settings' schema, the tap's config_jsonschema: the SDK appends its built-in ones.
SETTINGS: dict[str, t.Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        name: {"type": kind, "title": title, "description": text, **schema}
        | ({} if default is None else {"default": default})
        for name, kind, default, title, text, schema in _SETTINGS
    },
    "required": ["api_key"],
    # A misspelt setting would be ignored, and batch_config would retire tasks before
    # loading them (why: the tap's capabilities).
    "additionalProperties": False,
}


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
_STATE = _object(bookmarks={"type": "object", "additionalProperties": _BOOKMARK})
STATE_VALIDATOR = DEFAULT_JSONSCHEMA_VALIDATOR(_STATE)

#: The URLs check_settings' message names, host names as a resolver takes them (RFC
#: 1123): with a backslash, space or control character, parsers disagree on the host.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_API_URL = re.compile(
    rf"(?:https://(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9a-f:.]+\])"
    r"|http://(?:localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|\[::1\]))"
    r"(?::(?P<port>\d{1,5}))?(?:/[-\w.~!$&'()*+,;=:@%/]*)?",
    re.ASCII | re.IGNORECASE,
)
_FORMATS = DEFAULT_JSONSCHEMA_VALIDATOR.FORMAT_CHECKER


def check_settings(config: t.Mapping[str, t.Any]) -> None:
    """Refuse an API key, URL or date the settings schema accepts but lemlist not."""
    # A newline from a copied file would reach lemlist as part of the key.
    if not re.fullmatch(r"[!-~]+", config["api_key"]):
        why = "holds a space, a line break or a character no key has"
        msg = f"Setting 'api_key' {why}: copy it again."
        raise RefusedError(msg)
    url = _API_URL.fullmatch(config["api_url"])
    if not url or int(url["port"] or 1) > 65535:  # noqa: PLR2004
        msg = (
            "Setting 'api_url' is no https://host[:port][/path] (no user name, query, "
            "backslash or space; plain http:// only on localhost, so the key never "
            "travels in clear text): give lemlist's, https://api.lemlist.com/api."
        )
        raise RefusedError(msg)
    for position, one in enumerate(config["filters"]):
        what = f"Setting 'filters', item {position}:"
        dates = [one[name] for name in ("from", "to") if name in one]
        if wrong := [day for day in dates if not _FORMATS.conforms(day, "date")]:
            msg = f"{what} {wrong[0]} is no calendar date: use YYYY-MM-DD."
            raise RefusedError(msg)
        if dates != sorted(dates):  # YYYY-MM-DD (the schema's pattern) sort as text
            msg = f"{what} 'from' {dates[0]} is after 'to' {dates[1]}: swap them."
            raise RefusedError(msg)
