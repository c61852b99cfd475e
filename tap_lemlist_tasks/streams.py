"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

import sys
import typing as t
from dataclasses import dataclass
from http import HTTPStatus

from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import SinglePagePaginator

from tap_lemlist_tasks.client import LemlistListStream, LemlistStream, map_filters
from tap_lemlist_tasks.errors import LemlistError
from tap_lemlist_tasks.filters import canonical_filters, drifting, encode_filters
from tap_lemlist_tasks.records import (
    Campaign,
    CampaignsPage,
    TasksPage,
    Team,
    User,
    decode,
)
from tap_lemlist_tasks.retirement import changed_scope

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import requests
    from singer_sdk.helpers.types import Context

    from tap_lemlist_tasks.paging import PageToken


class PlanGatedError(FatalAPIError):
    """lemlist's plan for this account does not include a route (HTTP 402)."""


#: The `filterId` a stream map's `__filter__` on tasks has in `taskFilters`.
STREAM_MAP = "streamMap"


def task_selection(config: Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """What selects the tasks a sync sends: the `filters`, and stream maps' filters.

    A `__filter__` drops tasks after they are read: a task that leaves it is retired
    like one that leaves a lemlist filter.
    """
    return [
        *config.get("filters", []),
        *(
            {"filterId": STREAM_MAP, "stream": alias, "expression": expression}
            for alias, expression in map_filters(config, "tasks").items()
        ),
    ]


@dataclass(frozen=True)
class TeamMembers:
    """The team's users (None: none listed), for the users stream's context.

    The SDK prints a context in its logs: this prints as a count, no name or email.
    """

    users: tuple[User, ...] | None

    def __repr__(self) -> str:
        """E.g. `4 users`."""
        return "no users listed" if self.users is None else f"{len(self.users)} users"

    __str__ = __repr__


class TeamsStream(LemlistStream[None]):
    """The API key's team (`GET /team?version=v2`): one row, `_id` and `name`.

    Its body also holds the API key itself, webhook URLs and invited users' emails;
    `Team` decodes `_id`, `name` and `users` and nothing else. The other streams are
    its children: they take the team, read once per sync, from their context.
    """

    name = "teams"
    path = "/team"
    primary_keys = ("_id",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Team id, tea_…"),
        th.Property("name", th.StringType, description="The team's name in lemlist"),
        th.Property(
            "taskFilters",
            th.StringType,
            description=(
                "What this sync selected the tasks with, as canonical JSON: the "
                "`filters` setting, and a stream map's `__filter__` on tasks as "
                '{"filterId": "streamMap", …}. dbt tells a task that left them from '
                "a done one"
            ),
        ),
    ).to_dict()

    _team: Team

    @override
    def get_new_paginator(self) -> SinglePagePaginator:
        return SinglePagePaginator()

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: None
    ) -> dict[str, t.Any]:
        return {"version": "v2"}  # v2 adds the team's users

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.BAD_REQUEST:
            msg = (
                "lemlist refused to name the API key's team (HTTP 400, 'Bad team' or "
                "no key): check the api_key setting."
            )
            raise FatalAPIError(msg)
        super().validate_response(response)
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html"):
            # The sync's first request: lemlist's web app answers any path that is
            # not its API with a page. Later in a sync, HTML is a glitch to retry.
            msg = (
                f"{self.url_base} answered with a web page ({content_type}), not "
                "lemlist's API: check api_url (the default is "
                "https://api.lemlist.com/api)."
            )
            raise LemlistError(msg)
        # Decoded here, inside the retried request: a body that does not decode is
        # retried like a broken page.
        self._team = decode(response, Team, self.name, "team")

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        team = {"_id": self._team.id, "name": self._team.name}
        (record,) = self.settled([team], "_id")
        record["taskFilters"] = canonical_filters(task_selection(self.config))
        return [record]

    @override
    def get_child_context(
        self, record: dict[str, t.Any], context: Context | None
    ) -> dict[str, t.Any]:
        users = self._team.users
        members = TeamMembers(None if users is None else tuple(users))
        return {"team_id": record["_id"], "members": members}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        yield from self.whole(super().get_records(context))


