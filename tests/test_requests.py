"""How the tap asks lemlist for tasks: one GET per page, Basic auth, filters as JSON."""

from __future__ import annotations

import base64
import json
import typing as t
from importlib import metadata

import pytest
from conftest import API_KEY

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn

PHONE_OR_EMAIL = [{"filterId": "type", "in": ["phone", "email"]}]
# Forward to the first empty page, then back from it: that page is asked twice.
SENT = {
    "no filters: an empty array": ({}, "[]", "01233210"),
    "filters as JSON": (
        {"filters": PHONE_OR_EMAIL},
        json.dumps(PHONE_OR_EMAIL),
        "0110",
    ),
}


@pytest.mark.parametrize(("settings", "filters", "pages"), SENT.values(), ids=SENT)
def test_each_page_is_an_authenticated_get_of_api_tasks_with_page_and_filters(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    settings: dict[str, t.Any],
    filters: str,
    pages: str,
) -> None:
    run(**settings)

    requests = standin.task_requests
    assert {(r.method, r.path) for r in requests} == {("GET", "/api/tasks")}
    assert "".join(r.query["page"] for r in requests) == pages
    assert {
        json.loads(r.query["filters"]) == json.loads(filters) for r in requests
    } == {True}
    basic = "Basic " + base64.b64encode(f":{API_KEY}".encode()).decode()
    assert {r.headers["Authorization"] for r in requests} == {basic}
    assert not any(API_KEY in r.path or API_KEY in str(r.query) for r in requests)
    version = metadata.version("tap-lemlist-tasks")
    assert {r.headers["User-Agent"] for r in requests} == {
        f"tap-lemlist-tasks/{version}"
    }
