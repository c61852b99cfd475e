"""The `filters` setting: lemlist's filter objects, refused before any request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest
from conftest import API_KEY
from lemlist_sample import sample_tasks

from tap_lemlist_tasks.filters import canonical_filters

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn

BAD_FILTERS = {
    "unknown filterId": ({"filterId": "colour", "in": ["red"]}, "unknown filterId"),
    "missing filterId": ({"in": ["phone"]}, "unknown filterId None"),
    "text filter with value and regex": (
        {"filterId": "email", "value": "a@b.co", "regex": "b"},
        "either 'value' or 'regex'",
    ),
    "text filter without parameter": ({"filterId": "fullName"}, "needs value or regex"),
    "text filter with a list key": (
        {"filterId": "phone", "in": ["+33"]},
        "takes only value / regex, not in",
    ),
    "empty regex": ({"filterId": "linkedin", "regex": ""}, "non-empty string"),
    "empty value": ({"filterId": "email", "value": ""}, "non-empty string"),
    "list filter without in or out": ({"filterId": "campaignId"}, "needs in or out"),
    "list filter given a string": (
        {"filterId": "assignedTo", "in": "usr_1"},
        "'in' must be a non-empty array",
    ),
    "unknown task type": (
        {"filterId": "type", "in": ["fax"]},
        "'in' value 'fax' is not one of manual",
    ),
    "unknown campaign state": (
        {"filterId": "campaignState", "out": ["stopped"]},
        "'out' value 'stopped' is not one of draft",
    ),
    "date filter with a value key": (
        {"filterId": "dueDate", "value": "2025-01-01"},
        "takes only from / to, not value",
    ),
    "date that is not a calendar date": (
        {"filterId": "dueDate", "to": "2025-02-30"},
        "real calendar date",
    ),
    "date in another format": (
        {"filterId": "dueDate", "from": "01/02/2025"},
        "real calendar date",
    ),
    "from after to": (
        {"filterId": "dueDate", "from": "2025-03-01", "to": "2025-02-01"},
        "'from' 2025-03-01 is after 'to' 2025-02-01",
    ),
}


@pytest.mark.parametrize(
    ("bad_filter", "problem"), BAD_FILTERS.values(), ids=BAD_FILTERS.keys()
)
def test_a_bad_filter_is_refused_before_any_request(
    standin: LemlistStandIn,
    run_tap: Callable[..., TapRun],
    bad_filter: object,
    problem: str,
) -> None:
    good_filter = {"filterId": "type", "in": ["phone"]}
    run = run_tap(filters=[good_filter, bad_filter])

    assert run.exit_code != 0
    assert "Setting 'filters', item 1:" in run.stderr
    assert problem in run.stderr
    assert run.messages == []
    assert standin.task_requests == []


@pytest.mark.parametrize("regex", [r"^(?<first>\w+) ", r"\p{L}+ \p{L}+$"])
def test_a_javascript_regex_that_python_refuses_is_left_for_lemlist_to_judge(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], regex: str
) -> None:
    run = run_tap(filters=[{"filterId": "fullName", "regex": regex}])

    sent = [json.loads(r.query["filters"]) for r in standin.task_requests]
    assert run.exit_code == 0, run.stderr
    assert sent[0] == [{"filterId": "fullName", "regex": regex}]
    assert run.ids


def test_a_regex_lemlist_refuses_fails_the_sync_with_lemlists_own_words(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap(filters=[{"filterId": "fullName", "regex": "in/(john"}])

    assert run.exit_code == 1
    assert 'lemlist refused the request (HTTP 400: {"error":"Malformed filters"})' in (
        run.stderr
    )
    assert run.of_type("ACTIVATE_VERSION") == []


def test_a_filter_that_is_not_an_object_is_refused_before_any_request(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap(filters=[{"filterId": "type", "in": ["phone"]}, "type=phone"])

    assert run.exit_code != 0
    assert run.errors == [
        (
            "Setting 'filters'[1]: 'type=phone' is not of type 'object'. See "
            "tap-lemlist-tasks --about for every setting."
        )
    ]
    assert standin.task_requests == []


# Each expectation is computed here from the sample tasks' own fields, not by the
# stand-in's filter engine, so a filter the tap mangled on its way would fail.
SAMPLE = sample_tasks(250)
EXPECTED_BY_FILTER: dict[str, tuple[list[dict[str, t.Any]], list[str]]] = {
    "type in": (
        [{"filterId": "type", "in": ["phone", "linkedinSend"]}],
        [s.id for s in SAMPLE if s.record.get("type") in {"phone", "linkedinSend"}],
    ),
    "dueDate range": (
        [{"filterId": "dueDate", "from": "2025-11-01", "to": "2025-11-30"}],
        [s.id for s in SAMPLE if s.record.get("dueDate", "")[:7] == "2025-11"],
    ),
    "two filters together": (
        [
            {"filterId": "type", "out": ["manual"]},
            {"filterId": "email", "regex": "^john\\."},
        ],
        [
            s.id
            for s in SAMPLE
            if s.record.get("type") != "manual"
            and s.lead.get("email", "").startswith("john.")
        ],
    ),
}


@pytest.mark.parametrize(
    ("filters", "expected"), EXPECTED_BY_FILTER.values(), ids=EXPECTED_BY_FILTER
)
def test_only_tasks_matching_the_filters_are_extracted(
    run_tap: Callable[..., TapRun],
    filters: list[dict[str, t.Any]],
    expected: list[str],
) -> None:
    run = run_tap(filters=filters)

    assert run.exit_code == 0, run.stderr
    assert 0 < len(expected) < len(SAMPLE)
    assert run.ids == expected


def test_filters_can_come_from_the_environment(standin: LemlistStandIn) -> None:
    filters = [{"filterId": "type", "in": ["phone"]}]
    env = {
        **os.environ,
        "TAP_LEMLIST_TASKS_API_KEY": API_KEY,
        "TAP_LEMLIST_TASKS_API_URL": standin.url,
        "TAP_LEMLIST_TASKS_FILTERS": json.dumps(filters),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tap_lemlist_tasks.tap", "--config", "ENV"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    types = {
        json.loads(line)["record"]["type"]
        for line in completed.stdout.splitlines()
        if '"RECORD"' in line and '"stream":"tasks"' in line.replace(" ", "")
    }
    assert types == {"phone"}
    assert {r.query["filters"] for r in standin.task_requests} == {
        json.dumps(filters, separators=(",", ":"))
    }


# Filters and retirement: a task that leaves the filtered list is not done.

ASSIGNED_TO_TWO = [{"filterId": "assignedTo", "in": ["usr_a", "usr_b"]}]


def test_a_retiring_sync_with_a_filter_that_can_drift_says_so_once(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap(
        filters=[
            {"filterId": "type", "out": ["manual"]},
            {"filterId": "dueDate", "from": "2025-10-01"},
            {"filterId": "assignedTo", "out": ["usr_x"]},
        ]
    )

    lines = run.stderr.splitlines()
    assert [line for line in lines if "select on what changes" in line] == [
        (
            "tasks: the filters on dueDate, assignedTo select on what changes while a "
            "task stays open (a reassignment, a reschedule, a paused campaign, an "
            "edited lead): a task that leaves them is retired as if done. For exact "
            "completions, filter only on type or campaignId, or give each filter set "
            "an extractor and a schema of its own."
        )
    ]


@pytest.mark.parametrize(
    "filters",
    [
        [{"filterId": "type", "in": ["phone"]}],
        [{"filterId": "campaignId", "out": ["cam_x"]}],
        [],
    ],
)
def test_filters_on_what_never_changes_give_no_warning(
    run_tap: Callable[..., TapRun], filters: list[dict[str, t.Any]]
) -> None:
    run = run_tap(filters=filters)

    assert "select on what changes" not in run.stderr


def test_a_sync_that_does_not_retire_gives_no_drift_warning(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap(filters=ASSIGNED_TO_TWO, emit_activate_version_messages=False)

    assert "select on what changes" not in run.stderr


def test_the_teams_row_names_the_filters_the_tasks_were_read_with(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap(filters=[{"in": ["phone"], "filterId": "type"}])

    (team,) = run.records_of("teams")
    assert team["taskFilters"] == '[{"filterId":"type","in":["phone"]}]'


def summary(run: TapRun) -> str:
    (line,) = [
        line
        for line in run.stderr.splitlines()
        if line.startswith("tasks: ") and " emitted in " in line
    ]
    return line


def last_state(run: TapRun) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", run.of_type("STATE")[-1]["value"])


def test_the_first_sync_after_the_filters_narrow_says_what_it_retires_may_have_left(
    run_tap_with_state: Callable[..., TapRun],
) -> None:
    wide = run_tap_with_state(None)
    narrow_filters = [{"filterId": "type", "in": ["phone"]}]

    narrowed = run_tap_with_state(last_state(wide), filters=narrow_filters)
    again = run_tap_with_state(last_state(narrowed), filters=narrow_filters)

    # Most tasks left the selection, but the collapse guard does not withhold:
    # the counts of two selections do not compare.
    assert len(narrowed.ids) < len(wide.ids) / 2
    assert len(narrowed.of_type("ACTIVATE_VERSION")) == 1
    assert summary(narrowed).endswith(
        "; the filters changed since the last retiring sync, so tasks retired now "
        "may only have left them, and not be done."
    )
    assert "the filters changed" not in summary(again)


def test_the_same_filters_in_another_order_are_not_a_change_of_filters(
    run_tap_with_state: Callable[..., TapRun],
) -> None:
    # Each filter narrows the list and `in` is a set: the order selects nothing, so
    # the collapse guard stays on.
    some = [
        {"filterId": "type", "in": ["phone", "email", "manual"]},
        {"filterId": "dueDate", "from": "2025-01-01"},
    ]
    same = [
        {"filterId": "dueDate", "from": "2025-01-01"},
        {"filterId": "type", "in": ["manual", "phone", "email"]},
    ]

    first = run_tap_with_state(None, filters=some)
    reordered = run_tap_with_state(last_state(first), filters=same)

    assert reordered.ids
    assert "the filters changed" not in summary(reordered)


def test_a_value_given_twice_selects_as_given_once() -> None:
    twice = [{"filterId": "type", "in": ["phone", "phone"]}]
    once = [{"filterId": "type", "in": ["phone"]}]

    assert canonical_filters(twice) == canonical_filters(once)


def test_filters_of_one_id_given_twice_keep_their_order() -> None:
    # Undocumented: lemlist might keep only the last one of an id.
    phone_then_email = [
        {"filterId": "type", "in": ["phone"]},
        {"filterId": "type", "in": ["email"]},
    ]

    assert canonical_filters(phone_then_email) != canonical_filters(
        phone_then_email[::-1]
    )


def test_filters_of_other_ids_move_freely_around_an_id_given_twice() -> None:
    phone, email = (
        {"filterId": "type", "in": ["phone"]},
        {"filterId": "type", "in": ["email"]},
    )
    running = {"filterId": "campaignState", "in": ["running"]}

    assert canonical_filters([phone, running, email]) == canonical_filters(
        [running, phone, email]
    )
