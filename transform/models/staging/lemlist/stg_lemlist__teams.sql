-- One row per lemlist team, from the one-row `teams` table of every load schema in the
-- lemlist_schemas var. A schema loaded without the teams stream has no row here; its
-- tasks keep their team_id and get no team_name.

with teams as (

    {{ lemlist_union('teams', required=false, if_none="
        select
            cast(null as text) as _lemlist_schema,
            cast(null as text) as _id,
            cast(null as text) as name,
            cast(null as timestamp) as _sdc_deleted_at
        where false
    ") }}

)

select
    _id                 as team_id,
    name                as team_name,
    _lemlist_schema     as load_schema
from teams
where _sdc_deleted_at is null
