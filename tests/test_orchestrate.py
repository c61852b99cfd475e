"""Agencies on Dagster: one partition per team, nothing shared but the warehouse.

The code location in orchestrate/ runs in this process (`dagster.materialize` on an
ephemeral instance) against three stand-ins, one series shared by most tests:

1. acme loads; 2. globex loads; 3. initech, whose key lemlist refuses, fails;
4. tasks are done in acme and in globex, and acme alone loads again;
5. dbt builds over every loaded team's schema; 6. acme again, while its lock is held.

Two more runs go through `dagster asset materialize` on the multiprocess executor,
two teams at once.
"""

from __future__ import annotations

import contextlib
import sys
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from loads import Rows, live, retired, team_standin
from warehouse import OFFLINE, REPO, Pipeline, environment, run_program

from orchestrate import definitions
from orchestrate.definitions import LOAD, TEAMS_POOL, build_definitions
from orchestrate.pipeline import advisory_lock_key
from orchestrate.teams import TeamsFileError, read_teams

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from embedded_warehouse import PostgresCluster
    from lemlist_standin import LemlistStandIn

REFUSED = "lemlist rejected the API key (HTTP 401)"
DAGSTER = Path(sys.executable).parent / "dagster"
REVOKED = "sk-initech-revoked-key"


class Client(t.NamedTuple):
    """One team of the agency: its stand-in, its schema and its key."""

    slug: str
    team_id: str
    standin: LemlistStandIn
    schema: str
    key: str
    served: set[str]

    @property
    def key_variable(self) -> str:
        """The variable the teams file names for the team's key."""
        return f"LEMLIST_KEY_{self.slug.upper()}"

    def tasks(self, postgres: PostgresCluster) -> Rows:
        """The team's tasks table by `_id`; empty while it has none."""
        return Pipeline(postgres, self.schema).table()


def clients(
    postgres: PostgresCluster,
    base: str,
    names: dict[str, tuple[int, int]],
    stack: contextlib.ExitStack,
    teams_file: Path,
) -> tuple[dict[str, Client], dict[str, str]]:
    """Start a stand-in per team (`names` maps a slug to its tasks and seed), write
    the teams file; return the teams and what the code location's process has: the
    warehouse, the keys, the file."""
    found = {}
    for slug, (count, seed) in names.items():
        key, team_id = f"sk-{slug}-{seed:04d}-key", f"tea_{slug.capitalize():0<16}"[:20]
        api = team_standin(team_id, slug.capitalize(), count, seed, key)
        served = {task["_id"] for task in stack.enter_context(api).pending_records()}
        found[slug] = Client(slug, team_id, api, f"{base}_{slug}", key, served)
    teams = [
        {"slug": c.slug, "api_key_env": c.key_variable, "schema": c.schema}
        | {"api_url": c.standin.url}
        for c in found.values()
    ]
    teams_file.write_text(yaml.safe_dump(teams))
    return found, {
        **OFFLINE,
        "WAREHOUSE_URL": postgres.url(),
        **{team.key_variable: team.key for team in found.values()},
        "LEMLIST_TEAMS_FILE": str(teams_file),
        "DBT_TARGET_SCHEMA": f"{base}_analytics",
    }


def singer_state(instance: dg.DagsterInstance, slug: str) -> int | None:
    """The tasks the team's last recorded load emitted, from its Singer state."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=LOAD, asset_partitions=[slug]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    state = records[0].asset_materialization.metadata["singer_state"].value
    bookmark = t.cast("dict[str, t.Any]", state)["bookmarks"]["tasks"]
    return int(bookmark["retirement"]["last_retiring_sync_emitted"])


@dataclass
class Agency:
    """What each step of the series left."""

    postgres: PostgresCluster
    teams: dict[str, Client]
    assets: list[dg.AssetsDefinition]
    instance: dg.DagsterInstance
    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    rows: list[dict[str, Rows]] = field(default_factory=list)
    done: dict[str, list[str]] = field(default_factory=dict)
    requests_before_lock: int = 0

    def materialize(self, selection: str, partition: str | None = None) -> None:
        """Materialize the selection (of one partition), then note each team's rows."""
        result = dg.materialize(
            self.assets,
            selection=selection,
            partition_key=partition,
            instance=self.instance,
            raise_on_error=False,
        )
        self.results.append(result)
        self.rows.append(
            {slug: c.tasks(self.postgres) for slug, c in self.teams.items()}
        )

    def messages(self, result: dg.ExecuteInProcessResult) -> list[str]:
        logs = self.instance.all_logs(result.run_id)
        return [str(entry.user_message) for entry in logs]


