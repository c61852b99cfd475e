"""The lemlist stand-in's own contract, pinned for the tests that rely on it."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import requests
from lemlist_sample import TASK_FIELDS, Task, sample_tasks
from lemlist_standin import LemlistStandIn

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

KEY = "test-key"
AUTH = ("", KEY)
JS_DATE = re.compile(
    r"\w{3} \w{3} \d\d \d{4} [\d:]{8} GMT\+0000 \(Coordinated Universal Time\)"
)


@pytest.fixture
def api() -> Iterator[LemlistStandIn]:
    with LemlistStandIn(sample_tasks(250), page_size=100) as server:
        yield server


def get(
    api: LemlistStandIn,
    page: int | str = 0,
    filters: t.Any = (),
    *,
    auth: tuple[str, str] | None = AUTH,
    timeout: float = 5,
) -> requests.Response:
    params = {"page": page, "filters": json.dumps(list(filters))}
    return requests.get(f"{api.url}/tasks", params=params, auth=auth, timeout=timeout)


def read_all(api: LemlistStandIn, filters: t.Any = ()) -> list[dict[str, t.Any]]:
    records: list[dict[str, t.Any]] = []
    for page in range(1000):
        results = get(api, page, filters).json()["results"]
        if not results:
            return records
        records += results
    raise AssertionError


def test_wrong_credentials_get_401(api: LemlistStandIn) -> None:
    for auth in [("", "wrong"), ("user", KEY)]:
        response = get(api, auth=auth)
        assert response.status_code == 401
        assert response.text == "The authentication you supplied is incorrect"
    assert [r.status for r in api.requests] == [401, 401]


def test_no_key_gets_400_no_api_key_provided(api: LemlistStandIn) -> None:
    response = get(api, auth=None)

    assert response.status_code == 400
    assert response.text == "No API key provided"


def test_a_path_outside_the_api_gets_the_web_apps_page_with_200(
    api: LemlistStandIn,
) -> None:
    response = requests.get(api.url.replace("/api", "/app/tasks"), timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<!DOCTYPE html>")


def test_every_response_carries_lemlists_rate_limit_headers(
    api: LemlistStandIn,
) -> None:
    ok, refused = get(api), get(api, auth=("", "wrong"))

    for response in (ok, refused):
        assert response.headers["X-RateLimit-Limit"] == "20"
        assert {"X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} <= set(
            response.headers
        )


def test_a_blocked_user_gets_403_with_lemlists_words(api: LemlistStandIn) -> None:
    api.add_faults(0, "403")

    response = get(api)

    assert response.status_code == 403
    assert response.text == "User linked to this API key is blocked"


def test_pages_count_from_0_and_end_with_an_empty_page(api: LemlistStandIn) -> None:
    bodies = [get(api, page).json() for page in range(4)]

    assert [body["page"] for body in bodies] == ["0", "1", "2", "3"]
    assert [len(body["results"]) for body in bodies] == [100, 100, 50, 0]
    served = [record for body in bodies for record in body["results"]]
    assert served == api.pending_records()
    assert [task.record for task in sample_tasks(250)] == served
    assert get(api).headers["Content-Type"] == "application/json"
    assert api.requests[0].query == {"page": "0", "filters": "[]"}


def test_completed_tasks_vanish_until_reopened(api: LemlistStandIn) -> None:
    first_page = [record["_id"] for record in get(api).json()["results"]]
    api.complete(first_page[:3])

    assert [record["_id"] for record in get(api).json()["results"]][:2] == (
        first_page[3:5]
    )
    assert len(read_all(api)) == 247
    api.reopen(first_page[:3])
    assert [record["_id"] for record in get(api).json()["results"]] == first_page


def _cases(
    tasks: list[Task],
) -> Iterator[tuple[dict[str, t.Any], Callable[[Task], bool]]]:
    lead = next(task.lead for task in tasks if "phone" in task.lead)
    campaign = next(task.record["campaignId"] for task in tasks if task.lead)
    user = tasks[0].record["userId"]
    yield (
        {"filterId": "fullName", "value": lead["fullName"].upper()},
        lambda task: task.lead.get("fullName") == lead["fullName"],
    )
    yield (
        {"filterId": "phone", "regex": lead["phone"][-4:] + "$"},
        lambda task: task.lead.get("phone", "").endswith(lead["phone"][-4:]),
    )
    yield (
        {"filterId": "campaignId", "out": [campaign]},
        lambda task: task.record.get("campaignId") != campaign,
    )
    yield (
        {"filterId": "campaignState", "in": ["running", "paused"]},
        lambda task: task.campaign_state in {"running", "paused"},
    )
    yield (
        {"filterId": "type", "in": ["phone", "email"], "out": ["email"]},
        lambda task: task.record["type"] == "phone",
    )
    yield (
        {"filterId": "assignedTo", "in": [user]},
        lambda task: task.record["userId"] == user,
    )
    yield (
        {"filterId": "dueDate", "from": "2025-11-01", "to": "2025-11-15"},
        lambda task: (
            "2025-11-01" <= task.record.get("dueDate", "0")[:10] <= "2025-11-15"
        ),
    )


def test_each_filter_family_selects_the_expected_tasks(api: LemlistStandIn) -> None:
    tasks = sample_tasks(250)
    for spec, expected in _cases(tasks):
        records = [task.record for task in tasks if expected(task)]
        assert 0 < len(records) < len(tasks), spec
        assert read_all(api, [spec]) == records, spec
        assert api.pending_records([spec]) == records, spec
    both = [*_cases(tasks)][3:5]  # campaignState AND type
    expected_both = [t.record for t in tasks if all(f(t) for _, f in both)]
    assert read_all(api, [spec for spec, _ in both]) == expected_both


@pytest.mark.parametrize(
    "filters",
    [
        None,
        "not json",
        "{}",
        '[{"filterId": "color", "in": ["red"]}]',
        '[{"filterId": "type", "in": "phone"}]',
        '[{"filterId": "type", "in": ["meeting"]}]',
        '[{"filterId": "email", "regex": "("}]',
        '[{"filterId": "dueDate", "from": "2025-02-30"}]',
        '[{"filterId": "campaignId"}]',
    ],
)
def test_malformed_filters_get_400(api: LemlistStandIn, filters: str | None) -> None:
    params = {"page": "0"} if filters is None else {"page": "0", "filters": filters}
    response = requests.get(f"{api.url}/tasks", params=params, auth=AUTH, timeout=5)

    assert response.status_code == 400
    assert response.json() == {"error": "Malformed filters"}
    assert get(api, "-1").text == "Bad params"


def test_rate_limit_answers_429_with_retry_after_and_headers() -> None:
    with LemlistStandIn(sample_tasks(10), rate_limit=(3, 30.0)) as api:
        responses = [get(api) for _ in range(4)]

        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        remaining = [r.headers["X-RateLimit-Remaining"] for r in responses]
        assert remaining == ["2", "1", "0", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"3"}
        assert all(JS_DATE.fullmatch(r.headers["X-RateLimit-Reset"]) for r in responses)
        assert 1 <= int(responses[-1].headers["Retry-After"]) <= 30
        assert api.rate_limited_count == 1
        assert get(api, auth=("", "another-key")).status_code == 401  # own window


def test_faults_are_served_the_given_number_of_times(api: LemlistStandIn) -> None:
    api.add_faults(0, "503", times=2)
    api.add_faults(0, "429", retry_after=7)
    api.add_faults(1, "reset")
    api.add_faults(2, "truncated")
    api.add_faults(3, "timeout", delay=0.5)

    statuses = [get(api).status_code for _ in range(3)]
    assert statuses == [503, 503, 429]
    assert api.requests[-1].status == 429
    assert get(api).status_code == 200
    with pytest.raises(requests.ConnectionError):
        get(api, 1)
    with pytest.raises(requests.JSONDecodeError):
        get(api, 2).json()
    with pytest.raises(requests.ReadTimeout):
        get(api, 3, timeout=0.1)
    assert [get(api, page).status_code for page in range(4)] == [200] * 4


def test_served_tasks_hold_only_lemlist_task_fields(api: LemlistStandIn) -> None:
    records = read_all(api)
    hidden = {value for task in sample_tasks(250) for value in task.lead.values()}
    hidden -= {record.get("title") for record in records}

    assert all(set(record) <= TASK_FIELDS for record in records)
    assert not any(value in json.dumps(records) for value in hidden)
    assert {type(record.get("priority")) for record in records} == {
        int,
        str,
        type(None),
    }
    assert any("leadId" not in record for record in records)
    assert any(not record["content"] for record in records)


SCRIPT = Path(__file__).with_name("lemlist_standin.py")


def served_ids(url: str) -> list[str]:
    response = requests.get(
        f"{url}/tasks", params={"filters": "[]"}, auth=AUTH, timeout=5
    )
    return [task["_id"] for task in response.json()["results"]]


def test_cli_prints_its_url_and_stops_on_sigterm() -> None:
    command = [sys.executable, str(SCRIPT), "--tasks", "30", "--api-key", KEY]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("LEMLIST_STANDIN_URL=")
        served = served_ids(url)
        process.send_signal(signal.SIGTERM)

        assert len(served) == 30
        assert process.wait(timeout=5) == 0


def test_cli_commands_change_the_tasks_of_a_serving_stand_in(
    api: LemlistStandIn,
) -> None:
    before = [task["_id"] for task in api.pending_records()]

    def tell(*command: str) -> str:
        told = subprocess.run(  # noqa: S603
            [sys.executable, str(SCRIPT), *command, "--url", api.url],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return told.stdout

    completed = tell("complete", "2")
    created = tell("create", "3")

    after = [task["_id"] for task in api.pending_records()]
    # The oldest tasks, at the end of the list: not the ones just created.
    assert completed == f"complete: {before[-1]}, {before[-2]}\n"
    assert created.startswith("create: opp_rehearsal")
    assert after[:3] == created.removeprefix("create: ").strip().split(", ")
    assert after[3:] == before[:-2]


def test_cli_reassigns_to_the_next_member_of_the_team(api: LemlistStandIn) -> None:
    members = [user["userId"] for user in api.team_document()["users"]]
    task = api.pending_records()[5]
    at = members.index(task["userId"])

    told = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "reassign", task["_id"], "--url", api.url],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )

    assert told.stdout == f"reassign: {task['_id']}\n"
    now = {record["_id"]: record for record in api.pending_records()}
    assert now[task["_id"]]["userId"] == members[(at + 1) % len(members)]


def test_cli_reschedules_by_days_each_time(api: LemlistStandIn) -> None:
    oldest = api.pending_records()[-1]
    due = dt.datetime.fromisoformat(oldest["dueDate"].replace("Z", "+00:00"))
    command = [sys.executable, str(SCRIPT), "reschedule", "1", "--url", api.url]

    for _ in range(2):
        subprocess.run(  # noqa: S603
            [*command, "--days", "3"], check=True, capture_output=True, timeout=30
        )
    now = {record["_id"]: record for record in api.pending_records()}

    moved = dt.datetime.fromisoformat(
        now[oldest["_id"]]["dueDate"].replace("Z", "+00:00")
    )
    assert moved - due == dt.timedelta(days=6)


def test_cli_names_an_id_that_is_no_open_task(api: LemlistStandIn) -> None:
    told = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "complete", "opp_nope", "--url", api.url],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )

    assert told.returncode == 1
    assert told.stderr == "complete: no pending task opp_nope\n"


def test_sample_due_dates_spread_around_the_day_given() -> None:
    today = dt.date(2027, 3, 10)
    days = [
        task.record.get("dueDate", "")[:10] for task in sample_tasks(200, today=today)
    ]

    assert "" in days
    assert any(day and day < today.isoformat() for day in days)
    assert today.isoformat() in days
    assert any(day > today.isoformat() for day in days)
