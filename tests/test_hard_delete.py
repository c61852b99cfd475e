"""With `hard_delete`, done tasks are deleted, not marked; open ones never are."""

from __future__ import annotations

import typing as t

import pytest
from loads import Scenario, deletions

if t.TYPE_CHECKING:
    from warehouse import PostgresCluster


@pytest.fixture(scope="module")
def loads(postgres: PostgresCluster, meltano_installed: None) -> Scenario:
    del meltano_installed
    return deletions(postgres)


def test_tasks_done_since_the_last_run_are_deleted(loads: Scenario) -> None:
    assert loads.exit_codes[1] == 0, loads.stderr[1]
    assert set(loads.done[:3]).isdisjoint(loads.rows[1])


def test_a_load_during_which_tasks_are_done_deletes_no_open_task(
    loads: Scenario,
) -> None:
    open_throughout = (
        {t["_id"] for t in loads.served}
        - set(loads.done[:3])
        - set(loads.done_during_load)
    )

    assert open_throughout <= set(loads.rows[1])


def test_a_failed_run_deletes_nothing(loads: Scenario) -> None:
    assert loads.exit_codes[2] != 0
    assert set(loads.rows[2]) == set(loads.rows[1])
