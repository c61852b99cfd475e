-- One row per lemlist team, from the one-row `teams` table of every load schema in the
-- lemlist_schemas var. A schema loaded without the teams stream has no row here; its
-- tasks keep their team_id and get no team_name.

select
    _id                 as team_id,
    name                as team_name,
    _lemlist_schema     as load_schema,
    "taskFilters"       as task_filters,
    {{ lemlist_has_drifting_filters('"taskFilters"') }}
                        as has_drifting_filters,
    _sdc_extracted_at   as loaded_at
from {{ ref('base_lemlist__teams') }}
where _sdc_deleted_at is null
