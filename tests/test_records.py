"""The tasks stream: every documented field, typed as the warehouse needs it."""

from __future__ import annotations

import typing as t

from conftest import API_KEY
from lemlist_standin import LemlistStandIn, Task

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
        assert {k: v for k, v in record.items() if k != "priority"} == {
            **{k: v for k, v in expected.items() if k != "priority"},
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
    expected = [{"_id": f"opp_{n}", "title": "t", "teamId": team} for n in range(3)]
    assert run.records == expected
    assert run.stderr.count("does not declare: mood") == 1
