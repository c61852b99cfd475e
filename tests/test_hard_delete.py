"""The same week of loads with `hard_delete`: done tasks are deleted, not marked."""

from __future__ import annotations

import typing as t

import pytest
from loads import Scenario, a_week_of_loads, live

if t.TYPE_CHECKING:
    from warehouse import PostgresCluster


@pytest.fixture(scope="module")
def week(postgres: PostgresCluster, meltano_installed: None) -> Scenario:
    del meltano_installed
    return a_week_of_loads(postgres, "true")


def test_tasks_done_since_the_last_run_are_deleted(week: Scenario) -> None:
    assert week.exit_codes[1] == 0, week.stderr[1]
    assert set(week.done[:3]).isdisjoint(week.rows[1])
    assert set(week.rows[1]) == {t["_id"] for t in week.served} - set(week.done[:3])


def test_a_failed_run_deletes_nothing(week: Scenario) -> None:
    assert week.exit_codes[2] != 0
    assert set(week.rows[2]) == set(week.rows[1])


def test_a_load_during_which_tasks_are_done_deletes_no_open_task(
    week: Scenario,
) -> None:
    open_throughout = {t["_id"] for t in week.served} - set(week.done[1:])

    assert week.exit_codes[3] == 0, week.stderr[3]
    assert set(week.rows[3]) == live(week.rows[3]) == open_throughout
