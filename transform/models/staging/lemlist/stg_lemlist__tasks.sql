-- One row per lemlist task, open or done. Done tasks (no longer returned by lemlist)
-- stay here with is_open = false so history remains visible.
-- All timestamps are naive UTC (timestamp without time zone), as loaded by target-postgres.

with source as (

    select * from {{ source('lemlist', 'tasks') }}

),

renamed as (

    select
{{ lemlist_task_columns() }}

    from source

)

select * from renamed
