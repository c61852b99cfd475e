"""The dbt layer on top of the load: staging model and open tasks per assignee."""

from __future__ import annotations

import collections
import datetime as dt
import typing as t

if t.TYPE_CHECKING:
    from lemlist_standin import LemlistStandIn
    from warehouse import Pipeline

DBT = ("dbt-postgres:run", "dbt-postgres:test")


def model(pipeline: Pipeline, name: str, columns: str) -> list[tuple[t.Any, ...]]:
    return pipeline.postgres.query(
        f'SELECT {columns} FROM "{pipeline.schema}_analytics".{name}'  # noqa: S608
    )


def test_pipeline_runs_and_tests_the_models_after_each_load(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    first = pipeline.run(standin, *DBT)
    done = sorted(task["_id"] for task in standin.pending_records())[:3]
    standin.complete(done)

    second = pipeline.run(standin, *DBT)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    staged = model(pipeline, "stg_lemlist__tasks", "task_id, is_open")
    assert len(staged) == 250
    assert {task_id for task_id, is_open in staged if not is_open} == set(done)


def test_open_tasks_by_assignee_counts_what_lemlist_still_returns(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    pipeline.run(standin)
    standin.complete(sorted(task["_id"] for task in standin.pending_records())[:10])

    run = pipeline.run(standin, *DBT)

    assert run.returncode == 0, run.stderr
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    expected: collections.Counter[tuple[t.Any, ...]] = collections.Counter()
    overdue: collections.Counter[tuple[t.Any, ...]] = collections.Counter()
    for task in standin.pending_records():
        group = (task.get("userId"), task.get("type"))
        expected[group] += 1
        overdue[group] += "dueDate" in task and task["dueDate"] < now
    rows = model(
        pipeline,
        "lemlist_open_tasks_by_assignee",
        "assigned_user_id, task_type, open_tasks, overdue_tasks",
    )
    assert {(u, k): n for u, k, n, _ in rows} == dict(expected)
    assert {(u, k): n for u, k, _, n in rows} == {g: overdue[g] for g in expected}
