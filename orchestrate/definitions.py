"""The Dagster code location: one partition per lemlist team, then dbt over them all.

`dagster asset materialize -m orchestrate.definitions --select lemlist_team_load
--partition SLUG` loads one team of the file named by LEMLIST_TEAMS_FILE into its
own schema, with its own Singer state; `lemlist_schemas` builds dbt over every
loaded team's schema once an hour's loads are over. docs/agencies.md tells how to
deploy it; the instance settings it relies on (how many teams load at once, one run
per team at a time) are in orchestrate/dagster.yaml.
"""

# No `from __future__ import annotations` here: Dagster checks the type of an
# asset's `context` parameter in its signature, where it would be a string.
import typing as t
from collections.abc import Sequence

import dagster as dg

from orchestrate.pipeline import LoadError, Log, build_models, load_team
from orchestrate.teams import (
    Team,
    TeamsFileError,
    read_teams,
    teams_file_from_environment,
)

HOURLY = "0 * * * *"
#: The concurrency pool of the team loads: its limit (dagster.yaml) is how many
#: teams load at once across all runs.
TEAMS_POOL = "lemlist_teams"
LOAD = dg.AssetKey("lemlist_team_load")
#: dbt after the hour's loads: once per hour, once some team has loaded since the
#: hour began and no team's run is queued or running any more. A team that failed
#: does not hold dbt back; its schema keeps its last good load.
_HOUR_BEGAN: dg.AutomationCondition[dg.AssetKey | dg.AssetCheckKey] = (
    dg.AutomationCondition.cron_tick_passed(HOURLY)
)
AFTER_THE_LOADS = (
    _HOUR_BEGAN.since_last_handled()
    & dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.newly_updated().since(_HOUR_BEGAN)
    )
    & ~dg.AutomationCondition.any_deps_in_progress()
).with_label("after the hour's team loads")


def build_definitions(teams: Sequence[Team]) -> dg.Definitions:
    """The assets, schedule and executor for these teams.

    Args:
        teams: The agency's teams, as `read_teams` returns them.

    Returns:
        The code location's definitions.
    """
    by_slug = {team.slug: team for team in teams}
    # No plugin process of any team gets any team's key in its environment.
    key_variables = frozenset(team.api_key_env for team in teams)

    @dg.asset(
        key=LOAD,
        partitions_def=dg.StaticPartitionsDefinition(list(by_slug)),
        pool=TEAMS_POOL,
        group_name="lemlist",
        kinds={"postgres"},
        description="One lemlist team's open tasks, users, campaigns and team row, "
        "loaded by tap-lemlist-tasks into the team's own schema; done tasks retired.",
    )
    def lemlist_team_load(
        context: dg.AssetExecutionContext,
    ) -> dg.MaterializeResult[None]:
        team = by_slug[context.partition_key]
        state = _last_state(context.instance, team)
        context.log.info(
            "team %s into schema %s, %s",
            team.slug,
            team.schema,
            "with the state of its last load" if state else "first load",
        )
        try:
            load = load_team(
                team, state=state, hide=key_variables, log=_logger(context)
            )
        except (LoadError, TeamsFileError) as error:
            # The one line is the failure's description; a traceback of this
            # function would say nothing more.
            raise dg.Failure(description=str(error), allow_retries=False) from None
        return dg.MaterializeResult(
            metadata={
                "schema": team.schema,
                "summary": dg.MetadataValue.md("\n\n".join(load.summaries)),
                "singer_state": dg.MetadataValue.json(load.state or {}),
            }
        )

    @dg.asset(
        key=dg.AssetKey("lemlist_schemas"),
        deps=[LOAD],
        group_name="lemlist",
        kinds={"dbt", "postgres"},
        automation_condition=AFTER_THE_LOADS,
        description="dbt build of transform/ over every loaded team's schema "
        "(its lemlist_schemas): staging, marts, snapshots and tests.",
    )
    def lemlist_schemas(
        context: dg.AssetExecutionContext,
    ) -> dg.MaterializeResult[None]:
        loaded = context.instance.get_materialized_partitions(LOAD)
        schemas = [team.schema for team in teams if team.slug in loaded]
        never = [team.slug for team in teams if team.slug not in loaded]
        if never:
            # dbt fails on a schema without tables: a mistyped schema must not
            # look like a team without tasks. A team never loaded has none yet.
            context.log.warning("not loaded yet, left out: %s", ", ".join(never))
        if not schemas:
            msg = "no team has loaded yet: materialize lemlist_team_load first"
            raise dg.Failure(description=msg, allow_retries=False)
        try:
            build_models(schemas, hide=key_variables, log=_logger(context))
        except LoadError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        return dg.MaterializeResult(
            metadata={"lemlist_schemas": dg.MetadataValue.json(schemas)}
        )

    @dg.schedule(
        name="lemlist_teams_hourly",
        cron_schedule=HOURLY,
        execution_timezone="UTC",
        target=[lemlist_team_load],
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every team on the hour, one run each; the run queue "
        "(dagster.yaml) decides how many load at once.",
    )
    def lemlist_teams_hourly(
        context: dg.ScheduleEvaluationContext,
    ) -> list[dg.RunRequest]:
        # The run key is per tick: a tick evaluated twice requests each team once.
        tick = context.scheduled_execution_time.isoformat()
        return [
            dg.RunRequest(partition_key=slug, run_key=f"{slug}@{tick}")
            for slug in by_slug
        ]

    return dg.Definitions(
        assets=[lemlist_team_load, lemlist_schemas],
        schedules=[lemlist_teams_hourly],
        executor=dg.multiprocess_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The teams of LEMLIST_TEAMS_FILE, read when Dagster loads the code location."""
    return build_definitions(read_teams(teams_file_from_environment()))


def _last_state(instance: dg.DagsterInstance, team: Team) -> dict[str, t.Any] | None:
    """The Singer state of the team's last successful load, from its materialization."""
    found = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=LOAD, asset_partitions=[team.slug]), limit=1
    ).records
    if not found or found[0].asset_materialization is None:
        return None
    value = found[0].asset_materialization.metadata.get("singer_state")
    state = value.value if isinstance(value, dg.JsonMetadataValue) else None
    return state if isinstance(state, dict) and state else None


def _logger(context: dg.AssetExecutionContext) -> Log:
    def log(level: int, line: str) -> None:
        context.log.log(level, line)

    return log
