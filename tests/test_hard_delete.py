"""With `hard_delete`, done tasks are deleted, not marked; open ones never are."""

from __future__ import annotations

import typing as t

import pytest
from loads import Scenario, series

if t.TYPE_CHECKING:
    from warehouse import PostgresCluster


@pytest.fixture(scope="module")
def loads(postgres: PostgresCluster, meltano_installed: None) -> Scenario:
    del meltano_installed
    return series(postgres, hard_delete=True)


def test_tasks_done_since_the_last_run_are_deleted(loads: Scenario) -> None:
    assert loads.exit_codes[1] == 0, loads.stderr[1]
    assert set(loads.done).isdisjoint(loads.rows[1])


def test_a_load_during_which_tasks_are_done_deletes_no_open_task(
    loads: Scenario,
) -> None:
    # Tasks done after this load read them stay until the next load.
    open_at_its_start = {t["_id"] for t in loads.served} - set(loads.done)

    assert set(loads.done_during_load) <= open_at_its_start
    assert set(loads.rows[1]) == open_at_its_start
