"""Fixtures: a lemlist stand-in per test, the tap run in-process on virtual time."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import re
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE

import pytest
from click.testing import CliRunner
from embedded_warehouse import PostgresCluster
from lemlist_standin import LemlistStandIn
from warehouse import DBT, MELTANO, REPO, environment, run_program
from xdist.scheduler import LoadScopeScheduling

from tap_lemlist_tasks.client import LemlistStream
from tap_lemlist_tasks.tap import TapLemlistTasks
from tap_lemlist_tasks.throttle import Clock

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from loads import OwnProject

API_KEY = "sk-lemlist-test-0123456789abcdef"
TESTS = Path(__file__).parent
# The default timezone of the non-UTC database (e.g. a managed server in New York).
NON_UTC_TIMEZONE = "America/New_York"


class FakeClock:
    """Virtual time: it moves only when the tap sleeps; every sleep is noted."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []
        # Jitter halves each exponential wait, so tests can assert it exactly.
        self.clock = Clock(now=self.now, sleep=self.sleep, jitter=lambda cap: cap / 2)

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.time += seconds


@dataclass
class TapRun:
    """What one run of the tap printed, and how it exited."""

    exit_code: int
    messages: list[dict[str, t.Any]]
    stderr: str
    sleeps: list[float] = field(default_factory=list)
    #: The lines logged at ERROR or above.
    errors: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[dict[str, t.Any]]:
        """The task records emitted, in order."""
        return self.records_of("tasks")

    def records_of(self, stream: str) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.of_type("RECORD", stream)]

    @property
    def ids(self) -> list[str]:
        return [record["_id"] for record in self.records]

    @property
    def state(self) -> dict[str, t.Any]:
        """The last STATE message's value."""
        return t.cast("dict[str, t.Any]", self.of_type("STATE")[-1]["value"])

    @property
    def summary(self) -> str:
        """The one line that says how many tasks were emitted and what was retired."""
        (line,) = re.findall(r"^tasks: .* emitted in .*$", self.stderr, re.MULTILINE)
        return t.cast("str", line)

    def of_type(
        self, message_type: str, stream: str = "tasks"
    ) -> list[dict[str, t.Any]]:
        """The messages of one Singer type, in order; of one stream if they name one."""
        return [
            m
            for m in self.messages
            if m["type"] == message_type and m.get("stream", stream) == stream
        ]


#: A fault for the stand-in: `(page, fault, options)`, as `add_faults` takes it.
Fault: t.TypeAlias = tuple[int, str, dict[str, t.Any]]
#: A setting's value that leaves it out of the config file.
MISSING: t.Any = object()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Virtual time for the tap's waits, and retries without random jitter."""
    fake = FakeClock()
    monkeypatch.setattr(LemlistStream, "clock", fake.clock)
    return fake


@pytest.fixture
def standin() -> Iterator[LemlistStandIn]:
    """A lemlist stand-in with 250 sample tasks in pages of 100."""
    with LemlistStandIn(api_key=API_KEY) as server:
        yield server


@dataclass
class Run:
    """Runs the tap's command in this process against `standin`, as Meltano does each
    run: `tap-lemlist-tasks --config FILE`."""

    standin: LemlistStandIn
    clock: FakeClock
    tmp_path: Path
    caplog: pytest.LogCaptureFixture

    def __call__(
        self,
        *args: str,
        tasks: list[t.Any] | None = None,
        faults: Iterable[Fault] = (),
        state: dict[str, t.Any] | None = None,
        **settings: t.Any,
    ) -> TapRun:
        """Run once; `tasks` replaces the stand-in's list, `faults` are queued,
        `state` is passed as `--state`, `args` follow the config file (none with
        `--config ENV`), whose `settings` extend the key and the stand-in's url."""
        if tasks is not None:
            self.standin.replace_tasks(tasks)
        for page, fault, options in faults:
            self.standin.add_faults(page, fault, **options)
        if state is not None:
            state_file = self.tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            args = ("--state", str(state_file), *args)
        if "ENV" not in args:
            config = {"api_key": API_KEY, "api_url": self.standin.url, **settings}
            config = {k: v for k, v in config.items() if v is not MISSING}
            config_file = self.tmp_path / "config.json"
            config_file.write_text(json.dumps(config))
            args = ("--config", str(config_file), *args)
        self.caplog.clear()
        command = TapLemlistTasks.get_singer_command()
        ran = CliRunner().invoke(command, args, catch_exceptions=False)
        logged = self.caplog.records
        assert all(r.exc_info is None for r in logged), "a traceback would be printed"
        return TapRun(
            ran.exit_code,
            [json.loads(line) for line in ran.stdout.splitlines()],
            "\n".join(r.getMessage() for r in logged),
            self.clock.sleeps,
            [r.getMessage() for r in logged if r.levelno >= logging.ERROR],
        )


