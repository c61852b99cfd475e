"""The tap-lemlist-tasks tap: settings and streams."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import typing as t
from urllib.parse import urlparse

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.helpers.capabilities import PluginCapabilities

from tap_lemlist_tasks.filters import InvalidFilterError, validate_filters
from tap_lemlist_tasks.records import UnexpectedRecordError
from tap_lemlist_tasks.streams import TasksStream, TeamsStream
from tap_lemlist_tasks.team import TeamOfKey

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
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
            "tasks lemlist no longer returns (done) as deleted. Never sent by a "
            "sync that fails."
        ),
    ),
    th.Property(
        "rate_limit_requests",
        th.IntegerType,
        default=20,
        title="Rate limit: requests",
        description=(
            "Requests allowed per window (lemlist: 20 per 2 s per API key). "
            "Lower it when several jobs share one key."
        ),
        minimum=1,
    ),
    th.Property(
        "rate_limit_window_seconds",
        th.IntegerType,
        default=2,
        title="Rate limit: window (seconds)",
        description="The window the request budget applies to.",
        minimum=1,
    ),
    th.Property(
        "request_timeout_seconds",
        th.IntegerType,
        default=30,
        title="Request timeout (seconds)",
        description="How long to wait for lemlist to answer one request.",
        minimum=1,
    ),
    th.Property(
        "retry_max_tries",
        th.IntegerType,
        default=8,
        title="Tries per request",
        description=(
            "Attempts per page on transient failures (429, 5xx, timeouts, "
            "broken responses) before the sync fails."
        ),
        minimum=1,
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
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):
            self._check_settings_lemlist_would_refuse()

    def _check_settings_lemlist_would_refuse(self) -> None:
        # Checked before any request: the SDK's JSON schema check cannot say which
        # filter is wrong, nor see that a key would travel in clear text.
        try:
            check_no_nulls(self.config)
            validate_filters(self.config.get("filters", []))
            check_api_url(str(self.config.get("api_url", "")))
            check_no_batch_config(self.config)
        except (InvalidFilterError, UnsafeSettingError) as error:
            raise ConfigValidationError(str(error), errors=[str(error)]) from None

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
        # One read of GET /team per run, whichever stream syncs first.
        team = TeamOfKey()
        return [TasksStream(self, team), TeamsStream(self, team)]

    @override
    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        # A failure lemlist explains is one line, not a traceback.
        try:
            super().invoke(*args, **kwargs)
        except (FatalAPIError, UnexpectedRecordError) as error:
            cls.logger.error("%s", error)  # noqa: TRY400
            raise SystemExit(1) from None


class UnsafeSettingError(ValueError):
    """A setting that would leak the API key or retire tasks still open."""


def check_no_nulls(config: t.Mapping[str, t.Any]) -> None:
    """Refuse `null` for a setting with a default, rather than act on it.

    A null `emit_activate_version_messages` would silently stop retiring tasks, and
    a null `rate_limit_requests` would silently stop the throttle.

    Args:
        config: The tap's config.

    Raises:
        UnsafeSettingError: Naming the first null setting and its default.
    """
    for name, schema in SETTINGS.to_dict()["properties"].items():
        if name in config and config[name] is None and "default" in schema:
            msg = (
                f"Setting {name!r} is null: set a value, or remove it to use the "
                f"default ({json.dumps(schema['default'])})."
            )
            raise UnsafeSettingError(msg)


def check_no_batch_config(config: t.Mapping[str, t.Any]) -> None:
    """Refuse the SDK's `batch_config`.

    Args:
        config: The tap's config.

    Raises:
        UnsafeSettingError: If `batch_config` is set.
    """
    if config.get("batch_config") is not None:
        msg = (
            "Setting 'batch_config' is not supported: the SDK would announce BATCH "
            "files after ACTIVATE_VERSION, so the target could retire tasks before "
            "loading them. Remove batch_config; records are streamed."
        )
        raise UnsafeSettingError(msg)


def check_api_url(api_url: str) -> None:
    """Refuse an `api_url` that would send the API key in clear text.

    Args:
        api_url: The configured base URL.

    Raises:
        UnsafeSettingError: If the URL is not https:// and not on loopback.
    """
    url = urlparse(api_url)
    if url.scheme == "https" and url.hostname:
        return
    if url.scheme == "http" and _is_loopback(url.hostname or ""):
        return
    msg = (
        f"Setting 'api_url' {api_url!r} must start with https:// (plain http:// is "
        "only allowed on localhost), so the API key never travels in clear text."
    )
    raise UnsafeSettingError(msg)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    TapLemlistTasks.cli()
