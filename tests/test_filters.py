"""The `filters` setting: lemlist's filter objects, checked, sent, and compared."""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import Run, assert_failed
from lemlist_sample import sample_tasks

ID = "filterId"
BAD_FILTERS = {
    "unknown filterId": ({ID: "colour", "in": ["red"]}, "'colour' is not one"),
    "missing filterId": ({"in": ["phone"]}, "'filterId' is a required property"),
    "not an object": ("type=phone", "'type=phone' is not of type 'object'"),
    "value and regex": ({ID: "email", "value": "a", "regex": "b"}, "too many"),
    "no parameter": ({ID: "fullName"}, "does not have enough properties"),
    "a list key for text": ({ID: "phone", "in": ["+33"]}, "'in' was unexpected"),
    "empty regex": ({ID: "linkedin", "regex": ""}, "['regex']"),
    "a string for a list": ({ID: "assignedTo", "in": "usr_1"}, "not of type 'array'"),
    "empty list": ({ID: "campaignId", "out": []}, "['out']"),
    "unknown task type": ({ID: "type", "in": ["fax"]}, "'fax' is not one of"),
    "unknown campaign state": ({ID: "campaignState", "out": ["x"]}, "'x' is not one"),
    "no calendar date": ({ID: "dueDate", "to": "2025-02-30"}, "is no calendar date"),
    "another date format": ({ID: "dueDate", "from": "01/02/2025"}, "['from']"),
    "from after to": (
        {ID: "dueDate", "from": "2025-03-01", "to": "2025-02-01"},
        "'from' 2025-03-01 is after 'to' 2025-02-01"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("bad_filter", "phrase"), BAD_FILTERS.values(), ids=BAD_FILTERS.keys()
)
def test_a_bad_filter_is_named_before_any_request(
    run: Run, bad_filter: object, phrase: str
) -> None:
    failed = run(filters=[{"filterId": "type", "in": ["phone"]}, bad_filter])

    assert_failed(failed, phrase)
    assert "filters" in failed.errors[0]
    assert "[1]" in failed.errors[0] or "item 1" in failed.errors[0]
    assert run.standin.requests == []


@pytest.mark.parametrize("regex", [r"^(?<first>\w+) ", r"\p{L}+ \p{L}+$"])
def test_a_javascript_regex_that_python_refuses_is_left_for_lemlist_to_judge(
    run: Run, regex: str
) -> None:
    synced = run(filters=[{"filterId": "fullName", "regex": regex}])

    sent = [json.loads(r.query["filters"]) for r in run.standin.task_requests]
    assert synced.exit_code == 0, synced.stderr
    assert sent[0] == [{"filterId": "fullName", "regex": regex}]


# Each expectation is computed here from the sample tasks' own fields, not by the
# stand-in's filter engine, so a filter the tap mangled on its way would fail.
SAMPLE = sample_tasks(250)
TYPES, TASKS = {"phone", "linkedinSend"}, [(s.id, s.record, s.lead) for s in SAMPLE]
NOVEMBER = {"filterId": "dueDate", "from": "2025-11-01", "to": "2025-11-30"}
JOHN = {"filterId": "email", "regex": "^john\\."}
EXPECTED_BY_FILTER: dict[str, tuple[list[dict[str, t.Any]], list[str]]] = {
    "type in": ([{"filterId": "type", "in": sorted(TYPES)}],
                [i for i, task, _ in TASKS if task.get("type") in TYPES]),
    "dueDate range": ([NOVEMBER], [i for i, task, _ in TASKS
                                   if task.get("dueDate", "")[:7] == "2025-11"]),
    "two filters together": (
        [{"filterId": "type", "out": ["manual"]}, JOHN],
        [i for i, task, lead in TASKS if task.get("type") != "manual"
         and lead.get("email", "").startswith("john.")]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expected"), EXPECTED_BY_FILTER.values(), ids=EXPECTED_BY_FILTER
)
def test_only_tasks_matching_the_filters_are_extracted(
    run: Run, filters: list[dict[str, t.Any]], expected: list[str]
) -> None:
    synced = run(filters=filters)

    assert synced.exit_code == 0, synced.stderr
    assert 0 < len(expected) < len(SAMPLE)
    assert synced.ids == expected


# Filters and retirement: a task that leaves the filtered list is not done.

DRIFTING = [{"filterId": "type", "out": ["manual"]},
            {"filterId": "dueDate", "from": "2025-10-01"},
            {"filterId": "assignedTo", "out": ["usr_x"]}]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "retire", "warning"),
    [
        (DRIFTING, True, "the filters on dueDate, assignedTo select on what changes"),
        ([{"filterId": "type", "in": ["phone"]}], True, None),
        ([{"filterId": "campaignId", "out": ["cam_x"]}], True, None),
        ([], True, None),
        ([{"filterId": "assignedTo", "out": ["usr_x"]}], False, None),
    ],
)
def test_a_retiring_sync_with_a_filter_that_can_drift_says_so_once(
    run: Run, filters: list[dict[str, t.Any]], warning: str | None, *, retire: bool
) -> None:
    synced = run(filters=filters, emit_activate_version_messages=retire)

    assert synced.exit_code == 0, synced.stderr
    assert bool(synced.of_type("ACTIVATE_VERSION")) == retire
    drifts = [w for w in synced.stderr.splitlines() if "select on what changes" in w]
    assert len(drifts) == (warning is not None)
    assert warning is None or warning in drifts[0]


