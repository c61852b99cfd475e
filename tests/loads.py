"""The README's own-project section, then weeks of lemlist work: one series of loads.

`own_project_series` follows "Use it in your own Meltano project" as written, in a new
project (`meltano init`): the section's shell lines run in bash, one by one, with
`/path/to/tap-lemlist-tasks` read as this clone; its YAML blocks are what the user
pastes (the `pip_url` line replaces the published one, `loaders:` and `utilities:` join
the project's plugins, `jobs:` and `schedules:` its top level, `packages:` is the dbt
project's packages.yml). The warehouse is a database of its own whose timezone is
America/New_York, given as the one WAREHOUSE_URL; lemlist is the bundled stand-in with
60 tasks in pages of 20. Then people work in lemlist and the section's `meltano run
lemlist-elt` line runs twice more:

1. the section's run, with filters that select every task but that a task can leave
   while open (assignedTo, dueDate; issue #23);
2. 3 tasks done, one done (to be reopened), one rescheduled, one reassigned (to a user
   lemlist does not list), one reassigned and one rescheduled out of the filters; and
   during this load, 2 tasks done after page 0 is read and 2 after page 1, which makes
   the forward read skip 4 open tasks;
3. the rescheduled and reassigned tasks done, the done one reopened, one task
   rescheduled that stays open, a campaign deleted while some of its tasks are open
   (#19), and the filters narrowed to leave out one task type.

test_own_project and test_dbt assert on it (one worker runs both: conftest's
SHARED_SCOPES).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import typing as t
from dataclasses import dataclass, field

import psycopg
import yaml
from conftest import API_KEY, NON_UTC_TIMEZONE
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn
from warehouse import MELTANO, REPO, linked_meltano_dir, utc_now

if t.TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from warehouse import PostgresCluster

Rows = dict[str, dict[str, t.Any]]
CLONE = "/path/to/tap-lemlist-tasks"
FENCE = re.compile(r"^ *```(\w+)\n(.*?)^ *```$", re.DOTALL | re.MULTILINE)
OWN_PROJECT = "Use it in your own Meltano project"
NEW_DUE_DATE = "2026-01-15T09:30:00.000Z"
NEW_ASSIGNEE = "usr_reassigned000000"
# Filters that select every sample task (none is assigned to OUTSIDE_ASSIGNEE, every one
# is due by 2026-06-30) but that a task can leave while it stays open.
OUTSIDE_ASSIGNEE = "usr_outside000000000"
DRIFTING_FILTERS: list[dict[str, t.Any]] = [
    {"filterId": "assignedTo", "out": [OUTSIDE_ASSIGNEE]},
    {"filterId": "dueDate", "to": "2026-06-30"},
]
DUE_OUTSIDE_THE_WINDOW = "2026-09-01T09:00:00.000Z"
# The last load's filters: the same, narrowed to leave out one task type.
NARROWED_TYPE = "manual"
NARROWED_FILTERS = [*DRIFTING_FILTERS, {"filterId": "type", "out": [NARROWED_TYPE]}]
PAGE_SIZE = 20


def live(rows: Rows) -> set[str]:
    return {i for i, row in rows.items() if row["_sdc_deleted_at"] is None}


def retired(rows: Rows) -> set[str]:
    return {i for i, row in rows.items() if row["_sdc_deleted_at"] is not None}


def readme_blocks(section: str) -> list[tuple[str, str]]:
    """The fenced blocks of a README section, in order, as (language, text)."""
    readme = (REPO / "README.md").read_text()
    start = readme.index(f"## {section}\n")
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


def bash(
    line: str, project: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run one line of the section as a user types it."""
    return subprocess.run(  # noqa: S603
        ["bash", "-c", line],  # noqa: S607 - as a user types the line
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@dataclass
class OwnProject:
    """What the series left, and what happened to the tasks in between."""

    url: str
    served: list[dict[str, t.Any]] = field(default_factory=list)
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    # The tasks table after each run, and naive UTC clock readings around each run.
    rows: list[Rows] = field(default_factory=list)
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    done_after_first: list[str] = field(default_factory=list)
    done_during_load: list[str] = field(default_factory=list)
    rescheduled_then_done: str = ""
    reassigned_then_done: str = ""
    done_then_reopened: str = ""
    rescheduled_still_open: str = ""
    # Still open in lemlist, but no longer in the filtered list: reassigned to the
    # excluded user, rescheduled out of the dueDate window (before the second load), or
    # of the type the last load's narrowed filters leave out.
    reassigned_out: str = ""
    rescheduled_out: str = ""
    narrowed_out: list[str] = field(default_factory=list)
    deleted_campaign: str = ""
    # What lemlist returns for the last load's filters at the end.
    open_records: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def open_ids(self) -> set[str]:
        return {record["_id"] for record in self.open_records}

    @property
    def done(self) -> set[str]:
        """Tasks done in lemlist (the reopened one included)."""
        return {
            *self.done_after_first,
            *self.done_during_load,
            self.rescheduled_then_done,
            self.reassigned_then_done,
            self.done_then_reopened,
        }

    @property
    def left_the_filters(self) -> set[str]:
        """Tasks still open in lemlist that left the filtered list."""
        return {self.reassigned_out, self.rescheduled_out, *self.narrowed_out}

    @property
    def left(self) -> set[str]:
        """Tasks that left the tap's (filtered) open list at some point."""
        return self.done | self.left_the_filters

    def query(self, sql: str, *params: object) -> list[dict[str, t.Any]]:
        """The rows of one SQL query on the warehouse, as dicts."""
        with psycopg.connect(self.url) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            return cursor.execute(sql, params or None).fetchall()

    def model(self, model: str, columns: str) -> list[dict[str, t.Any]]:
        """The rows of one dbt model (schema `analytics`), as dicts."""
        return self.query(f"SELECT {columns} FROM analytics.{model}")  # noqa: S608

    def table(self, name: str = "tasks", key: str = "_id") -> Rows:
        """Every row of one loaded table (schema `tap_lemlist_tasks`), by its key."""
        rows = self.query(f"SELECT * FROM tap_lemlist_tasks.{name}")  # noqa: S608
        return {row[key]: row for row in rows}

    def history(self, task_id: str) -> list[dict[str, t.Any]]:
        """One task's versions in lemlist_task_history, in order."""
        return self.query(
            "SELECT * FROM analytics.lemlist_task_history WHERE task_id = %s "
            "ORDER BY version_number",
            task_id,
        )


def complete_during_next_load(api: LemlistStandIn, eligible: set[str]) -> list[str]:
    """Have 2 eligible tasks of page 0 done after the next load reads page 0, and 2
    of page 1 after it reads page 1: the forward read then skips 4 open tasks, and
    emitted the 4 done ones (page 1's are taken past its start: the first ones move
    to page 0, which was read)."""
    order = [task["_id"] for task in api.pending_records(DRIFTING_FILTERS)]
    pages = [order[:PAGE_SIZE], order[PAGE_SIZE + 5 : 2 * PAGE_SIZE]]
    during = [i for page in pages for i in [i for i in page if i in eligible][:2]]
    base = len(api.requests) + 1  # the load's first request reads the team
    api.after_request(base + 1, lambda api: api.complete(during[:2]))
    api.after_request(base + 2, lambda api: api.complete(during[2:]))
    return during


def own_project_series(postgres: PostgresCluster, root: Path) -> OwnProject:
    """The section's lines, then two more runs of its `meltano run` line (see above).

    The project's Meltano directory links the repository's installed loader and dbt
    (same pip_url: `meltano install` finds nothing to change); the tap, whose pip_url
    differs, is installed anew.
    """
    database = postgres.create_database("own_project", timezone=NON_UTC_TIMEZONE)
    s = OwnProject(postgres.url(database))
    with LemlistStandIn(sample_tasks(60), api_key=API_KEY, page_size=PAGE_SIZE) as api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_LEMLIST_")},
            "PATH": f"{MELTANO.parent}:{os.environ['PATH']}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "LEMLIST_API_KEY": api.api_key,
            # A rehearsal: the key is the stand-in's, and so is the API.
            "TAP_LEMLIST_TASKS_API_URL": api.url,
            "TAP_LEMLIST_TASKS_FILTERS": json.dumps(DRIFTING_FILTERS),
            "WAREHOUSE_URL": s.url,
            "MELTANO_SYS_DIR_ROOT": str(
                linked_meltano_dir(root / "meltano", ("loaders", "utilities"))
            ),
        }
        for name in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_TARGET_SCHEMA"):
            env.pop(name, None)
        project = root / "my-analytics"
        s.served = api.pending_records(DRIFTING_FILTERS)
        assert len(s.served) == len(api.pending_records())
        s.narrowed_out = sorted(
            r["_id"] for r in s.served if r["type"] == NARROWED_TYPE
        )
        ids = sorted({r["_id"] for r in s.served} - set(s.narrowed_out))
        s.done_after_first, roles = ids[:3], ids[3:9]
        (
            s.rescheduled_then_done,
            s.reassigned_then_done,
            s.done_then_reopened,
            s.rescheduled_still_open,
            s.reassigned_out,
            s.rescheduled_out,
        ) = roles

        def run(line: str) -> None:
            started = utc_now()
            s.runs.append(bash(line, project, env))
            s.windows.append((started, utc_now()))
            s.rows.append(s.table())

        lines = [bash("meltano init my-analytics --no-usage-stats", root, env)]
        for language, block in readme_blocks(OWN_PROJECT):
            if language == "yaml":
                paste(project, block)
            for line in shell_lines(block) if language == "sh" else []:
                if line.startswith("meltano run "):
                    run_line = line
                    run(line)
                else:
                    lines.append(bash(line, project, env))
        for ran in lines:
            assert ran.returncode == 0, f"{ran.args}:\n{ran.stderr[-3000:]}"
        api.complete([*s.done_after_first, s.done_then_reopened])
        api.update(s.rescheduled_then_done, dueDate=NEW_DUE_DATE)
        api.update(s.reassigned_then_done, userId=NEW_ASSIGNEE)
        api.update(s.reassigned_out, userId=OUTSIDE_ASSIGNEE)
        api.update(s.rescheduled_out, dueDate=DUE_OUTSIDE_THE_WINDOW)
        s.done_during_load = complete_during_next_load(api, set(ids[9:]))
        run(run_line)
        api.complete([s.rescheduled_then_done, s.reassigned_then_done])
        api.reopen([s.done_then_reopened])
        api.update(s.rescheduled_still_open, dueDate=NEW_DUE_DATE)
        still_open = api.pending_records(NARROWED_FILTERS)
        s.deleted_campaign = min(
            r["campaignId"] for r in still_open if "campaignId" in r
        )
        api.delete_campaign(s.deleted_campaign)
        env["TAP_LEMLIST_TASKS_FILTERS"] = json.dumps(NARROWED_FILTERS)
        run(run_line)
        s.open_records = api.pending_records(NARROWED_FILTERS)
    return s
