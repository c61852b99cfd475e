"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk import typing as th
from singer_sdk.pagination import SinglePagePaginator

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.bodies import Team, decode_page, decode_team
from tap_lemlist_tasks.client import LemlistListStream, LemlistStream
from tap_lemlist_tasks.filters import encode_filters

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

    from tap_lemlist_tasks.reads import PageToken


class TeamsStream(LemlistStream[None]):
    """The API key's team (`GET /team`): one row, its `_id` and `name` only.

    Its body also holds the API key itself, webhook URLs and invited users' emails;
    `Team` decodes the two fields and nothing else. The other streams take the team
    from this one, read once per sync.
    """

    name = "teams"
    path = "/team"
    primary_keys = ("_id",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Team id, tea_…"),
        th.Property("name", th.StringType, description="The team's name in lemlist"),
    ).to_dict()

    _team: Team

    @override
    def get_new_paginator(self) -> SinglePagePaginator:
        return SinglePagePaginator()

    @override
    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
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
        return [self._team.as_record()]

    @override
    def get_child_context(
        self, record: dict[str, t.Any], context: Context | None
    ) -> dict[str, t.Any]:
        return {"team_id": record["_id"]}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        retiring = self.retires
        if retiring:
            self.start_version()
        yield from super().get_records(context)
        if retiring:  # after the row, as for tasks: a failed read retires nothing
            self.activate_version()


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

    @property
    def filters(self) -> str:
        """The `filters` parameter; lemlist's reference always sends it (`[]`)."""
        return encode_filters(self.config.get("filters", []))

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

    @override
    def response_error_message(self, response: requests.Response) -> str:
        return errors.status_message(
            response.status_code,
            response.reason,
            response.text,
            where=f"{self.path} at {self.url_base}",
            filters=self.filters,
        )

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any]:
        # An agency's warehouse unites many teams' tasks.
        row["teamId"] = (context or {})["team_id"]
        return row
