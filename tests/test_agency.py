"""Agencies: two lemlist teams, two inherited extractors, one warehouse.

Each team has its own key, its own extractor (`tap-lemlist-tasks--acme`,
`tap-lemlist-tasks--globex` in meltano.yml), its own state and the schema meltano.yml
gives it (`tap_lemlist_tasks__acme`, `…__globex`, in a database of their own), so one
team's ACTIVATE_VERSION or failure never touches the other's rows; dbt unites the
schemas listed in the `dbt-postgres--agency` utility's `schemas`. One series of two
real `meltano run`s is shared by the tests below:

1. both teams load, then `dbt run` and `dbt test` on a warehouse where dbt has built
nothing yet (no snapshot); 2. 3 acme tasks are done and globex's key is refused (401)
while its tasks change: acme loads, `dbt build`, globex loads (and fails).

Neither team's lemlist plan has the campaigns route (402), so no schema has campaigns;
lemlist lists acme's users (those of its tasks) and none of globex's.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

import pytest
from lemlist_sample import sample_tasks, sample_team, sample_users
from lemlist_standin import LemlistStandIn
from loads import Rows, live, retired
from warehouse import Pipeline, meltano

if t.TYPE_CHECKING:
    import subprocess

    from warehouse import PostgresCluster


@dataclass
class Team:
    """One lemlist team of the agency: its stand-in, extractor and schema."""

    name: str
    team_id: str
    team_name: str
    standin: LemlistStandIn
    schema: str

    @property
    def extractor(self) -> str:
        return f"tap-lemlist-tasks--{self.name}"

    @property
    def prefix(self) -> str:
        """The extractor's settings prefix (TAP_LEMLIST_TASKS__ACME_…)."""
        return self.extractor.upper().replace("-", "_")


