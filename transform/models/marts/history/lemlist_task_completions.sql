-- One row per time a lemlist task left the open list (done, or deleted in lemlist): a task
-- reopened and done again has one row per completion.
--
-- lemlist sends no completion time. The task was completed somewhere between
-- last_seen_open_at (the last extraction that returned it) and retired_at (the sync that
-- found it gone): the precision is the sync interval.

with history as (

    select
        *,
        -- Completions before this version: versions after a retirement start a new spell.
        1 + coalesce(
            sum(case when is_retired then 1 else 0 end) over (
                partition by task_id order by version_number
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as completion_number
    from {{ ref('lemlist_task_history') }}

),

spells as (

    select
        task_id,
        completion_number,
        min(valid_from)                                 as spell_started_at,
        count(*) filter (where is_due_date_moved)       as times_rescheduled,
        count(*) filter (where is_reassigned)           as times_reassigned
    from history
    group by task_id, completion_number

),

retirements as (

    select * from history where is_retired

),

completions as (

    select
        r.task_version_id                               as task_completion_id,
        r.team_id,
        r.team_name,
        r.task_id,
        r.completion_number,
        r.task_type,
        r.title,
        r.priority,
        r.lead_id,
        r.campaign_id,
        r.contact_id,
        r.assigned_user_id,
        r.due_at,
        r.created_at,
        case
            when r.completion_number > 1 then s.spell_started_at
            else coalesce(r.created_at, s.spell_started_at)
        end                                             as opened_at,
        case
            when r.completion_number > 1 then 'reopened'
            when r.created_at is not null then 'created_at'
            else 'first_seen'
        end                                             as opened_at_source,
        r.loaded_at                                     as last_seen_open_at,
        r.retired_at,
        s.times_rescheduled,
        s.times_reassigned
    from retirements as r
    inner join spells as s
        on r.task_id = s.task_id
        and r.completion_number = s.completion_number

)

select
    *,
    cast(
        extract(epoch from retired_at - opened_at) / 86400 as numeric(10, 2)
    )                                                   as days_open
from completions
