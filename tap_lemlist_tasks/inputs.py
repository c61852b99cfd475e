"""The files the command line reads: `--config`, `--state` and `--catalog`.

The SDK parses them before any code of the tap's runs and trips on a missing file,
bad JSON or the wrong shape with a traceback. Each check here reads a file as the SDK
would and refuses what it would trip on in one line naming the file and the fix.
"""

from __future__ import annotations

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


def check_config_file(path: str) -> None:
    """Refuse a `--config` file that is missing, unreadable, or not a JSON object.

    Args:
        path: The file, as given on the command line.

    Raises:
        UnsafeSettingError: Naming the file and what is wrong with it.
    """
    what = f"--config file {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        _refuse(what, "does not exist")
    except IsADirectoryError:
        _refuse(what, "is a directory")
    except UnicodeDecodeError:
        _refuse(what, "is not UTF-8 text")
    except OSError as error:
        _refuse(what, f"cannot be read ({error.strerror})")
    _read_object(text, what)


def read_state(text: str) -> dict[str, t.Any]:
    """Read a `--state` file, refusing a shape the SDK or the tap would trip on.

    Args:
        text: The file's text.

    Returns:
        The state.

    Raises:
        UnsafeSettingError: When it is not JSON, or a part that must be a JSON
            object is not.
    """
    state = _read_object(text, "--state file")
    bookmarks = state.get("bookmarks", {})
    _require_object(bookmarks, "--state file", "bookmarks")
    for stream, bookmark in bookmarks.items():
        where = f"bookmarks.{stream}"
        _require_object(bookmark, "--state file", where)
        # The tap keeps what the collapse guard needs here (retirement.py).
        retirement = bookmark.get("retirement", {})
        _require_object(retirement, "--state file", f"{where}.retirement")
    return state


def read_catalog(text: str) -> dict[str, t.Any]:
    """Read a `--catalog` file, refusing what is not a Singer catalog.

    Args:
        text: The file's text.

    Returns:
        The catalog.

    Raises:
        UnsafeSettingError: When it is not JSON, or not shaped as a catalog.
    """
    catalog = _read_object(text, "--catalog file")
    try:
        Catalog.from_dict(t.cast("t.Any", catalog))
    except (AttributeError, KeyError, TypeError, ValueError):
        _refuse("--catalog file", "is not a Singer catalog")
    return catalog


def _read_object(text: str, what: str) -> dict[str, t.Any]:
    try:
        value = json.loads(text)
    except ValueError:
        _refuse(what, "is not JSON")
    _require_object(value, what)
    return t.cast("dict[str, t.Any]", value)


def _require_object(value: object, what: str, part: str | None = None) -> None:
    if not isinstance(value, dict):
        _refuse(f"{what}'s {part}" if part else what, "is not a JSON object")


def _refuse(what: str, problem: str) -> t.NoReturn:
    option = what.split(maxsplit=1)[0]
    msg = f"The {what} {problem}: {_FIX[option]}."
    raise UnsafeSettingError(msg)
