"""The `filters` setting: lemlist's filter objects, their schema and canonical form."""

from __future__ import annotations

import json
import typing as t
from functools import partial

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

# The `type` filter's values in lemlist's reference, and its create-task `linkedin`.
TASK_TYPES = (
    "manual", "phone", "linkedinInvite", "linkedinSend", "linkedinVoiceNote",
    "emailsReplied", "opportunityReplied", "linkedinReplied", "opportunityClicked",
    "email", "whatsappMessage", "linkedin",
)  # fmt: skip
CAMPAIGN_STATES = ("draft", "running", "ended", "paused", "errors", "archived")
TEXT_FILTERS = ("fullName", "email", "phone", "linkedin")
#: Filters on what changes while a task stays open (see `selection_warnings`).
DRIFTING_FILTERS = ("assignedTo", "dueDate", "campaignState", *TEXT_FILTERS)
#: The `filterId` a stream map's `__filter__` on tasks has in `taskFilters`.
STREAM_MAP = "streamMap"
#: Filters as the compact JSON array lemlist expects in `filters`.
encode_filters = partial(json.dumps, separators=(",", ":"), ensure_ascii=False)

_VALUE = {"type": "string", "minLength": 1}
_IDS = {"type": "array", "items": _VALUE, "minItems": 1}
_STATES = {**_IDS, "items": {"enum": list(CAMPAIGN_STATES)}}
_TYPES = {**_IDS, "items": {"enum": list(TASK_TYPES)}}
# `format: date` documents; the SDK checks no format, so `inputs` does.
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
#: Each filterId's parameters: a text filter takes one of its two, others either.
PARAMETERS: dict[str, dict[str, t.Any]] = {
    # lemlist evaluates a regex in a dialect its reference does not name (JavaScript's
    # \p{L} is no Python): only lemlist can judge one, and its 400 fails the sync.
    **{name: {"value": _VALUE, "regex": _VALUE} for name in TEXT_FILTERS},
    "campaignId": {"in": _IDS, "out": _IDS},
    "campaignState": {"in": _STATES, "out": _STATES},
    "type": {"in": _TYPES, "out": _TYPES},
    "assignedTo": {"in": _IDS, "out": _IDS},
    "dueDate": {"from": _DATE, "to": _DATE},
}

#: One filter's schema. lemlist answers a bad filter with a bare `400 Malformed
#: filters`; with this, the SDK's validation names the filter and the field first.
FILTER_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "required": ["filterId"],
    "properties": {"filterId": {"enum": list(PARAMETERS)}},
    "allOf": [
        {
            "if": {
                "properties": {"filterId": {"const": filter_id}},
                "required": ["filterId"],
            },
            "then": {
                "properties": {"filterId": {}, **parameters},
                "additionalProperties": False,
                "minProperties": 2,
                "maxProperties": 2 if filter_id in TEXT_FILTERS else 3,
            },
        }
        for filter_id, parameters in PARAMETERS.items()
    ],
}


def map_filters(config: Mapping[str, t.Any], stream: str) -> dict[str, str]:
    """The `__filter__` expressions of a stream's stream maps, by alias."""
    return {
        alias: body["__filter__"]
        for alias, body in (config.get("stream_maps") or {}).items()
        if isinstance(body, dict)
        and "__filter__" in body
        and body.get("__source__", alias) == stream
    }


def task_scope(config: Mapping[str, t.Any]) -> str:
    """What selects the tasks a sync sends: filters, stream maps' filters, canonical.

    The same for filters that select alike: each narrows the list (lemlist's
    reference), so neither the order of ids nor that of an `in` or `out` set selects,
    nor a repeated value. Filters of one id keep their order: lemlist does not say.
    """
    # A `__filter__` drops tasks after they are read: one that leaves it is retired.
    maps = map_filters(config, "tasks").items()
    by_maps = [{"filterId": STREAM_MAP, "stream": a, "expression": e} for a, e in maps]
    scope = sorted([*config["filters"], *by_maps], key=lambda one: one["filterId"])
    canonical = [
        {k: sorted(set(v)) if k in {"in", "out"} else v for k, v in one.items()}
        for one in scope
    ]
    return encode_filters(canonical, sort_keys=True)


def selection_warnings(
    config: Mapping[str, t.Any], before: str | None, now: str
) -> Iterator[str]:
    """What a retiring sync of tasks may retire that is not done, in lines to warn."""
    ids = dict.fromkeys(one["filterId"] for one in config.get("filters", []))
    if moving := [i for i in ids if i in DRIFTING_FILTERS]:
        yield (
            f"tasks: the filters on {', '.join(moving)} select on what changes while "
            "a task stays open (a reassignment, a reschedule, a paused campaign, an "
            "edited lead): a task that leaves them is retired as if done. For exact "
            "completions, filter only on type or campaignId, or give each filter set "
            "an extractor and a schema of its own."
        )
    yield from (
        f"tasks: the stream map {alias!r} filters tasks with {expression!r}: a task "
        "it drops is retired as if done, and dbt counts it as having left the filters."
        for alias, expression in map_filters(config, "tasks").items()
    )
    if before is not None:
        yield (
            f"tasks: the filters changed since the last complete sync, from {before} "
            f"to {now}: this sync retires every task outside the new filters, done or "
            "not."
        )
