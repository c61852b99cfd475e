"""Done tasks leave the warehouse: ACTIVATE_VERSION, sent only after a complete sync."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import typing as t

import pytest
from conftest import API_KEY, FakeClock

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import TapRun
    from lemlist_standin import LemlistStandIn


@pytest.mark.parametrize("stream", ["tasks", "teams", "users", "campaigns"])
def test_activate_version_follows_the_last_record_of_a_complete_sync(
    run: Callable[..., TapRun], stream: str
) -> None:
    synced = run()

    types = [m["type"] for m in synced.messages if m.get("stream") == stream]
    assert synced.exit_code == 0, synced.stderr
    assert types[0] == "SCHEMA"
    assert types[-1] == "ACTIVATE_VERSION"
    assert types.count("ACTIVATE_VERSION") == 1
    assert "RECORD" in types
    (activate,) = synced.of_type("ACTIVATE_VERSION", stream)
    records = synced.of_type("RECORD", stream)
    assert {m["version"] for m in records} == {activate["version"]}


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
