"""The dbt layer: the marts and the task history over tests/loads.py's series.

The models' logic is specified by dbt unit tests (`unit_tests:` in transform/models);
these tests check the wiring and that `dbt build` runs those unit tests against a real
load.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
from collections import Counter

import demo_report
import pytest
import yaml
from lemlist_sample import sample_campaigns, sample_users
from loads import (
    DRIFTING_FILTERS,
    NARROWED_FILTERS,
    NEW_ASSIGNEE,
    OUTSIDE_ASSIGNEE,
    retired,
)
from warehouse import REPO

if t.TYPE_CHECKING:
    from loads import OwnProject

USERS = {user["userId"]: user for user in sample_users()}
CAMPAIGNS = {campaign["_id"]: campaign for campaign in sample_campaigns()}


def test_every_run_of_the_elt_job_passes_dbt_build_warning_only_of_unknown_ids(
    own_project: OwnProject,
) -> None:
    # The second load's open tasks include one reassigned to a user lemlist does not
    # list; the third's, tasks of the campaign deleted before it.
    warned = [re.findall(r"\bWARN \d+ (\w+)", run.stderr) for run in own_project.runs]

    for run in own_project.runs:
        assert run.returncode == 0, run.stderr[-5000:]
        assert "dbt-postgres" in run.stderr
        assert re.search(r"Completed (successfully|with \d+ warnings?:)", run.stderr)
    assert warned == [
        [],
        ["open_task_assignees_are_team_users"],
        ["open_task_campaigns_are_team_campaigns"],
    ]


def test_dbt_build_on_a_fresh_warehouse_snapshots_before_the_history(
    own_project: OwnProject,
) -> None:
    first = own_project.runs[0].stderr

    assert "no task history yet" not in first
    assert re.search(r"OK snapshotted \S+\.snp_lemlist__tasks", first)


def test_staging_holds_every_loaded_task_and_which_are_open(
    own_project: OwnProject,
) -> None:
    staged = own_project.model("stg_lemlist__tasks", "task_id, is_open")

    assert len(staged) == 60
    assert {row["task_id"] for row in staged if row["is_open"]} == own_project.open_ids


def test_dbt_build_runs_every_unit_test_of_the_project(own_project: OwnProject) -> None:
    names = set()
    for path in (REPO / "transform" / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text()) or {}
        names |= {test["name"] for test in document.get("unit_tests", [])}
    passed = set(re.findall(r"PASS \w+::(\w+)", own_project.runs[-1].stderr))

    assert len(names) >= 3
    assert names <= passed


def completions(own_project: OwnProject) -> dict[str, dict[str, t.Any]]:
    return own_project.table("lemlist_task_completions", "analytics", "task_id")


def test_completions_count_reschedules_and_reassignments_before_completion(
    own_project: OwnProject,
) -> None:
    counts = {
        task_id: (row["times_rescheduled"], row["times_reassigned"])
        for task_id, row in completions(own_project).items()
    }
    unchanged = [*own_project.done_after_first, *own_project.done_during_load]

    assert counts[own_project.rescheduled_then_done] == (1, 0)
    assert counts[own_project.reassigned_then_done] == (0, 1)
    assert {counts[task_id] for task_id in unchanged} == {(0, 0)}


def test_completion_lies_between_last_seen_open_and_retired_at(
    own_project: OwnProject,
) -> None:
    for task_id, row in completions(own_project).items():
        source = own_project.rows[-1][task_id]
        last_seen: dt.datetime = row["last_seen_open_at"]
        assert row["opened_at"] <= last_seen < row["retired_at"]
        assert row["days_open"] >= 0
        if task_id != own_project.done_then_reopened:
            assert last_seen == source["_sdc_extracted_at"]
            assert row["retired_at"] == source["_sdc_deleted_at"]


def history(own_project: OwnProject, task_id: str) -> list[dict[str, t.Any]]:
    return own_project.records(
        "SELECT * FROM analytics.lemlist_task_history WHERE task_id = %s "
        "ORDER BY version_number",
        task_id,
    )


@pytest.mark.parametrize(
    ("task", "flags", "second_version"),
    [
        ("rescheduled_then_done",
         {"is_due_date_moved": [0, 1, 0], "is_retired": [0, 0, 1],
          "is_current": [0, 0, 1]},
         {"due_at": dt.datetime.fromisoformat("2026-01-15T09:30:00")}),
        ("reassigned_then_done", {"is_reassigned": [0, 1, 0], "is_current": [0, 0, 1]},
         {"assigned_user_id": NEW_ASSIGNEE}),
        ("done_then_reopened",
         {"is_open": [1, 0, 1], "is_retired": [0, 1, 0], "is_reopened": [0, 0, 1]}, {}),
        ("rescheduled_still_open", {"is_due_date_moved": [0, 1]}, {}),
    ],
)  # fmt: skip
def test_the_history_records_each_change_of_a_task_as_a_version(
    own_project: OwnProject,
    task: str,
    flags: dict[str, list[int]],
    second_version: dict[str, t.Any],
) -> None:
    versions = history(own_project, getattr(own_project, task))

    for flag, values in flags.items():
        assert [version[flag] for version in versions] == [bool(v) for v in values]
    assert second_version.items() <= versions[1].items()


def test_history_keeps_one_version_of_a_task_that_never_changed(
    own_project: OwnProject,
) -> None:
    changed = own_project.left | {own_project.rescheduled_still_open}

    assert len(history(own_project, min(own_project.open_ids - changed))) == 1


def test_history_times_are_utc_instants_in_a_non_utc_database(
    own_project: OwnProject,
) -> None:
    versions = own_project.model(
        "stg_lemlist__task_versions", "loaded_at, retired_at, snapshotted_at"
    )
    # The package's snapshot stamps them, whatever the database's timezone.
    stamps = own_project.model("snp_lemlist__tasks", "dbt_valid_from")
    instants = [
        i for row in [*versions, *stamps] for i in row.values() if i is not None
    ]

    assert len(versions) > 60
    for instant in instants:
        assert any(a <= instant <= b for a, b in own_project.windows)


def test_open_tasks_by_assignee_name_each_assignee_lemlist_still_returns(
    own_project: OwnProject,
) -> None:
    # Their counts: test_dashboard_open_tasks_per_assignee, which sums this mart's.
    rows = own_project.model("lemlist_open_tasks_by_assignee")
    users = {record["userId"] for record in own_project.open_records}

    assert {
        (row["team_name"], row["assignee_name"], row["assignee_email"]) for row in rows
    } == {("Stand-in team", USERS[u]["name"], USERS[u]["email"]) for u in users}


def test_open_tasks_by_campaign_name_each_campaign_and_count_a_deleted_one(
    own_project: OwnProject,
) -> None:
    # Its overdue counts: test_dashboard_overdue_tasks_per_campaign, which reads them.
    rows = own_project.model("lemlist_open_tasks_by_campaign")
    by_campaign = {row["campaign_id"]: row for row in rows}
    opened = Counter(record.get("campaignId") for record in own_project.open_records)

    assert {key: row["open_tasks"] for key, row in by_campaign.items()} == opened
    for key, row in by_campaign.items():
        # Neither a campaign deleted in lemlist nor no campaign has a name.
        named = key not in {None, own_project.deleted_campaign}
        campaign = CAMPAIGNS[key] if named else {"name": None, "status": None}
        assert row["campaign_name"] == campaign["name"]
        assert row["campaign_status"] == campaign["status"]
    assert {None, own_project.deleted_campaign} <= set(by_campaign)


def test_tasks_that_left_the_filters_are_retired_like_done_ones(
    own_project: OwnProject,
) -> None:
    # What target-postgres does on the tap's ACTIVATE_VERSION: every task the sync did
    # not return gets _sdc_deleted_at, whether it was done or only left the filters;
    # the reopened one is live again.
    # When the second load retired them: test_own_project.
    loaded = own_project.rows[-1]

    assert own_project.left_the_filters.isdisjoint(own_project.done)
    assert retired(loaded) == own_project.left - {own_project.done_then_reopened}
    assert loaded[own_project.reassigned_out]["userId"] != OUTSIDE_ASSIGNEE
    assert loaded[own_project.rescheduled_out]["dueDate"].year == 2025


def canonical(filters: list[dict[str, t.Any]]) -> str:
    """The filters as the tap records them in the teams row (`taskFilters`)."""
    return json.dumps(filters, sort_keys=True, separators=(",", ":"))


def test_completions_hold_each_task_that_left_once_and_say_why(
    own_project: OwnProject,
) -> None:
    rows = completions(own_project)
    why = {
        task_id: (row["left_because"], row["retiring_task_filters"])
        for task_id, row in rows.items()
    }
    second_load = own_project.retired_by_the_second_load
    third_load = own_project.left - second_load

    assert {row["completion_number"] for row in rows.values()} == {1}
    assert why == {
        # Retired by a sync with filters a task can leave while open: not surely done.
        **dict.fromkeys(
            second_load,
            ("done, deleted or left the filters", canonical(DRIFTING_FILTERS)),
        ),
        # By the sync that narrowed the filters: the done ones cannot be told apart.
        **dict.fromkeys(third_load, ("filters changed", canonical(NARROWED_FILTERS))),
    }


def test_team_history_holds_each_filter_setting_once(own_project: OwnProject) -> None:
    versions = own_project.records(
        "SELECT task_filters, has_drifting_filters, valid_from, valid_to "
        "FROM analytics.stg_lemlist__team_versions ORDER BY version_number"
    )
    first, last = versions
    windows = own_project.windows

    assert [(v["task_filters"], v["has_drifting_filters"]) for v in versions] == [
        (canonical(DRIFTING_FILTERS), True),
        (canonical(NARROWED_FILTERS), True),
    ]
    assert windows[0][0] <= first["valid_from"] <= windows[0][1]
    assert first["valid_to"] == last["valid_from"]
    assert windows[2][0] <= last["valid_from"] <= windows[2][1]


def dashboard_queries() -> dict[str, str]:
    """The SQL blocks of docs/dashboard-queries.md, by the heading above each."""
    text = (REPO / "docs" / "dashboard-queries.md").read_text()
    heading_and_sql = r"^## (.+?)\n.*?^```sql\n(.*?)^```$"
    return dict(re.findall(heading_and_sql, text, re.DOTALL | re.MULTILINE))


def test_the_documented_queries_are_the_three_dashboards() -> None:
    assert list(dashboard_queries()) == [
        "Open tasks per assignee, across task types",
        "Overdue tasks per campaign",
        "Completions per week per assignee",
    ]


# The documented queries run as written: the project's marts are in `analytics`.


def test_dashboard_open_tasks_per_assignee(own_project: OwnProject) -> None:
    query = dashboard_queries()["Open tasks per assignee, across task types"]
    rows = own_project.records(query)
    expected = Counter(USERS[r["userId"]]["name"] for r in own_project.open_records)
    most_first = sorted(expected.values(), reverse=True)

    assert {row["assignee"]: row["open_tasks"] for row in rows} == expected
    assert [row["open_tasks"] for row in rows] == most_first
    for row in rows:
        assert row["overdue_tasks"] + row["no_due_date_tasks"] <= row["open_tasks"]


def test_dashboard_overdue_tasks_per_campaign(own_project: OwnProject) -> None:
    rows = own_project.records(dashboard_queries()["Overdue tasks per campaign"])
    [(now,)] = own_project.query(
        "SELECT max(computed_at) FROM analytics.lemlist_open_tasks_by_campaign"
    )
    # lemlist's open tasks past due when the mart was computed, per campaign id.
    late = Counter(
        record.get("campaignId")
        for record in own_project.open_records
        if "dueDate" in record
        and dt.datetime.fromisoformat(record["dueDate"].replace("Z", "+00:00"))
        < now.replace(tzinfo=dt.timezone.utc)
    )
    names = {key: campaign["name"] for key, campaign in CAMPAIGNS.items()}
    # The campaign deleted in lemlist is shown by its id; no campaign, as such.
    names[own_project.deleted_campaign] = own_project.deleted_campaign

    assert {row["campaign_id"]: row["overdue_tasks"] for row in rows} == late
    assert [row["overdue_tasks"] for row in rows] == sorted(late.values(), reverse=True)
    for row in rows:
        assert row["campaign"] == names.get(row["campaign_id"], "(no campaign)")


def test_dashboard_completions_per_week_per_assignee(own_project: OwnProject) -> None:
    rows = own_project.records(dashboard_queries()["Completions per week per assignee"])
    users = [own_project.rows[-1][task_id]["userId"] for task_id in own_project.left]
    per_assignee: Counter[str] = Counter()
    for row in rows:
        per_assignee[row["assignee"]] += row["completions"]
    mondays = {
        (instant - dt.timedelta(days=instant.weekday())).date()
        for window in own_project.windows
        for instant in window
    }

    assert per_assignee == Counter(USERS.get(u, {"name": u})["name"] for u in users)
    # The reassigned task was done under its new assignee, whom lemlist does not list.
    assert per_assignee[NEW_ASSIGNEE] == 1
    assert {row["week"] for row in rows} <= mondays


def test_the_demo_report_names_the_assignees_and_counts_retirements(
    own_project: OwnProject,
) -> None:
    retired_tasks = len(retired(own_project.rows[-1]))

    printed = demo_report.report(own_project.url, "tap_lemlist_tasks", "analytics")

    for user in USERS.values():
        assert user["name"] in printed
    assert (
        f"tap_lemlist_tasks.tasks: {len(own_project.open_ids)} open, {retired_tasks} "
        "retired (done in lemlist); analytics.lemlist_task_completions: "
        f"{len(own_project.left)} completions."
    ) in printed.replace("\n", " ")
