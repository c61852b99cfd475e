"""Real `meltano run` pipelines into a schema of a PostgreSQL cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import psycopg

if t.TYPE_CHECKING:
    from embedded_warehouse import PostgresCluster

REPO = Path(__file__).parent.parent
MELTANO = Path(sys.executable).parent / "meltano"
# The dbt of the `dbt-postgres` utility, after `meltano install`.
DBT = REPO / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt"


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
