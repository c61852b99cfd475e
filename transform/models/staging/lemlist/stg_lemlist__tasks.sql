-- One row per lemlist task of every team in the lemlist_schemas var, open or done. Done
-- tasks (no longer returned by lemlist) stay here with is_open = false so history remains
-- visible. All timestamps are naive UTC (timestamp without time zone), as loaded by
-- target-postgres.

with source as (

    select * from {{ ref('base_lemlist__tasks') }}

),

teams as (

    select team_id as "teamId", team_name from {{ ref('stg_lemlist__teams') }}

),

renamed as (

    select
{{ lemlist_task_columns() }}

    from source
    left join teams using ("teamId")

)

select * from renamed
