"""With `hard_delete`, done tasks are deleted, not marked; open ones never are.

Load; 3 tasks done before the next load, and 4 during it: 2 after it read page 0 and 2
after page 1, which makes the forward read skip 4 open tasks; load.
"""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY, schema_for
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import Pipeline

if t.TYPE_CHECKING:
    from warehouse import PostgresCluster


class Loads(t.NamedTuple):
    done: list[str]  # before the second load
    open_at_start: set[str]  # of the second load
    done_during_load: list[str]
    second: set[str]  # the ids in the table after it
    exit_code: int
    stderr: str


@pytest.fixture(scope="module")
def loads(postgres: PostgresCluster, meltano_installed: None) -> Loads:
    del meltano_installed
    pipeline = Pipeline(postgres, schema_for("hard_delete"))
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY) as standin:
        pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE="true")
        done = sorted(task["_id"] for task in standin.pending_records())[:3]
        standin.complete(done)
        order = [task["_id"] for task in standin.pending_records()]
        during = [order[0], order[10], order[120], order[150]]
        base = len(standin.requests) + 1  # the load's first request reads the team
        standin.after_request(base + 1, lambda api: api.complete(during[:2]))
        standin.after_request(base + 2, lambda api: api.complete(during[2:]))
        second = pipeline.run(standin, TARGET_POSTGRES_HARD_DELETE="true")
    return Loads(
        done,
        set(order),
        during,
        set(pipeline.tasks()),
        second.returncode,
        second.stderr,
    )


def test_tasks_done_since_the_last_run_are_deleted(loads: Loads) -> None:
    assert loads.exit_code == 0, loads.stderr
    assert len(loads.done) == 3
    assert set(loads.done).isdisjoint(loads.second)


def test_a_load_during_which_tasks_are_done_deletes_no_open_task(loads: Loads) -> None:
    # Tasks done after this load read them stay until the next load.
    assert set(loads.done_during_load) <= loads.open_at_start
    assert loads.second == loads.open_at_start
