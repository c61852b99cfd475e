"""The API key's team: its id on every task, its one row, and none of its secrets.

lemlist's `GET /api/team` answers the key's team together with the key itself,
webhook URLs and invited users' emails. The tap reads it once per run, through the
same budget and retries as the pages, and keeps `_id` and `name` only.
"""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import API_KEY
from lemlist_sample import sample_tasks, sample_team
from lemlist_standin import LemlistStandIn

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conftest import TapRun

TEAM = sample_team(
    "tea_AcmeClient000001", "Acme (client of the agency)", api_key=API_KEY
)
SECRETS = [
    API_KEY,
    TEAM["hooks"][0]["targetUrl"],
    TEAM["slackWebhook"],
    TEAM["invitedUsers"][0]["email"],
    TEAM["customDomain"],
    TEAM["createdBy"],
]


@pytest.fixture
def standin() -> Iterator[LemlistStandIn]:
    """The conftest stand-in, serving a team whose every secret field is set."""
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY, page_size=100) as server:
        server.team = TEAM
        yield server


def team_requests(standin: LemlistStandIn) -> list[str]:
    return [r.path for r in standin.requests if r.path == "/api/team"]


def assert_no_secret_in(run: TapRun) -> None:
    shown = run.stderr + json.dumps(run.messages)
    for secret in SECRETS:
        assert secret not in shown


def test_every_task_carries_the_keys_team_id(run_tap: Callable[..., TapRun]) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert len(run.records) == 250
    assert {record["teamId"] for record in run.records} == {"tea_AcmeClient000001"}


def test_the_teams_stream_is_one_row_of_id_name_and_the_task_filters(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    assert run.records_of("teams") == [
        {
            "_id": "tea_AcmeClient000001",
            "name": "Acme (client of the agency)",
            "taskFilters": "[]",
        }
    ]
    (schema,) = run.of_type("SCHEMA", stream="teams")
    assert set(schema["schema"]["properties"]) == {"_id", "name", "taskFilters"}
    assert schema["key_properties"] == ["_id"]


def test_a_run_reads_the_team_once_before_the_first_page(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert team_requests(standin) == ["/api/team"]
    assert standin.requests[0].path == "/api/team"


def test_no_other_field_of_the_team_reaches_output_or_log(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert_no_secret_in(run)


def test_the_teams_row_is_retired_only_after_it_was_read(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    teams = [m["type"] for m in run.messages if m.get("stream") == "teams"]
    assert teams == ["SCHEMA", "RECORD", "ACTIVATE_VERSION"]
    (record,) = run.of_type("RECORD", stream="teams")
    (activate,) = run.of_type("ACTIVATE_VERSION", stream="teams")
    assert record["version"] == activate["version"]


@pytest.mark.parametrize(
    ("fault", "options", "phrase"),
    [
        ("body", {"body": json.dumps({**TEAM, "_id": 12345})}, "unexpected shape"),
        ("truncated", {}, "body is not valid JSON"),
    ],
)
def test_a_team_body_that_does_not_decode_is_retried_without_echoing_it(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    fault: str,
    options: dict[str, t.Any],
    phrase: str,
) -> None:
    standin.add_route_faults("team", fault, **options)

    synced = run()

    assert synced.exit_code == 0, synced.stderr
    assert "Retrying the team request" in synced.stderr
    assert phrase in synced.stderr
    assert len(team_requests(standin)) == 2
    assert_no_secret_in(synced)


def test_a_transient_team_failure_waits_on_the_keys_budget(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_route_faults("team", "429", retry_after=3)

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert "Retrying the team request (GET /team) in 3.0 s" in run.stderr
    assert 3.0 in run.sleeps
    assert {record["teamId"] for record in run.records} == {"tea_AcmeClient000001"}


@pytest.mark.parametrize(
    ("fault", "explained"),
    [
        ("401", "lemlist rejected the API key (HTTP 401)"),
        ("403", "lemlist refused access (HTTP 403)"),
        ("404", "lemlist has no /team at http://127.0.0.1:"),
        ("400", "lemlist refused to name the API key's team (HTTP 400"),
    ],
)
def test_a_refused_team_request_stops_before_any_page_with_one_line(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun], fault: str, explained: str
) -> None:
    standin.add_route_faults("team", fault)

    run = run_tap()

    assert run.exit_code == 1
    assert explained in run.stderr
    assert "Traceback" not in run.stderr
    assert standin.task_requests == []
    assert run.records == []
    assert_no_secret_in(run)


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


def test_a_redirected_team_request_fails_with_one_line_and_is_not_followed(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_route_faults(
        "team", "redirect", location="https://collector.example/team"
    )

    run = run_tap()

    assert run.exit_code == 1
    assert (
        "lemlist answered HTTP 302, a redirect to 'https://collector.example/team'"
        in (run.stderr)
    )
    assert len(standin.requests) == 1
