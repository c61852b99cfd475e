-- One row per lemlist campaign (`GET /campaigns`) of every load schema in the
-- lemlist_schemas var; live rows only: a campaign deleted in lemlist is retired by the
-- next complete sync and is no longer here. On a lemlist plan without the campaigns
-- route (HTTP 402) the tap loads none, and the schema may have no `campaigns` table:
-- it then has no row.

with campaigns as (

    {{ lemlist_union('campaigns', required=false, columns={
        '_id': 'text',
        'teamId': 'text',
        'name': 'text',
        'status': 'text',
        'createdAt': 'timestamp without time zone',
        'createdBy': 'text',
        'labels': 'text[]',
        'hasError': 'boolean',
        'errors': 'jsonb[]',
        'emoji': 'text',
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
    _id                 as campaign_id,
    name                as campaign_name,
    status              as campaign_status,
    "createdAt"         as created_at,
    "createdBy"         as created_by_user_id,
    -- target-postgres loads the arrays as text[] and jsonb[]: one jsonb array each
    to_jsonb(labels)    as labels,
    "hasError"          as has_error,
    to_jsonb(errors)    as errors,
    emoji,
    _sdc_extracted_at   as loaded_at
from campaigns
left join teams using ("teamId")
where _sdc_deleted_at is null
