"""README's "Use it in your own Meltano project", followed as written, in a new project.

The section's shell lines run in bash, one by one, with `/path/to/tap-lemlist-tasks`
read as this clone; its YAML blocks are what the user pastes: the `pip_url` line
replaces the published one, the `loaders:` block joins the project's plugins. The
warehouse is a database of its own in a timezone that is not UTC; lemlist is the
bundled stand-in.
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
from warehouse import MELTANO, REPO

if t.TYPE_CHECKING:
    from collections.abc import Iterator
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
    """Paste a YAML block of the section into the project's meltano.yml."""
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
    pasted = yaml.safe_load(block)
    project_config = yaml.safe_load(text)
    project_config["plugins"].setdefault("loaders", []).extend(pasted["loaders"])
    meltano_yml.write_text(yaml.safe_dump(project_config, sort_keys=False))


@dataclass
class Warehouse:
    """The database the section loaded, and what lemlist served."""

    url: str
    served: list[dict[str, t.Any]]

    def live(self, table: str) -> list[dict[str, t.Any]]:
        with psycopg.connect(self.url) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            return cursor.execute(
                f'SELECT * FROM tap_lemlist_tasks."{table}" '  # noqa: S608
                "WHERE _sdc_deleted_at IS NULL"
            ).fetchall()


@pytest.fixture(scope="module")
def own_project(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster
) -> Iterator[Warehouse]:
    project = tmp_path_factory.mktemp("own-project")
    (project / "meltano.yml").write_text(
        "project_id: my-analytics\ndefault_environment: dev\n"
        "environments:\n- name: dev\nplugins: {}\n"
    )
    database = postgres.create_database("own_project", timezone=NON_UTC_TIMEZONE)
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY) as standin:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_LEMLIST_")},
            "PATH": f"{MELTANO.parent}:{os.environ['PATH']}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "1",
            "LEMLIST_API_KEY": standin.api_key,
            # A rehearsal: the key is the stand-in's, and so is the API.
            "TAP_LEMLIST_TASKS_API_URL": standin.url,
            "WAREHOUSE_URL": postgres.url(database).replace(
                "postgresql://", "postgresql+psycopg://"
            ),
        }
        for language, block in section_blocks():
            if language == "yaml":
                paste(project, block)
                continue
            for line in shell_lines(block):
                done = subprocess.run(  # noqa: S603
                    ["bash", "-c", line],  # noqa: S607 - as a user types the line
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=300,
                )
                assert done.returncode == 0, f"{line}:\n{done.stderr[-3000:]}"
        yield Warehouse(postgres.url(database), standin.pending_records())


def test_the_section_loads_every_task_user_and_campaign(own_project: Warehouse) -> None:
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
