"""README's "Use it in your own Meltano project", followed as written, in a new project.

The series is tests/loads.py's; test_dbt.py reads the models it built, the tests here
the project and what its loads put in PostgreSQL.

lemlist never returns done tasks, so a task done since the last run must leave the
warehouse's live set; a task that stayed open must never leave it. The database's
timezone is America/New_York: every timestamp must still land as the true UTC instant
(`timestamp without time zone`, naive UTC).
"""

from __future__ import annotations

import re
import typing as t

from conftest import NON_UTC_TIMEZONE
from lemlist_sample import sample_campaigns, sample_users
from loads import OWN_PROJECT, live, readme_blocks, retired

if t.TYPE_CHECKING:
    from loads import OwnProject


def test_the_section_loads_every_user_and_campaign(own_project: OwnProject) -> None:
    # The campaign deleted in lemlist before the last run is retired.
    kept = {c["_id"] for c in sample_campaigns()} - {own_project.deleted_campaign}

    assert len(live(own_project.table("users", key="userId"))) == len(sample_users())
    assert live(own_project.table("campaigns")) == kept


def test_the_sections_example_model_counts_open_tasks(own_project: OwnProject) -> None:
    # test_dbt.py reads the package's marts in this project's `analytics`; its example
    # model uses transform/ as a package.
    [(per_team,)] = own_project.query(
        "SELECT sum(open_tasks) FROM analytics.lemlist_open_tasks_per_team"
    )

    assert per_team == len(own_project.open_ids)


def test_columns_have_warehouse_types(own_project: OwnProject) -> None:
    columns = own_project.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'tap_lemlist_tasks' AND table_name = 'tasks'"
    )
    types = dict(columns)

    assert types["dueDate"] == types["createdAt"] == "timestamp without time zone"
    assert types["completedAt"] == "timestamp without time zone"
    assert types["priority"] == "bigint"
    assert types["_id"] == types["title"] == types["leadId"] == "text"


def test_the_first_load_puts_each_task_live_once_as_lemlist_served_it(
    own_project: OwnProject,
) -> None:
    rows = own_project.rows[0]

    assert live(rows) == {task["_id"] for task in own_project.served}
    assert len(rows) == 60
    assert own_project.query("SHOW timezone") == [(NON_UTC_TIMEZONE,)]
    for served in own_project.served:
        row = rows[served["_id"]]
        assert row["title"] == served.get("title")  # unicode included
        assert row["leadId"] == served.get("leadId")  # null where lemlist omits it
        assert row["content"] == served.get("content")
        for name in ("dueDate", "createdAt"):  # UTC, whatever the database's zone
            stored = row[name] and row[name].isoformat(timespec="milliseconds") + "Z"
            assert stored == served.get(name)
    assert any(not (row["title"] or "").isascii() for row in rows.values())
    assert any(row["leadId"] is None for row in rows.values())


def test_extraction_and_retirement_times_are_utc_instants_in_a_non_utc_database(
    own_project: OwnProject,
) -> None:
    first, second = own_project.windows[:2]
    extracted = [row["_sdc_extracted_at"] for row in own_project.rows[0].values()]
    retired_at = [
        own_project.rows[1][task_id]["_sdc_deleted_at"]
        for task_id in own_project.retired_by_the_second_load
    ]

    assert all(first[0] <= instant <= first[1] for instant in extracted)
    assert all(second[0] <= instant <= second[1] for instant in retired_at)


def test_a_load_during_which_tasks_are_done_retires_only_those_done_before(
    own_project: OwnProject,
) -> None:
    # Tasks done after this load read them stay live until the next load.
    served = {task["_id"] for task in own_project.served}
    before = own_project.retired_by_the_second_load

    assert retired(own_project.rows[1]) == before
    assert live(own_project.rows[1]) == served - before
    assert len(own_project.done_during_load) == 4
    assert set(own_project.done_during_load) <= live(own_project.rows[1])
    assert set(own_project.done_during_load) <= retired(own_project.rows[2])


def test_the_sections_cron_line_runs_the_job() -> None:
    [cron] = [block for kind, block in readme_blocks(OWN_PROJECT) if kind == "text"]

    assert re.fullmatch(
        r"0 \* \* \* \* cd \S+ && \S+/meltano run lemlist-elt >> \S+ 2>&1\n", cron
    )
