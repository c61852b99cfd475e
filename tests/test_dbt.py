"""The dbt layer: the marts and the task history over a project's loads.

tests/loads.py's series runs the `lemlist-elt` job (load, then `dbt build`: run +
snapshot + test) three times in a project of one's own, with tasks completed,
rescheduled, reassigned and reopened in between, into a database whose timezone is
America/New_York; the tests below read what it left. The loads run with filters that
select every task at first but can drift (assignedTo, dueDate): one task is reassigned
out of them and one rescheduled out of them between the first two loads, and the last
load narrows the filters (issue #23). A campaign is deleted before the last load, so one
of its open tasks points at no campaign (#19). The models' logic is specified by dbt
unit tests (`unit_tests:` in transform/models); these tests check the wiring and that
`dbt build` runs those unit tests against a real load.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

import demo_report
import yaml
from conftest import NON_UTC_TIMEZONE
from lemlist_sample import sample_campaigns, sample_users
from loads import (
    DRIFTING_FILTERS,
    NARROWED_FILTERS,
    NEW_ASSIGNEE,
    OUTSIDE_ASSIGNEE,
    OwnProject,
)
from warehouse import REPO

if t.TYPE_CHECKING:
    import subprocess


def unit_test_names() -> set[str]:
    """Every `unit_tests:` entry in the dbt project's model YAML files."""
    names = set()
    for path in (REPO / "transform" / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text()) or {}
        names |= {test["name"] for test in document.get("unit_tests", [])}
    return names


def test_every_run_of_the_elt_job_passes_dbt_build(own_project: OwnProject) -> None:
    for run in own_project.runs:
        assert run.returncode == 0, run.stderr[-5000:]
        assert "dbt-postgres" in run.stderr
        # Warnings only: a task pointing at an unknown user or campaign (see below).
        assert re.search(r"Completed (successfully|with \d+ warnings?:)", run.stderr)


def warned(run: subprocess.CompletedProcess[str], test_name: str) -> bool:
    """Whether a dbt data test of `dbt build` warned in a run."""
    return re.search(rf"\bWARN \d+ {test_name}\b", run.stderr) is not None


def test_a_task_pointing_at_an_unknown_user_or_campaign_warns_only(
    own_project: OwnProject,
) -> None:
    first, second, third = own_project.runs

    # The second load's open tasks include one reassigned to a user lemlist does not
    # list; the third's, tasks of the campaign deleted before it.
    assert not warned(first, "open_task_assignees_are_team_users")
    assert warned(second, "open_task_assignees_are_team_users")
    assert not warned(third, "open_task_assignees_are_team_users")
    assert not warned(second, "open_task_campaigns_are_team_campaigns")
    assert warned(third, "open_task_campaigns_are_team_campaigns")


def test_dbt_build_on_a_fresh_warehouse_snapshots_before_the_history(
    own_project: OwnProject,
) -> None:
    first = own_project.runs[0]

    assert first.returncode == 0, first.stderr[-5000:]
    assert "no task history yet" not in first.stderr
    assert re.search(r"OK snapshotted \S+\.snp_lemlist__tasks", first.stderr)


def test_staging_holds_every_loaded_task_and_which_are_open(
    own_project: OwnProject,
) -> None:
    staged = own_project.model("stg_lemlist__tasks", "task_id, is_open")

    assert len(staged) == 60
    assert {row["task_id"] for row in staged if row["is_open"]} == own_project.open_ids


def test_dbt_build_runs_every_unit_test_of_the_project(own_project: OwnProject) -> None:
    names = unit_test_names()
    passed = set(re.findall(r"PASS \w+::(\w+)", own_project.runs[-1].stderr))

    assert len(names) >= 3
    assert names <= passed


def test_completions_hold_exactly_the_tasks_that_left_the_open_list(
    own_project: OwnProject,
) -> None:
    completions = own_project.model(
        "lemlist_task_completions", "task_id, completion_number"
    )

    assert sorted(row["task_id"] for row in completions) == sorted(own_project.left)
    assert {row["completion_number"] for row in completions} == {1}


def test_completions_count_reschedules_and_reassignments_before_completion(
    own_project: OwnProject,
) -> None:
    rows = own_project.model(
        "lemlist_task_completions", "task_id, times_rescheduled, times_reassigned"
    )
    counts = {
        row["task_id"]: (row["times_rescheduled"], row["times_reassigned"])
        for row in rows
    }

    assert counts[own_project.rescheduled_then_done] == (1, 0)
    assert counts[own_project.reassigned_then_done] == (0, 1)
    unchanged = [*own_project.done_after_first, *own_project.done_during_load]
    assert {counts[task_id] for task_id in unchanged} == {(0, 0)}


