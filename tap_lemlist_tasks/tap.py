"""The tap-lemlist-tasks tap: settings and streams."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import signal
import sys
import typing as t

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import (
    ConfigValidationError,
    FatalAPIError,
    MapExpressionError,
    StreamMapConfigError,
)
from singer_sdk.helpers.capabilities import PluginCapabilities

from tap_lemlist_tasks.checks import (
    UnsafeSettingError,
    check_api_key,
    check_api_url,
    check_no_batch_config,
    check_no_nulls,
    environment_problem,
    hide_in_logs,
    redact,
    schema_error_line,
    stream_map_failure,
)
from tap_lemlist_tasks.filters import InvalidFilterError, validate_filters
from tap_lemlist_tasks.inputs import (
    check_config_file,
    config_not_json,
    read_catalog,
    read_state,
)
from tap_lemlist_tasks.paging import MAX_READS
from tap_lemlist_tasks.records import UnexpectedRecordError
from tap_lemlist_tasks.streams import (
    CampaignsStream,
    TasksStream,
    TeamsStream,
    UsersStream,
)

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterator
    from types import FrameType

    from singer_sdk.streams import Stream

FILTERS_EXAMPLE = [
    {"filterId": "type", "in": ["phone", "email"]},
    {"filterId": "dueDate", "from": "2025-01-01"},
]


# The tap's own settings; the SDK appends its built-in ones to config_jsonschema.
SETTINGS = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        title="API key",
        description="lemlist API key (lemlist: Settings > Integrations > API).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default="https://api.lemlist.com/api",
        title="API URL",
        description=(
            "Base URL of lemlist's API. Must be https:// unless the host is "
            "loopback (a local stand-in for tests)."
        ),
    ),
    th.Property(
        "filters",
        th.ArrayType(th.ObjectType(additional_properties=True)),
        default=[],
        title="Filters",
        description=(
            "lemlist filter objects, sent as the `filters` query parameter, e.g. "
            '[{"filterId": "type", "in": ["phone"]}]. filterIds: fullName, email, '
            "phone, linkedin (value or regex), campaignId, campaignState, type, "
            "assignedTo (in and/or out), dueDate (from and/or to, YYYY-MM-DD)."
        ),
        examples=[FILTERS_EXAMPLE],
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=True,
        title="Retire done tasks",
        description=(
            "Send ACTIVATE_VERSION after a complete sync, so the target marks "
            "tasks lemlist no longer returns (done) as deleted. Never sent for a "
            "stream whose sync did not finish."
        ),
    ),
    th.Property(
        "max_reads_per_sync",
        th.IntegerType,
        default=4,
        title="Reads of the list per sync, at most",
        description=(
            "A sync that retires reads the task list forward, then backward, until "
            "one read is proven to hold every task that stayed open (two reads when "
            "nobody works meanwhile). This bounds the reads; a sync with no proven "
            f"read retires nothing. 2 to {MAX_READS}."
        ),
        minimum=2,
        maximum=MAX_READS,
    ),
    th.Property(
        "max_retired_percent",
        th.IntegerType,
        default=50,
        title="Collapse guard (percent)",
        description=(
            "A sync that would retire more than this percentage of the tasks the "
            "last retiring sync emitted retires nothing, once, with a warning; the "
            "next sync that sees the same drop retires. 0 to 100; 100 turns the "
            "guard off."
        ),
        minimum=0,
        maximum=100,
    ),
    th.Property(
        "rate_limit_requests",
        th.IntegerType,
        default=20,
        title="Rate limit: requests",
        description=(
            "Requests allowed per window (lemlist: 20 per 2 s per API key). "
            "Lower it when several jobs share one key. 1 to 10000."
        ),
        minimum=1,
        maximum=10_000,
    ),
    th.Property(
        "rate_limit_window_seconds",
        th.IntegerType,
        default=2,
        title="Rate limit: window (seconds)",
        description="The window the request budget applies to. 1 to 3600.",
        minimum=1,
        maximum=3600,
    ),
    th.Property(
        "request_timeout_seconds",
        th.IntegerType,
        default=30,
        title="Request timeout (seconds)",
        description=(
            "Deadline for one request: connecting, the headers and the whole "
            "body (not the host name lookup). A request over it is retried like a "
            "timeout. 1 to 3600."
        ),
        minimum=1,
        maximum=3600,
    ),
    th.Property(
        "max_retry_wait_seconds",
        th.IntegerType,
        default=120,
        title="Longest retry wait (seconds)",
        description=(
            "The longest wait the tap accepts before a retry. When lemlist's "
            "Retry-After asks for more, the sync fails at once, so a scheduled run "
            "never sleeps into the next one. 1 to 3600."
        ),
        minimum=1,
        maximum=3600,
    ),
    th.Property(
        "retry_max_tries",
        th.IntegerType,
        default=8,
        title="Tries per request",
        description=(
            "Attempts per page on transient failures (429, 5xx, timeouts, "
            "broken responses) before the sync fails. 1 to 100."
        ),
        minimum=1,
        maximum=100,
    ),
)


class TapLemlistTasks(Tap):
    """Singer tap for lemlist tasks."""

    name = "tap-lemlist-tasks"
    # msgspec serialises records several times faster than the default writer.
    message_writer_class = MsgSpecWriter
    # BATCH would write files from get_records and announce them after it returns,
    # i.e. after ACTIVATE_VERSION: the target would retire rows still in flight.
    capabilities: t.ClassVar = [
        c for c in Tap.capabilities if c != PluginCapabilities.BATCH
    ]

    config_jsonschema = SETTINGS.to_dict()

    @override
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        from_environment = bool(kwargs.get("parse_env_config"))
        try:
            super().__init__(*args, **kwargs)
        except ConfigValidationError as error:
            line = schema_error_line(error.errors)
            if from_environment:
                line = self._environment_problem() or line
            # The SDK's schema errors quote the values they refuse, the key too.
            raise _refusal(redact(line, self._secret_values())) from None
        except ValueError:
            # The SDK reads TAP_LEMLIST_TASKS_* variables with int() and JSON
            # parsers of its own, before any code of the tap's runs.
            problem = self._environment_problem() if from_environment else None
            if problem is None:
                raise
            raise _refusal(problem) from None
        except StreamMapConfigError as error:
            line = f"Setting 'stream_maps': {error}"
            raise _refusal(line) from None
        if from_environment and (problem := self._environment_problem()):
            raise _refusal(problem)  # e.g. `ture`, which the SDK reads as false
        hide_in_logs(self._secret_values())
        if kwargs.get("validate_config", True):
            self._check_settings_lemlist_would_refuse()

    def _secret_values(self) -> list[object]:
        properties = self.config_jsonschema["properties"]
        return [
            self.config[name]
            for name, schema in properties.items()
            if schema.get("writeOnly") and name in self.config
        ]

    def _environment_problem(self) -> str | None:
        schema = copy.deepcopy(self.config_jsonschema)
        self.append_builtin_config(schema)
        return environment_problem(schema, self._env_var_prefix, os.environ)

    def _check_settings_lemlist_would_refuse(self) -> None:
        # Checked before any request: the SDK's JSON schema check cannot say which
        # filter is wrong, nor see that a key would travel in clear text.
        try:
            check_no_nulls(self.config, SETTINGS.to_dict())
            check_api_key(self.config.get("api_key"))
            validate_filters(self.config.get("filters", []))
            check_api_url(str(self.config.get("api_url", "")))
            check_no_batch_config(self.config)
        except (InvalidFilterError, UnsafeSettingError) as error:
            raise _refusal(redact(str(error), self._secret_values())) from None

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The SDK flushes state, then exits 0: Meltano would take a sync stopped half
        # way for a finished one. Exit as a process killed by that signal would.
        try:
            super()._handle_termination(signum, frame)
        except SystemExit:
            # A signal is no bug: one line, no traceback.
            self.logger.error(  # noqa: TRY400
                "Sync stopped by %s before it finished.", signal.Signals(signum).name
            )
            raise SystemExit(128 + signum) from None

    @override
    def discover_streams(self) -> list[Stream]:
        # The SDK syncs the others as children of the team, read once per sync.
        return [
            TeamsStream(self),
            TasksStream(self),
            UsersStream(self),
            CampaignsStream(self),
        ]

    @override
    @classmethod
    def cb_config(cls, ctx: t.Any, param: t.Any, value: tuple[str, ...]) -> t.Any:
        # The SDK reads the --config files here, before invoke, with a traceback
        # for a missing file or bad JSON.
        with _told_in_one_line(cls.logger):
            unchecked = [path for path in value if path != "ENV"]
            unchecked = [path for path in unchecked if not check_config_file(path)]
            try:
                return super().cb_config(ctx, param, value)
            except ValueError:  # a pipe or a device, such as /dev/null
                raise config_not_json(unchecked) from None

    @override
    @classmethod
    def cb_test(cls, ctx: t.Any, param: t.Any, value: str) -> None:
        # --test runs here, outside invoke.
        with _told_in_one_line(cls.logger):
            super().cb_test(ctx, param, value)

    @override
    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        with _told_in_one_line(cls.logger):
            for option, read in (("state", read_state), ("catalog", read_catalog)):
                if (given := kwargs.get(option)) is not None:
                    kwargs[option] = io.StringIO(read(given.read()))
            super().invoke(*args, **kwargs)


@contextlib.contextmanager
def _told_in_one_line(logger: logging.Logger) -> Iterator[None]:
    """Whatever stops the tap is told in one line and exit code 1, not a traceback."""
    try:
        yield
    except (
        ConfigValidationError,
        FatalAPIError,
        MapExpressionError,
        UnexpectedRecordError,
        UnsafeSettingError,
    ) as error:
        logger.error("%s", error)  # noqa: TRY400
        raise SystemExit(1) from None
    except Exception as error:
        if (line := stream_map_failure(error)) is None:
            raise
        logger.error("%s", line)  # noqa: TRY400
        raise SystemExit(1) from None


def _refusal(line: str) -> ConfigValidationError:
    """A refused setting, as the SDK's command line reports it: one line."""
    return ConfigValidationError(line, errors=[line])


if __name__ == "__main__":
    TapLemlistTasks.cli()
