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
import re
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone

import yaml
from conftest import API_KEY, NON_UTC_TIMEZONE
from lemlist_sample import sample_tasks, sample_team, sample_users
from lemlist_standin import LemlistStandIn
from warehouse import REPO, Pipeline, environment, linked_meltano_dir, run_program

if t.TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from embedded_warehouse import PostgresCluster

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


def utc_now() -> datetime:
    """The time now as naive UTC, the way the warehouse stores instants."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def live(rows: Rows) -> set[str]:
    return {i for i, row in rows.items() if row["_sdc_deleted_at"] is None}


def retired(rows: Rows) -> set[str]:
    """The ids of the rows marked deleted (`_sdc_deleted_at`)."""
    return set(rows) - live(rows)


def team_standin(
    team_id: str, name: str, tasks: int, seed: int, key: str
) -> LemlistStandIn:
    """One lemlist team of an agency: its tasks, users and key. Its plan lacks the
    campaigns route (campaign ids of the samples repeat from one team to the next)."""
    standin = LemlistStandIn(sample_tasks(tasks, seed), api_key=key)
    standin.team = sample_team(team_id, name, api_key=key, users=sample_users(seed))
    standin.plan_gated.add("campaigns")
    return standin


def complete_during_next_load(api: LemlistStandIn, during: list[str]) -> None:
    """Have the first 2 tasks done after the next load reads its first page, the
    others after it reads its second."""
    base = len(api.requests) + 1  # the load's first request reads the team
    api.after_request(base + 1, lambda api: api.complete(during[:2]))
    api.after_request(base + 2, lambda api: api.complete(during[2:]))


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
    """A shell block's lines, continuations joined, the clone's path this one's."""
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    return [line.replace(CLONE, str(REPO)) for line in lines if line]


def paste(project: Path, block: str) -> None:
    """Paste a YAML block of the section where the section says it goes."""
    meltano_yml = project / "meltano.yml"
    block = block.replace(CLONE, str(REPO))
    if block.lstrip().startswith("pip_url:"):
        published = r"(?m)^(\s*)pip_url: tap-lemlist-tasks$"
        text, n = re.subn(published, r"\1" + block.strip(), meltano_yml.read_text())
        assert n == 1, "the published pip_url line is not in meltano.yml"
        meltano_yml.write_text(text)
    elif block.startswith("packages:"):
        (project / "transform" / "packages.yml").write_text(block)
    else:
        project_config = yaml.safe_load(meltano_yml.read_text())
        for key, pasted in yaml.safe_load(block).items():
            plugins = key in ("loaders", "utilities")
            where = project_config["plugins"] if plugins else project_config
            where.setdefault(key, []).extend(pasted)
        meltano_yml.write_text(yaml.safe_dump(project_config, sort_keys=False))


@dataclass
class OwnProject(Pipeline):
    """What the series left in its warehouse (schema `tap_lemlist_tasks`, dbt's models
    in `analytics`), and what happened to the tasks in between."""

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
    reassigned_out: str = ""
    rescheduled_out: str = ""
    narrowed_out: list[str] = field(default_factory=list)
    deleted_campaign: str = ""
    open_records: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def open_ids(self) -> set[str]:
        """The tasks lemlist returns for the last load's filters at the end."""
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
    def retired_by_the_second_load(self) -> set[str]:
        """Tasks done or out of the filters before the second load."""
        done = {*self.done_after_first, self.done_then_reopened}
        return done | {self.reassigned_out, self.rescheduled_out}

    @property
    def left_the_filters(self) -> set[str]:
        """Tasks still open in lemlist that left the filtered list."""
        return {self.reassigned_out, self.rescheduled_out, *self.narrowed_out}

    @property
    def left(self) -> set[str]:
        """Tasks that left the tap's (filtered) open list at some point."""
        return self.done | self.left_the_filters

    def model(self, model: str, columns: str = "*") -> list[dict[str, t.Any]]:
        return self.records(f"SELECT {columns} FROM analytics.{model}")  # noqa: S608


def own_project_series(postgres: PostgresCluster, root: Path) -> OwnProject:
    """The section's lines, then two more runs of its `meltano run` line (see above).

    The project's Meltano directory links the repository's installed loader and dbt
    (same pip_url: `meltano install` finds nothing to change); the tap, whose pip_url
    differs, is installed anew.
    """
    database = postgres.create_database("own_project", timezone=NON_UTC_TIMEZONE)
    s = OwnProject(postgres, "tap_lemlist_tasks", database)
    sys_dir = linked_meltano_dir(root / "meltano", ("loaders", "utilities"))
    project = root / "my-analytics"
    with LemlistStandIn(sample_tasks(60), api_key=API_KEY, page_size=PAGE_SIZE) as api:
        env = environment(
            LEMLIST_API_KEY=api.api_key,
            # A rehearsal: the key is the stand-in's, and so is the API.
            TAP_LEMLIST_TASKS_API_URL=api.url,
            TAP_LEMLIST_TASKS_FILTERS=json.dumps(DRIFTING_FILTERS),
            WAREHOUSE_URL=s.url,
            MELTANO_SYS_DIR_ROOT=str(sys_dir),
        )
        s.served = api.pending_records(DRIFTING_FILTERS)
        assert len(s.served) == len(api.pending_records())
        s.narrowed_out = sorted(
            r["_id"] for r in s.served if r["type"] == NARROWED_TYPE
        )
        ids = sorted({r["_id"] for r in s.served} - set(s.narrowed_out))
        s.done_after_first = ids[:3]
        s.rescheduled_then_done, s.reassigned_then_done, s.done_then_reopened = ids[3:6]
        s.rescheduled_still_open, s.reassigned_out, s.rescheduled_out = ids[6:9]

        def bash(line: str, cwd: Path = project) -> subprocess.CompletedProcess[str]:
            return run_program(["bash", "-c", line], env, cwd)

        def run(line: str) -> None:
            started = utc_now()
            s.runs.append(bash(line))
            s.windows.append((started, utc_now()))
            s.rows.append(s.table())

        lines = [bash("meltano init my-analytics --no-usage-stats", root)]
        for language, block in readme_blocks(OWN_PROJECT):
            if language == "yaml":
                paste(project, block)
            for line in shell_lines(block) if language == "sh" else []:
                if line.startswith("meltano run "):
                    run_line = line
                    run(line)
                else:
                    lines.append(bash(line))
        for ran in lines:
            assert ran.returncode == 0, f"{ran.args}:\n{ran.stderr[-3000:]}"
        api.complete([*s.done_after_first, s.done_then_reopened])
        api.update(s.rescheduled_then_done, dueDate=NEW_DUE_DATE)
        api.update(s.reassigned_then_done, userId=NEW_ASSIGNEE)
        api.update(s.reassigned_out, userId=OUTSIDE_ASSIGNEE)
        api.update(s.rescheduled_out, dueDate=DUE_OUTSIDE_THE_WINDOW)
        # 2 tasks of page 0 and 2 of page 1 done during the load: the forward read
        # skips 4 open tasks (page 1's are taken past its start: the first ones move
        # to page 0, which was read).
        order = [task["_id"] for task in api.pending_records(DRIFTING_FILTERS)]
        pages = [order[:PAGE_SIZE], order[PAGE_SIZE + 5 : 2 * PAGE_SIZE]]
        eligible = set(ids[9:])
        s.done_during_load = [
            i for page in pages for i in [i for i in page if i in eligible][:2]
        ]
        complete_during_next_load(api, s.done_during_load)
        run(run_line)
        api.complete([s.rescheduled_then_done, s.reassigned_then_done])
        api.complete([s.done_then_reopened], done=False)
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
