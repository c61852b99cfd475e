"""The files the command line reads: `--config`, `--state` and `--catalog`.

The SDK parses them before any code of the tap's runs and trips on a missing file,
bad JSON or the wrong shape with a traceback. Each check here reads a file as the SDK
would and refuses what it would trip on in one line naming the file and the fix.
"""

from __future__ import annotations

import decimal
import json
import typing as t
from pathlib import Path

from singer_sdk.singerlib import Catalog

from tap_lemlist_tasks.checks import UnsafeSettingError

_FIX = {
    "--config": "pass a JSON object of settings (tap-lemlist-tasks --about lists "
    "them), or ENV to read TAP_LEMLIST_TASKS_* variables",
    "--state": "pass the state Meltano saved (meltano state get), or no --state "
    "for a first sync",
    "--catalog": "pass the catalog tap-lemlist-tasks --discover writes, with "
    "streams selected in its metadata",
}


def check_config_file(path: str) -> bool:
    """Refuse a `--config` file that is missing, unreadable, or not a JSON object.

    A pipe (`--config <(…)`, `/dev/stdin`) can be read only once, so it is left
    to the SDK.

    Args:
        path: The file, as given on the command line.

    Returns:
        True when checked; False for a pipe or a device, left to the SDK.

    Raises:
        UnsafeSettingError: Naming the file and what is wrong with it.
    """
    what = f"--config file {path!r}" if not path else f"--config file {path}"
    file = Path(path)
    if not path or not file.exists():
        _refuse(what, "does not exist")
    if file.is_dir():
        _refuse(what, "is a directory")
    if not file.is_file():
        return False
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _refuse(what, "is not UTF-8 text")
    except OSError as error:
        _refuse(what, f"cannot be read ({error.strerror})")
    _read_object(text, what)
    return True


def config_not_json(paths: list[str]) -> UnsafeSettingError:
    """The refusal of `--config` pipes the SDK could not read as JSON.

    Args:
        paths: The pipes and devices given as `--config` (read only by the SDK).

    Returns:
        The error to raise.
    """
    msg = f"The --config file {', '.join(paths)} is not JSON: {_FIX['--config']}."
    return UnsafeSettingError(msg)


def read_state(text: str) -> str:
    """Read a `--state` file, refusing a shape the SDK or the tap would trip on.

    `meltano state get` prints the state inside `{"singer_state": …}`; that is
    unwrapped, as Meltano does when it passes the state to the tap.

    Args:
        text: The file's text.

    Returns:
        The state's text, for the SDK to read.

    Raises:
        UnsafeSettingError: When it is not JSON, or a part of it is not of the
            type the SDK and the collapse guard read.
    """
    what = "--state file"
    state = _read_object(text, what)
    if "singer_state" in state and "bookmarks" not in state:
        state = state["singer_state"]
        _require(state, dict, what, "singer_state")
        text = json.dumps(state, default=float)
    bookmarks = state.get("bookmarks", {})
    _require(bookmarks, dict, what, "bookmarks")
    for stream, bookmark in bookmarks.items():
        where = f"bookmarks.{stream}"
        _require(bookmark, dict, what, where)
        for name, kind in _BOOKMARK_PARTS.items():
            if name in bookmark:
                _require(bookmark[name], kind, what, f"{where}.{name}")
        for partition in bookmark.get("partitions", []):
            _require(partition, dict, what, f"{where}.partitions[]")
            context = partition.get("context", "missing")
            if context is not None:  # the SDK reads null as no context
                _require(context, dict, what, f"{where}.partitions[].context")
        for name, kind in _RETIREMENT_PARTS.items():
            value = bookmark.get("retirement", {}).get(name)
            if value is not None:
                _require(value, kind, what, f"{where}.retirement.{name}")
    return text


def read_catalog(text: str) -> str:
    """Read a `--catalog` file, refusing what is not a Singer catalog.

    Args:
        text: The file's text.

    Returns:
        The catalog's text, for the SDK to read.

    Raises:
        UnsafeSettingError: When it is not JSON, or not shaped as a catalog.
    """
    catalog = _read_object(text, "--catalog file")
    try:
        Catalog.from_dict(t.cast("t.Any", catalog))
    except (AttributeError, KeyError, TypeError, ValueError):
        _refuse("--catalog file", "is not a Singer catalog")
    return text


# The parts of a stream's bookmark the SDK reads, and what the collapse guard keeps.
_BOOKMARK_PARTS: dict[str, type] = {
    "partitions": list,
    "progress_markers": dict,
    "retirement": dict,
}
_RETIREMENT_PARTS: dict[str, type] = {
    "last_retiring_sync_emitted": int,
    "collapse_withheld_emitted": int,
    "last_retiring_sync_scope": str,
}
_KINDS = {
    dict: "a JSON object",
    list: "a JSON array",
    int: "a whole number",
    str: "text",
}


def _read_object(text: str, what: str) -> dict[str, t.Any]:
    try:
        # As the SDK reads these files (simplejson): a BOM is fine, NaN is not.
        value = json.loads(
            text.removeprefix("\ufeff"),
            parse_float=decimal.Decimal,
            parse_constant=_no_constant,
        )
    except ValueError:
        _refuse(what, "is not JSON")
    _require(value, dict, what)
    return t.cast("dict[str, t.Any]", value)


def _no_constant(name: str) -> t.NoReturn:
    msg = f"{name} is not JSON"
    raise ValueError(msg)


def _require(value: object, kind: type, what: str, part: str | None = None) -> None:
    # A bool is an int to Python, not a count to the guard.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        _refuse(f"{what}'s {part}" if part else what, f"is not {_KINDS[kind]}")


def _refuse(what: str, problem: str) -> t.NoReturn:
    option = what.split(maxsplit=1)[0]
    msg = f"The {what} {problem}: {_FIX[option]}."
    raise UnsafeSettingError(msg)
