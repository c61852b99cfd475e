"""The team's campaigns: every one, oldest first, retired like tasks, or none at all.

lemlist's reference: `GET /api/campaigns` with `version=v2`, `offset`, `limit` (at
most 100), `sortBy=createdAt` and `sortOrder`. Its OpenAPI document shows a bare
array; other clients read `{"campaigns": [...], "pagination": {...}}`. Some plans
answer 402 with a JSON string instead.
"""

from __future__ import annotations

import typing as t

import pytest
from lemlist_sample import sample_campaigns, sample_tasks

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


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


def test_campaigns_are_asked_oldest_first_in_pages_of_100(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    run()

    assert campaign_requests(standin)[0] == {
        "version": "v2",
        "offset": "0",
        "limit": "100",
        "sortBy": "createdAt",
        "sortOrder": "asc",
    }


def test_each_campaign_is_a_row_tagged_with_the_teams_id(
    run: Callable[..., TapRun],
) -> None:
    synced = run()

    assert synced.exit_code == 0, synced.stderr
    records = synced.records_of("campaigns")
    assert [r["_id"] for r in records] == [c["_id"] for c in sample_campaigns()]
    assert {r["teamId"] for r in records} == {"tea_StandInTeam00001"}
    assert {task["campaignId"] for task in synced.records} - {None} <= {
        r["_id"] for r in records
    }


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
