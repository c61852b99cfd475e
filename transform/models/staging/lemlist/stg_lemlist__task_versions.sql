-- One row per version of a lemlist task the snapshot `snp_lemlist__tasks` recorded: a new
-- version each time a load changed one of the task's fields or retired / reopened it.
-- Same columns as stg_lemlist__tasks (as they were in that version; team_name as it is
-- now), plus the snapshot's bookkeeping. loaded_at is the extraction that first
-- delivered this version.
--
-- Before the first `dbt snapshot` (or `dbt build`) the snapshot table does not exist:
-- `dbt run` and `dbt test` on a new warehouse then build this model, and the history
-- models on it, empty, and say so in the log. `dbt build` takes the snapshot first.

with snapshot as (
{{ lemlist_snapshot_versions(ref('snp_lemlist__tasks'), ref('base_lemlist__tasks'), 'task') }}
),

teams as (

    select team_id as "teamId", team_name from {{ ref('stg_lemlist__teams') }}

),

renamed as (

    select
        dbt_scd_id                  as task_version_id,
{{ lemlist_task_columns() }},
        dbt_valid_from              as snapshotted_at,
        dbt_valid_to                as superseded_at

    from snapshot
    left join teams using ("teamId")

)

select * from renamed
