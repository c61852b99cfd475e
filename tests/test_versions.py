"""Done tasks leave the warehouse: ACTIVATE_VERSION, sent only after a complete sync."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import typing as t

from conftest import API_KEY, TESTS

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


def test_activate_version_follows_the_last_record_of_a_complete_sync(
    run_tap: Callable[..., TapRun],
) -> None:
    run = run_tap()

    types = [m["type"] for m in run.messages]
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


def test_two_syncs_started_together_get_different_versions(
    standin: LemlistStandIn, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": API_KEY, "api_url": standin.url}))
    command = [
        sys.executable,
        str(TESTS / "fast_sleep_tap.py"),
        "--config",
        str(config),
    ]
    syncs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(2)
    ]
    outputs = [sync.communicate(timeout=60)[0].decode() for sync in syncs]

    versions = {
        json.loads(line)["version"]
        for output in outputs
        for line in output.splitlines()
        if '"ACTIVATE_VERSION"' in line
    }
    assert len(versions) == 2


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
