-- One row per member of a lemlist team (the `users` the team's `GET /team?version=v2`
-- lists), of every load schema in the lemlist_schemas var; live rows only: a user who
-- left the team is retired by the next complete sync and is no longer here. A schema
-- without a `users` table (lemlist listed no users) has no row.

with users as (

    {{ lemlist_union('users', required=false, columns={
        'userId': 'text',
        'teamId': 'text',
        'name': 'text',
        'email': 'text',
        'role': 'text',
        '_sdc_extracted_at': 'timestamp without time zone',
        '_sdc_deleted_at': 'timestamp without time zone',
    }) }}

),

teams as (

    select team_id as "teamId", team_name from {{ ref('stg_lemlist__teams') }}

)

select
    "teamId"            as team_id,
    team_name,
    "userId"            as user_id,
    name                as user_name,
    email,
    role,
    _sdc_extracted_at   as loaded_at
from users
left join teams using ("teamId")
where _sdc_deleted_at is null
