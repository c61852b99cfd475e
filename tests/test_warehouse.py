"""Scheduled loads with the loader's and the SDK's settings from the environment.

test_own_project.py asserts what the default loads put in PostgreSQL, test_agency.py
what a failed run leaves. Two more loads here have settings from the environment, as a
scheduled run would: `hard_delete`, so that done tasks are deleted, not marked; and a
stream map that removes `content`, adds two computed columns (one from
`stream_map_config`) and nests the whole task, which flattening then spreads into
`task__*` columns.
"""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import API_KEY
from lemlist_standin import LemlistStandIn
from warehouse import Pipeline

if t.TYPE_CHECKING:
    from embedded_warehouse import PostgresCluster
    from loads import Rows

SCHEMA = "settings_from_the_environment"
LOAD = ("tap-lemlist-tasks", "target-postgres")
SETTINGS = {
    "TAP_LEMLIST_TASKS_API_KEY": API_KEY,
    "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": SCHEMA,
    "TARGET_POSTGRES_HARD_DELETE": "true",
    "TAP_LEMLIST_TASKS_STREAM_MAPS": json.dumps(
        {
            "tasks": {
                "content": "__NULL__",
                "title_words": "int(title.count(' ') + 1 if title else 0)",
                "owner": "config['team'] + '/' + str(userId)",
                "task": "record",
            }
        }
    ),
    "TAP_LEMLIST_TASKS_STREAM_MAP_CONFIG": json.dumps({"team": "sales"}),
    "TAP_LEMLIST_TASKS_FLATTENING_ENABLED": "true",
    "TAP_LEMLIST_TASKS_FLATTENING_MAX_DEPTH": "1",
    "TAP_LEMLIST_TASKS_FLATTENING_SEPARATOR": "__",
}


class Loads(t.NamedTuple):
    """Two loads with SETTINGS, some tasks done between them."""

    served: dict[str, dict[str, t.Any]]
    first: Rows
    columns: dict[str, str]  # of the tasks table, with their types
    done: list[str]  # before the second load
    second: set[str]  # the ids in the table after it
    exit_codes: list[int]


@pytest.fixture(scope="module")
def loads(postgres: PostgresCluster, meltano_installed: None) -> Loads:
    del meltano_installed
    pipeline = Pipeline(postgres, SCHEMA)
    with LemlistStandIn(api_key=API_KEY) as standin:
        settings = {**SETTINGS, "TAP_LEMLIST_TASKS_API_URL": standin.url}
        served = {task["_id"]: task for task in standin.pending_records()}
        runs = [pipeline.run(*LOAD, **settings)]
        first = pipeline.table()
        done = sorted(served)[:3]
        standin.complete(done)
        runs.append(pipeline.run(*LOAD, **settings))
    columns = pipeline.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'tasks'",
        SCHEMA,
    )
    codes = [run.returncode for run in runs]
    second = set(pipeline.table())
    return Loads(served, first, dict(columns), done, second, codes)


def test_with_hard_delete_a_load_deletes_the_tasks_done_before_it_no_open_one(
    loads: Loads,
) -> None:
    assert loads.exit_codes == [0, 0]
    assert set(loads.first) == set(loads.served)
    assert len(loads.done) == 3
    assert loads.second == set(loads.served) - set(loads.done)


def test_a_field_the_stream_map_removes_is_not_loaded(loads: Loads) -> None:
    assert "content" not in loads.columns
    assert "title" in loads.columns


def test_computed_fields_are_loaded_with_their_types(loads: Loads) -> None:
    assert loads.columns["title_words"] == "bigint"
    for task_id, row in loads.first.items():
        served = loads.served[task_id]
        title = served.get("title")
        assert row["title_words"] == (title.count(" ") + 1 if title else 0)
        assert row["owner"] == f"sales/{served['userId']}"


def test_flattening_spreads_the_nested_task_into_columns(loads: Loads) -> None:
    assert "task" not in loads.columns
    assert {"task___id", "task__title", "task__userId"} <= set(loads.columns)
    for task_id, row in loads.first.items():
        assert row["task___id"] == task_id
        assert row["task__title"] == loads.served[task_id].get("title")