def test_the_first_sync_after_the_filters_narrow_warns_and_says_what_it_retires(
    run: Run,
) -> None:
    wide = run(filters=[{"filterId": "type", "out": ["manual"]}])
    narrow_filters = [{"in": ["phone"], "filterId": "type"}]

    narrowed = run(state=wide.state, filters=narrow_filters)
    again = run(state=narrowed.state, filters=narrow_filters)

    lines = narrowed.stderr.splitlines()
    (warning,) = [w for w in lines if "since the last complete sync" in w]
    assert '"out":["manual"]' in warning
    assert '"in":["phone"]}]' in warning
    assert "retires every task outside the new filters" in warning
    # Most tasks left the selection, but the collapse guard does not withhold:
    # the counts of two selections do not compare.
    assert len(narrowed.ids) < len(wide.ids) / 2
    assert len(narrowed.of_type("ACTIVATE_VERSION")) == 1
    assert "the filters changed since the last retiring sync" in narrowed.summary
    assert "the filters changed" not in again.summary
    assert "retires every task outside" not in again.stderr
    # The teams row names the filters the tasks were read with, in canonical form.
    (team,) = narrowed.records_of("teams")
    assert team["taskFilters"] == '[{"filterId":"type","in":["phone"]}]'


PHONE = {"filterId": "type", "in": ["phone"]}
EMAIL = {"filterId": "type", "in": ["email"]}
RUNNING = {"filterId": "campaignState", "in": ["running"]}
ALIKE = {  # two lists of filters, and whether they select alike
    "a value twice": ([{"filterId": "type", "in": ["phone", "phone"]}], [PHONE], True),
    # Undocumented: lemlist might keep only the last filter of an id.
    "one id twice": ([PHONE, EMAIL], [EMAIL, PHONE], False),
    "other ids around one id twice": (
        [PHONE, RUNNING, EMAIL], [RUNNING, PHONE, EMAIL], True),
    # Each filter narrows the list and `in` is a set: the order selects nothing.
    "another order": (
        [{"filterId": "type", "in": ["phone", "email"]}, RUNNING],
        [RUNNING, {"in": ["email", "phone"], "filterId": "type"}], True),
}  # fmt: skip


@pytest.mark.parametrize(("one", "other", "alike"), ALIKE.values(), ids=ALIKE)
def test_filters_that_select_alike_are_no_change_of_filters(
    run: Run, one: list[dict[str, t.Any]], other: list[dict[str, t.Any]], *, alike: bool
) -> None:
    first = run(filters=one)

    then = run(state=first.state, filters=other)

    assert then.exit_code == 0, then.stderr
    assert ("filters changed since the last complete sync" in then.stderr) != alike