@dataclass
class Agency:
    """What the warehouse held after each step of the series."""

    pipeline: Pipeline
    acme: Team
    globex: Team
    served: dict[str, set[str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    rows: list[dict[str, Rows]] = field(default_factory=list)
    # Rows of the history models after `dbt run` and `dbt test`, before any snapshot.
    history_before_snapshot: dict[str, int | None] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """A scheduled run's variables: each team's key and URL in its own settings."""
        env = self.pipeline.environment(self.acme.standin)
        del env["TAP_LEMLIST_TASKS_API_KEY"], env["TAP_LEMLIST_TASKS_API_URL"]
        for team in (self.acme, self.globex):
            env[f"{team.prefix}_API_KEY"] = team.standin.api_key
            env[f"{team.prefix}_API_URL"] = team.standin.url
        return env

    def run(self, *blocks: str) -> None:
        """`meltano run` the blocks, then note both teams' tables."""
        env = self.environment()
        # The teams' schemas and dbt's are meltano.yml's own.
        del env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"], env["LEMLIST_SOURCE_SCHEMA"]
        suffix = ("--state-id-suffix", self.pipeline.schema)
        self.runs.append(meltano("run", *suffix, *blocks, env=env))
        self.rows.append({team.name: self.table(team) for team in self.teams})

    @property
    def teams(self) -> tuple[Team, Team]:
        return self.acme, self.globex

    def table(self, team: Team, name: str = "tasks") -> Rows:
        """Every row of one team's table, by `_id`; empty before its first load."""
        return self.pipeline.tasks(team.schema, name)

    def analytics(self, sql: str) -> list[tuple[t.Any, ...]]:
        """Rows of a query on dbt's schema (`{analytics}` in `sql`)."""
        schema = f'"{self.pipeline.schema}_analytics"'
        return self.pipeline.query(sql.format(analytics=schema))

    def count(self, model: str) -> int | None:
        """The rows of one dbt model; None if dbt did not build it."""
        relation = f'"{self.pipeline.schema}_analytics".{model}'
        if not self.pipeline.query("SELECT to_regclass(%s)", relation)[0][0]:
            return None
        return int(self.pipeline.query(f"SELECT count(*) FROM {relation}")[0][0])  # noqa: S608


HISTORY_MODELS = (
    "stg_lemlist__task_versions",
    "stg_lemlist__team_versions",
    "lemlist_task_history",
    "lemlist_task_completions",
)


ACME, GLOBEX = (f"tap-lemlist-tasks--{team}" for team in ("acme", "globex"))
DBT, TARGET = "dbt-postgres--agency", "target-postgres"
SCHEMA = "tap_lemlist_tasks__"  # meltano.yml's load schema of each team's extractor


def a_day_at_the_agency(postgres: PostgresCluster) -> Agency:
    database = postgres.create_database("agency", timezone="UTC")
    pipeline = Pipeline(postgres, "agency", database)
    teams = {
        "acme": ("tea_AcmeClient000001", "Acme Corp", 120, 11, "sk-acme-key-000000"),
        "globex": ("tea_GlobexClient0001", "Globex Inc", 80, 22, "sk-globex-key-0000"),
    }
    standins = {
        name: LemlistStandIn(sample_tasks(count, seed), api_key=key)
        for name, (_, _, count, seed, key) in teams.items()
    }
    for name, standin in standins.items():
        team_id, team_name, _, seed, _ = teams[name]
        document = sample_team(
            team_id, team_name, api_key=standin.api_key, users=sample_users(seed)
        )
        if name == "globex":
            del document["users"]  # as lemlist answers without version=v2
        standin.team = document
        standin.plan_gated.add("campaigns")
    with standins["acme"] as acme_api, standins["globex"] as globex_api:
        schema = "tap_lemlist_tasks__{}"
        acme = Team("acme", *teams["acme"][:2], acme_api, schema.format("acme"))
        globex = Team(
            "globex", *teams["globex"][:2], globex_api, schema.format("globex")
        )
        agency = Agency(pipeline, acme, globex)
        for team in agency.teams:
            agency.served[team.name] = {
                t["_id"] for t in team.standin.pending_records()
            }
        agency.run(ACME, TARGET, GLOBEX, TARGET, f"{DBT}:run", f"{DBT}:test")
        agency.history_before_snapshot = {
            model: agency.count(model) for model in HISTORY_MODELS
        }
        agency.done = sorted(agency.served["acme"])[:3]
        acme_api.complete(agency.done)
        globex_api.add_route_faults("team", "401")
        globex_api.complete(sorted(agency.served["globex"])[:5])
        agency.run(ACME, TARGET, f"{DBT}:build", GLOBEX, TARGET)
    return agency


@pytest.fixture(scope="module")
def agency(postgres: PostgresCluster, meltano_installed: None) -> Agency:
    """The series of loads, shared by this module's tests."""
    del meltano_installed
    return a_day_at_the_agency(postgres)


def test_each_team_loads_its_own_schema_tagged_with_its_team(agency: Agency) -> None:
    assert agency.runs[0].returncode == 0, agency.runs[0].stderr[-5000:]
    for team in agency.teams:
        rows = agency.rows[0][team.name]
        assert set(rows) == agency.served[team.name]
        assert {row["teamId"] for row in rows.values()} == {team.team_id}


def test_each_teams_table_holds_its_one_team_and_no_secret(agency: Agency) -> None:
    for team in agency.teams:
        teams = agency.table(team, "teams")
        assert list(teams) == [team.team_id]
        row = teams[team.team_id]
        assert row["name"] == team.team_name
        assert not {"apiKey", "hooks", "slackWebhook", "invitedUsers"} & set(row)


def test_tasks_done_in_one_team_retire_only_that_teams_rows(agency: Agency) -> None:
    before, after = agency.rows[0], agency.rows[1]

    assert retired(after["acme"]) == set(agency.done)
    assert live(after["acme"]) == agency.served["acme"] - set(agency.done)
    assert after["globex"] == before["globex"]


def test_a_team_whose_key_is_refused_changes_none_of_its_rows(agency: Agency) -> None:
    assert agency.runs[1].returncode != 0
    assert "HTTP 401" in agency.runs[1].stderr
    assert agency.rows[1]["globex"] == agency.rows[0]["globex"]
    assert live(agency.rows[1]["globex"]) == agency.served["globex"]


def test_dbt_run_and_dbt_test_pass_before_the_first_snapshot(agency: Agency) -> None:
    run_and_test = agency.runs[0].stderr

    assert re.search(r"Finished running \d+ table models in", run_and_test)
    assert re.search(
        r"Finished running \d+ data tests, \d+ unit tests in", run_and_test
    )
    assert run_and_test.count("Completed successfully") == 2


def test_the_history_is_empty_until_the_first_snapshot_and_says_so(
    agency: Agency,
) -> None:
    assert agency.history_before_snapshot == dict.fromkeys(HISTORY_MODELS, 0)
    assert "no task history yet" in agency.runs[0].stderr


def test_dbt_build_after_dbt_run_snapshots_and_fills_the_history(
    agency: Agency,
) -> None:
    versions = agency.analytics(
        "SELECT count(*) FROM {analytics}.stg_lemlist__task_versions"
    )

    assert "Completed successfully" in agency.runs[1].stderr
    assert "no task history yet" not in agency.runs[1].stderr
    assert versions == [(120 + 80,)]


def test_dbt_staging_has_both_teams_with_their_names_and_counts(agency: Agency) -> None:
    counts = agency.analytics(
        "SELECT team_id, team_name, count(*), count(*) FILTER (WHERE is_open) "
        "FROM {analytics}.stg_lemlist__tasks GROUP BY 1, 2 ORDER BY 1"
    )

    assert counts == [
        ("tea_AcmeClient000001", "Acme Corp", 120, 117),
        ("tea_GlobexClient0001", "Globex Inc", 80, 80),
    ]


def test_the_mart_counts_each_teams_open_tasks(agency: Agency) -> None:
    per_team = agency.analytics(
        "SELECT team_name, sum(open_tasks) "
        "FROM {analytics}.lemlist_open_tasks_by_assignee GROUP BY 1 ORDER BY 1"
    )

    assert per_team == [("Acme Corp", 117), ("Globex Inc", 80)]


def test_the_history_holds_both_teams_and_the_completions_of_one(
    agency: Agency,
) -> None:
    versions = agency.analytics(
        "SELECT team_id, count(DISTINCT task_id) "
        "FROM {analytics}.lemlist_task_history GROUP BY 1 ORDER BY 1"
    )
    completions = agency.analytics(
        "SELECT team_id, task_id FROM {analytics}.lemlist_task_completions"
    )

    assert versions == [("tea_AcmeClient000001", 120), ("tea_GlobexClient0001", 80)]
    assert sorted(completions) == [("tea_AcmeClient000001", i) for i in agency.done]


def test_dbt_builds_without_campaigns_anywhere_nor_one_teams_users(
    agency: Agency,
) -> None:
    # 402 on the campaigns route: the stream loads nothing, in either schema.
    campaigns = [agency.table(team, "campaigns") for team in agency.teams]
    users = agency.analytics(
        "SELECT team_name, count(*) FROM {analytics}.stg_lemlist__users GROUP BY 1"
    )

    assert campaigns == [{}, {}]
    assert agency.analytics(
        "SELECT count(*) FROM {analytics}.stg_lemlist__campaigns"
    ) == [(0,)]
    assert users == [("Acme Corp", 4)]


def test_the_marts_name_assignees_where_lemlist_lists_them(agency: Agency) -> None:
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


def test_completions_without_filters_are_done_or_deleted(agency: Agency) -> None:
    because = agency.analytics(
        "SELECT left_because, retiring_task_filters, count(*) "
        "FROM {analytics}.lemlist_task_completions GROUP BY 1, 2"
    )

    assert because == [("done or deleted", "[]", len(agency.done))]
