"""Agencies: two lemlist teams, two inherited extractors, one warehouse.

Each team has its own key, its own extractor (`tap-lemlist-tasks--acme`,
`tap-lemlist-tasks--globex` in meltano.yml), its own state and the schema meltano.yml
gives it (`tap_lemlist_tasks__acme`, `…__globex`, in a database of their own), so one
team's ACTIVATE_VERSION or failure never touches the other's rows; dbt unites the
schemas listed in the `dbt-postgres--agency` utility's `schemas`. One series of two
real `meltano run`s is shared by the tests below:

1. both teams load, then `dbt run` and `dbt test` on a warehouse where dbt has built
nothing yet (no snapshot); 2. 3 acme tasks are done, and 5 of globex's, whose key
lemlist refuses (401) once the tap has read its tasks: acme loads, `dbt build`, globex
loads (and fails).

Neither team's lemlist plan has the campaigns route (402), so no schema has campaigns;
lemlist lists acme's users (those of its tasks) and none of globex's.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

import pytest
from loads import Rows, live, retired, team_standin
from warehouse import Pipeline

if t.TYPE_CHECKING:
    import subprocess

    from embedded_warehouse import PostgresCluster
    from lemlist_standin import LemlistStandIn

HISTORY_MODELS = (
    "stg_lemlist__task_versions",
    "stg_lemlist__team_versions",
    "lemlist_task_history",
    "lemlist_task_completions",
)
ACME, GLOBEX = "tap-lemlist-tasks--acme", "tap-lemlist-tasks--globex"
DBT, TARGET = "dbt-postgres--agency", "target-postgres"
# Per team: its id, name, tasks, sample seed and key.
TEAMS = {
    "acme": ("tea_AcmeClient000001", "Acme Corp", 120, 11, "sk-acme-key-000000"),
    "globex": ("tea_GlobexClient0001", "Globex Inc", 80, 22, "sk-globex-key-0000"),
}


@dataclass
class Agency:
    """What the warehouse held after each step of the series."""

    pipeline: Pipeline
    standins: dict[str, LemlistStandIn]
    served: dict[str, set[str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    rows: list[dict[str, Rows]] = field(default_factory=list)
    # Rows of each history model after `dbt run` and `dbt test`, before any snapshot.
    history_before_snapshot: list[int] = field(default_factory=list)

    def run(self, *blocks: str) -> None:
        """`meltano run` the blocks, each team's key and URL in its own settings,
        then note both teams' tables. The teams' schemas and dbt's are meltano.yml's."""
        settings = {}
        for team, standin in self.standins.items():
            settings[f"TAP_LEMLIST_TASKS__{team.upper()}_API_KEY"] = standin.api_key
            settings[f"TAP_LEMLIST_TASKS__{team.upper()}_API_URL"] = standin.url
        self.runs.append(self.pipeline.run(*blocks, **settings))
        self.rows.append({team: self.table(team) for team in TEAMS})

    def table(self, team: str, name: str = "tasks") -> Rows:
        """Every row of one team's table, by `_id`; empty before its first load."""
        return self.pipeline.table(name, f"tap_lemlist_tasks__{team}")

    def analytics(self, sql: str) -> list[tuple[t.Any, ...]]:
        """Rows of a query on dbt's schema (`{analytics}` in `sql`)."""
        return self.pipeline.query(sql.format(analytics="agency_analytics"))


@pytest.fixture(scope="module")
def agency(postgres: PostgresCluster, meltano_installed: None) -> Agency:
    del meltano_installed
    standins = {name: team_standin(*team) for name, team in TEAMS.items()}
    globex = standins["globex"].team
    assert globex is not None
    del globex["users"]  # as lemlist answers without version=v2
    database = postgres.create_database("agency", timezone="UTC")
    agency = Agency(Pipeline(postgres, "agency", database), standins)
    with standins["acme"] as acme_api, standins["globex"] as globex_api:
        for name, standin in standins.items():
            agency.served[name] = {task["_id"] for task in standin.pending_records()}
        agency.run(ACME, TARGET, GLOBEX, TARGET, f"{DBT}:run", f"{DBT}:test")
        counts = [f"SELECT count(*) FROM {{analytics}}.{m}" for m in HISTORY_MODELS]  # noqa: S608
        agency.history_before_snapshot = [
            n for (n,) in agency.analytics(" UNION ALL ".join(counts))
        ]
        agency.done = sorted(agency.served["acme"])[:3]
        acme_api.complete(agency.done)
        globex_api.complete(sorted(agency.served["globex"])[:5])
        globex_api.add_faults(1, "401")  # the end of its list, after every task
        agency.run(ACME, TARGET, f"{DBT}:build", GLOBEX, TARGET)
    return agency