def test_completion_lies_between_last_seen_open_and_retired_at(
    own_project: OwnProject,
) -> None:
    loaded = own_project.rows[-1]
    rows = own_project.model(
        "lemlist_task_completions",
        "task_id, last_seen_open_at, retired_at, opened_at, days_open",
    )

    for row in rows:
        source = loaded[row["task_id"]]
        last_seen: dt.datetime = row["last_seen_open_at"]
        assert last_seen < row["retired_at"]
        assert row["opened_at"] <= last_seen
        assert row["days_open"] >= 0
        if row["task_id"] != own_project.done_then_reopened:
            assert last_seen == source["_sdc_extracted_at"]
            assert row["retired_at"] == source["_sdc_deleted_at"]


def test_history_records_a_reschedule_then_the_retirement(
    own_project: OwnProject,
) -> None:
    versions = own_project.history(own_project.rescheduled_then_done)

    assert [v["is_due_date_moved"] for v in versions] == [False, True, False]
    assert [v["is_retired"] for v in versions] == [False, False, True]
    assert versions[1]["due_at"].isoformat() == "2026-01-15T09:30:00"
    assert [v["is_current"] for v in versions] == [False, False, True]


def test_history_records_a_reassignment(own_project: OwnProject) -> None:
    versions = own_project.history(own_project.reassigned_then_done)

    assert [v["is_reassigned"] for v in versions] == [False, True, False]
    assert versions[1]["assigned_user_id"] == NEW_ASSIGNEE


def test_history_records_a_retirement_and_a_reopening(own_project: OwnProject) -> None:
    versions = own_project.history(own_project.done_then_reopened)

    assert [v["is_open"] for v in versions] == [True, False, True]
    assert [v["is_retired"] for v in versions] == [False, True, False]
    assert [v["is_reopened"] for v in versions] == [False, False, True]
    loaded = own_project.rows[-1][own_project.done_then_reopened]
    assert loaded["_sdc_deleted_at"] is None  # live again in the loaded table


def test_history_keeps_one_version_of_a_task_that_never_changed(
    own_project: OwnProject,
) -> None:
    unchanged = min(
        own_project.open_ids - own_project.left - {own_project.rescheduled_still_open}
    )

    assert len(own_project.history(unchanged)) == 1
    assert len(own_project.history(own_project.rescheduled_still_open)) == 2


def test_history_times_are_utc_instants_in_a_non_utc_database(
    own_project: OwnProject,
) -> None:
    versions = own_project.model(
        "stg_lemlist__task_versions", "loaded_at, retired_at, snapshotted_at"
    )

    def during_a_run(instant: dt.datetime | None) -> bool:
        return instant is None or any(a <= instant <= b for a, b in own_project.windows)

    assert own_project.query("SHOW timezone") == [{"TimeZone": NON_UTC_TIMEZONE}]
    assert len(versions) > 60
    for version in versions:
        assert during_a_run(version["loaded_at"])
        assert during_a_run(version["retired_at"])
        assert during_a_run(version["snapshotted_at"])


def test_open_tasks_by_assignee_counts_what_lemlist_still_returns(
    own_project: OwnProject,
) -> None:
    rows = own_project.model("lemlist_open_tasks_by_assignee", "open_tasks")

    assert sum(row["open_tasks"] for row in rows) == len(own_project.open_ids)


def test_open_tasks_by_assignee_name_each_assignee(own_project: OwnProject) -> None:
    users = {user["userId"]: user for user in sample_users()}
    rows = own_project.model(
        "lemlist_open_tasks_by_assignee",
        "team_name, assigned_user_id, assignee_name, assignee_email, open_tasks",
    )
    per_user: dict[str, int] = {}
    for record in own_project.open_records:
        per_user[record["userId"]] = per_user.get(record["userId"], 0) + 1

    assert {row["team_name"] for row in rows} == {"Stand-in team"}
    for row in rows:
        user = users[row["assigned_user_id"]]
        assert (row["assignee_name"], row["assignee_email"]) == (
            user["name"],
            user["email"],
        )
    totals = dict.fromkeys(per_user, 0)
    for row in rows:
        totals[row["assigned_user_id"]] += row["open_tasks"]
    assert totals == per_user


