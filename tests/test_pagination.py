"""lemlist pages: one authenticated GET each, numbered from 0, no page size, the end
is the first empty page that echoes its number."""

from __future__ import annotations

import base64
import json
import typing as t
from importlib import metadata

import pytest
from conftest import API_KEY, assert_failed
from lemlist_sample import sample_tasks

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


PHONE_OR_EMAIL = [{"filterId": "type", "in": ["phone", "email"]}]


# Forward to the first empty page, then back from it: that page is asked twice.
@pytest.mark.parametrize(
    ("filters", "pages"), [([], "01233210"), (PHONE_OR_EMAIL, "0110")]
)
def test_each_page_is_an_authenticated_get_of_api_tasks_with_page_and_filters(
    standin: LemlistStandIn,
    run: Callable[..., TapRun],
    filters: list[dict[str, t.Any]],
    pages: str,
) -> None:
    run(filters=filters)

    requests = standin.task_requests
    assert {(r.method, r.path) for r in requests} == {("GET", "/api/tasks")}
    assert "".join(r.query["page"] for r in requests) == pages
    assert [json.loads(r.query["filters"]) for r in requests] == [filters] * len(pages)
    basic = "Basic " + base64.b64encode(f":{API_KEY}".encode()).decode()
    assert {r.headers["Authorization"] for r in requests} == {basic}
    assert not any(API_KEY in r.path or API_KEY in str(r.query) for r in requests)
    agent = f"tap-lemlist-tasks/{metadata.version('tap-lemlist-tasks')}"
    assert {r.headers["User-Agent"] for r in requests} == {agent}


def test_a_task_served_again_on_a_later_page_is_emitted_once(
    run: Callable[..., TapRun],
) -> None:
    tasks = sample_tasks(150)

    synced = run(tasks=[*tasks[:100], tasks[99], *tasks[100:]])  # moved one place

    assert synced.exit_code == 0, synced.stderr
    assert synced.ids == [task.id for task in tasks]


def test_lemlist_ignoring_the_page_parameter_stops_the_sync_retiring_nothing(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.ignore_page = True

    synced = run()

    assert_failed(synced, "ignores the page parameter")
    assert len(synced.ids) == len(set(synced.ids)) == 100
    assert len(standin.task_requests) == 3


def test_pages_past_the_end_that_repeat_the_list_stop_the_sync_retiring_nothing(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.wrap_pages = True  # page 3 is page 0 again, page 4 page 1, …

    synced = run()

    assert_failed(synced, "repeats the list past its end")
    assert len(synced.ids) == len(set(synced.ids)) == 250
    assert "".join(r.query["page"] for r in standin.task_requests) == "0123456"


def test_pages_that_wrap_while_tasks_are_created_stop_the_sync_too(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    # A task created at the top after every request: no page past the end repeats
    # only tasks already read, yet the read must end.
    standin.wrap_pages = True
    new = iter(sample_tasks(600)[250:])
    for request in range(2, 600):
        standin.after_request(request, lambda api: api.insert(0, [next(new)]))

    synced = run()

    assert_failed(synced, "repeats the list past its end")
    assert len(standin.task_requests) < 30


@pytest.mark.parametrize(
    ("page", "body", "proves_the_end"),
    [
        (1, '{"results": [], "page": "0"}', False),  # another page's number
        (1, '{"results": []}', False),
        (3, '{"results": [], "page": 3}', True),  # a number, not a string
    ],
)
def test_an_empty_page_is_the_end_only_if_it_echoes_its_number(
    run: Callable[..., TapRun], page: int, body: str, *, proves_the_end: bool
) -> None:
    synced = run(faults=[(page, "body", {"times": 2, "body": body})])

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250
    assert len(synced.of_type("ACTIVATE_VERSION")) == 1
    retried = f"Retrying page {page} in 0.5 s (attempt 1 of 8 failed: "
    assert (retried in synced.stderr) != proves_the_end
    assert (synced.sleeps == []) == proves_the_end


def test_an_empty_page_carrying_an_error_is_not_the_end(
    run: Callable[..., TapRun],
) -> None:
    body = '{"results": [], "error": "busy"}'

    synced = run(faults=[(2, "body", {"times": 9, "body": body})], retry_max_tries=3)

    assert_failed(synced, "kept failing on page 2 after 3 tries: page body carries")
    assert "an error: busy." in synced.errors[0]


def test_a_sync_says_where_it_is_when_each_read_starts_and_every_25_pages(
    standin: LemlistStandIn, run: Callable[..., TapRun]
) -> None:
    standin.page_size = 5

    synced = run(tasks=sample_tasks(130))

    progress = [line for line in synced.stderr.splitlines() if "so far" in line]
    assert [line for line in progress if line.startswith("tasks: ")] == [
        "tasks: read 1 (forward from page 0), page 0; 5 tasks so far",
        "tasks: read 1 (forward from page 0), page 24; 125 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 26; 130 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 2; 130 tasks so far",
    ]
