"""README's "Use it in your own Meltano project", followed as written, in a new project.

The series is tests/loads.py's: the section's lines, then its `meltano run` line twice
more after people worked in lemlist. test_dbt.py reads the history it built (the
package's snapshots stamp UTC in a database whose timezone is not: there too), and
test_warehouse.py what it loaded.
"""

from __future__ import annotations

import re
import typing as t

from lemlist_sample import sample_campaigns, sample_users
from loads import OWN_PROJECT, live, readme_blocks

if t.TYPE_CHECKING:
    from loads import OwnProject


def test_the_section_loads_every_user_and_campaign(
    own_project: OwnProject,
) -> None:
    campaigns = live(own_project.table("campaigns"))

    assert len(live(own_project.table("users", "userId"))) == len(sample_users())
    # The campaign deleted in lemlist before the last run is retired.
    all_campaigns = {campaign["_id"] for campaign in sample_campaigns()}
    assert campaigns == all_campaigns - {own_project.deleted_campaign}


def test_the_sections_dbt_builds_the_marts_and_the_example_model(
    own_project: OwnProject,
) -> None:
    models = own_project.query(
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


def test_the_example_models_use_transform_as_a_package(
    own_project: OwnProject,
) -> None:
    [per_team] = own_project.model(
        "lemlist_open_tasks_per_team", "sum(open_tasks) AS n"
    )

    assert per_team["n"] == len(own_project.open_ids)


def test_the_sections_cron_line_runs_the_job() -> None:
    crons = [
        block for language, block in readme_blocks(OWN_PROJECT) if language == "text"
    ]

    assert len(crons) == 1
    assert re.fullmatch(
        r"0 \* \* \* \* cd \S+ && \S+/meltano run lemlist-elt >> \S+ 2>&1\n",
        crons[0],
    )
