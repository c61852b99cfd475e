-- One row per version of a lemlist task the snapshot `snp_lemlist__tasks` recorded: a new
-- version each time a load changed one of the task's fields or retired / reopened it.
-- Same columns as stg_lemlist__tasks (as they were in that version; team_name as it is
-- now), plus the snapshot's bookkeeping. loaded_at is the extraction that first
-- delivered this version.

with snapshot as (

    select * from {{ ref('snp_lemlist__tasks') }}

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
