-- One row per lemlist task, open or done. Done tasks (no longer returned by lemlist)
-- stay here with is_open = false so history remains visible.
-- All timestamps are naive UTC (timestamp without time zone), as loaded by target-postgres.

with source as (

    select * from {{ source('lemlist', 'tasks') }}

),

renamed as (

    select
        _id                         as task_id,
        type                        as task_type,
        title,
        priority,
        "leadId"                    as lead_id,
        "campaignId"                as campaign_id,
        "contactId"                 as contact_id,
        "userId"                    as assigned_user_id,
        "dueDate"                   as due_at,
        -- kept as delivered: lemlist sends '' for an empty note, it is not turned into null
        content,
        status,
        "createdAt"                 as created_at,
        "completedAt"               as completed_at,
        (_sdc_deleted_at is null)   as is_open,
        _sdc_extracted_at           as loaded_at,
        _sdc_deleted_at             as retired_at

    from source

)

select * from renamed
