"""Scheduled loads into PostgreSQL: `meltano run tap-lemlist-tasks target-postgres`.

lemlist never returns done tasks, so a task done since the last run must leave the
warehouse's live set; a run that fails must leave the warehouse as it was; a task
that stayed open must never leave it. One week of real `meltano run`s is shared by
the tests that read it; test_hard_delete.py loads with hard deletes, and test_dbt.py
reopens a task.

This week loads a database whose timezone is America/New_York: every timestamp must
still land as the true UTC instant (`timestamp without time zone`, naive UTC).
"""

from __future__ import annotations

import typing as t

import pytest
from conftest import NON_UTC_TIMEZONE
from loads import Scenario, live, retired, series

if t.TYPE_CHECKING:
    from warehouse import PostgresCluster


@pytest.fixture(scope="module")
def week(
    postgres: PostgresCluster, non_utc_database: str, meltano_installed: None
) -> Scenario:
    """A week of loads with soft deletes (target-postgres's default), into a
    database in New York time."""
    del meltano_installed
    return series(postgres, non_utc_database, hard_delete=False)


def test_first_load_puts_every_pending_task_live_once(week: Scenario) -> None:
    assert week.exit_codes[0] == 0, week.stderr[0]
    assert live(week.rows[0]) == {task["_id"] for task in week.served}
    assert len(week.rows[0]) == 250


def test_columns_have_warehouse_types(week: Scenario) -> None:
    types = dict(
        week.pipeline.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'tasks'",
            week.pipeline.schema,
        )
    )
    assert types["dueDate"] == types["createdAt"] == "timestamp without time zone"
    assert types["completedAt"] == "timestamp without time zone"
    assert types["priority"] == "bigint"
    assert types["_id"] == types["title"] == types["leadId"] == "text"


def test_values_land_as_lemlist_served_them(week: Scenario) -> None:
    rows = week.rows[0]
    for served in week.served:
        row = rows[served["_id"]]
        assert row["title"] == served.get("title")  # unicode included
        assert row["leadId"] == served.get("leadId")  # null where lemlist omits it
        assert row["content"] == served.get("content")
        for name in ("dueDate", "createdAt"):  # UTC, whatever the database's zone
            if name in served:
                stored = row[name].isoformat(timespec="milliseconds") + "Z"
                assert stored == served[name]
            else:
                assert row[name] is None
    assert any(not (row["title"] or "").isascii() for row in rows.values())
    assert any(row["leadId"] is None for row in rows.values())


def test_the_week_loads_a_database_whose_timezone_is_not_utc(week: Scenario) -> None:
    assert week.pipeline.query("SHOW timezone") == [(NON_UTC_TIMEZONE,)]


def test_extraction_times_are_utc_instants_in_a_non_utc_database(
    week: Scenario,
) -> None:
    started, finished = week.windows[0]
    extracted = [row["_sdc_extracted_at"] for row in week.rows[0].values()]

    assert all(started <= instant <= finished for instant in extracted)


def test_retirement_times_are_utc_instants_in_a_non_utc_database(
    week: Scenario,
) -> None:
    started, finished = week.windows[1]
    done = week.done[:3]
    retired_at = [week.rows[1][task_id]["_sdc_deleted_at"] for task_id in done]

    assert all(started <= instant <= finished for instant in retired_at)


def test_a_load_during_which_tasks_are_done_retires_only_those_done_before(
    week: Scenario,
) -> None:
    # Tasks done after this load read them stay live until the next load.
    served = {task["_id"] for task in week.served}

    assert week.exit_codes[1] == 0, week.stderr[1]
    assert live(week.rows[1]) == served - set(week.done)
    assert retired(week.rows[1]) == set(week.done)
    assert set(week.done_during_load) <= live(week.rows[1])


def test_a_failed_run_leaves_the_warehouse_as_it_was(week: Scenario) -> None:
    assert week.exit_codes[2] != 0
    assert "HTTP 401" in week.stderr[2]
    assert set(week.rows[2]) == set(week.rows[1])
    assert live(week.rows[2]) == live(week.rows[1])