@pytest.fixture
def run(
    standin: LemlistStandIn,
    fake_clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> Run:
    """The tap against the stand-in: `run(*args, tasks=…, faults=…, **settings)`."""
    caplog.set_level(logging.INFO)  # as the tap's command line sets it
    return Run(standin, fake_clock, tmp_path, caplog)


def assert_failed(run: TapRun, phrase: str) -> None:
    """The run failed (exit code 1) in one error line containing `phrase`, retired
    nothing, and showed the API key nowhere."""
    assert run.exit_code == 1
    assert len(run.errors) == 1, run.errors
    assert phrase in run.errors[0], run.errors[0]
    assert run.of_type("ACTIVATE_VERSION") == []
    shown = run.stderr + json.dumps(run.messages)
    assert API_KEY not in shown
    assert base64.b64encode(f":{API_KEY}".encode()).decode() not in shown


def tap_process(config: dict[str, t.Any], tmp_path: Path) -> subprocess.Popen[str]:
    """Start `tap-lemlist-tasks --config FILE` as a new process, as a user would.

    Only for what a process shows: exit codes, stderr, signals.
    """
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    args = ["-m", "tap_lemlist_tasks", "--config", str(config_file)]
    return subprocess.Popen(  # noqa: S603
        [sys.executable, *args], stdout=PIPE, stderr=PIPE, text=True
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """`meltano install` of the repository's plugins, unless already done for the
    same meltano.yml and pyproject.toml (the tap is installed editable).

    Test workers in parallel take turns: two installs into one .meltano collide.
    """
    lock_file = REPO / ".meltano" / "install.lock"
    lock_file.parent.mkdir(exist_ok=True)
    sources = [(REPO / name).read_bytes() for name in ("meltano.yml", "pyproject.toml")]
    stamp = hashlib.sha256(b"".join(sources) + sys.version.encode()).hexdigest()
    with lock_file.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        if lock.read() == stamp and DBT.exists():  # and the plugins are still there
            return
        installed = run_program([str(MELTANO), "install"], environment())
        assert installed.returncode == 0, installed.stderr
        lock.seek(0)
        lock.truncate()
        lock.write(stamp)


@pytest.fixture(scope="session")
def own_project(
    postgres: PostgresCluster,
    meltano_installed: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> OwnProject:
    """README's own-project section and the loads after it (tests/loads.py)."""
    del meltano_installed
    # Imported here: loads imports this module.
    from loads import own_project_series  # noqa: PLC0415

    return own_project_series(postgres, tmp_path_factory.mktemp("own-project"))


# Tests that need PostgreSQL or run Meltano are marked `pipeline`, so CI can run them on
# one Python only (`-m pipeline` / `-m "not pipeline"`): every test using one of these
# fixtures (configured_copy: test_plugin_definition's Meltano commands).
PIPELINE_FIXTURES = {"postgres", "meltano_installed", "own_project", "configured_copy"}


# Modules that run series of real pipelines, slowest first (CPU seconds of the
# processes they start). pytest-xdist gives a worker one module at a time, by default
# those with the most tests first; handing these out first instead lets the quick
# modules fill in at the end, rather than one of these running alone after everything.
SLOWEST_MODULES = (
    "tests/test_own_project.py",  # ~34, with test_dbt
    "tests/test_orchestrate.py",  # ~24
    "tests/test_agency.py",  # ~25
    "tests/test_rehearsal.py",  # ~18
    "tests/test_warehouse.py",  # ~6
    "tests/test_plugin_definition.py",  # ~4
)
# Modules that assert on one session fixture (own_project) run on one worker, as one
# unit of work under the first one's name: each worker would build it otherwise.
SHARED_SCOPES = {"tests/test_dbt.py": "tests/test_own_project.py"}


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: unknown under -p no:xdist
def pytest_xdist_make_scheduler(
    config: pytest.Config, log: t.Any
) -> LoadScopeScheduling | None:
    """With `--dist loadscope`, hand out SLOWEST_MODULES first."""
    if config.getoption("dist") != "loadscope":
        return None
    return _SlowestFirst(config, log)


class _SlowestFirst(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        scope = super()._split_scope(nodeid)
        return SHARED_SCOPES.get(scope, scope)

    def _assign_work_unit(self, node: t.Any) -> None:
        pending = [scope for scope in SLOWEST_MODULES if scope in self.workqueue]
        if pending:
            self.workqueue.move_to_end(pending[0], last=False)
        super()._assign_work_unit(node)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pipeline)
