"""The team's campaigns: every one, oldest first, retired like tasks, or none at all.

lemlist's reference: `GET /api/campaigns` with `version=v2`, `offset`, `limit` (at
most 100), `sortBy=createdAt` and `sortOrder`. Its OpenAPI document shows a bare
array; other clients read `{"campaigns": [...], "pagination": {...}}`. Some plans
answer 402 with a JSON string instead.
"""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY
from lemlist_sample import sample_campaigns, sample_tasks
from lemlist_standin import LemlistStandIn

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conftest import TapRun


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
def big_standin() -> Iterator[LemlistStandIn]:
    """250 campaigns: three pages of at most 100."""
    campaigns = many_campaigns(250)
    with LemlistStandIn(
        sample_tasks(20), api_key=API_KEY, campaigns=campaigns
    ) as server:
        yield server


def campaign_requests(standin: LemlistStandIn) -> list[dict[str, str]]:
    return [r.query for r in standin.requests if r.path == "/api/campaigns"]


def test_campaigns_are_asked_oldest_first_in_pages_of_100(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run_tap()

    assert campaign_requests(standin)[0] == {
        "version": "v2",
        "offset": "0",
        "limit": "100",
        "sortBy": "createdAt",
        "sortOrder": "asc",
    }


def test_each_campaign_is_a_row_tagged_with_the_teams_id(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    assert run.exit_code == 0, run.stderr
    records = run.records_of("campaigns")
    assert [r["_id"] for r in records] == [c["_id"] for c in sample_campaigns()]
    assert {r["teamId"] for r in records} == {"tea_StandInTeam00001"}
    assert {task["campaignId"] for task in run.records} - {None} <= {
        r["_id"] for r in records
    }


@pytest.mark.parametrize("shape", ["array", "object"])
def test_campaigns_over_several_pages_are_read_whole_in_either_shape(
    big_standin: LemlistStandIn, tap: Callable[..., TapRun], shape: str
) -> None:
    big_standin.campaigns_shape = shape

    run = tap({"api_key": API_KEY, "api_url": big_standin.url})

    assert run.exit_code == 0, run.stderr
    ids = [r["_id"] for r in run.records_of("campaigns")]
    assert len(ids) == len(set(ids)) == 250
    # Forward to the short page; back from it (asked again) to offset 0.
    offsets = [q["offset"] for q in campaign_requests(big_standin)]
    assert offsets == ["0", "100", "200", "200", "100", "0"]
    assert len(run.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1


def test_a_campaign_deleted_during_the_read_retires_no_other_campaign(
    big_standin: LemlistStandIn, tap: Callable[..., TapRun]
) -> None:
    # Requests: the team, 4 for the tasks (pages 0, 1 and back), then offset 0 of
    # the campaigns. Once it is read, the oldest campaign is deleted: offset 100
    # starts one campaign later, and the forward read skips campaign 100.
    after_offset_0 = 1 + 4 + 1
    oldest = many_campaigns(1)[0]["_id"]
    big_standin.after_request(after_offset_0, lambda s: s.delete_campaign(oldest))

    run = tap({"api_key": API_KEY, "api_url": big_standin.url})

    ids = {r["_id"] for r in run.records_of("campaigns")}
    assert run.exit_code == 0, run.stderr
    assert campaign_requests(big_standin)[1]["offset"] == "100"
    assert {c["_id"] for c in many_campaigns(250)} - {oldest} <= ids
    assert len(run.of_type("ACTIVATE_VERSION", stream="campaigns")) == 1
    assert "campaigns: 250 emitted in 3 reads" in run.stderr


def test_a_plan_without_campaigns_loads_the_tasks_and_retires_no_campaign(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.plan_gated.add("campaigns")

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert run.records_of("campaigns") == []
    assert run.of_type("ACTIVATE_VERSION", stream="campaigns") == []
    assert len(run.records) == 250
    assert len(run.of_type("ACTIVATE_VERSION")) == 1
    gate = [line for line in run.stderr.splitlines() if "HTTP 402" in line]
    assert gate == [
        (
            "campaigns: lemlist's plan for this account does not include GET "
            "/campaigns (HTTP 402: route is available starting emailPro plan); no "
            "campaigns loaded and none retired, the other streams load as usual."
        )
    ]


def test_a_failing_campaigns_page_is_retried_and_named(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_route_faults("campaigns", "503")

    run = run_tap()

    assert run.exit_code == 0, run.stderr
    assert (
        "Retrying campaigns from offset 0 in 0.5 s (attempt 1 of 8 failed: HTTP 503"
        in run.stderr
    )
    assert len(run.records_of("campaigns")) == len(sample_campaigns())


def test_a_refused_campaigns_request_stops_with_lemlists_words_and_no_filters(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_route_faults("campaigns", "400")

    run = run_tap()

    assert run.exit_code == 1
    assert run.errors == ["lemlist refused the request (HTTP 400: Bad params)."]
    assert run.of_type("ACTIVATE_VERSION", stream="campaigns") == []
