"""The API key's team, its users and campaigns: the team's id on every row, no secret.

lemlist's `GET /api/team?version=v2` answers the key's team with the key itself,
webhook URLs, invited users' emails and `users: [{userId, name, email, role}]`; the
tap reads it once per run, through the pages' budget and retries, and keeps the
team's `_id` and `name` and those four fields of each user. `GET /api/campaigns`
takes `version=v2`, `offset`, `limit` (at most 100), `sortBy=createdAt`, `sortOrder`,
and answers a bare array (lemlist's OpenAPI), `{"campaigns": [...], "pagination":
{...}}` (as other clients read it), or on some plans 402 with a JSON string.
"""

from __future__ import annotations

import copy
import json
import typing as t

import pytest
from conftest import API_KEY, Run, TapRun, assert_failed
from lemlist_sample import sample_campaigns, sample_tasks, sample_team, sample_users

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from lemlist_standin import LemlistStandIn

PHONE = "+33 6 55 55 55 55"
# The team's and a user's names hold NUL, which PostgreSQL refuses in text.
USERS = [{**user, "apiKey": API_KEY, "phone": PHONE} for user in sample_users()]
USERS[0]["name"] = USERS[0]["name"].replace(" ", "\x00 ")
TEAM = sample_team("tea_AcmeClient000001", "Acme\x00", api_key=API_KEY, users=USERS)
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


def test_one_team_request_gives_the_team_its_users_campaigns_and_every_rows_team_id(
    run: Run,
) -> None:
    synced = run()

    assert synced.exit_code == 0, synced.stderr
    first = run.standin.requests[0]
    assert (first.path, first.query) == ("/api/team", {"version": "v2"})
    assert [r.path for r in run.standin.requests].count("/api/team") == 1
    assert synced.records_of("teams") == [
        {"_id": "tea_AcmeClient000001", "name": "Acme", "taskFilters": "[]"}
    ]
    assert synced.records_of("users") == [
        {**user, "teamId": "tea_AcmeClient000001"} for user in sample_users()
    ]
    assert campaign_requests(run.standin)[0] == {"version": "v2", "offset": "0",
        "limit": "100", "sortBy": "createdAt", "sortOrder": "asc"}  # fmt: skip
    campaigns = [r["_id"] for r in synced.records_of("campaigns")]
    assert campaigns == [c["_id"] for c in sample_campaigns()]
    assert len(synced.records) == 250
    assert USERS[1]["email"] not in synced.stderr  # the logged context names no one
    for stream in ("tasks", "users", "campaigns"):
        teams = {r["teamId"] for r in synced.records_of(stream)}
        assert teams == {"tea_AcmeClient000001"}
    users = {user["userId"] for user in synced.records_of("users")}
    assert {task["userId"] for task in synced.records} <= users
    assert {task["campaignId"] for task in synced.records} - {None} <= set(campaigns)
    assert_no_secret_in(synced)


# As lemlist answers without version=v2.
TEAM_WITHOUT_USERS = {k: v for k, v in TEAM.items() if k != "users"}
UNLISTED: dict[str, tuple[t.Callable[[LemlistStandIn], object], str]] = {
    "users": (lambda s: setattr(s, "team", TEAM_WITHOUT_USERS),
              "users: lemlist's answer to GET /team?version=v2 lists no users"),
    "campaigns": (lambda s: s.plan_gated.add("campaigns"),
                  "plan for this account does not include GET /campaigns (HTTP 402"),
}  # fmt: skip


@pytest.mark.parametrize("stream", UNLISTED)
def test_a_team_answer_without_users_or_a_plan_without_campaigns_loads_none_of_them(
    run: Run, stream: str
) -> None:
    unlist, phrase = UNLISTED[stream]
    unlist(run.standin)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert synced.records_of(stream) == []
    assert synced.of_type("ACTIVATE_VERSION", stream=stream) == []
    assert len(synced.records) == 250
    assert len(synced.of_type("ACTIVATE_VERSION")) == 1
    (said,) = [line for line in synced.stderr.splitlines() if phrase in line]
    assert "none retired" in said


