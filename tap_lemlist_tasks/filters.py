"""The `filters` setting: lemlist's own filter objects, checked before any request.

lemlist answers a malformed filter with a bare `400 Malformed filters`; what it does
with a key it does not know is undocumented. Checking each filter here turns both
into one error, before any request, that names the filter and says how to fix it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

# The `type` filter's values in lemlist's reference, plus `linkedin`, which its
# create-task reference lists.
TASK_TYPES = (
    "manual",
    "phone",
    "linkedinInvite",
    "linkedinSend",
    "linkedinVoiceNote",
    "emailsReplied",
    "opportunityReplied",
    "linkedinReplied",
    "opportunityClicked",
    "email",
    "whatsappMessage",
    "linkedin",
)
CAMPAIGN_STATES = ("draft", "running", "ended", "paused", "errors", "archived")

TEXT_FILTERS = ("fullName", "email", "phone", "linkedin")
LIST_FILTERS = ("campaignId", "campaignState", "type", "assignedTo")
DATE_FILTERS = ("dueDate",)
FILTER_IDS = TEXT_FILTERS + LIST_FILTERS + DATE_FILTERS
# A list filter's parameters: sets of values, whatever their order.
_SETS = ("in", "out")

ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "campaignState": CAMPAIGN_STATES,
    "type": TASK_TYPES,
}


class InvalidFilterError(ValueError):
    """A filter that lemlist would refuse or misread."""


def validate_filters(filters: object) -> None:
    """Raise `InvalidFilterError` for the first filter lemlist would not accept.

    Args:
        filters: The `filters` setting as configured.

    Raises:
        InvalidFilterError: Naming the filter's position and what is wrong with it.
    """
    if not isinstance(filters, list):
        msg = "Setting 'filters' must be a JSON array of lemlist filter objects."
        raise InvalidFilterError(msg)
    for position, lemlist_filter in enumerate(filters):
        problem = _filter_problem(lemlist_filter)
        if problem:
            msg = f"Setting 'filters', item {position}: {problem}"
            raise InvalidFilterError(msg)


#: Filters on what a task can change while it stays open: a reassignment, a
#: reschedule, a paused campaign or an edited lead moves it out of the filtered list.
DRIFTING_FILTERS = ("assignedTo", "dueDate", "campaignState", *TEXT_FILTERS)


def drifting(filters: list[dict[str, t.Any]]) -> list[str]:
    """Return the filterIds a task may leave while it stays open, in order.

    Args:
        filters: Validated filter objects.

    Returns:
        E.g. `["assignedTo", "dueDate"]`; `type` and `campaignId` never drift.
    """
    ids = [str(f.get("filterId")) for f in filters]
    return [i for i in dict.fromkeys(ids) if i in DRIFTING_FILTERS]


def canonical_filters(filters: list[dict[str, t.Any]]) -> str:
    """Return the filters as canonical JSON: the same for filters that select alike.

    Each filter narrows the list (lemlist's reference), so the order of filters of
    different ids selects nothing, nor does the order of an `in` or `out` set, nor
    a value given twice. What lemlist does with one id given twice is undocumented:
    filters of one id keep their order.

    Args:
        filters: Validated filter objects.

    Returns:
        JSON text with sorted keys, sets and filters.
    """
    by_id = sorted(filters, key=lambda one: str(one.get("filterId")))  # stable
    return "[" + ",".join(_canonical(one) for one in by_id) + "]"


def _canonical(one: dict[str, t.Any]) -> str:
    as_sets = {
        name: sorted(set(value)) if name in _SETS else value
        for name, value in one.items()
    }
    return json.dumps(
        as_sets, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def encode_filters(filters: list[dict[str, t.Any]]) -> str:
    """Encode filters as the JSON array lemlist expects in the `filters` parameter.

    Args:
        filters: Validated filter objects.

    Returns:
        Compact JSON text; `[]` when there are no filters.
    """
    return json.dumps(filters, separators=(",", ":"), ensure_ascii=False)


def _filter_problem(lemlist_filter: object) -> str | None:
    if not isinstance(lemlist_filter, dict):
        return 'must be an object such as {"filterId": "type", "in": ["phone"]}.'
    filter_id = lemlist_filter.get("filterId")
    if filter_id not in FILTER_IDS:
        return f"unknown filterId {filter_id!r}; use one of {', '.join(FILTER_IDS)}."
    params = {key: value for key, value in lemlist_filter.items() if key != "filterId"}
    if filter_id in TEXT_FILTERS:
        problem = _text_filter_problem(params)
    elif filter_id in LIST_FILTERS:
        problem = _list_filter_problem(params, ALLOWED_VALUES.get(filter_id))
    else:
        problem = _date_filter_problem(params)
    return f"{filter_id} {problem}" if problem else None


def _unexpected_keys(params: dict[str, t.Any], allowed: tuple[str, ...]) -> str | None:
    unexpected = sorted(set(params) - set(allowed))
    if unexpected:
        return f"takes only {' / '.join(allowed)}, not {', '.join(unexpected)}."
    if not params:
        return f"needs {' or '.join(allowed)}."
    return None


def _text_filter_problem(params: dict[str, t.Any]) -> str | None:
    problem = _unexpected_keys(params, ("value", "regex"))
    if problem:
        return problem
    if len(params) > 1:
        return "takes either 'value' or 'regex', not both."
    key, text = next(iter(params.items()))
    # lemlist evaluates a regex in a dialect its reference does not name; Python's
    # `re` would refuse JavaScript patterns such as \p{L}. Only lemlist can judge
    # it, and its 400 already fails the sync in one line.
    if not isinstance(text, str) or not text:
        return f"'{key}' must be a non-empty string."
    return None


def _list_filter_problem(
    params: dict[str, t.Any], allowed_values: tuple[str, ...] | None
) -> str | None:
    problem = _unexpected_keys(params, ("in", "out"))
    if problem:
        return problem
    for key, values in params.items():
        if not isinstance(values, list) or not values:
            return f"'{key}' must be a non-empty array of strings."
        for value in values:
            if not isinstance(value, str) or not value:
                return f"'{key}' must hold non-empty strings, not {value!r}."
            if allowed_values and value not in allowed_values:
                return (
                    f"'{key}' value {value!r} is not one of "
                    f"{', '.join(allowed_values)}."
                )
    return None


def _date_filter_problem(params: dict[str, t.Any]) -> str | None:
    problem = _unexpected_keys(params, ("from", "to"))
    if problem:
        return problem
    dates: dict[str, dt.date] = {}
    for key, text in params.items():
        date = _calendar_date(text)
        if date is None:
            return f"'{key}' must be a real calendar date as YYYY-MM-DD, not {text!r}."
        dates[key] = date
    if len(dates) == len(("from", "to")) and dates["from"] > dates["to"]:
        return f"'from' {params['from']} is after 'to' {params['to']}."
    return None


def _calendar_date(text: object) -> dt.date | None:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
