"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

import sys
import time
import typing as t

from singer_sdk import typing as th

from tap_lemlist_tasks.client import LemlistStream
from tap_lemlist_tasks.team import TeamOfKey

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


class _KnowsTheKeysTeam(LemlistStream):
    """A stream that needs the API key's team, read once per run for all streams."""

    def __init__(self, tap: Tap, team: TeamOfKey | None = None) -> None:
        """Build the stream.

        Args:
            tap: The tap.
            team: The key's team, shared by the tap's streams so a run reads it once.
        """
        super().__init__(tap)
        self._team_of_key = team or TeamOfKey()


class TasksStream(_KnowsTheKeysTeam):
    """lemlist tasks that are not done yet (`GET /tasks`), read in full each sync."""

    name = "tasks"
    path = "/tasks"
    primary_keys = ("_id",)
    replication_key = None
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

    _team_id = ""

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # Before the first page: an agency's warehouse unites many teams' tasks.
        self._team_id = self._team_of_key.get(self).id
        yield from super().get_records(context)

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any]:
        row["teamId"] = self._team_id
        return row


class TeamsStream(_KnowsTheKeysTeam):
    """The API key's team (`GET /team`): one row, its `_id` and `name` only."""

    name = "teams"
    path = "/team"
    primary_keys = ("_id",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Team id, tea_…"),
        th.Property("name", th.StringType, description="The team's name in lemlist"),
    ).to_dict()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # One request, not a paged list: none of the tasks machinery applies.
        version = time.time_ns() // 1_000
        self._stream_version = version
        yield self._team_of_key.get(self).as_record()
        if self._retires_unseen_tasks:
            # After the row, as for tasks: a failed read retires nothing.
            self._write_activate_version_message(version)
