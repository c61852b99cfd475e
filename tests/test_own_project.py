"""README's "Use it in your own Meltano project", followed as written, in a new project.

The project comes from `meltano init`. The section's shell lines run in bash, one by
one, with `/path/to/tap-lemlist-tasks` read as this clone; its YAML blocks are what the
user pastes: the `pip_url` line replaces the published one, the `loaders:` and
`utilities:` blocks join the project's plugins, `jobs:` and `schedules:` its top level,
and `packages:` is the dbt project's packages.yml. The cron line is not run. The
warehouse is a database of its own in a timezone that is not UTC, given as the one
WAREHOUSE_URL; lemlist is the bundled stand-in. Then people complete tasks in lemlist,
and the section's `meltano run` line runs again.
"""

from __future__ import annotations

import os
import re
import subprocess
import typing as t
from dataclasses import dataclass

import psycopg
import pytest
import yaml
from conftest import API_KEY, NON_UTC_TIMEZONE
from lemlist_sample import sample_campaigns, sample_tasks, sample_users
from lemlist_standin import LemlistStandIn
from warehouse import MELTANO, REPO, linked_meltano_dir, utc_now

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

    from warehouse import PostgresCluster

CLONE = "/path/to/tap-lemlist-tasks"
FENCE = re.compile(r"^ *```(\w+)\n(.*?)^ *```$", re.DOTALL | re.MULTILINE)


def section_blocks() -> list[tuple[str, str]]:
    """The fenced blocks of the README section, in order, as (language, text)."""
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Use it in your own Meltano project\n")
    end = readme.index("\n## ", start + 1)
    return [
        (language, re.sub(r"^ {3}", "", text, flags=re.MULTILINE))
        for language, text in FENCE.findall(readme[start:end])
    ]


def shell_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    return [line.replace(CLONE, str(REPO)) for line in lines if line]


def paste(project: Path, block: str) -> None:
    """Paste a YAML block of the section where the section says it goes."""
    meltano_yml = project / "meltano.yml"
    text = meltano_yml.read_text()
    if block.lstrip().startswith("pip_url:"):
        line = block.strip().replace(CLONE, str(REPO))
        text, replaced = re.subn(
            r"(?m)^(\s*)pip_url: tap-lemlist-tasks$", r"\1" + line, text
        )
        assert replaced == 1, "the published pip_url line is not in meltano.yml"
        meltano_yml.write_text(text)
        return
    pasted = yaml.safe_load(block.replace(CLONE, str(REPO)))
    if "packages" in pasted:
        (project / "transform" / "packages.yml").write_text(yaml.safe_dump(pasted))
        return
    project_config = yaml.safe_load(text)
    for plugin_type in ("loaders", "utilities"):
        if plugin_type in pasted:
            plugins = project_config.setdefault("plugins", {})
            plugins.setdefault(plugin_type, []).extend(pasted[plugin_type])
    for key in ("jobs", "schedules"):
        project_config.setdefault(key, []).extend(pasted.get(key, []))
    meltano_yml.write_text(yaml.safe_dump(project_config, sort_keys=False))


@dataclass
class Warehouse:
    """The database the section loaded, what lemlist served, and the last run."""

    url: str
    served: list[dict[str, t.Any]]
    completed: list[str]
    rerun: subprocess.CompletedProcess[str]
    # Naive UTC clock readings around the section's lines.
    window: tuple[datetime, datetime]

    def rows(self, sql: str) -> list[dict[str, t.Any]]:
        with psycopg.connect(self.url) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            return cursor.execute(sql).fetchall()

    def live(self, table: str) -> list[dict[str, t.Any]]:
        return self.rows(
            f'SELECT * FROM tap_lemlist_tasks."{table}" '  # noqa: S608
            "WHERE _sdc_deleted_at IS NULL"
        )


