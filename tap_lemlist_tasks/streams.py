"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from singer_sdk import typing as th
from singer_sdk.exceptions import RetriableAPIError, SkippableAPIError
from typing_extensions import override

from tap_lemlist_tasks import filters as selecting
from tap_lemlist_tasks import records as shapes
from tap_lemlist_tasks.client import LemlistListStream, LemlistStream
from tap_lemlist_tasks.errors import LemlistError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_lemlist_tasks.paging import PageToken


class TeamsStream(LemlistStream[None]):
    """The API key's team (`GET /team?version=v2`): one row, the others' parent."""

    name = "teams"
    path = "/team"
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Team id, tea_…"),
        th.Property("name", th.StringType, description="The team's name in lemlist"),
        th.Property(
            "taskFilters",
            th.StringType,
            description="What this sync selected the tasks with, as canonical JSON: "
            "the `filters` setting, and a stream map's `__filter__` on tasks as "
            '{"filterId": "streamMap", …}. dbt tells a task that left them from a '
            "done one",
        ),
    ).to_dict()

    @override
    def get_new_paginator(self) -> None:
        return None  # one answer: the SDK's way to say it has no pages

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: None
    ) -> dict[str, t.Any]:
        return {"version": "v2"}  # v2 adds the team's users

    @override
    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        if (kind := response.headers.get("Content-Type", "")).startswith("text/html"):
            # The sync's first request: lemlist's web app answers any path that is
            # not its API with a page. Later in a sync, HTML is a glitch to retry.
            msg = (
                f"{self.url_base} answered with a web page ({kind}), not lemlist's "
                "API: check api_url (the default is https://api.lemlist.com/api)."
            )
            raise LemlistError(msg)
        self._team = shapes.decode(response, shapes.Team, self.name)  # retried if bad

    @override
    def parse_response(self, response: requests.Response) -> Iterable[Record]:
        scope = selecting.task_scope(self.config)
        team = {"_id": self._team.id, "name": self._team.name, "taskFilters": scope}
        return self.settled([team], None)

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"team_id": record["_id"], "team": self._team}


class TasksStream(LemlistListStream):
    """lemlist tasks that are not done yet (`GET /tasks`), read in full each sync."""

    name = "tasks"
    path = "/tasks"
    parent_stream_type = TeamsStream
    schema = shapes.schema_of(
        shapes.Task, teamId="The API key's lemlist team, tea_… (from GET /team)"
    )

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        self.scope = selecting.task_scope(self.config)
        if self.retires:  # what the retirement may include that is not done
            before = self.changed_scope(self.scope)
            for line in selecting.selection_warnings(self.config, before, self.scope):
                self.logger.warning("%s", line)
        yield from super().get_records(context)

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        filters = self.config.get("filters", [])  # lemlist's reference sends `[]`
        page = next_page_token.number if next_page_token else 0
        return {"page": page, "filters": selecting.encode_filters(filters)}

    @override
    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        number = self._paginator.current_value.number  # lemlist echoes "3" or 3
        page = shapes.decode(response, shapes.TasksPage, self.name)
        if page.error is not None:
            why = f"page body carries an error: {page.error!s:.200}"
        elif page.page is not None and f"{page.page}" != f"{number}":
            why = f"lemlist answered page {page.page!r:.20} to a request for {number}"
        elif not page.results and page.page is None:
            why = "an empty page that does not echo its number cannot prove the end"
        else:
            self._items = page.results
            return
        raise RetriableAPIError(why, response)


class UsersStream(LemlistStream[None]):
    """The team's users, from the team's answer: no request of their own."""

    name = "users"
    primary_keys = ("userId",)
    parent_stream_type = TeamsStream
    schema = shapes.schema_of(shapes.User, teamId="tea_…")

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        users = t.cast("shapes.Team", (context or {})["team"]).users
        if users is None:
            self.logger.warning(
                "users: lemlist's answer to GET /team?version=v2 lists no users; none "
                "loaded and none retired."
            )
            return
        by_id = {user["userId"]: dict(user) for user in users}
        yield from self.settled([*by_id.values()], context)


class CampaignsStream(LemlistListStream):
    """The team's campaigns (`GET /campaigns`), read in full and proven as tasks are."""

    name = "campaigns"
    path = "/campaigns"
    parent_stream_type = TeamsStream
    page_size = 100  # lemlist's most per page (`limit`)
    schema = shapes.schema_of(shapes.Campaign, teamId="tea_…")

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        offset = next_page_token.number * self.page_size if next_page_token else 0
        order = {"sortBy": "createdAt", "sortOrder": "asc"}  # a new one joins the end
        return {"version": "v2", "offset": offset, "limit": self.page_size, **order}

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.PAYMENT_REQUIRED:
            said = response.text.strip().strip('"')
            msg = (
                f"campaigns: lemlist's plan for this account does not include GET "
                f"/campaigns (HTTP 402: {said:.120}); no campaigns loaded and none "
                "retired, the other streams load as usual."
            )
            raise SkippableAPIError(msg)  # not retried; LemlistListStream warns
        super().validate_response(response)
        # lemlist's OpenAPI document shows a bare array; other clients read an object.
        shape: t.Any = list[shapes.Campaign] | shapes.CampaignsPage
        body = shapes.decode(response, shape, self.name)
        self._items = body.campaigns if isinstance(body, shapes.CampaignsPage) else body