def due(record: dict[str, t.Any]) -> dt.datetime | None:
    """A stand-in task's dueDate as naive UTC, as the warehouse holds it."""
    text = record.get("dueDate")
    if text is None:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_open_tasks_by_campaign_name_each_campaign_and_count_a_deleted_one(
    own_project: OwnProject,
) -> None:
    campaigns = {c["_id"]: c for c in sample_campaigns()}
    rows = own_project.model(
        "lemlist_open_tasks_by_campaign",
        "campaign_id, campaign_name, campaign_status, open_tasks, overdue_tasks, "
        "computed_at",
    )
    by_campaign = {row["campaign_id"]: row for row in rows}
    now = rows[0]["computed_at"]
    expected: dict[str | None, tuple[int, int]] = {}
    for record in own_project.open_records:
        key = record.get("campaignId")
        open_tasks, overdue = expected.get(key, (0, 0))
        late = (due(record) or now) < now
        expected[key] = (open_tasks + 1, overdue + late)

    assert {
        key: (r["open_tasks"], r["overdue_tasks"]) for key, r in by_campaign.items()
    } == expected
    deleted = by_campaign[own_project.deleted_campaign]
    assert (deleted["campaign_name"], deleted["campaign_status"]) == (None, None)
    no_campaign = by_campaign[None]
    assert (no_campaign["campaign_name"], no_campaign["campaign_status"]) == (
        None,
        None,
    )
    for campaign_id, row in by_campaign.items():
        if campaign_id not in {None, own_project.deleted_campaign}:
            campaign = campaigns[campaign_id]
            assert row["campaign_name"] == campaign["name"]
            assert row["campaign_status"] == campaign["status"]


def test_tasks_that_left_the_filters_are_retired_like_done_ones(
    own_project: OwnProject,
) -> None:
    # What target-postgres does on the tap's ACTIVATE_VERSION: every task the sync did
    # not return gets _sdc_deleted_at, whether it was done or only left the filters.
    loaded = own_project.rows[-1]
    second_load = own_project.windows[1]

    assert own_project.left_the_filters.isdisjoint(own_project.done)
    for task_id in own_project.left:
        assert loaded[task_id]["_sdc_deleted_at"] is not None or (
            task_id == own_project.done_then_reopened
        )
    for task_id in (own_project.reassigned_out, own_project.rescheduled_out):
        assert second_load[0] <= loaded[task_id]["_sdc_deleted_at"] <= second_load[1]
    assert loaded[own_project.reassigned_out]["userId"] != OUTSIDE_ASSIGNEE
    assert loaded[own_project.rescheduled_out]["dueDate"].year == 2025


def canonical(filters: list[dict[str, t.Any]]) -> str:
    """The filters as the tap records them in the teams row (`taskFilters`)."""
    return json.dumps(filters, sort_keys=True, separators=(",", ":"))


def test_completions_say_why_each_task_left_the_filtered_list(
    own_project: OwnProject,
) -> None:
    rows = own_project.model(
        "lemlist_task_completions", "task_id, left_because, retiring_task_filters"
    )
    because = {row["task_id"]: row["left_because"] for row in rows}
    filters = {row["task_id"]: row["retiring_task_filters"] for row in rows}
    second_load = {
        *own_project.done_after_first,
        own_project.done_then_reopened,
        own_project.reassigned_out,
        own_project.rescheduled_out,
    }
    third_load = {
        own_project.rescheduled_then_done,
        own_project.reassigned_then_done,
        *own_project.done_during_load,
        *own_project.narrowed_out,
    }

    assert set(because) == second_load | third_load
    # Retired by a sync with filters a task can leave while open: not surely done.
    for task_id in second_load:
        assert because[task_id] == "done, deleted or left the filters"
        assert filters[task_id] == canonical(DRIFTING_FILTERS)
    # Retired by the sync that narrowed the filters: the done ones cannot be told apart.
    for task_id in third_load:
        assert because[task_id] == "filters changed"
        assert filters[task_id] == canonical(NARROWED_FILTERS)
    assert "done or deleted" not in because.values()


def test_the_team_history_holds_each_filter_setting_once(
    own_project: OwnProject,
) -> None:
    versions = own_project.model(
        "stg_lemlist__team_versions",
        "version_number, task_filters, has_drifting_filters, valid_from, valid_to",
    )
    versions.sort(key=lambda version: version["version_number"])

    assert [(v["task_filters"], v["has_drifting_filters"]) for v in versions] == [
        (canonical(DRIFTING_FILTERS), True),
        (canonical(NARROWED_FILTERS), True),
    ]
    first, last = versions
    assert own_project.windows[0][0] <= first["valid_from"] <= own_project.windows[0][1]
    assert first["valid_to"] == last["valid_from"]
    assert own_project.windows[2][0] <= last["valid_from"] <= own_project.windows[2][1]


