"""The API key's team and its users: the team's id on every row, and no secret.

lemlist's `GET /api/team?version=v2` answers the key's team together with the key
itself, webhook URLs, invited users' emails and `users: [{userId, name, email,
role}]`. The tap reads it once per run, through the same budget and retries as the
pages, and keeps the team's `_id` and `name` and those four fields of each user.

Its campaigns: `GET /api/campaigns` with `version=v2`, `offset`, `limit` (at most
100), `sortBy=createdAt` and `sortOrder`. lemlist's OpenAPI document shows a bare
array; other clients read `{"campaigns": [...], "pagination": {...}}`. Some plans
answer 402 with a JSON string instead.
"""

from __future__ import annotations

import copy
import json
import typing as t

import pytest
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_campaigns, sample_tasks, sample_team, sample_users

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn

PHONE = "+33 6 55 55 55 55"
USERS = [{**user, "apiKey": API_KEY, "phone": PHONE} for user in sample_users()]
TEAM = sample_team("tea_AcmeClient000001", "Acme", api_key=API_KEY, users=USERS)
SECRETS = [API_KEY, PHONE, TEAM["hooks"][0]["targetUrl"], TEAM["slackWebhook"],
           TEAM["invitedUsers"][0]["email"], TEAM["customDomain"],
           TEAM["createdBy"]]  # fmt: skip


@pytest.fixture(autouse=True)
def _team_with_every_secret_set(standin: LemlistStandIn) -> None:
    standin.team = copy.deepcopy(TEAM)


def assert_no_secret_in(run: TapRun) -> None:
    shown = run.stderr + json.dumps(run.messages)
    for secret in SECRETS:
        assert secret not in shown


