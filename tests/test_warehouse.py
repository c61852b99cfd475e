"""Scheduled loads into PostgreSQL: `meltano run tap-lemlist-tasks target-postgres`.

lemlist never returns done tasks, so a task done since the last run must leave the
warehouse's live set; a run that fails must leave the warehouse as it was.
"""

from __future__ import annotations

import json
import typing as t

import pytest

if t.TYPE_CHECKING:
    from lemlist_standin import LemlistStandIn
    from warehouse import Pipeline

HARD_DELETE = pytest.mark.parametrize("hard_delete", ["false", "true"])


def pending_ids(standin: LemlistStandIn) -> set[str]:
    return {task["_id"] for task in standin.pending_records()}


def test_first_load_puts_every_pending_task_live_once(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    run = pipeline.run(standin)

    assert run.returncode == 0, run.stderr
    assert pipeline.live_ids() == pending_ids(standin)
    ((count, distinct),) = pipeline.postgres.query(
        f'SELECT count(*), count(DISTINCT _id) FROM "{pipeline.schema}".tasks'  # noqa: S608
    )
    assert count == distinct == len(pending_ids(standin))


def test_columns_have_warehouse_types(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    pipeline.run(standin)

    types = dict(
        pipeline.postgres.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'tasks'",
            pipeline.schema,
        )
    )
    assert types["dueDate"] == types["createdAt"] == "timestamp without time zone"
    assert types["completedAt"] == "timestamp without time zone"
    assert types["priority"] == "bigint"
    assert types["_id"] == types["title"] == types["leadId"] == "text"


def test_values_land_as_lemlist_served_them(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    pipeline.run(standin)

    rows = pipeline.tasks()
    for served in standin.pending_records():
        row = rows[served["_id"]]
        assert row["title"] == served.get("title")  # unicode included
        assert row["leadId"] == served.get("leadId")  # null where lemlist omits it
        assert row["content"] == served.get("content")
        if "dueDate" in served:
            assert (
                row["dueDate"].isoformat(timespec="milliseconds") + "Z"
                == served["dueDate"]
            )
        else:
            assert row["dueDate"] is None
    assert any(not (row["title"] or "").isascii() for row in rows.values())
    assert any(row["leadId"] is None for row in rows.values())


def test_filters_load_only_the_matching_tasks(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    filters = [{"filterId": "type", "in": ["phone", "email"]}]

    run = pipeline.run(standin, TAP_LEMLIST_TASKS_FILTERS=json.dumps(filters))

    assert run.returncode == 0, run.stderr
    expected = {task["_id"] for task in standin.pending_records(filters)}
    assert pipeline.live_ids() == expected
    assert {row["type"] for row in pipeline.tasks().values()} == {"phone", "email"}


@HARD_DELETE
def test_tasks_done_since_the_last_run_leave_the_live_set(
    pipeline: Pipeline, standin: LemlistStandIn, hard_delete: str
) -> None:
    pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE=hard_delete)
    done = sorted(pending_ids(standin))[:3]
    standin.complete(done)

    run = pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE=hard_delete)

    assert run.returncode == 0, run.stderr
    assert pipeline.live_ids() == pending_ids(standin)
    if hard_delete == "true":
        assert set(done).isdisjoint(pipeline.tasks())
    else:
        assert pipeline.retired_ids() == set(done)


@HARD_DELETE
def test_a_failed_run_leaves_the_warehouse_as_it_was(
    pipeline: Pipeline, standin: LemlistStandIn, hard_delete: str
) -> None:
    pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE=hard_delete)
    before = pipeline.tasks()
    standin.complete(sorted(before)[:3])
    standin.add_faults(1, "401")

    run = pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE=hard_delete)

    assert run.returncode != 0
    assert "lemlist rejected the API key (HTTP 401)" in run.stderr
    after = pipeline.tasks()
    assert set(after) == set(before)
    assert pipeline.retired_ids() == set()


def test_a_reopened_task_is_live_again(
    pipeline: Pipeline, standin: LemlistStandIn
) -> None:
    pipeline.run(standin)
    reopened, *_ = done = sorted(pending_ids(standin))[:3]
    standin.complete(done)
    pipeline.run(standin)
    standin.reopen([reopened])

    run = pipeline.run(standin)

    assert run.returncode == 0, run.stderr
    assert reopened in pipeline.live_ids()
    assert pipeline.retired_ids() == set(done) - {reopened}
