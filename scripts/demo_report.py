"""Print what the demo's pipeline left in the warehouse.

The open tasks per assignee, what was retired and the completions the history recorded.

Run by scripts/demo after `meltano run lemlist-elt`; reads WAREHOUSE_URL, and the
schemas from TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA and DBT_TARGET_SCHEMA (their
defaults when unset, as meltano.yml and the dbt profile have them).
"""

from __future__ import annotations

import os
import sys
import typing as t
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

if t.TYPE_CHECKING:
    from collections.abc import Sequence

ROWS_SHOWN = 8


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as a plain text table, columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def libpq_url(url: str) -> str:
    """The URL psql takes: no `+driver` after the scheme."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+")[0]))


def report(url: str, load_schema: str, models: str) -> str:
    """The demo's closing lines, read from the warehouse at `url`."""
    names = {"tasks": sql.Identifier(load_schema), "models": sql.Identifier(models)}
    with psycopg.connect(libpq_url(url)) as connection:
        [(open_tasks, retired, completions)] = connection.execute(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE _sdc_deleted_at IS NULL), "
                "count(*) FILTER (WHERE _sdc_deleted_at IS NOT NULL), "
                "(SELECT count(*) FROM {models}.lemlist_task_completions) "
                "FROM {tasks}.tasks"
            ).format(**names)
        ).fetchall()
        per_assignee = connection.execute(
            sql.SQL(
                "SELECT coalesce(assignee_name, assigned_user_id, '(unassigned)'), "
                "sum(open_tasks), sum(overdue_tasks), sum(due_today_tasks), "
                "sum(no_due_date_tasks) FROM {models}.lemlist_open_tasks_by_assignee "
                "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {rows}"
            ).format(**names, rows=ROWS_SHOWN)
        ).fetchall()
    header = ("assignee", "open", "overdue", "due today", "no due date")
    return "\n".join(
        [
            f"Open tasks per assignee ({models}.lemlist_open_tasks_by_assignee):",
            "",
            table(header, per_assignee),
            "",
            (
                f"{load_schema}.tasks: {open_tasks} open, {retired} retired (done in "
                f"lemlist); {models}.lemlist_task_completions: {completions} "
                "completions."
            ),
        ]
    )


def main() -> int:
    """Print the report for the warehouse of WAREHOUSE_URL."""
    url = os.environ["WAREHOUSE_URL"]
    load_schema = (
        os.environ.get("TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA") or "tap_lemlist_tasks"
    )
    models = os.environ.get("DBT_TARGET_SCHEMA") or "analytics"
    sys.stdout.write(report(url, load_schema, models) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
