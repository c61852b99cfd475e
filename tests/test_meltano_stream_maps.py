"""Stream maps and flattening through Meltano, into target-postgres.

One `meltano run tap-lemlist-tasks target-postgres` for the whole module, with the
SDK's built-in settings from the environment, as a scheduled run would have them:
a stream map removes `content`, adds two computed columns (one from
`stream_map_config`) and nests the whole task, which flattening then spreads into
`task__*` columns.
"""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import API_KEY
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import Pipeline

if t.TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    from warehouse import PostgresCluster

STREAM_MAPS = {
    "tasks": {
        "content": "__NULL__",
        "title_words": "int(title.count(' ') + 1 if title else 0)",
        "owner": "config['team'] + '/' + str(userId)",
        "task": "record",
    }
}


class MappedLoad(t.NamedTuple):
    pipeline: Pipeline
    served: dict[str, dict[str, t.Any]]
    run: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def mapped_load(
    postgres: PostgresCluster, meltano_installed: None
) -> Iterator[MappedLoad]:
    del meltano_installed
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY, page_size=100) as standin:
        pipeline = Pipeline(postgres, "meltano_stream_maps")
        run = pipeline.run(
            standin,
            TAP_LEMLIST_TASKS_STREAM_MAPS=json.dumps(STREAM_MAPS),
            TAP_LEMLIST_TASKS_STREAM_MAP_CONFIG=json.dumps({"team": "sales"}),
            TAP_LEMLIST_TASKS_FLATTENING_ENABLED="true",
            TAP_LEMLIST_TASKS_FLATTENING_MAX_DEPTH="1",
            TAP_LEMLIST_TASKS_FLATTENING_SEPARATOR="__",
        )
        served = {task["_id"]: task for task in standin.pending_records()}
        yield MappedLoad(pipeline, served, run)


def columns(load: MappedLoad) -> dict[str, str]:
    rows = load.pipeline.postgres.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'tasks'",
        load.pipeline.schema,
    )
    return dict(rows)


def test_the_mapped_run_loads_every_task_once(mapped_load: MappedLoad) -> None:
    assert mapped_load.run.returncode == 0, mapped_load.run.stderr
    assert set(mapped_load.pipeline.tasks()) == set(mapped_load.served)


def test_a_field_the_map_removes_is_not_loaded(mapped_load: MappedLoad) -> None:
    assert "content" not in columns(mapped_load)
    assert "title" in columns(mapped_load)


def test_computed_fields_are_loaded_with_their_types(mapped_load: MappedLoad) -> None:
    assert columns(mapped_load)["title_words"] == "bigint"
    for task_id, row in mapped_load.pipeline.tasks().items():
        served = mapped_load.served[task_id]
        title = served.get("title")
        assert row["title_words"] == (title.count(" ") + 1 if title else 0)
        assert row["owner"] == f"sales/{served['userId']}"


def test_flattening_spreads_the_nested_task_into_columns(
    mapped_load: MappedLoad,
) -> None:
    loaded = columns(mapped_load)

    assert "task" not in loaded
    assert {"task___id", "task__title", "task__userId"} <= set(loaded)
    for task_id, row in mapped_load.pipeline.tasks().items():
        assert row["task___id"] == task_id
        assert row["task__title"] == mapped_load.served[task_id].get("title")