def failure(result: dg.ExecuteInProcessResult) -> str:
    [failed] = [event for event in result.all_events if event.is_step_failure]
    error = failed.step_failure_data.user_failure_data
    assert error is not None
    return str(error.description)


@pytest.fixture(scope="module")
def agency(
    postgres: PostgresCluster,
    meltano_installed: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Agency]:
    del meltano_installed
    teams_file = tmp_path_factory.mktemp("teams") / "teams.yml"
    with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        names = {"acme": (30, 11), "globex": (20, 22), "initech": (10, 33)}
        teams, variables = clients(postgres, "orchestrate", names, stack, teams_file)
        # lemlist refuses initech's key: its variable holds another one.
        variables[teams["initech"].key_variable] = REVOKED
        for name, value in variables.items():
            patch.setenv(name, value)
        defs = build_definitions(read_teams(teams_file))
        assets = [defs.resolve_assets_def(key) for key in (LOAD, "lemlist_schemas")]
        agency = Agency(postgres, teams, assets, dg.DagsterInstance.ephemeral())
        for slug in ("acme", "globex", "initech"):
            agency.materialize("lemlist_team_load", slug)
        for slug, count in (("acme", 3), ("globex", 4)):
            agency.done[slug] = sorted(teams[slug].served)[:count]
            teams[slug].standin.complete(agency.done[slug])
        agency.materialize("lemlist_team_load", "acme")
        agency.materialize("lemlist_schemas")
        # A run of acme still holds its schema's lock: another does not start.
        agency.requests_before_lock = len(teams["acme"].standin.requests)
        with psycopg.connect(postgres.url(), autocommit=True) as holder:
            holder.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
                (advisory_lock_key(read_teams(teams_file)[0]),),
            )
            agency.materialize("lemlist_team_load", "acme")
        yield agency


def test_each_good_team_loads_its_own_tasks_into_its_own_schema(agency: Agency) -> None:
    after_loads = agency.rows[2]

    for slug in ("acme", "globex"):
        team = agency.teams[slug]
        assert agency.results[("acme", "globex").index(slug)].success
        loaded = {i: row["teamId"] for i, row in after_loads[slug].items()}
        assert loaded == dict.fromkeys(team.served, team.team_id)
    assert not set(after_loads["acme"]) & set(after_loads["globex"])


def test_a_refused_key_fails_its_partition_alone_with_the_taps_line(
    agency: Agency,
) -> None:
    initech = agency.results[2]

    assert not initech.success
    assert failure(initech).startswith(REFUSED)
    assert any(REFUSED in line for line in agency.messages(initech))
    assert agency.rows[2]["initech"] == {}
    assert agency.rows[2]["acme"] == agency.rows[1]["acme"]


def test_each_team_keeps_its_own_state(agency: Agency) -> None:
    emitted = {slug: singer_state(agency.instance, slug) for slug in agency.teams}
    first, second = (agency.messages(agency.results[i]) for i in (0, 3))

    assert emitted == {"acme": 30 - 3, "globex": 20, "initech": None}
    assert any("team acme into schema" in m and "first load" in m for m in first)
    assert any("with the state of its last load" in m for m in second)


def test_a_second_sync_retires_only_that_teams_done_tasks(agency: Agency) -> None:
    before, after = agency.rows[2], agency.rows[3]

    assert agency.results[3].success
    assert retired(after["acme"]) == set(agency.done["acme"])
    assert live(after["acme"]) == agency.teams["acme"].served - set(agency.done["acme"])
    # globex's tasks were done too, but globex did not sync: nothing of it moved.
    assert after["globex"] == before["globex"]


def test_dbt_builds_over_every_loaded_teams_schema(agency: Agency) -> None:
    dbt = agency.results[4]
    counts = agency.postgres.query(
        "SELECT team_id, count(*), count(*) FILTER (WHERE is_open) "
        "FROM orchestrate_analytics.stg_lemlist__tasks "
        "GROUP BY 1 ORDER BY 1"
    )

    assert dbt.success, agency.messages(dbt)[-30:]
    assert counts == [
        (agency.teams["acme"].team_id, 30, 27),
        (agency.teams["globex"].team_id, 20, 20),
    ]
    assert "not loaded yet, left out: initech" in agency.messages(dbt)


def test_a_second_run_of_a_team_while_one_runs_does_not_start(agency: Agency) -> None:
    locked = agency.results[5]

    assert not locked.success
    assert "another run is loading schema" in failure(locked)
    assert len(agency.teams["acme"].standin.requests) == agency.requests_before_lock


