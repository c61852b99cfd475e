"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

import hashlib
import sys
import typing as t
from dataclasses import dataclass
from http import HTTPStatus

from singer_sdk import typing as th
from singer_sdk.pagination import SinglePagePaginator

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.bodies import Team, decode_campaigns, decode_page, decode_team
from tap_lemlist_tasks.client import LemlistListStream, LemlistStream
from tap_lemlist_tasks.filters import canonical_filters, drifting, encode_filters

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

    from tap_lemlist_tasks.reads import PageToken


@dataclass(frozen=True)
class TeamMembers:
    """The team's users, carried from the team's answer to the users stream.

    The SDK prints a stream's context in its logs and metrics; this prints as a
    count, so no name or email reaches a log line.
    """

    #: The `users` lemlist listed; None when its answer had none.
    users: tuple[t.Any, ...] | None

    def __str__(self) -> str:
        """E.g. `4 users`."""
        return "no users listed" if self.users is None else f"{len(self.users)} users"

    __repr__ = __str__


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
                "The `filters` setting this sync read the tasks with, as canonical "
                "JSON: dbt tells a task that left the filters from a done one"
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
        super().validate_response(response)
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html"):
            # The sync's first request: lemlist's web app answers any path that is
            # not its API with a page. Later in a sync, HTML is a glitch to retry.
            raise errors.LemlistError(errors.not_the_api(self.url_base, content_type))
        # Decoded here, inside the retried request: a body that does not decode is
        # retried like a broken page.
        self._team = decode_team(response)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        return errors.team_status(
            response.status_code, response.reason, f"{self.path} at {self.url_base}"
        )

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        normalise = self.new_normaliser()
        record = normalise(self._team.as_record())
        normalise.report()
        record["taskFilters"] = canonical_filters(self.config.get("filters", []))
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
        canonical = canonical_filters(self.config.get("filters", []))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        moving = drifting(self.config.get("filters", []))
        if moving and self.retires:
            self.logger.warning(errors.drifting_filters(moving))
        yield from super().get_records(context)

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
        return decode_page(response, number).results


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
            self.logger.warning(errors.no_users_listed())
            return
        normalise = self.new_normaliser()
        by_id = {normalise.key_of(user): user for user in members.users}
        yield from self.whole(normalise(user) for user in by_id.values())
        normalise.report()


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
    noun = "campaigns"
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
        return decode_campaigns(response)

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.PAYMENT_REQUIRED:
            raise errors.PlanGatedError(errors.plan_gated(self.name, response.text))
        super().validate_response(response)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        try:
            yield from super().get_records(context)
        except errors.PlanGatedError as gated:
            self.logger.warning("%s", gated)