def dashboard_queries() -> dict[str, str]:
    """The SQL blocks of docs/dashboard-queries.md, by the heading above each."""
    text = (REPO / "docs" / "dashboard-queries.md").read_text()
    blocks = re.findall(
        r"^## (.+?)\n.*?^```sql\n(.*?)^```$", text, re.DOTALL | re.MULTILINE
    )
    return dict(blocks)


def run_dashboard_query(own_project: OwnProject, title: str) -> list[dict[str, t.Any]]:
    """One documented query, as written (the project's marts are in `analytics`)."""
    return own_project.query(dashboard_queries()[title])


def user_names() -> dict[str, str]:
    return {user["userId"]: user["name"] for user in sample_users()}


def test_the_documented_queries_are_the_three_dashboards() -> None:
    assert list(dashboard_queries()) == [
        "Open tasks per assignee, across task types",
        "Overdue tasks per campaign",
        "Completions per week per assignee",
    ]


def test_dashboard_open_tasks_per_assignee(own_project: OwnProject) -> None:
    rows = run_dashboard_query(
        own_project, "Open tasks per assignee, across task types"
    )
    expected: dict[str, int] = {}
    for record in own_project.open_records:
        name = user_names()[record["userId"]]
        expected[name] = expected.get(name, 0) + 1

    assert {row["assignee"]: row["open_tasks"] for row in rows} == expected
    assert [row["open_tasks"] for row in rows] == sorted(
        expected.values(), reverse=True
    )
    for row in rows:
        assert row["overdue_tasks"] + row["no_due_date_tasks"] <= row["open_tasks"]


def test_dashboard_overdue_tasks_per_campaign(own_project: OwnProject) -> None:
    rows = run_dashboard_query(own_project, "Overdue tasks per campaign")
    [now] = own_project.query(
        "SELECT max(computed_at) FROM analytics.lemlist_open_tasks_by_campaign"
    )[0].values()
    overdue: dict[str | None, int] = {}
    for record in own_project.open_records:
        if (due(record) or now) < now:
            key = record.get("campaignId")
            overdue[key] = overdue.get(key, 0) + 1

    assert {row["campaign_id"]: row["overdue_tasks"] for row in rows} == overdue
    assert [row["overdue_tasks"] for row in rows] == sorted(
        overdue.values(), reverse=True
    )
    names = {campaign["_id"]: campaign["name"] for campaign in sample_campaigns()}
    # The campaign deleted in lemlist is shown by its id; no campaign, as such.
    names[own_project.deleted_campaign] = own_project.deleted_campaign
    for row in rows:
        assert row["campaign"] == names.get(row["campaign_id"], "(no campaign)")


def test_dashboard_completions_per_week_per_assignee(own_project: OwnProject) -> None:
    rows = run_dashboard_query(own_project, "Completions per week per assignee")
    loaded = own_project.rows[-1]
    expected: dict[str, int] = {}
    for task_id in own_project.left:
        user = loaded[task_id]["userId"]
        name = str(user_names().get(user, user))
        expected[name] = expected.get(name, 0) + 1
    per_assignee: dict[str, int] = {}
    for row in rows:
        per_assignee[row["assignee"]] = (
            per_assignee.get(row["assignee"], 0) + row["completions"]
        )
    mondays = {
        (instant - dt.timedelta(days=instant.weekday())).date()
        for window in own_project.windows
        for instant in window
    }

    assert per_assignee == expected
    # The reassigned task was done under its new assignee, whom lemlist does not list.
    assert per_assignee[NEW_ASSIGNEE] == 1
    assert {row["week"] for row in rows} <= mondays


def test_the_demo_report_names_the_assignees_and_counts_retirements(
    own_project: OwnProject,
) -> None:
    loaded = own_project.rows[-1]
    retired = sum(row["_sdc_deleted_at"] is not None for row in loaded.values())

    printed = demo_report.report(own_project.url, "tap_lemlist_tasks", "analytics")

    for user in sample_users():
        assert user["name"] in printed
    assert (
        f"tap_lemlist_tasks.tasks: {len(own_project.open_ids)} open, {retired} "
        "retired (done in lemlist); analytics.lemlist_task_completions: "
        f"{len(own_project.left)} completions."
    ) in printed.replace("\n", " ")
