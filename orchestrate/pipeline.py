"""One team's load (tap-lemlist-tasks into target-postgres) and the dbt build after.

The tap and the target are the ones `meltano install` puts in `.meltano/`, so
meltano.yml stays the one place that pins them, but they run without `meltano run`:

- Settings go through pipes (`--config /dev/fd/N`), never a file: Meltano writes
  each plugin's config, API key included, to `.meltano/run/<plugin>/`, and a second
  run of the same plugin at once shares that directory with the first (its catalog
  and `state.json` too: meltano/meltano#8763). Nor `--config ENV`: the Singer SDK
  then loads the nearest `.env` above its own install, the project's, over the
  environment, so a team would load with that file's key or schema.
- The state comes in and goes out as a value (Dagster keeps it with each
  materialization of the team's partition), so teams never share a state store row.
- A PostgreSQL advisory lock on the team's schema, taken in the warehouse before the
  tap starts, keeps a second run of the team from starting while one runs, whatever
  machine it runs on (meltano/meltano#9947: Meltano's own guard needs its system
  database as the state backend).
- `meltano run` costs about 2.5 s more per load on two cores; with hundreds of
  teams an hour, that is the machine's time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import tempfile
import threading
import typing as t
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import yaml
from psycopg.conninfo import make_conninfo

if t.TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    from orchestrate.teams import Team

REPO = Path(__file__).resolve().parent.parent
TRANSFORM = REPO / "transform"
#: A line the tap or the target logs: `TIME | LEVEL | LOGGER | MESSAGE`.
_LOG_LINE = re.compile(r"^\S+ \S+ \| (?P<level>[A-Z]+)\s*\| \S+\s*\| (?P<message>.*)$")
#: A line dbt prints: `HH:MM:SS  MESSAGE`; and dbt's summary of one failed node.
_DBT_LINE = re.compile(r"^\d\d:\d\d:\d\d\s+(?P<message>.*)$")
_DBT_CAUSE = re.compile(r"^([A-Z][a-z]+ )?(Failure|Error) in ")
_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}
_TRUE = {"1", "true", "t", "yes", "y", "on"}
#: Settings variables of the tap and the target.
_PLUGIN_PREFIXES = ("TAP_LEMLIST_TASKS_", "TARGET_POSTGRES_")

#: Receives each line worth logging, with its `logging` level.
Log = t.Callable[[int, str], None]


class LoadError(Exception):
    """A load or dbt build that failed, told in one line."""


@dataclass
class Load:
    """What a team's load did.

    Attributes:
        state: The Singer state the target confirmed last; None if it confirmed none.
        summaries: The tap's one-line summary of each stream's sync.
    """

    state: dict[str, t.Any] | None
    summaries: list[str] = field(default_factory=list)


def load_team(
    team: Team,
    *,
    state: dict[str, t.Any] | None,
    hide: Collection[str],
    log: Log,
) -> Load:
    """Sync one team's lemlist into its own schema.

    Args:
        team: The team.
        state: The Singer state of the team's last load; None for a first load.
        hide: Variables no plugin process gets (every team's key variable).
        log: Receives the tap's and target's log lines, the API key masked.

    Returns:
        The new state and the tap's summaries.

    Raises:
        LoadError: When the team is already loading, or the tap or target fails.
    """
    key = team.api_key()
    tap_config: dict[str, t.Any] = {"api_key": key, "filters": list(team.filters)}
    if team.api_url:
        tap_config["api_url"] = team.api_url
    settings = warehouse_settings(os.environ)
    target_config = {**settings, "default_target_schema": team.schema}
    tap_feeds = [_feed(tap_config)]
    if state is not None:
        tap_feeds.append(_feed(state))
    tap_args = ["--config", _path(tap_feeds[0])]
    if state is not None:
        tap_args += ["--state", _path(tap_feeds[1])]
    target_feed = _feed(target_config)
    tap_env = _environment(hide)
    target_env = {**_environment(hide), **_loader_env()}
    masked = _masking(log, key, settings.get("password"))
    with (
        _warehouse_lock(team, settings),
        tempfile.TemporaryDirectory(prefix=f"lemlist-{team.slug}-") as workdir,
    ):
        tap = _start(
            _plugin("extractors", "tap-lemlist-tasks"),
            tap_args,
            tap_env,
            workdir,
            feeds=tap_feeds,
            stdin=subprocess.DEVNULL,
        )
        assert tap.stdout is not None  # noqa: S101 - Popen with stdout=PIPE
        target = _start(
            _plugin("loaders", "target-postgres"),
            ["--config", _path(target_feed)],
            target_env,
            workdir,
            feeds=[target_feed],
            stdin=tap.stdout,
        )
        # The target alone reads the records now: if it dies, the tap sees a closed
        # pipe rather than blocking on a pipe nobody reads.
        tap.stdout.close()
        tap_lines = _Lines(tap.stderr, "tap", masked)
        target_lines = _Lines(target.stderr, "target", masked)
        assert target.stdout is not None  # noqa: S101 - Popen with stdout=PIPE
        with target.stdout:
            states = [line for line in target.stdout if line.strip()]
        tap_code, target_code = tap.wait(), target.wait()
        tap_lines.join()
        target_lines.join()
    # A target that dies takes the tap down with a broken pipe: the target's line
    # is the cause. A tap that fails (a refused key) leaves the target to exit 0.
    if target_code:
        raise LoadError(target_lines.failure(f"target-postgres exited {target_code}"))
    if tap_code:
        raise LoadError(tap_lines.failure(f"tap-lemlist-tasks exited {tap_code}"))
    summaries = [line for line in tap_lines.infos if _SUMMARY.match(line)]
    return Load(json.loads(states[-1]) if states else None, summaries)


#: The tap's last word on a stream, e.g. `tasks: 250 emitted in 2 reads …`.
_SUMMARY = re.compile(r"^(tasks|campaigns): \d+ emitted")


def build_models(schemas: list[str], *, hide: Collection[str], log: Log) -> None:
    """`dbt build` of transform/ over the given load schemas, one per team.

    Args:
        schemas: The schemas dbt unites (its `lemlist_schemas`).
        hide: Variables dbt does not get (every team's key variable).
        log: Receives dbt's output lines.

    Raises:
        LoadError: When dbt fails.
    """
    environment = {
        **_environment(hide, keep_warehouse=True),
        "LEMLIST_SCHEMAS": ",".join(schemas),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        # Plain lines for Dagster's log, without terminal colour codes.
        "DBT_USE_COLORS": "false",
    }
    dbt = _plugin("utilities", "dbt-postgres", "dbt")
    with tempfile.TemporaryDirectory(prefix="lemlist-dbt-") as workdir:
        # target/ and logs/ of this build only: two builds at once would share
        # transform/target otherwise.
        environment.setdefault("DBT_TARGET_PATH", str(Path(workdir) / "target"))
        environment.setdefault("DBT_LOG_PATH", str(Path(workdir) / "logs"))
        process = _start(
            dbt,
            [
                "build",
                "--project-dir",
                str(TRANSFORM),
                "--profiles-dir",
                str(TRANSFORM / "profiles"),
            ],
            environment,
            workdir,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        lines = _Lines(process.stdout, "dbt", log)
        code = process.wait()
        lines.join()
    if code:
        raise LoadError(lines.failure(f"dbt build exited {code}"))


def warehouse_settings(environ: t.Mapping[str, str]) -> dict[str, t.Any]:
    """target-postgres' settings: WAREHOUSE_URL, then TARGET_POSTGRES_*, as meltano.yml.

    The same variables configure `meltano run` and the dbt profile (WAREHOUSE_URL);
    the load schema is each team's, never the variable's.

    Args:
        environ: The environment to read.

    Returns:
        The settings that are set.

    Raises:
        LoadError: When a value is not of its setting's kind.
    """
    settings: dict[str, t.Any] = {}
    if url := environ.get("WAREHOUSE_URL"):  # meltano.yml's sqlalchemy_url
        settings["sqlalchemy_url"] = url
    for setting in _meltano_plugin("loaders", "target-postgres")["settings"]:
        name = setting["name"]
        raw = environ.get(f"TARGET_POSTGRES_{name.upper()}")
        if raw is None or name == "default_target_schema":
            continue
        kind = setting.get("kind", "string")
        try:
            if kind == "integer":
                settings[name] = int(raw)
            elif kind == "boolean":
                settings[name] = raw.strip().lower() in _TRUE
            elif kind in {"object", "array"}:
                settings[name] = json.loads(raw)
            else:
                settings[name] = raw
        except ValueError as error:
            msg = f"TARGET_POSTGRES_{name.upper()} is not a valid {kind}"
            raise LoadError(msg) from error
    return settings


def advisory_lock_key(team: Team) -> str:
    """The text whose hash names the team's lock in the warehouse."""
    return f"tap-lemlist-tasks:{team.schema}"


@contextmanager
def _warehouse_lock(team: Team, settings: dict[str, t.Any]) -> Iterator[None]:
    """Hold the schema's advisory lock for the load; refuse if another run holds it."""
    url = settings.get("sqlalchemy_url")
    if url:
        # SQLAlchemy's URL names a driver (postgresql+psycopg://); libpq's does not.
        conninfo = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)
    else:
        parts = {
            "host": settings.get("host", "localhost"),
            "port": settings.get("port", 5432),
            "user": settings.get("user"),
            "password": settings.get("password"),
            "dbname": settings.get("database"),
        }
        conninfo = make_conninfo(
            **{name: value for name, value in parts.items() if value is not None}
        )
    connection = _connect(conninfo)
    with connection:
        held = connection.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
            (advisory_lock_key(team),),
        ).fetchone()
        if not held or not held[0]:
            msg = (
                f"team {team.slug}: another run is loading schema {team.schema} right "
                "now; this run did not start"
            )
            raise LoadError(msg)
        # Closing the connection releases the lock, also when this process dies.
        yield


