"""The tasks stream: every documented field, typed as the warehouse needs it."""

from __future__ import annotations

import json

import pytest
from conftest import Run, assert_failed
from lemlist_sample import Task

from tap_lemlist_tasks.records import Task as TaskShape
from tap_lemlist_tasks.streams import TasksStream

DOCUMENTED_FIELDS = {
    "_id", "type", "title", "priority", "leadId", "campaignId", "contactId",
    "dueDate", "userId", "content", "status", "createdAt", "completedAt",
}  # fmt: skip


def test_the_schema_has_every_documented_field_only_id_and_team_required() -> None:
    properties = TasksStream.schema["properties"]

    assert set(properties) == DOCUMENTED_FIELDS | {"teamId"}
    assert set(TaskShape.__annotations__) == DOCUMENTED_FIELDS
    nullable = {name for name, p in properties.items() if "null" in p["type"]}
    assert nullable == DOCUMENTED_FIELDS - {"_id"}
    dates = {name for name, p in properties.items() if p.get("format") == "date-time"}
    assert dates == {"dueDate", "createdAt", "completedAt"}
    assert properties["priority"]["type"] == ["integer", "null"]


def test_every_pending_task_is_emitted_exactly_once_as_served(run: Run) -> None:
    synced = run()

    served = {task["_id"]: task for task in run.standin.pending_records()}
    assert synced.exit_code == 0, synced.stderr
    assert sorted(synced.ids) == sorted(served)
    for record in synced.records:
        expected = served[record["_id"]]
        assert set(record) == DOCUMENTED_FIELDS | {"teamId"}  # null if left out
        assert {k: v for k, v in record.items() if k != "priority"} == {
            **{k: expected.get(k) for k in DOCUMENTED_FIELDS - {"priority", "teamId"}},
            "teamId": run.standin.team_document()["_id"],
        }


DEEP = "[" * 100_000 + "]" * 100_000  # written into the body as arrays, not text
# A field of an item after a good one, its value, what the one line says of it.
NOT_TASKS = {
    "title a number": ("title", 42, "title"),
    "priority a word": ("priority", "high", "is not an integer"),
    "priority too big": (
        "priority", "99999999999999999999999", "outside the 64-bit integer range"),
    "dueDate words": ("dueDate", "next tuesday", "is not an ISO 8601 date"),
    "dueDate month 13": ("dueDate", "2025-13-01", "is not an ISO 8601 date"),
    "dueDate hour 25": ("dueDate", "2025-10-01T25:00:00Z", "is not an ISO 8601 date"),
    "dueDate in seconds": ("dueDate", "1759276800", "is not an ISO 8601 date"),
    "_id a list": ("_id", ["opp_a"], "_id"),
    "_id an object": ("_id", {"id": "opp_a"}, "_id"),
    "title nested deep": ("title", DEEP, "title"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "phrase"), NOT_TASKS.values(), ids=NOT_TASKS
)
def test_an_item_that_is_not_a_task_stops_the_sync_naming_it_and_its_field(
    run: Run, field: str, value: object, phrase: str
) -> None:
    odd = {"_id": "opp_odd", field: value}
    body = json.dumps({"results": [{"_id": "opp_fine", "title": "ok"}, odd]})

    synced = run(faults=[(0, "body", {"body": body.replace(f'"{DEEP}"', DEEP)})])

    named = "'#1'" if value is DEEP else repr(odd["_id"])  # too deep: by its place
    assert_failed(synced, f"tasks: lemlist sent record {named} with")
    assert field in synced.errors[0]
    assert phrase in synced.errors[0]


def test_a_field_lemlist_adds_later_is_dropped_with_one_warning(run: Run) -> None:
    tasks = [Task({"_id": f"opp_{n}", "mood": "happy", "title": "t"}) for n in range(3)]

    synced = run(tasks=tasks)

    assert synced.exit_code == 0, synced.stderr
    assert [(r["_id"], r["title"], "mood" in r) for r in synced.records] == [
        (f"opp_{n}", "t", False) for n in range(3)
    ]
    assert synced.stderr.count("does not declare: mood") == 1


NORMALISED = [
    ("priority", "1", 1), ("priority", "", None), ("priority", 2, 2),
    ("priority", 1.0, 1), ("priority", None, None),
    ("dueDate", "2025-11-10T09:58:57.169Z", "2025-11-10T09:58:57.169Z"),
    ("dueDate", "2025-10-01", "2025-10-01T00:00:00Z"),
    ("dueDate", "2025-10-01T10:00:00", "2025-10-01T10:00:00Z"),
    ("dueDate", "2025-10-01 10:00:00", "2025-10-01T10:00:00Z"),
    ("dueDate", "2025-10-01T12:30:00+02:00", "2025-10-01T10:30:00Z"),
    ("dueDate", "2025-10-01T12:30:00.5+0200", "2025-10-01T10:30:00.500Z"),
    ("dueDate", "2025-10-01T10:00:00.123456Z", "2025-10-01T10:00:00.123456Z"),
    ("title", "a\x00b", "ab"), ("title", "a\x00b", "ab"), ("content", "\x00", ""),
]  # fmt: skip


def test_values_are_emitted_as_their_type_dates_in_utc_text_without_nul(
    run: Run,
) -> None:
    tasks = [Task({"_id": f"opp_{n}", f: v}) for n, (f, v, _) in enumerate(NORMALISED)]

    synced = run(tasks=tasks)

    assert synced.exit_code == 0, synced.stderr
    assert [r[f] for r, (f, *_) in zip(synced.records, NORMALISED, strict=True)] == [
        emitted for *_, emitted in NORMALISED
    ]
    assert "removed NUL characters from 2 value(s) of field 'title'" in synced.stderr
    assert "removed NUL characters from 1 value(s) of field 'content'" in synced.stderr


def test_a_stream_map_can_name_a_field_lemlist_left_out(run: Run) -> None:
    tasks = [Task({"_id": "opp_a", "priority": 2}), Task({"_id": "opp_b"})]

    synced = run(tasks=tasks, stream_maps={"tasks": {"w": "int(priority or 0) * 10"}})

    assert synced.exit_code == 0, synced.stderr
    assert [r["w"] for r in synced.records] == [20, 0]
