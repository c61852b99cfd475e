"""`python -m tap_lemlist_tasks`: the same command line as `tap-lemlist-tasks`."""

from tap_lemlist_tasks.tap import TapLemlistTasks

# Python runs a package's __main__.py only as the main module: no __name__ guard.
TapLemlistTasks.cli()