def test_one_team_request_gives_the_team_row_its_users_and_every_rows_team_id(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    synced = run()

    assert synced.exit_code == 0, synced.stderr
    first = standin.requests[0]
    assert (first.path, first.query) == ("/api/team", {"version": "v2"})
    assert [r.path for r in standin.requests].count("/api/team") == 1
    assert synced.records_of("teams") == [
        {"_id": "tea_AcmeClient000001", "name": "Acme", "taskFilters": "[]"}
    ]
    assert synced.records_of("users") == [
        {**user, "teamId": "tea_AcmeClient000001"} for user in sample_users()
    ]
    assert len(synced.records) == 250
    for stream in ("tasks", "users", "campaigns"):
        teams = {r["teamId"] for r in synced.records_of(stream)}
        assert teams == {"tea_AcmeClient000001"}
    users = {user["userId"] for user in synced.records_of("users")}
    assert {task["userId"] for task in synced.records} <= users
    assert_no_secret_in(synced)


def test_a_team_answer_listing_no_users_loads_and_retires_no_user(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    team = copy.deepcopy(TEAM)
    del team["users"]  # as lemlist answers without version=v2
    standin.team = team

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert synced.records_of("users") == []
    assert synced.of_type("ACTIVATE_VERSION", stream="users") == []
    assert "users: lemlist's answer to GET /team?version=v2 lists no users" in (
        synced.stderr
    )
    assert len(synced.records) == 250


def test_nul_in_a_users_or_the_teams_name_is_removed(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    users = sample_users()
    users[0]["name"] = "Alice\x00 Martin"
    standin.team = sample_team(name="Acme\x00", api_key=API_KEY, users=users)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert synced.records_of("users")[0]["name"] == "Alice Martin"
    assert synced.records_of("teams")[0]["name"] == "Acme"


@pytest.mark.parametrize(
    ("fault", "options", "phrase"),
    [
        ("body", {"body": json.dumps({**TEAM, "_id": 12345})}, "unexpected shape"),
        ("truncated", {}, "body is not valid JSON"),
        ("429", {"retry_after": 3}, "(GET /team) in 3.0 s"),  # on the key's budget
    ],
)
def test_a_transient_team_failure_is_retried_without_echoing_the_answer(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    fault: str,
    options: dict[str, t.Any],
    phrase: str,
) -> None:
    standin.add_route_faults("team", fault, **options)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    (retrying,) = [line for line in synced.stderr.splitlines() if "Retrying" in line]
    assert "Retrying the team request" in retrying
    assert phrase in retrying
    assert [r.path for r in standin.requests].count("/api/team") == 2
    assert {r["teamId"] for r in synced.records} == {"tea_AcmeClient000001"}
    assert_no_secret_in(synced)


@pytest.mark.parametrize(
    ("fault", "explained"),
    [
        ("403", "lemlist refused access (HTTP 403)"),
        ("404", "lemlist has no /team at http://127.0.0.1:"),
        ("400", "lemlist refused to name the API key's team (HTTP 400"),
    ],
)
def test_a_refused_team_request_stops_before_any_page_with_one_line(
    standin: LemlistStandIn, run: Callable[..., TapRun], fault: str, explained: str
) -> None:
    standin.add_route_faults("team", fault)

    synced = run()

    assert_failed(synced, explained)
    assert standin.task_requests == []
    assert synced.records == []
    assert_no_secret_in(synced)


def test_discovery_offers_every_stream_with_the_teams_id_without_any_request(
    standin: LemlistStandIn,
) -> None:
    tap = TapLemlistTasks(config={"api_key": API_KEY, "api_url": standin.url})

    streams = {entry["tap_stream_id"]: entry for entry in tap.catalog_dict["streams"]}

    assert set(streams) == {"tasks", "teams", "users", "campaigns"}
    assert list(streams["teams"]["key_properties"]) == ["_id"]
    for child in ("tasks", "users", "campaigns"):
        assert "teamId" in streams[child]["schema"]["required"]
    assert standin.requests == []


# The team's campaigns: every one, oldest first, retired like tasks, or none at all.


def many_campaigns(count: int) -> list[dict[str, t.Any]]:
    return [
        {
            "_id": f"cam_many{number:05d}",
            "name": f"Campaign {number}",
            "status": "running",
            "createdAt": f"2025-{1 + number // 28 % 12:02d}-{1 + number % 28:02d}"
            f"T{number % 24:02d}:00:00.000Z",
        }
        for number in range(count)
    ]


@pytest.fixture
def many(standin: LemlistStandIn) -> LemlistStandIn:
    """250 campaigns, three pages of at most 100; 20 tasks, one page."""
    standin.campaigns = many_campaigns(250)
    standin.replace_tasks(sample_tasks(20))
    return standin


def campaign_requests(standin: LemlistStandIn) -> list[dict[str, str]]:
    return [r.query for r in standin.requests if r.path == "/api/campaigns"]


def test_every_campaign_is_a_row_asked_oldest_first_in_pages_of_100(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert campaign_requests(standin)[0] == {"version": "v2", "offset": "0",
        "limit": "100", "sortBy": "createdAt", "sortOrder": "asc"}  # fmt: skip
    campaigns = [r["_id"] for r in synced.records_of("campaigns")]
    assert campaigns == [c["_id"] for c in sample_campaigns()]
    assert {task["campaignId"] for task in synced.records} - {None} <= set(campaigns)


@pytest.mark.parametrize("shape", ["array", "object"])
def test_campaigns_over_several_pages_are_read_whole_in_either_shape(
    many: LemlistStandIn, run: Callable[..., TapRun], shape: str
) -> None:
    many.campaigns_shape = shape

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    ids = [r["_id"] for r in synced.records_of("campaigns")]
    assert len(ids) == len(set(ids)) == 250
    # Forward to the short page; back from it (asked again) to offset 0.
    offsets = [q["offset"] for q in campaign_requests(many)]
    assert offsets == ["0", "100", "200", "200", "100", "0"]
    assert len(synced.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1


def test_a_campaign_deleted_during_the_read_retires_no_other_campaign(
    many: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    # Requests: the team, 4 for the tasks (pages 0, 1 and back), then offset 0 of
    # the campaigns. Once it is read, the oldest campaign is deleted: offset 100
    # starts one campaign later, and the forward read skips campaign 100.
    after_offset_0 = 1 + 4 + 1
    oldest = many_campaigns(1)[0]["_id"]
    many.after_request(after_offset_0, lambda s: s.delete_campaign(oldest))

    synced = run()

    ids = {r["_id"] for r in synced.records_of("campaigns")}
    assert synced.exit_code == 0, synced.stderr
    assert campaign_requests(many)[1]["offset"] == "100"
    assert {c["_id"] for c in many_campaigns(250)} - {oldest} <= ids
    assert len(synced.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1
    assert "campaigns: 250 emitted in 3 reads" in synced.stderr


def test_a_plan_without_campaigns_loads_the_tasks_and_retires_no_campaign(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.plan_gated.add("campaigns")

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert synced.records_of("campaigns") == []
    assert synced.of_type("ACTIVATE_VERSION", stream="campaigns") == []
    assert len(synced.records) == 250
    assert len(synced.of_type("ACTIVATE_VERSION")) == 1
    (gate,) = [line for line in synced.stderr.splitlines() if "HTTP 402" in line]
    assert "plan for this account does not include GET /campaigns" in gate
    assert "none retired" in gate


def test_a_failing_campaigns_page_is_retried_and_named(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.add_route_faults("campaigns", "503")

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert "Retrying campaigns from offset 0 in 0.5 s" in synced.stderr
    assert len(synced.records_of("campaigns")) == len(sample_campaigns())


def test_a_refused_campaigns_request_stops_with_lemlists_words_and_no_filters(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.add_route_faults("campaigns", "400")

    synced = run()

    assert synced.exit_code == 1
    assert synced.errors == ["lemlist refused the request (HTTP 400: Bad params)."]
    assert synced.of_type("ACTIVATE_VERSION", stream="campaigns") == []