def _connect(conninfo: str) -> psycopg.Connection[t.Any]:
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=30)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        msg = f"cannot reach the warehouse (WAREHOUSE_URL): {reason}"
        raise LoadError(msg) from None


def _feed(value: object) -> int:
    """A pipe's read end that yields `value` as JSON: settings never touch a disk.

    A thread writes, so a value larger than the pipe's buffer cannot block us.
    """
    data = json.dumps(value).encode()
    read_end, write_end = os.pipe()

    def write() -> None:
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BrokenPipeError:
            logging.getLogger(__name__).debug("a plugin exited before reading")

    threading.Thread(target=write, daemon=True).start()
    return read_end


def _path(feed: int) -> str:
    return f"/dev/fd/{feed}"


def _start(  # noqa: PLR0913
    program: Path,
    args: list[str],
    environment: dict[str, str],
    workdir: str,
    *,
    stdin: t.IO[str] | int,
    feeds: list[int] | None = None,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """Start a plugin; the read ends of its `feeds` go to it alone."""
    try:
        return subprocess.Popen(  # noqa: S603 - the plugin's own executable
            [str(program), *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=environment,
            cwd=workdir,
            pass_fds=feeds or (),
            text=True,
        )
    finally:
        for feed in feeds or ():
            os.close(feed)


class _Lines:
    """Reads a child's log lines in a thread, passes them on, keeps what matters."""

    def __init__(self, stream: t.IO[str] | None, source: str, log: Log) -> None:
        self.source, self.log = source, log
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.last = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: t.IO[str] | None) -> None:
        if stream is None:
            return
        with stream:
            for raw in stream:
                self._take(raw)

    def _take(self, raw: str) -> None:
        line = raw.rstrip()
        if not line:
            return
        self.last = line
        match = _LOG_LINE.match(line) or _DBT_LINE.match(line)
        message = match["message"] if match else line
        named = match.groupdict().get("level") if match else None
        level = _LEVELS.get(named or "INFO", logging.DEBUG)
        if message.startswith("METRIC: "):
            # The SDK's per-request metrics would drown the rest.
            level = logging.DEBUG
        if _DBT_CAUSE.match(message):
            level = logging.ERROR
        if level >= logging.ERROR:
            self.errors.append(message)
        elif level == logging.INFO:
            self.infos.append(message)
        self.log(level, f"{self.source}: {message}")

    def join(self) -> None:
        self._thread.join()

    def failure(self, fallback: str) -> str:
        """The child's last error line, else `fallback` and its last line.

        The tap ends a failed sync with its one-line message; dbt ends with a
        summary of each failed node, the first of them said again last.
        """
        if not self.errors:
            return f"{fallback}: {self.last}"
        if len(self.errors) == 1:
            return self.errors[0]
        return f"{self.errors[-1]} (and {len(self.errors) - 1} more errors above)"


def _masking(log: Log, *secrets: object) -> Log:
    """`log` with every secret masked: the tap never logs the key; this makes sure."""
    hidden = [str(secret) for secret in secrets if secret]

    def masked(level: int, line: str) -> None:
        for secret in hidden:
            line = line.replace(secret, "********")
        log(level, line)

    return masked


def _environment(
    hide: Collection[str], *, keep_warehouse: bool = False
) -> dict[str, str]:
    """This process's environment less every team's key and the plugins' settings.

    Settings reach the tap and the target through their config pipes only, so a
    stray TAP_LEMLIST_TASKS_* or TARGET_POSTGRES_* cannot change a team's load. dbt's
    profile reads WAREHOUSE_URL, which is kept, and TARGET_POSTGRES_* for dbt too.
    """
    dropped = _PLUGIN_PREFIXES[:1] if keep_warehouse else _PLUGIN_PREFIXES
    return {
        name: value
        for name, value in os.environ.items()
        if name not in hide and not name.startswith(dropped)
    }


def _meltano_sys_dir() -> Path:
    # Meltano's own rule: MELTANO_SYS_DIR_ROOT, else .meltano in the project.
    return Path(os.environ.get("MELTANO_SYS_DIR_ROOT") or REPO / ".meltano")


def _plugin(plugin_type: str, name: str, executable: str | None = None) -> Path:
    path = (
        _meltano_sys_dir() / plugin_type / name / "venv" / "bin" / (executable or name)
    )
    if not path.exists():
        msg = f"{name} is not installed: run `meltano install` in {REPO}"
        raise LoadError(msg)
    return path


def _meltano_plugin(plugin_type: str, name: str) -> dict[str, t.Any]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text(encoding="utf-8"))
    plugins: list[dict[str, t.Any]] = project["plugins"][plugin_type]
    return next(plugin for plugin in plugins if plugin["name"] == name)


def _loader_env() -> dict[str, str]:
    """The `env:` meltano.yml gives target-postgres (PGTZ=UTC: instants stay UTC)."""
    env: dict[str, str] = _meltano_plugin("loaders", "target-postgres").get("env", {})
    return {name: str(value) for name, value in env.items()}
