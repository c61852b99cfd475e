"""Fixtures: a lemlist stand-in per test and a way to run the tap against it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from lemlist_standin import LemlistStandIn, sample_tasks
from warehouse import Pipeline, PostgresCluster, meltano

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

API_KEY = "sk-lemlist-test-0123456789abcdef"
TESTS = Path(__file__).parent


@dataclass
class TapRun:
    """What one run of the tap's CLI printed, and how it exited."""

    exit_code: int
    messages: list[dict[str, t.Any]]
    stderr: str

    @property
    def records(self) -> list[dict[str, t.Any]]:
        """The records emitted, in order."""
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def ids(self) -> list[str]:
        """The `_id` of every record emitted, in order."""
        return [record["_id"] for record in self.records]

    @property
    def sleeps(self) -> list[float]:
        """Every wait the tap asked for (runs with fake sleep only)."""
        prefix = "FAKE_SLEEP "
        return [
            float(line.removeprefix(prefix))
            for line in self.stderr.splitlines()
            if line.startswith(prefix)
        ]

    def of_type(self, message_type: str) -> list[dict[str, t.Any]]:
        """The messages of one Singer type, in order."""
        return [m for m in self.messages if m["type"] == message_type]


@pytest.fixture
def standin() -> Iterator[LemlistStandIn]:
    """A lemlist stand-in with 250 sample tasks in pages of 100."""
    with LemlistStandIn(sample_tasks(250), api_key=API_KEY, page_size=100) as server:
        yield server


def run_tap_cli(
    config: dict[str, t.Any],
    tmp_path: Path,
    *,
    fake_sleep: bool = True,
    env: dict[str, str] | None = None,
) -> TapRun:
    """Run `tap-lemlist-tasks --config FILE` as a user would.

    Args:
        config: The tap's config.
        tmp_path: Where to write the config file.
        fake_sleep: Replace sleeping by a note on stderr (see `fast_sleep_tap.py`).
        env: Extra environment variables.

    Returns:
        Exit code, parsed Singer messages and stderr.
    """
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    program = [sys.executable, str(TESTS / "fast_sleep_tap.py")]
    if not fake_sleep:
        program = [sys.executable, "-m", "tap_lemlist_tasks.tap"]
    completed = subprocess.run(  # noqa: S603
        [*program, "--config", str(config_file)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=120,
    )
    messages = [json.loads(line) for line in completed.stdout.splitlines()]
    return TapRun(completed.returncode, messages, completed.stderr)


@pytest.fixture
def run_tap(standin: LemlistStandIn, tmp_path: Path) -> Callable[..., TapRun]:
    """Run the tap against the stand-in; keyword arguments extend the config."""

    def run(
        *, fake_sleep: bool = True, env: dict[str, str] | None = None, **settings: t.Any
    ) -> TapRun:
        config = {"api_key": API_KEY, "api_url": standin.url, **settings}
        return run_tap_cli(config, tmp_path, fake_sleep=fake_sleep, env=env)

    return run


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster for the whole test session."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """`meltano install` of the repository's plugins, once per session."""
    installed = meltano(
        "install", env={**os.environ, "MELTANO_CLI_DISABLE_VERSION_CHECK": "1"}
    )
    assert installed.returncode == 0, installed.stderr


@pytest.fixture
def pipeline(
    postgres: PostgresCluster, meltano_installed: None, request: pytest.FixtureRequest
) -> Pipeline:
    """A Meltano pipeline loading into a schema of its own."""
    del meltano_installed
    # PostgreSQL cuts names at 63 bytes; dbt adds "_analytics" to this one.
    name = request.node.name.lower()
    slug = "".join(c if c.isalnum() else "_" for c in name).removeprefix("test_")
    digest = hashlib.sha1(name.encode()).hexdigest()[:6]  # noqa: S324
    return Pipeline(postgres, f"{slug[:40]}_{digest}")


# Tests that need PostgreSQL or Meltano's plugins are marked `pipeline`, so CI can run
# them on one Python only (`-m pipeline` / `-m "not pipeline"`): every test using one
# of these fixtures, plus those marked by hand.
PIPELINE_FIXTURES = {"postgres", "meltano_installed", "pipeline"}


def pytest_configure(config: pytest.Config) -> None:
    """Register the `pipeline` marker."""
    config.addinivalue_line(
        "markers", "pipeline: needs PostgreSQL or runs Meltano (CI: on one Python)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use a pipeline fixture as `pipeline`."""
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pipeline)
