-- One row per version of a lemlist team the snapshot `snp_lemlist__teams` recorded: a new
-- version each time a load changed the team's name or the `filters` setting its tasks
-- were read with (`taskFilters`). valid_from is the extraction that first delivered the
-- version (the team is read at the start of each sync, before its tasks); valid_to is
-- the next version's valid_from.
--
-- Before the first `dbt snapshot` (or `dbt build`) the snapshot table does not exist:
-- `dbt run` and `dbt test` on a new warehouse then build this model empty, as
-- stg_lemlist__task_versions, and say so in the log.

with snapshot as (
{{ lemlist_snapshot_versions(ref('snp_lemlist__teams'), ref('base_lemlist__teams'), 'team') }}
),

renamed as (

    select
        dbt_scd_id                  as team_version_id,
        _id                         as team_id,
        name                        as team_name,
        _lemlist_schema             as load_schema,
        "taskFilters"               as task_filters,
        {{ lemlist_has_drifting_filters('"taskFilters"') }}
                                    as has_drifting_filters,
        _sdc_extracted_at           as valid_from,
        (_sdc_deleted_at is null)   as is_live,
        dbt_valid_from              as snapshotted_at,
        dbt_valid_to                as superseded_at

    from snapshot

)

select
    *,
    row_number() over team_versions     as version_number,
    lead(valid_from) over team_versions as valid_to
from renamed
window team_versions as (partition by team_id order by snapshotted_at)