class TasksStream(LemlistListStream):
    """lemlist tasks that are not done yet (`GET /tasks`), read in full each sync."""

    name = "tasks"
    path = "/tasks"
    primary_keys = ("_id",)
    replication_key = None
    parent_stream_type = TeamsStream
    #: One state entry for the stream, not one per team: a key has one team.
    state_partitioning_keys: t.ClassVar[list[str]] = []
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Task id, opp_…"),
        th.Property(
            "teamId",
            th.StringType,
            required=True,
            description="The API key's lemlist team, tea_… (from GET /team)",
        ),
        th.Property("type", th.StringType, description="manual, phone, email, …"),
        th.Property("title", th.StringType),
        th.Property("priority", th.IntegerType, description="0 to 2; null if unset"),
        th.Property("leadId", th.StringType, description="Lead id, lea_…"),
        th.Property("campaignId", th.StringType, description="Campaign id, cam_…"),
        th.Property("contactId", th.StringType, description="Contact id, ctc_…"),
        th.Property("dueDate", th.DateTimeType),
        th.Property("userId", th.StringType, description="Assignee, usr_…"),
        th.Property("content", th.StringType),
        th.Property("status", th.StringType, description="pending, completed, …"),
        th.Property("createdAt", th.DateTimeType),
        th.Property("completedAt", th.DateTimeType),
    ).to_dict()

    @override
    @property
    def filters(self) -> str:
        """The `filters` parameter; lemlist's reference always sends it (`[]`)."""
        return encode_filters(self.config.get("filters", []))

    @override
    @property
    def scope(self) -> str:
        return canonical_filters(task_selection(self.config))

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if self.retires:
            self._warn_of_what_retirement_may_include()
        yield from super().get_records(context)

    def _warn_of_what_retirement_may_include(self) -> None:
        if moving := drifting(self.config.get("filters", [])):
            self.logger.warning(
                "tasks: the filters on %s select on what changes while a task stays "
                "open (a reassignment, a reschedule, a paused campaign, an edited "
                "lead): a task that leaves them is retired as if done. For exact "
                "completions, filter only on type or campaignId, or give each filter "
                "set an extractor and a schema of its own.",
                ", ".join(moving),
            )
        for rule in [r for r in task_selection(self.config) if "expression" in r]:
            self.logger.warning(
                "tasks: the stream map %r filters tasks with %r: a task it drops is "
                "retired as if done, and dbt counts it as having left the filters.",
                rule["stream"],
                rule["expression"],
            )
        if (before := changed_scope(self.stream_state, self.scope)) is not None:
            self.logger.warning(
                "tasks: the filters changed since the last complete sync, from %s "
                "to %s: this sync retires every task outside the new filters, done "
                "or not.",
                before,
                self.scope,
            )

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        return {
            "page": next_page_token.number if next_page_token else 0,
            "filters": self.filters,
        }

    @override
    def decode_items(self, response: requests.Response, number: int) -> list[t.Any]:
        page = decode(response, TasksPage, self.name)
        echoed = page.page
        if isinstance(echoed, str) and echoed.isascii() and echoed.isdigit():
            echoed = int(echoed)
        if page.error is not None:
            problem = f"page body carries an error: {page.error!s:.200}"
        elif echoed is not None and echoed != number:
            problem = (
                f"lemlist answered page {page.page!r:.20} to a request for {number}"
            )
        elif not page.results and not isinstance(echoed, int):
            problem = "an empty page that does not echo its number cannot prove the end"
        else:
            return page.results
        raise RetriableAPIError(problem, response)


class UsersStream(LemlistStream[None]):
    """The team's users (`users` of `GET /team?version=v2`), one row each.

    They come with the team's answer: this stream makes no request of its own.
    """

    name = "users"
    path = "/team"
    primary_keys = ("userId",)
    replication_key = None
    parent_stream_type = TeamsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    schema = th.PropertiesList(
        th.Property("userId", th.StringType, required=True, description="usr_…"),
        th.Property("teamId", th.StringType, required=True, description="tea_…"),
        th.Property("name", th.StringType, description="The user's name in lemlist"),
        th.Property("email", th.StringType),
        th.Property("role", th.StringType, description="The user's role in the team"),
    ).to_dict()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        members = t.cast("TeamMembers", (context or {})["members"])
        if members.users is None:
            self.logger.warning(
                "users: lemlist's answer to GET /team?version=v2 lists no users; none "
                "loaded and none retired."
            )
            return
        by_id = {user["userId"]: dict(user) for user in members.users}
        yield from self.whole(self.settled(list(by_id.values()), "userId"))


class CampaignsStream(LemlistListStream):
    """The team's campaigns (`GET /campaigns`), oldest first, read in full each sync.

    Asked oldest first, so that a campaign created during a sync joins the end of the
    list; whether the list is read whole is proven as for tasks. On a plan that
    does not include the route (HTTP 402), the stream loads and retires nothing.
    """

    name = "campaigns"
    path = "/campaigns"
    primary_keys = ("_id",)
    replication_key = None
    parent_stream_type = TeamsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    #: lemlist's most campaigns per page (`limit`).
    page_size = 100
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="cam_…"),
        th.Property("teamId", th.StringType, required=True, description="tea_…"),
        th.Property("name", th.StringType),
        th.Property(
            "status",
            th.StringType,
            description="draft, running, ended, paused, errors, archived",
        ),
        th.Property("createdAt", th.DateTimeType),
        th.Property("createdBy", th.StringType, description="usr_…"),
        th.Property("labels", th.ArrayType(th.StringType)),
        th.Property("hasError", th.BooleanType),
        th.Property("errors", th.ArrayType(th.AnyType())),
        th.Property("emoji", th.StringType),
    ).to_dict()

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        number = next_page_token.number if next_page_token else 0
        return {
            "version": "v2",
            "offset": number * self.page_size,
            "limit": self.page_size,
            "sortBy": "createdAt",
            "sortOrder": "asc",
        }

    @override
    def ends_list(self, items: int) -> bool:
        return items < self.page_size

    @override
    def decode_items(self, response: requests.Response, number: int) -> list[t.Any]:
        # lemlist's OpenAPI document shows a bare array; other clients read an object.
        shape = t.cast(
            "type[list[Campaign] | CampaignsPage]", list[Campaign] | CampaignsPage
        )
        body = decode(response, shape, self.name)
        return body.campaigns if isinstance(body, CampaignsPage) else body

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.PAYMENT_REQUIRED:
            said = response.text.strip().strip('"')
            msg = (
                f"campaigns: lemlist's plan for this account does not include GET "
                f"/campaigns (HTTP 402: {said:.120}); no campaigns loaded and none "
                "retired, the other streams load as usual."
            )
            raise PlanGatedError(msg)
        super().validate_response(response)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        try:
            yield from super().get_records(context)
        except PlanGatedError as gated:
            self.logger.warning("%s", gated)
