"""The tasks stream: every documented field, typed as the warehouse needs it."""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY
from lemlist_sample import Task
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks.streams import TasksStream

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun

DOCUMENTED_FIELDS = {
    "_id", "type", "title", "priority", "leadId", "campaignId", "contactId",
    "dueDate", "userId", "content", "status", "createdAt", "completedAt",
}  # fmt: skip


def test_schema_has_every_documented_field_and_only_id_and_team_are_required() -> None:
    properties = TasksStream.schema["properties"]

    assert set(properties) == DOCUMENTED_FIELDS | {"teamId"}
    nullable = {name for name, p in properties.items() if "null" in p["type"]}
    assert nullable == DOCUMENTED_FIELDS - {"_id"}
    assert TasksStream.primary_keys == ("_id",)


def test_dates_are_date_times_and_priority_an_integer() -> None:
    properties = TasksStream.schema["properties"]

    dates = {name for name, p in properties.items() if p.get("format") == "date-time"}
    assert dates == {"dueDate", "createdAt", "completedAt"}
    assert properties["priority"]["type"] == ["integer", "null"]


def test_every_pending_task_is_emitted_exactly_once_as_served(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap()

    served = {task["_id"]: task for task in standin.pending_records()}
    assert run.exit_code == 0, run.stderr
    assert sorted(run.ids) == sorted(served)
    for record in run.records:
        expected = served[record["_id"]]
        assert set(record) == DOCUMENTED_FIELDS | {"teamId"}  # null if left out
        assert {k: v for k, v in record.items() if k != "priority"} == {
            **{k: expected.get(k) for k in DOCUMENTED_FIELDS - {"priority", "teamId"}},
            "teamId": standin.team_document()["_id"],
        }


def test_priority_given_as_text_becomes_an_integer_or_null(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [
        Task({"_id": "opp_text1", "priority": "1"}),
        Task({"_id": "opp_empty", "priority": ""}),
        Task({"_id": "opp_int2", "priority": 2}),
        Task({"_id": "opp_none"}),
    ]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 0, run.stderr
    priorities = {r["_id"]: r.get("priority") for r in run.records}
    assert priorities == {
        "opp_text1": 1,
        "opp_empty": None,
        "opp_int2": 2,
        "opp_none": None,
    }


def test_a_value_of_the_wrong_type_stops_the_sync_naming_task_and_field(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [
        Task({"_id": "opp_fine", "title": "ok"}),
        Task({"_id": "opp_odd", "title": 42}),
    ]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 1
    assert (
        "lemlist task opp_odd: field 'title' holds 42, which is not text" in run.stderr
    )
    assert "Traceback" not in run.stderr
    assert run.of_type("ACTIVATE_VERSION") == []


def test_an_unreadable_date_stops_the_sync_instead_of_loading_it(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [Task({"_id": "opp_bad_date", "dueDate": "next tuesday"})]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 1
    assert "field 'dueDate' holds 'next tuesday'" in run.stderr


def test_a_field_lemlist_adds_later_is_dropped_with_one_warning(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [Task({"_id": f"opp_{n}", "mood": "happy", "title": "t"}) for n in range(3)]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 0, run.stderr
    team = standin.team_document()["_id"]
    assert [(r["_id"], r["title"], r["teamId"], "mood" in r) for r in run.records] == [
        (f"opp_{n}", "t", team, False) for n in range(3)
    ]
    assert run.stderr.count("does not declare: mood") == 1


def test_nul_characters_are_removed_from_text_with_one_warning_per_field(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [
        Task({"_id": f"opp_{n}", "title": "a\x00b", "content": "ok"}) for n in range(3)
    ]
    tasks.append(Task({"_id": "opp_c", "content": "\x00"}))
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 0, run.stderr
    assert [r["title"] for r in run.records] == ["ab", "ab", "ab", None]
    assert run.records[-1]["content"] == ""
    assert "Removed NUL characters from 3 value(s) of field 'title'" in run.stderr
    assert "Removed NUL characters from 1 value(s) of field 'content'" in run.stderr


def test_an_integer_beyond_64_bits_stops_the_sync_naming_task_and_field(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [Task({"_id": "opp_huge", "priority": "99999999999999999999999"})]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 1
    assert "lemlist task opp_huge: field 'priority'" in run.stderr
    assert "outside the 64-bit integer range" in run.stderr


DATE_TIMES = {
    "2025-11-10T09:58:57.169Z": "2025-11-10T09:58:57.169Z",
    "2025-10-01": "2025-10-01T00:00:00Z",
    "2025-10-01T10:00:00": "2025-10-01T10:00:00Z",
    "2025-10-01 10:00:00": "2025-10-01T10:00:00Z",
    "2025-10-01T12:30:00+02:00": "2025-10-01T10:30:00Z",
    "2025-10-01T12:30:00.5+0200": "2025-10-01T10:30:00.500Z",
    "2025-10-01T10:00:00.123456Z": "2025-10-01T10:00:00.123456Z",
}


def test_date_times_are_emitted_as_rfc_3339_in_utc(tap: Callable[..., TapRun]) -> None:
    tasks = [Task({"_id": f"opp_{n}", "dueDate": d}) for n, d in enumerate(DATE_TIMES)]
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 0, run.stderr
    assert [r["dueDate"] for r in run.records] == list(DATE_TIMES.values())


@pytest.mark.parametrize("odd", ["2025-13-01", "2025-10-01T25:00:00Z", "1759276800"])
def test_a_date_time_that_cannot_convert_stops_the_sync(
    tap: Callable[..., TapRun], odd: str
) -> None:
    with LemlistStandIn(
        [Task({"_id": "opp_odd", "dueDate": odd})], api_key=API_KEY
    ) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url})

    assert run.exit_code == 1
    assert f"lemlist task opp_odd: field 'dueDate' holds {odd!r}" in run.stderr


def test_a_stream_map_can_name_a_field_lemlist_left_out(
    tap: Callable[..., TapRun],
) -> None:
    tasks = [Task({"_id": "opp_a", "priority": 2}), Task({"_id": "opp_b"})]
    maps = {"tasks": {"weight": "int(priority or 0) * 10"}}
    with LemlistStandIn(tasks, api_key=API_KEY) as standin:
        run = tap({"api_key": API_KEY, "api_url": standin.url, "stream_maps": maps})

    assert run.exit_code == 0, run.stderr
    assert [r["weight"] for r in run.records] == [20, 0]
