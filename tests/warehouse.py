"""A private PostgreSQL cluster and real `meltano run` pipelines into it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg

if t.TYPE_CHECKING:
    from lemlist_standin import LemlistStandIn

REPO = Path(__file__).parent.parent
MELTANO = Path(sys.executable).parent / "meltano"
# The dbt of the `dbt-postgres` utility, after `meltano install`.
DBT = REPO / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt"
PASSWORD = "warehouse-password"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def utc_now() -> datetime:
    """The time now as naive UTC, the way the warehouse stores instants."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _postgres_bin(program: str) -> str:
    # Debian keeps the server programs off PATH, one folder per major version.
    debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}"))
    found = str(debian[-1]) if debian else shutil.which(program)
    if not found:
        msg = f"{program} not found: install Debian's postgresql package"
        raise FileNotFoundError(msg)
    return found


class PostgresCluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1, started and stopped by tests.

    PostgreSQL refuses to run as root, so as root the cluster runs as `postgres`.
    """

    def __init__(self) -> None:
        """Choose a directory and a free port; nothing runs yet."""
        self.root = Path(tempfile.mkdtemp(prefix="lemlist-pg-"))
        self.port = free_port()
        self.database = "warehouse"
        self._as_postgres = (
            ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        )

    def start(self) -> None:
        """Create the cluster, start it and create the warehouse database."""
        self.root.chmod(0o755)
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off -k {self.root}"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {self.database}")

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str | None = None) -> str:
        """Return a connection URL for psycopg."""
        name = database or self.database
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def query(
        self, sql: str, *params: object, database: str | None = None
    ) -> list[tuple[t.Any, ...]]:
        """Run one SQL statement on a database (the warehouse's) and return its rows."""
        with psycopg.connect(self.url(database)) as connection:
            return connection.execute(sql, params).fetchall()

    def create_database(self, name: str, *, timezone: str) -> str:
        """Create a database whose sessions default to `timezone`, like a managed
        server outside UTC (`ALTER DATABASE … SET timezone`); return its name."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
            connection.execute(
                f"ALTER DATABASE {name} SET timezone TO {_literal(timezone)}"
            )
        return name

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [*self._as_postgres, _postgres_bin(program), *args],
            check=True,
            capture_output=True,
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Pipeline:
    """`meltano run` from the repository's meltano.yml into one warehouse schema.

    The schema is in the warehouse database unless `database` names another one of
    the cluster (e.g. one whose timezone is not UTC).
    """

    postgres: PostgresCluster
    schema: str
    database: str = ""

    def __post_init__(self) -> None:
        """Default to the cluster's warehouse database."""
        self.database = self.database or self.postgres.database

    def environment(self, standin: LemlistStandIn, **variables: str) -> dict[str, str]:
        """The variables a scheduled run would have, pointed at the stand-in.

        dbt writes target/ and logs/ per schema, not in transform/: test workers run
        dbt at the same time, and a scenario's later dbt runs reuse its partial parse.
        """
        dbt_files = REPO / ".meltano" / "dbt" / self.database / self.schema
        return {
            **self.connection_environment(),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "1",
            "TAP_LEMLIST_TASKS_API_KEY": standin.api_key,
            "TAP_LEMLIST_TASKS_API_URL": standin.url,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema,
            "LEMLIST_SOURCE_SCHEMA": self.schema,
            "DBT_TARGET_SCHEMA": f"{self.schema}_analytics",
            "DBT_TARGET_PATH": str(dbt_files / "target"),
            "DBT_LOG_PATH": str(dbt_files / "logs"),
            "MELTANO_SYS_DIR_ROOT": str(worker_sys_dir()),
            **variables,
        }

    def connection_environment(self) -> dict[str, str]:
        """The shell's variables plus the database's (the profiles read them), and
        dbt kept offline."""
        return {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(self.postgres.port),
            "TARGET_POSTGRES_USER": "postgres",
            "TARGET_POSTGRES_PASSWORD": PASSWORD,
            "TARGET_POSTGRES_DATABASE": self.database,
        }

    def run(
        self, standin: LemlistStandIn, *blocks: str, **variables: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `meltano run tap-lemlist-tasks target-postgres [blocks...]`.

        Each schema has its own state id: Meltano refuses to start a pipeline while
        another with the same id runs, and test workers run pipelines in parallel.
        """
        return meltano(
            "run",
            "--state-id-suffix",
            self.schema,
            "tap-lemlist-tasks",
            "target-postgres",
            *blocks,
            env=self.environment(standin, **variables),
        )

    def query(self, sql: str, *params: object) -> list[tuple[t.Any, ...]]:
        """Run one SQL statement on the pipeline's database and return its rows."""
        return self.postgres.query(sql, *params, database=self.database)

    def tasks(self) -> dict[str, dict[str, t.Any]]:
        """Every row of the loaded tasks table, by `_id`."""
        with psycopg.connect(self.postgres.url(self.database)) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            rows = cursor.execute(f'SELECT * FROM "{self.schema}".tasks').fetchall()  # noqa: S608
        return {row["_id"]: row for row in rows}

    def live_ids(self) -> set[str]:
        """Tasks the warehouse holds as open."""
        return {i for i, row in self.tasks().items() if row["_sdc_deleted_at"] is None}

    def retired_ids(self) -> set[str]:
        """Tasks the warehouse marked deleted."""
        return {i for i, row in self.tasks().items() if row["_sdc_deleted_at"]}


def worker_sys_dir() -> Path:
    """A `.meltano` of this test worker's own, sharing the installed plugins.

    Meltano writes each plugin's config and catalog to fixed paths under
    `.meltano/run`, so two pipelines running at once in one project would read
    each other's files: each pytest-xdist worker gets its own run directory and
    system database, with the plugin virtualenvs of `meltano install` linked in.
    """
    shared = REPO / ".meltano"
    own = shared / "workers" / os.environ.get("PYTEST_XDIST_WORKER", "main")
    own.mkdir(parents=True, exist_ok=True)
    for plugin_type in ("extractors", "loaders", "utilities"):
        link = own / plugin_type
        if not link.exists():
            link.symlink_to(shared / plugin_type, target_is_directory=True)
    return own


def meltano(
    *args: str, env: dict[str, str], project: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """Run Meltano in a project (by default the repository's), as a user would."""
    return subprocess.run(  # noqa: S603
        [str(MELTANO), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
