"""README's "Rehearse before you point at lemlist", run as written, in one bash.

The block runs in this clone's Meltano project with a Meltano directory of its own (its
state and run files apart from other tests; the installed plugins shared), against a
schema of its own that only the loader is told (TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA),
which dbt must follow. The only changes: the stand-in's port 8765 becomes a free one, as
test workers run at once, and a trap stops the stand-in should a line fail.
WAREHOUSE_URL is set, so the block's embedded warehouse line keeps it, as it keeps a
user's.
"""

from __future__ import annotations

import typing as t

import pytest
from embedded_warehouse import free_port
from loads import readme_blocks
from warehouse import Pipeline, linked_meltano_dir, run_program

if t.TYPE_CHECKING:
    import subprocess

    from embedded_warehouse import PostgresCluster


class Rehearsal(t.NamedTuple):
    run: subprocess.CompletedProcess[str]
    pipeline: Pipeline


@pytest.fixture(scope="module")
def rehearsal(
    postgres: PostgresCluster,
    meltano_installed: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rehearsal:
    del meltano_installed
    pipeline = Pipeline(postgres, "rehearsal")
    env = pipeline.environment(
        MELTANO_SYS_DIR_ROOT=str(linked_meltano_dir(tmp_path_factory.mktemp("m"))),
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=pipeline.schema,
    )
    [(language, block)] = readme_blocks("Rehearse before you point at lemlist")
    assert language == "sh"
    # Should a line fail, bash -e stops there: the stand-in must not outlive it.
    stop_the_standin = "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n"
    block = stop_the_standin + block.replace("8765", str(free_port()))
    return Rehearsal(run_program(["bash", "-e", "-c", block], env), pipeline)


def test_the_rehearsal_runs_as_written(rehearsal: Rehearsal) -> None:
    assert rehearsal.run.returncode == 0, rehearsal.run.stderr[-5000:]
    assert rehearsal.run.stdout.count("complete: opp_") == 1
    assert rehearsal.run.stdout.count("create: opp_rehearsal") == 1


def test_the_rehearsal_retires_3_loads_2_new_and_dbt_reads_them(
    rehearsal: Rehearsal,
) -> None:
    # dbt reads the schema only the loader was told: rehearsal, not tap_lemlist_tasks.
    [loaded] = rehearsal.pipeline.query(
        "SELECT count(*) FILTER (WHERE _sdc_deleted_at IS NULL), "
        "count(*) FILTER (WHERE _sdc_deleted_at IS NOT NULL), "
        "(SELECT count(*) FROM rehearsal_analytics.stg_lemlist__tasks WHERE is_open), "
        "(SELECT count(*) FROM rehearsal_analytics.lemlist_task_completions) "
        "FROM rehearsal.tasks"
    )

    # Live and retired rows; open tasks and completions in dbt's models.
    assert loaded == (50 - 3 + 2, 3, 50 - 3 + 2, 3)
