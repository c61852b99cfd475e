"""lemlist pages: one authenticated GET each, numbered from 0, no page size, the end
is the first empty page that echoes its number."""

from __future__ import annotations

import base64
import json
import typing as t
from importlib import metadata

import pytest
from conftest import API_KEY, Run, assert_failed
from lemlist_sample import sample_tasks

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from lemlist_standin import LemlistStandIn

PHONE_OR_EMAIL = [{"filterId": "type", "in": ["phone", "email"]}]


# Forward to the first empty page, then back from it: that page is asked twice.
@pytest.mark.parametrize(
    ("filters", "pages"), [([], "01233210"), (PHONE_OR_EMAIL, "0110")]
)
def test_each_page_is_an_authenticated_get_of_api_tasks_with_page_and_filters(
    run: Run, filters: list[dict[str, t.Any]], pages: str
) -> None:
    run(filters=filters)

    requests = run.standin.task_requests
    assert {(r.method, r.path) for r in requests} == {("GET", "/api/tasks")}
    assert "".join(r.query["page"] for r in requests) == pages
    assert [json.loads(r.query["filters"]) for r in requests] == [filters] * len(pages)
    basic = "Basic " + base64.b64encode(f":{API_KEY}".encode()).decode()
    assert {r.headers["Authorization"] for r in requests} == {basic}
    assert not any(API_KEY in r.path or API_KEY in str(r.query) for r in requests)
    agent = f"tap-lemlist-tasks/{metadata.version('tap-lemlist-tasks')}"
    assert {r.headers["User-Agent"] for r in requests} == {agent}


def wrap_while_tasks_are_created(standin: LemlistStandIn) -> None:
    # A task created at the top after every request: no page past the end repeats
    # only tasks already read, yet the read must end.
    standin.wrap_pages = True
    new = iter(sample_tasks(600)[250:])
    for request in range(2, 600):
        standin.after_request(request, lambda api: api.insert(0, [next(new)]))


# A list that does not page ends no read: each page's tasks once, then one line.
NOT_PAGED: dict[str, tuple[Callable[[LemlistStandIn], None], str, str, int]] = {
    "page ignored": (lambda s: setattr(s, "ignore_page", True),
                     "ignores the page parameter", "012", 100),
    "pages past the end repeat the list": (lambda s: setattr(s, "wrap_pages", True),
                                           "repeats the list past its end",
                                           "0123456", 250),
    "they repeat it while tasks are created": (
        wrap_while_tasks_are_created, "repeats the list past its end", "", 0),
}  # fmt: skip


@pytest.mark.parametrize(
    ("unpaged", "phrase", "pages", "emitted"), NOT_PAGED.values(), ids=NOT_PAGED
)
def test_a_list_that_does_not_page_stops_the_sync_retiring_nothing(
    run: Run,
    unpaged: Callable[[LemlistStandIn], None],
    phrase: str,
    pages: str,
    emitted: int,
) -> None:
    unpaged(run.standin)

    synced = run()

    assert_failed(synced, phrase)
    assert len(synced.ids) == len(set(synced.ids)) >= emitted
    asked = "".join(r.query["page"] for r in run.standin.task_requests)
    assert asked == pages if pages else len(asked) < 30


@pytest.mark.parametrize(
    ("page", "body", "proves_the_end"),
    [
        (1, '{"results": [], "page": "0"}', False),  # another page's number
        (1, '{"results": []}', False),
        (3, '{"results": [], "page": 3}', True),  # a number, not a string
    ],
)
def test_an_empty_page_is_the_end_only_if_it_echoes_its_number(
    run: Run, page: int, body: str, *, proves_the_end: bool
) -> None:
    synced = run(faults=[(page, "body", {"times": 2, "body": body})])

    assert synced.exit_code == 0, synced.stderr
    assert len(synced.ids) == 250
    assert len(synced.of_type("ACTIVATE_VERSION")) == 1
    retried = f"Retrying page {page} in 0.5 s (attempt 1 of 8 failed: "
    assert (retried in synced.stderr) != proves_the_end
    assert (synced.sleeps == []) == proves_the_end


def test_a_sync_says_where_it_is_when_each_read_starts_and_every_25_pages(
    run: Run,
) -> None:
    run.standin.page_size = 5

    synced = run(tasks=sample_tasks(130))

    progress = [line for line in synced.stderr.splitlines() if "so far" in line]
    assert [line for line in progress if line.startswith("tasks: ")] == [
        "tasks: read 1 (forward from page 0), page 0; 5 tasks so far",
        "tasks: read 1 (forward from page 0), page 24; 125 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 26; 130 tasks so far",
        "tasks: read 2 (back from the end to page 0), page 2; 130 tasks so far",
    ]