@pytest.mark.parametrize(
    ("route", "fault", "options", "phrase"),
    [
        ("team", "body", {"body": json.dumps({**TEAM, "_id": 12345})},
         "unexpected shape"),
        ("team", "truncated", {}, "body is not valid JSON"),
        ("team", "429", {"retry_after": 3}, "(GET /team) in 3.0 s"),  # key's budget
        ("campaigns", "503", {}, "Retrying campaigns from offset 0 in 0.5 s"),
    ],
)  # fmt: skip
def test_a_transient_team_or_campaigns_failure_is_retried_without_echoing_it(
    run: Run, route: str, fault: str, options: dict[str, t.Any], phrase: str
) -> None:
    run.standin.add_faults(route, fault, **options)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    (retrying,) = [line for line in synced.stderr.splitlines() if "Retrying" in line]
    assert phrase in retrying
    assert ("Retrying the team request" in retrying) == (route == "team")
    team_requests = [r.path for r in run.standin.requests].count("/api/team")
    assert team_requests == (2 if route == "team" else 1)
    assert {r["teamId"] for r in synced.records} == {"tea_AcmeClient000001"}
    assert len(synced.records_of("campaigns")) == len(sample_campaigns())
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
    run: Run, fault: str, explained: str
) -> None:
    run.standin.add_faults("team", fault)

    synced = run()

    assert_failed(synced, explained)
    assert run.standin.task_requests == []
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
    # target-postgres made them text[] and jsonb[]: a warehouse loaded before loads on.
    campaign = streams["campaigns"]["schema"]["properties"]
    assert campaign["labels"]["items"] == {"type": ["string"]}
    assert campaign["errors"]["items"] == {}
    assert standin.requests == []


# The team's campaigns: every one, oldest first, retired like tasks, or none at all.


MANY_CAMPAIGNS = [
    {
        "_id": f"cam_many{number:05d}",
        "name": f"Campaign {number}",
        "status": "running",
        "createdAt": f"2025-01-01T00:00:00.{number:03d}Z",  # in this order
    }
    for number in range(250)
]


@pytest.fixture
def many(run: Run) -> Run:
    """250 campaigns, three pages of at most 100; 20 tasks, one page."""
    run.standin.campaigns = MANY_CAMPAIGNS
    run.standin.replace_tasks(sample_tasks(20))
    return run


def campaign_requests(standin: LemlistStandIn) -> list[dict[str, str]]:
    return [r.query for r in standin.requests if r.path == "/api/campaigns"]


@pytest.mark.parametrize("shape", ["array", "object"])
def test_campaigns_over_several_pages_are_read_whole_in_either_shape(
    many: Run, shape: str
) -> None:
    many.standin.campaigns_shape = shape

    synced = many()

    assert synced.exit_code == 0, synced.stderr
    ids = [r["_id"] for r in synced.records_of("campaigns")]
    assert len(ids) == len(set(ids)) == 250
    # Forward to the short page; back from it (asked again) to offset 0.
    offsets = [q["offset"] for q in campaign_requests(many.standin)]
    assert offsets == ["0", "100", "200", "200", "100", "0"]
    assert len(synced.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1


def test_a_campaigns_answer_with_another_list_beside_them_loads(run: Run) -> None:
    body = json.dumps({"campaigns": sample_campaigns(), "results": [1, "ab"]})
    run.standin.add_faults("campaigns", "body", body=body)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.records_of("campaigns")) == len(sample_campaigns())


def test_a_campaign_deleted_during_the_read_retires_no_other_campaign(
    many: Run,
) -> None:
    # Requests: the team, 4 for the tasks (pages 0, 1 and back), then offset 0 of
    # the campaigns. Once it is read, the oldest campaign is deleted: offset 100
    # starts one campaign later, and the forward read skips campaign 100.
    after_offset_0 = 1 + 4 + 1
    oldest = MANY_CAMPAIGNS[0]["_id"]
    many.standin.after_request(after_offset_0, lambda s: s.delete_campaign(oldest))

    synced = many()

    ids = {r["_id"] for r in synced.records_of("campaigns")}
    assert synced.exit_code == 0, synced.stderr
    assert campaign_requests(many.standin)[1]["offset"] == "100"
    assert {c["_id"] for c in MANY_CAMPAIGNS} - {oldest} <= ids
    assert len(synced.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1
    assert "campaigns: 250 emitted in 3 reads" in synced.stderr


def test_a_refused_campaigns_request_stops_with_lemlists_words_and_no_filters(
    run: Run,
) -> None:
    run.standin.add_faults("campaigns", "400")

    synced = run()

    assert synced.exit_code == 1
    assert synced.errors == ["lemlist refused the request (HTTP 400: Bad params)."]
    assert synced.of_type("ACTIVATE_VERSION", stream="campaigns") == []
