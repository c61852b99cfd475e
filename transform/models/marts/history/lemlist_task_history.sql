-- One row per version of a lemlist task (see snp_lemlist__tasks), with when the warehouse
-- held it and what changed from the task's previous version.
--
-- valid_from is a load time, not a lemlist time: the extraction that first delivered the
-- version, or for a retirement the sync that found the task gone (retired_at). The change
-- itself happened in lemlist at some point since the previous sync.

with versions as (

    select
        *,
        coalesce(retired_at, loaded_at) as valid_from
    from {{ ref('stg_lemlist__task_versions') }}

),

compared as (

    select
        *,
        row_number() over task_versions         as version_number,
        lead(valid_from) over task_versions     as valid_to,
        lag(is_open) over task_versions         as previous_is_open,
        lag(due_at) over task_versions          as previous_due_at,
        lag(assigned_user_id) over task_versions as previous_assigned_user_id,
        lag(priority) over task_versions        as previous_priority
    from versions
    window task_versions as (partition by task_id order by snapshotted_at)

)

select
    task_version_id,
    team_id,
    team_name,
    task_id,
    version_number,
    valid_from,
    valid_to,
    (valid_to is null)                                              as is_current,
    task_type,
    title,
    priority,
    lead_id,
    campaign_id,
    contact_id,
    assigned_user_id,
    due_at,
    content,
    status,
    created_at,
    completed_at,
    is_open,
    loaded_at,
    retired_at,
    previous_due_at,
    previous_assigned_user_id,
    previous_priority,
    (version_number = 1)                                            as is_first_seen,
    (version_number > 1 and due_at is distinct from previous_due_at)
                                                                    as is_due_date_moved,
    (version_number > 1 and assigned_user_id is distinct from previous_assigned_user_id)
                                                                    as is_reassigned,
    (version_number > 1 and priority is distinct from previous_priority)
                                                                    as is_priority_changed,
    -- A task first seen already retired (loaded, done before the first snapshot) still left.
    (not is_open and coalesce(previous_is_open, true))              as is_retired,
    (is_open and not coalesce(previous_is_open, true))              as is_reopened,
    snapshotted_at

from compared
