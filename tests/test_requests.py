"""How the tap asks lemlist for tasks: one GET per page, Basic auth, filters as JSON."""

from __future__ import annotations

import base64
import json
import typing as t
from importlib import metadata

from conftest import API_KEY

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def test_each_page_is_a_get_of_api_tasks_with_page_and_filters(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run = run_tap(filters=[{"filterId": "type", "in": ["phone", "email"]}])

    assert run.exit_code == 0, run.stderr
    assert [(r.method, r.path) for r in standin.task_requests] == [
        ("GET", "/api/tasks")
    ] * 4
    # Forward to the first empty page, then back from it: that page is asked twice.
    assert [r.query["page"] for r in standin.task_requests] == ["0", "1", "1", "0"]
    sent = [json.loads(r.query["filters"]) for r in standin.task_requests]
    assert sent == [[{"filterId": "type", "in": ["phone", "email"]}]] * 4


def test_filters_are_sent_as_an_empty_array_when_none_are_set(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run_tap()

    assert {r.query["filters"] for r in standin.task_requests} == {"[]"}


def test_authorization_is_basic_with_empty_user_and_api_key_as_password(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run_tap()

    expected = "Basic " + base64.b64encode(f":{API_KEY}".encode()).decode()
    assert {r.headers["Authorization"] for r in standin.task_requests} == {expected}
    assert not any(
        API_KEY in r.path or API_KEY in str(r.query) for r in standin.task_requests
    )


def test_user_agent_names_the_tap_and_its_version(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    run_tap()

    version = metadata.version("tap-lemlist-tasks")
    user_agents = {r.headers["User-Agent"] for r in standin.task_requests}
    assert user_agents == {f"tap-lemlist-tasks/{version}"}