def test_each_team_loads_its_own_schema_tagged_with_its_team_and_no_secret(
    agency: Agency,
) -> None:
    assert agency.runs[0].returncode == 0, agency.runs[0].stderr[-5000:]
    for team, (team_id, team_name, *_) in TEAMS.items():
        loaded = {i: row["teamId"] for i, row in agency.rows[0][team].items()}
        assert loaded == dict.fromkeys(agency.served[team], team_id)
        [row] = agency.table(team, "teams").values()
        assert (row["_id"], row["name"]) == (team_id, team_name)
        assert not {"apiKey", "hooks", "slackWebhook", "invitedUsers"} & set(row)


def test_tasks_done_in_one_team_retire_only_that_teams_rows(agency: Agency) -> None:
    after = agency.rows[1]

    assert retired(after["acme"]) == set(agency.done)
    assert live(after["acme"]) == agency.served["acme"] - set(agency.done)


def test_a_team_whose_key_is_refused_midway_retires_none_of_its_rows(
    agency: Agency,
) -> None:
    before, after = agency.rows

    assert agency.runs[1].returncode != 0
    assert "HTTP 401" in agency.runs[1].stderr
    # The rows read before the refusal are written again: none retired.
    assert set(after["globex"]) == set(before["globex"])
    assert live(after["globex"]) == agency.served["globex"]


def test_dbt_run_and_dbt_test_pass_before_the_first_snapshot_with_no_history(
    agency: Agency,
) -> None:
    run_and_test = agency.runs[0].stderr

    assert re.search(r"Finished running \d+ table models in", run_and_test)
    assert re.search(
        r"Finished running \d+ data tests, \d+ unit tests in", run_and_test
    )
    assert run_and_test.count("Completed successfully") == 2
    assert agency.history_before_snapshot == [0] * len(HISTORY_MODELS)
    assert "no task history yet" in run_and_test


def test_dbt_staging_has_both_teams_with_their_names_and_counts(agency: Agency) -> None:
    counts = agency.analytics(
        "SELECT team_id, team_name, count(*), count(*) FILTER (WHERE is_open) "
        "FROM {analytics}.stg_lemlist__tasks GROUP BY 1, 2 ORDER BY 1"
    )

    assert counts == [
        ("tea_AcmeClient000001", "Acme Corp", 120, 117),
        ("tea_GlobexClient0001", "Globex Inc", 80, 80),
    ]


def test_dbt_build_snapshots_both_teams_and_completes_one_without_filters(
    agency: Agency,
) -> None:
    versions = agency.analytics(
        "SELECT team_id, count(*), count(DISTINCT task_id) "
        "FROM {analytics}.lemlist_task_history GROUP BY 1 ORDER BY 1"
    )
    completions = agency.analytics(
        "SELECT team_id, task_id, left_because, retiring_task_filters "
        "FROM {analytics}.lemlist_task_completions"
    )
    acme, globex = (team_id for team_id, *_ in TEAMS.values())
    done = [(acme, i, "done or deleted", "[]") for i in agency.done]

    assert "Completed successfully" in agency.runs[1].stderr
    assert "no task history yet" not in agency.runs[1].stderr
    # One version of each task: the first snapshot.
    assert versions == [(acme, 120, 120), (globex, 80, 80)]
    assert sorted(completions) == done


def test_dbt_builds_without_campaigns_anywhere_nor_one_teams_users(
    agency: Agency,
) -> None:
    # 402 on the campaigns route: the stream loads nothing, in either schema.
    users = agency.analytics(
        "SELECT team_name, count(*) FROM {analytics}.stg_lemlist__users GROUP BY 1"
    )

    assert [agency.table(team, "campaigns") for team in TEAMS] == [{}, {}]
    assert agency.analytics(
        "SELECT count(*) FROM {analytics}.stg_lemlist__campaigns"
    ) == [(0,)]
    assert users == [("Acme Corp", 4)]


def test_the_marts_count_and_name_assignees_where_lemlist_lists_them(
    agency: Agency,
) -> None:
    named = agency.analytics(
        "SELECT team_name, bool_and(assignee_name IS NOT NULL), "
        "bool_and(assignee_name IS NULL), sum(open_tasks) "
        "FROM {analytics}.lemlist_open_tasks_by_assignee GROUP BY 1 ORDER BY 1"
    )
    by_campaign = agency.analytics(
        "SELECT team_name, sum(open_tasks), count(campaign_name) "
        "FROM {analytics}.lemlist_open_tasks_by_campaign GROUP BY 1 ORDER BY 1"
    )

    assert named == [("Acme Corp", True, False, 117), ("Globex Inc", False, True, 80)]
    assert by_campaign == [("Acme Corp", 117, 0), ("Globex Inc", 80, 0)]
    # Nothing to check a team's tasks against without its users or campaigns.
    for run in agency.runs:
        assert " WARN " not in run.stderr
