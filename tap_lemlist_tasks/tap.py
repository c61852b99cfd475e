"""The tap-lemlist-tasks tap: its streams, its command line, and the key out of logs."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import typing as t

import click
from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, MappingError
from singer_sdk.plugin_base import SingerCommand
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_lemlist_tasks import streams
from tap_lemlist_tasks.errors import RefusedError
from tap_lemlist_tasks.inputs import SETTINGS, STATE_VALIDATOR, check_settings

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import Message
    from singer_sdk.streams import Stream

#: A value shorter is no real key, and hiding it would blot out words instead.
_SHORTEST_KEY = 8
_hidden: list[str] = []  # every form of the API key, longest first


class _BufferedWriter(MsgSpecWriter):
    # msgspec's writer, several times faster than the SDK's; a record flushes with the
    # next message, which cannot overtake it (a flush each cost a sixth of the time).

    @override
    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()


class TapLemlistTasks(Tap):
    """Singer tap for lemlist tasks."""

    name = "tap-lemlist-tasks"
    message_writer_class = _BufferedWriter
    # BATCH would write files from get_records and announce them after it returns,
    # i.e. after ACTIVATE_VERSION: the target would retire rows still in flight.
    capabilities: t.ClassVar = [c for c in Tap.capabilities if c.value != "batch"]

    config_jsonschema = SETTINGS

    @override
    def __init__(self, **kwargs: t.Any) -> None:
        try:
            super().__init__(**kwargs)
        except ConfigValidationError as error:
            # The SDK's command line would log each on a line of its own.
            errors = "; ".join(error.errors)
            msg = f"Settings: {errors}: tap-lemlist-tasks --about lists every setting."
            raise RefusedError(msg) from None
        finally:
            # From a file or TAP_LEMLIST_TASKS_API_KEY; a schema error quotes it too.
            hide_in_logs(getattr(self, "config", {}).get("api_key"))
        if kwargs.get("validate_config", True):
            check_settings(self.config)
        if threading.current_thread() is threading.main_thread():
            # The SDK's handlers flush the state, then exit 0: Meltano would take a
            # sync stopped half way for a finished one.
            signal.signal(signal.SIGINT, self._stopped_by)
            signal.signal(signal.SIGTERM, self._stopped_by)

    def _stopped_by(self, signum: int, _frame: object) -> None:
        self.state_writer.write_state(self.state)
        # A signal is no bug: one line, no traceback; exit as one killed by it would.
        stop = signal.Signals(signum).name
        self.logger.error("Sync stopped by %s before it finished.", stop)
        raise SystemExit(128 + signum)

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        # `meltano state get` prints the state inside `{"singer_state": …}`; Meltano
        # unwraps it when it runs the tap, a user passing it to --state may not.
        if "singer_state" in state and "bookmarks" not in state:
            state = state["singer_state"]
        if error := next(STATE_VALIDATOR.iter_errors(state), None):
            where = f"The --state has {error.json_path}: {error.message}"
            msg = f"{where}: pass the state Meltano saved, or none at first."
            raise RefusedError(msg)
        super().load_state(state)

    @override
    def discover_streams(self) -> list[Stream]:
        # The SDK syncs the others as children of the team, read once per sync.
        return [
            streams.TeamsStream(self),
            streams.TasksStream(self),
            streams.UsersStream(self),
            streams.CampaignsStream(self),
        ]

    @override
    @classmethod
    def get_singer_command(cls) -> click.Command:
        sdk = super().get_singer_command()
        kept = ("name", "callback", "params", "help", "context_settings")
        return OneLineCommand(**{a: getattr(sdk, a) for a in kept}, logger=cls.logger)


class OneLineCommand(SingerCommand):
    """The SDK's command line: whatever stops the tap, one line (cause, fix), exit 1."""

    @override
    def main(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        # Not standalone: click raises its usage errors here, not print them its way.
        try:
            sys.exit(super().main(*args, **kwargs | {"standalone_mode": False}))
        except click.Abort:  # ^C before the tap set its handlers: as click says it
            sys.exit("Aborted!")
        except Exception as error:
            self.logger.debug("The tap stopped on:", exc_info=True)
            if isinstance(error, click.ClickException):
                line = error.format_message()
            elif isinstance(error, MappingError):
                line = f"Setting 'stream_maps': {error}"
            elif isinstance(error, (FatalAPIError, RefusedError)):  # the tap's own
                line = str(error)
            else:  # e.g. a TAP_LEMLIST_TASKS_* variable not of its setting's type
                line = (
                    f"{type(error).__name__}: {error}. Check the --config, --state and "
                    "--catalog files, the TAP_LEMLIST_TASKS_* variables and "
                    "stream_maps; TAP_LEMLIST_TASKS_LOGLEVEL=DEBUG logs the traceback."
                )
            self.logger.error("%s", line)  # noqa: TRY400
            sys.exit(1)


def hide_in_logs(key: object) -> None:
    """Keep the API key (text or not) out of log lines: servers and errors quote it."""
    real = len(str(key)) >= _SHORTEST_KEY
    forms = {f(key) for f in (str, repr, json.dumps)} if real else set()
    _hidden[:] = sorted(forms, key=len, reverse=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_hide)  # once: a handler adds no filter twice


def _hide(record: logging.LogRecord) -> bool:
    if record.name.startswith("urllib3"):
        # urllib3 warns with a traceback when a deadline cuts an answer's headers;
        # the retry line says what happened, so its warning stays one line.
        record.exc_info, record.exc_text = None, None
    elif record.exc_info:  # a traceback (DEBUG) quotes what its errors quote
        traceback = logging.Formatter().formatException(record.exc_info)
        record.exc_text = _hidden_in(traceback)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: logging's handler reports it
        return True
    if message.startswith("An unhandled error occurred while syncing"):
        # The boundary tells what stopped the sync in one line; the SDK's own note
        # would add an error line for every stream the failure ends.
        return False
    if (hidden := _hidden_in(message)) != message:  # else args stay: metrics read them
        record.msg, record.args = hidden, ()
    return True


def _hidden_in(text: str) -> str:
    for form in _hidden:
        text = text.replace(form, "***")
    return text


if __name__ == "__main__":  # python -m tap_lemlist_tasks.tap, as before 0.4
    TapLemlistTasks.cli()
