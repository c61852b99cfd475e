"""`python -m tap_lemlist_tasks`: the same command line as `tap-lemlist-tasks`."""

from __future__ import annotations

from tap_lemlist_tasks.tap import TapLemlistTasks

if __name__ == "__main__":
    TapLemlistTasks.cli()
