"""`python -m tap_lemlist_tasks`: the same command line as `tap-lemlist-tasks`."""

from tap_lemlist_tasks.tap import TapLemlistTasks

if __name__ == "__main__":  # importing it (pydoc, doc tools) runs nothing
    TapLemlistTasks.cli()