def bash(
    line: str, project: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one line of the section as a user types it (and check it succeeded)."""
    done = subprocess.run(  # noqa: S603
        ["bash", "-c", line],  # noqa: S607 - as a user types the line
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0 or not check, (
        f"{line}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def own_project(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresCluster,
    meltano_installed: None,
) -> Iterator[Warehouse]:
    """The section's lines, run once. The project's Meltano directory links the
    repository's installed loader and dbt (same pip_url: `meltano install` finds
    nothing to change); the tap, whose pip_url differs, is installed anew."""
    del meltano_installed
    database = postgres.create_database("own_project", timezone=NON_UTC_TIMEZONE)
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY) as standin:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_LEMLIST_")},
            "PATH": f"{MELTANO.parent}:{os.environ['PATH']}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "LEMLIST_API_KEY": standin.api_key,
            # A rehearsal: the key is the stand-in's, and so is the API.
            "TAP_LEMLIST_TASKS_API_URL": standin.url,
            "WAREHOUSE_URL": postgres.url(database),
        }
        for name in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_TARGET_SCHEMA"):
            env.pop(name, None)
        root = tmp_path_factory.mktemp("own-project")
        shared = ("loaders", "utilities")
        env["MELTANO_SYS_DIR_ROOT"] = str(linked_meltano_dir(root / "meltano", shared))
        bash("meltano init my-analytics --no-usage-stats", root, env)
        project = root / "my-analytics"
        started = utc_now()
        run_lines = []
        for language, block in section_blocks():
            if language == "yaml":
                paste(project, block)
            elif language == "sh":
                for line in shell_lines(block):
                    bash(line, project, env)
                    run_lines += [line] if line.startswith("meltano run ") else []
        completed = [task["_id"] for task in standin.pending_records()[-3:]]
        standin.complete(completed)
        [run_line] = run_lines
        rerun = bash(run_line, project, env, check=False)
        yield Warehouse(
            postgres.url(database),
            standin.pending_records(),
            completed,
            rerun,
            (started, utc_now()),
        )


def test_the_section_loads_every_task_user_and_campaign(own_project: Warehouse) -> None:
    assert own_project.rerun.returncode == 0, own_project.rerun.stderr[-3000:]
    assert {row["_id"] for row in own_project.live("tasks")} == {
        task["_id"] for task in own_project.served
    }
    assert len(own_project.live("users")) == len(sample_users())
    assert len(own_project.live("campaigns")) == len(sample_campaigns())


def test_the_sections_loader_stores_utc_instants_in_a_non_utc_database(
    own_project: Warehouse,
) -> None:
    due = {row["_id"]: row["dueDate"] for row in own_project.live("tasks")}
    served = next(task for task in own_project.served if task.get("dueDate"))

    stored = due[served["_id"]].isoformat(timespec="milliseconds")
    assert f"{stored}Z" == served["dueDate"]


def test_the_sections_dbt_builds_the_marts_and_the_example_model(
    own_project: Warehouse,
) -> None:
    models = own_project.rows(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'analytics'"
    )

    assert {
        "lemlist_open_tasks_by_assignee",
        "lemlist_open_tasks_by_campaign",
        "lemlist_task_history",
        "lemlist_task_completions",
        "lemlist_open_tasks_per_team",
    } <= {row["table_name"] for row in models}


def test_the_example_models_use_transform_as_a_package(own_project: Warehouse) -> None:
    [per_team] = own_project.rows(
        "SELECT sum(open_tasks) AS n FROM analytics.lemlist_open_tasks_per_team"
    )

    assert per_team["n"] == len(own_project.served)


def test_the_packages_snapshot_stamps_utc_in_a_non_utc_database(
    own_project: Warehouse,
) -> None:
    [stamps] = own_project.rows(
        "SELECT min(dbt_valid_from) AS first, max(dbt_valid_from) AS last, "
        "current_setting('TimeZone') AS zone FROM analytics.snp_lemlist__tasks"
    )
    started, finished = own_project.window

    assert stamps["zone"] == NON_UTC_TIMEZONE
    assert started <= stamps["first"] < stamps["last"] <= finished


def test_the_sections_job_records_the_completions_of_the_second_run(
    own_project: Warehouse,
) -> None:
    completions = own_project.rows(
        "SELECT task_id, left_because FROM analytics.lemlist_task_completions"
    )
    [(open_tasks,)] = [
        tuple(row.values())
        for row in own_project.rows(
            "SELECT sum(open_tasks) FROM analytics.lemlist_open_tasks_by_assignee"
        )
    ]

    assert sorted(row["task_id"] for row in completions) == sorted(
        own_project.completed
    )
    assert {row["left_because"] for row in completions} == {"done or deleted"}
    assert open_tasks == len(own_project.served)


def test_the_sections_cron_line_runs_the_job() -> None:
    crons = [block for language, block in section_blocks() if language == "text"]

    assert len(crons) == 1
    assert re.fullmatch(
        r"0 \* \* \* \* cd \S+ && \S+/meltano run lemlist-elt >> \S+ 2>&1\n",
        crons[0],
    )
