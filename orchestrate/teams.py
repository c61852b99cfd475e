"""The agency's teams file: one lemlist team per line, read once per code location load.

```yaml
- {slug: acme, api_key_env: LEMLIST_KEY_ACME, schema: lemlist_acme}
- {slug: globex, api_key_env: LEMLIST_KEY_GLOBEX, schema: lemlist_globex,
   filters: [{filterId: type, in: [phone]}]}
```

Every mistake is refused here, in one line naming the team and the fix, before any
run starts: above all two teams in one schema, where each team's complete sync
would retire the other's tasks.
"""

from __future__ import annotations

import json
import os
import re
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TEAMS_FILE_VARIABLE = "LEMLIST_TEAMS_FILE"
# Dagster partition keys allow more, but a slug also names runs, log lines and the
# warehouse lock; PostgreSQL folds unquoted names to lower case, so schemas are kept
# to what needs no quoting.
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELDS = {"slug", "api_key_env", "schema", "api_url", "filters"}


class TeamsFileError(ValueError):
    """The teams file is missing or wrong; the message says where and how to fix it."""


@dataclass(frozen=True)
class Team:
    """One lemlist team of the agency.

    Attributes:
        slug: The partition key (`dagster asset materialize --partition SLUG`).
        api_key_env: The environment variable that holds the team's API key.
        schema: The warehouse schema this team's tasks load into, and no other team's.
        api_url: lemlist's API URL for this team; None: the tap's default.
        filters: lemlist filter objects for this team's task list.
    """

    slug: str
    api_key_env: str
    schema: str
    api_url: str | None = None
    filters: tuple[dict[str, t.Any], ...] = field(default=())

    def api_key(self) -> str:
        """The team's API key, from its variable.

        Returns:
            The key.

        Raises:
            TeamsFileError: When the variable is unset or empty.
        """
        key = os.environ.get(self.api_key_env, "")
        if not key:
            msg = (
                f"team {self.slug}: {self.api_key_env} is not set; export the team's "
                "lemlist API key in it (Settings > Integrations > API in lemlist)"
            )
            raise TeamsFileError(msg)
        return key


def teams_file_from_environment() -> Path:
    """The teams file named by LEMLIST_TEAMS_FILE.

    Returns:
        Its path.

    Raises:
        TeamsFileError: When the variable is unset.
    """
    path = os.environ.get(TEAMS_FILE_VARIABLE, "")
    if not path:
        msg = (
            f"{TEAMS_FILE_VARIABLE} is not set: export the path of the teams file "
            "(docs/agencies.md; orchestrate/teams.example.yml is one)"
        )
        raise TeamsFileError(msg)
    return Path(path)


def read_teams(path: Path) -> tuple[Team, ...]:
    """Read and check the teams file.

    Args:
        path: The YAML file, a list of teams.

    Returns:
        The teams, in the file's order.

    Raises:
        TeamsFileError: When the file cannot be read, or a team is wrong.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        msg = f"teams file {path}: cannot be read ({error.strerror})"
        raise TeamsFileError(msg) from error
    except yaml.YAMLError as error:
        msg = f"teams file {path}: not YAML ({_one_line(error)})"
        raise TeamsFileError(msg) from error
    if not isinstance(document, list) or not document:
        msg = f"teams file {path}: expected a list of teams, one `- {{slug: …}}` each"
        raise TeamsFileError(msg)
    teams = tuple(
        _team(entry, f"teams file {path}, team {n}")
        for n, entry in enumerate(document, 1)
    )
    _refuse_shared(teams, "slug", path)
    _refuse_shared(teams, "schema", path)
    return teams


def _team(entry: object, where: str) -> Team:
    if not isinstance(entry, dict):
        msg = f"{where}: expected a mapping with slug, api_key_env and schema"
        raise TeamsFileError(msg)
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        known = ", ".join(sorted(_FIELDS))
        msg = f"{where}: unknown field {', '.join(map(str, unknown))} (known: {known})"
        raise TeamsFileError(msg)
    slug = _text(entry, "slug", where, _SLUG, "lower-case letters, digits, - and _")
    where = f"{where} ({slug})"
    api_key_env = _text(entry, "api_key_env", where, _VARIABLE, "a variable name")
    schema = _text(entry, "schema", where, _SCHEMA, "lower-case letters, digits and _")
    api_url = entry.get("api_url")
    if api_url is not None and not isinstance(api_url, str):
        msg = f"{where}: api_url must be a URL"
        raise TeamsFileError(msg)
    filters = entry.get("filters", [])
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        msg = f"{where}: filters must be a list of lemlist filter objects"
        raise TeamsFileError(msg)
    try:
        json.dumps(filters)
    except TypeError as error:
        # YAML reads an unquoted 2025-01-31 as a date, which JSON has no type for.
        msg = f"{where}: filters must hold JSON values; quote dates ({error})"
        raise TeamsFileError(msg) from error
    return Team(slug, api_key_env, schema, api_url, tuple(filters))


def _text(
    entry: dict[t.Any, t.Any],
    name: str,
    where: str,
    pattern: re.Pattern[str],
    what: str,
) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        msg = f"{where}: {name} must be {what}, got {value!r}"
        raise TeamsFileError(msg)
    return value


def _refuse_shared(teams: tuple[Team, ...], name: str, path: Path) -> None:
    seen: dict[str, str] = {}
    for team in teams:
        value = getattr(team, name)
        if value in seen:
            why = (
                ": each team's complete sync would retire the other team's tasks"
                if name == "schema"
                else ""
            )
            msg = (
                f"teams file {path}: teams {seen[value]} and {team.slug} share "
                f"{name} {value}{why}; give each team its own"
            )
            raise TeamsFileError(msg)
        seen[value] = team.slug


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
