"""Series of scheduled loads, shared by the tests of one module each."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from conftest import API_KEY, schema_for
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import Pipeline, PostgresCluster, utc_now

if t.TYPE_CHECKING:
    from datetime import datetime

Rows = dict[str, dict[str, t.Any]]


def pending_ids(standin: LemlistStandIn) -> set[str]:
    return {task["_id"] for task in standin.pending_records()}


def live(rows: Rows) -> set[str]:
    return {i for i, row in rows.items() if row["_sdc_deleted_at"] is None}


def retired(rows: Rows) -> set[str]:
    return {i for i, row in rows.items() if row["_sdc_deleted_at"] is not None}


@dataclass
class Scenario:
    """What the warehouse held after each run of a series."""

    pipeline: Pipeline
    served: list[dict[str, t.Any]] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    done_during_load: list[str] = field(default_factory=list)
    rows: list[Rows] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    # Naive UTC clock readings just before and after each run.
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    def run(self, standin: LemlistStandIn, **variables: str) -> None:
        started = utc_now()
        completed = self.pipeline.run(standin, **variables)
        self.windows.append((started, utc_now()))
        self.exit_codes.append(completed.returncode)
        self.stderr.append(completed.stderr)
        self.rows.append(self.pipeline.tasks())


def complete_during_next_load(standin: LemlistStandIn) -> list[str]:
    """Have 2 tasks done after the next load reads page 0, and 2 more after page 1.

    The forward read then skips 4 open tasks. Returns the 4 tasks.
    """
    order = [task["_id"] for task in standin.pending_records()]
    during = [order[0], order[10], order[120], order[150]]
    base = len(standin.requests) + 1  # the load's first request reads the team
    standin.after_request(base + 1, lambda api: api.complete(during[:2]))
    standin.after_request(base + 2, lambda api: api.complete(during[2:]))
    return during


def series(
    postgres: PostgresCluster, database: str = "", *, hard_delete: bool
) -> Scenario:
    """Load; 3 done before and 4 during the next load, load; a 401, load (soft
    deletes only: a failed run sends no ACTIVATE_VERSION, whatever the loader does).

    During the second load people keep working: 2 tasks are done after page 0 was
    read, and 2 more after page 1, which makes the forward read skip 4 open tasks.
    The loads go to `database` of the cluster, by default the warehouse.
    """
    name = f"series_hard_delete_{hard_delete}".lower()
    scenario = Scenario(Pipeline(postgres, schema_for(name), database))
    env = {"TARGET_POSTGRES_HARD_DELETE": str(hard_delete).lower()}
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY) as standin:
        scenario.served = standin.pending_records()
        scenario.done = sorted(pending_ids(standin))[:3]
        scenario.run(standin, **env)
        standin.complete(scenario.done)
        scenario.done_during_load = complete_during_next_load(standin)
        scenario.run(standin, **env)
        if not hard_delete:
            standin.add_faults(1, "401")
            scenario.run(standin, **env)
    return scenario