def test_no_key_reaches_a_log_or_a_materialization(agency: Agency) -> None:
    keys = [team.key for team in agency.teams.values()] + [REVOKED]
    text = "\n".join(
        "\n".join(agency.messages(run)) + repr(run.all_events) for run in agency.results
    )

    assert text
    assert not [key for key in keys if key in text]


def test_two_partitions_at_once_on_the_multiprocess_executor_lose_nothing(
    postgres: PostgresCluster, meltano_installed: None, tmp_path: Path
) -> None:
    del meltano_installed
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Two first runs at once would each create the tables (sqlite).
        instance.get_runs(limit=1)
        instance.all_instigator_state()
        instance.get_latest_materialization_event(LOAD)
    with contextlib.ExitStack() as stack:
        base = "orchestrate_multiprocess"
        names = {"umbrella": (30, 44), "wonka": (30, 55)}
        teams, variables = clients(postgres, base, names, stack, tmp_path / "teams.yml")
        env = environment(**variables, DAGSTER_HOME=str(home))
        args = "asset materialize -m orchestrate.definitions --select lemlist_team_load"
        materialize = [str(DAGSTER), *args.split(), "--partition"]
        with ThreadPoolExecutor() as pool:
            runs = list(pool.map(lambda s: run_program([*materialize, s], env), teams))

    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Executing steps using multiprocess executor" in run.stderr + run.stdout
    for team in teams.values():
        loaded = {i: row["teamId"] for i, row in team.tasks(postgres).items()}
        assert loaded == dict.fromkeys(team.served, team.team_id)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        emitted = {slug: singer_state(instance, slug) for slug in teams}
    assert emitted == {"umbrella": 30, "wonka": 30}


# Without PostgreSQL or Meltano: the teams file, the schedule, the instance settings.


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ("- {slug: a, api_key_env: K}", "schema must be"),
        ("- {slug: A B, api_key_env: K, schema: s}", "slug must be"),
        ("- {slug: a, api_key: k, api_key_env: K, schema: s}", "unknown field api_key"),
        (
            "- {slug: a, api_key_env: K, schema: s, filters: [{from: 2025-01-31}]}",
            "quote dates",
        ),
        ("slug: a", "expected a list of teams"),
        (
            (
                "- {slug: a, api_key_env: A, schema: lemlist}\n"
                "- {slug: b, api_key_env: B, schema: lemlist}"
            ),
            "teams a and b share schema lemlist: each",
        ),
    ],
)
def test_a_wrong_teams_file_is_refused_in_one_line(
    tmp_path: Path, lines: str, says: str
) -> None:
    teams_file = tmp_path / "teams.yml"
    teams_file.write_text(lines + "\n")

    with pytest.raises(TeamsFileError, match=says) as refused:
        read_teams(teams_file)
    assert "\n" not in str(refused.value)


def test_the_code_location_needs_a_teams_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEMLIST_TEAMS_FILE", raising=False)

    with pytest.raises(TeamsFileError, match=r"^LEMLIST_TEAMS_FILE is not set: "):
        definitions.defs()


def test_the_hourly_schedule_requests_every_team_once(tmp_path: Path) -> None:
    teams_file = tmp_path / "teams.yml"
    team = "- {{slug: t{0}, api_key_env: KEY_{0}, schema: lemlist_{0}}}\n"
    teams_file.write_text("".join(team.format(n) for n in range(100)))
    defs = build_definitions(read_teams(teams_file))
    schedule = defs.resolve_schedule_def("lemlist_teams_hourly")
    tick = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)

    requests = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=tick, repository_def=defs.get_repository_def()
        )
    ).run_requests

    assert schedule.cron_schedule == "0 * * * *"
    assert defs.resolve_assets_def(LOAD).op.pool == TEAMS_POOL
    assert requests is not None
    assert [r.partition_key for r in requests] == [f"t{n}" for n in range(100)]
    assert len({r.run_key for r in requests}) == 100


def test_the_instance_settings_cap_loads_and_one_run_per_team() -> None:
    settings = yaml.safe_load((REPO / "orchestrate" / "dagster.yaml").read_text())
    per_team = {"applyLimitPerUniqueValue": True}

    with dg.instance_for_test(overrides=settings) as instance:
        config = instance.get_concurrency_config()

    assert config.pool_config.default_pool_limit == 4
    assert config.run_queue_config is not None
    assert config.run_queue_config.tag_concurrency_limits == [
        {"key": "dagster/partition", "value": per_team, "limit": 1}
    ]
