{#-
    The select list that renames a row of the loaded `tasks` table (or of its snapshot) to
    snake_case. Both staging models use it, so the live table and the history agree.
    target-postgres keeps lemlist's camelCase names as quoted identifiers.
    team_name comes from stg_lemlist__teams, which both staging models join on team_id.
-#}
{% macro lemlist_task_columns() %}
        "teamId"                    as team_id,
        team_name,
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
{%- endmacro %}
