"""Stream definitions for tap-lemlist-tasks."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_lemlist_tasks.client import LemlistStream


class TasksStream(LemlistStream):
    """lemlist tasks that are not done yet (`GET /tasks`), read in full each sync."""

    name = "tasks"
    path = "/tasks"
    primary_keys = ("_id",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("_id", th.StringType, required=True, description="Task id, opp_…"),
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
