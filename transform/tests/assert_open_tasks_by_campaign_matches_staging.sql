-- Singular test: the campaign mart accounts for every open task exactly once, those of
-- unknown campaigns and without a campaign included.
with mart as (
    select coalesce(sum(open_tasks), 0) as n from {{ ref('lemlist_open_tasks_by_campaign') }}
),
stg as (
    select count(*) as n from {{ ref('stg_lemlist__tasks') }} where is_open
)
select mart.n as mart_open_tasks, stg.n as staging_open_tasks
from mart cross join stg
where mart.n <> stg.n
