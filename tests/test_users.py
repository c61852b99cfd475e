"""The team's users: one row each, from the same `GET /team?version=v2` as the team.

lemlist's reference: `?version=v2` adds `users: [{userId, name, email, role}]`. The
tap keeps those four fields of each, and nothing else of the team's answer.
"""

from __future__ import annotations

import json
import typing as t

from conftest import API_KEY
from lemlist_sample import sample_team, sample_users

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def test_each_team_member_is_a_row_tagged_with_the_teams_id(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert run.records_of("users") == [
        {**user, "teamId": "tea_StandInTeam00001"} for user in sample_users()
    ]


def test_every_tasks_assignee_is_one_of_the_users(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    users = {user["userId"] for user in run.records_of("users")}
    assert {task["userId"] for task in run.records} <= users


def test_the_users_come_with_the_one_team_request(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run_tap()

    team_requests = [r.query for r in standin.requests if r.path == "/api/team"]
    assert team_requests == [{"version": "v2"}]


def test_the_users_are_retired_after_their_rows(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    users = [m["type"] for m in run.messages if m.get("stream") == "users"]
    assert users == ["SCHEMA"] + ["RECORD"] * 4 + ["ACTIVATE_VERSION"]


def test_a_team_answer_listing_no_users_loads_and_retires_no_user(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    team = sample_team(api_key=API_KEY)
    del team["users"]  # as lemlist answers without version=v2
    standin.team = team

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert run.records_of("users") == []
    assert run.of_type("ACTIVATE_VERSION", stream="users") == []
    assert (
        "users: lemlist's answer to GET /team?version=v2 lists no users; none "
        "loaded and none retired." in run.stderr
    )
    assert len(run.records) == 250


def test_no_other_field_of_a_user_reaches_the_output(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    users = [{**user, "apiKey": API_KEY, "phone": "+33 6 55 55 55 55"}
             for user in sample_users()]  # fmt: skip
    standin.team = sample_team(api_key=API_KEY, users=users)

    run = run_tap()

    shown = run.stderr + json.dumps(run.messages)
    assert API_KEY not in shown
    assert "+33 6 55 55 55 55" not in shown
    assert set(run.records_of("users")[0]) == {
        "userId",
        "teamId",
        "name",
        "email",
        "role",
    }


def test_nul_in_a_users_or_the_teams_name_is_removed(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    users = sample_users()
    users[0]["name"] = "Alice\x00 Martin"
    standin.team = sample_team(name="Acme\x00", api_key=API_KEY, users=users)

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert run.records_of("users")[0]["name"] == "Alice Martin"
    assert run.records_of("teams")[0]["name"] == "Acme"
