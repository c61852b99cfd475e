-- One row per version of a lemlist task the snapshot `snp_lemlist__tasks` recorded: a new
-- version each time a load changed one of the task's fields or retired / reopened it.
-- Same columns as stg_lemlist__tasks (as they were in that version), plus the snapshot's
-- bookkeeping. loaded_at is the extraction that first delivered this version.

with snapshot as (

    select * from {{ ref('snp_lemlist__tasks') }}

),

renamed as (

    select
        dbt_scd_id                  as task_version_id,
{{ lemlist_task_columns() }},
        dbt_valid_from              as snapshotted_at,
        dbt_valid_to                as superseded_at

    from snapshot

)

select * from renamed
