"""Done tasks leave the warehouse: ACTIVATE_VERSION, sent only after a complete sync."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import typing as t

from conftest import API_KEY, FakeClock

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest
    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def test_activate_version_follows_the_last_record_of_a_complete_sync(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    types = [m["type"] for m in run.messages if m.get("stream") == "tasks"]
    last_record = len(types) - 1 - types[::-1].index("RECORD")
    assert run.exit_code == 0, run.stderr
    assert types.count("ACTIVATE_VERSION") == 1
    assert types.index("ACTIVATE_VERSION") == last_record + 1
    version = run.of_type("ACTIVATE_VERSION")[0]["version"]
    assert {m["version"] for m in run.of_type("RECORD")} == {version}


def test_a_sync_failing_half_way_sends_no_activate_version(
    standin: LemlistStandIn, run_tap: Callable[..., TapRun]
) -> None:
    standin.add_faults(2, "401")

    run = run_tap()

    assert run.exit_code == 1
    assert len(run.records) == 200
    assert run.of_type("ACTIVATE_VERSION") == []


def test_activate_version_can_be_turned_off(run_tap: Callable[..., TapRun]) -> None:
    run = run_tap(emit_activate_version_messages=False)

    assert run.exit_code == 0, run.stderr
    assert run.of_type("ACTIVATE_VERSION") == []


def test_two_syncs_of_one_embedded_tap_both_emit_every_task(
    standin: LemlistStandIn, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    del fake_clock
    tap = TapLemlistTasks(config={"api_key": API_KEY, "api_url": standin.url})

    tap.sync_all()
    tap.sync_all()

    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tasks = [m for m in messages if m.get("stream") == "tasks"]
    records = [m["record"]["_id"] for m in tasks if m["type"] == "RECORD"]
    versions = [m["version"] for m in tasks if m["type"] == "ACTIVATE_VERSION"]
    assert sorted(records) == sorted(2 * [t["_id"] for t in standin.pending_records()])
    assert len(versions) == len(set(versions)) == 2


def test_a_sync_stopped_by_sigterm_does_not_look_finished(
    standin: LemlistStandIn, tmp_path: Path
) -> None:
    standin.add_faults(1, "timeout", delay=3.0)  # page 1 is slow to come
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": API_KEY, "api_url": standin.url}))
    sync = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tap_lemlist_tasks.tap", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(standin.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    sync.send_signal(signal.SIGTERM)
    stdout, stderr = sync.communicate(timeout=30)

    assert sync.returncode == 128 + signal.SIGTERM
    assert "Sync stopped by SIGTERM before it finished." in stderr
    assert '"ACTIVATE_VERSION"' not in stdout
