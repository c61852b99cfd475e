-- One row per time a lemlist task left the open list (done, or deleted in lemlist): a task
-- reopened and done again has one row per completion.
--
-- lemlist sends no completion time. The task was completed somewhere between
-- last_seen_open_at (the last extraction that returned it) and retired_at (the sync that
-- found it gone): the precision is the sync interval.
--
-- A task also leaves the list when it no longer matches the tap's `filters` (left_because):
-- when the sync that retired it read with other filters than the sync that last saw it
-- ('filters changed'), or with a filter a task can leave while open, e.g. assignedTo or
-- dueDate ('done, deleted or left the filters'); else it was 'done or deleted'. Each
-- sync's filters come from the teams snapshot (stg_lemlist__team_versions): the version
-- in effect at an instant is the last one loaded by then, and the team's first version
-- is taken to hold before it too (the warehouse recorded no filters earlier).

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

team_versions as (

    select * from {{ ref('stg_lemlist__team_versions') }}

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
        s.times_reassigned,
        retiring.task_filters                           as retiring_task_filters,
        case
            when seen.task_filters is not null
                and retiring.task_filters is not null
                and seen.task_filters <> retiring.task_filters
                then 'filters changed'
            -- drifting filters, or filters not known (null)
            when retiring.has_drifting_filters is not false
                then 'done, deleted or left the filters'
            else 'done or deleted'
        end                                             as left_because
    from retirements as r
    inner join spells as s
        on r.task_id = s.task_id
        and r.completion_number = s.completion_number
    -- the team's filters when the last sync that returned the task read it
    left join team_versions as seen
        on r.team_id = seen.team_id
        and (seen.version_number = 1 or seen.valid_from <= r.loaded_at)
        and (seen.valid_to is null or r.loaded_at < seen.valid_to)
    -- the team's filters in the sync that retired it (read before the retirement)
    left join team_versions as retiring
        on r.team_id = retiring.team_id
        and (retiring.version_number = 1 or retiring.valid_from <= r.retired_at)
        and (retiring.valid_to is null or r.retired_at < retiring.valid_to)

)

select
    *,
    cast(
        extract(epoch from retired_at - opened_at) / 86400 as numeric(10, 2)
    )                                                   as days_open
from completions
