-- One row per (team_id, assigned_user_id, task_type) with at least one open task, with
-- the assignee's name and email from the team's users (null for a user lemlist no longer
-- lists: the tasks still count). Unassigned tasks form their own group
-- (assigned_user_id is null) in each team.
-- due_at is naive UTC, so it is compared with "now" in UTC: the `reference_time` var, or
-- the time the model is built when that var is unset.

with open_tasks as (

    select *
    from {{ ref('stg_lemlist__tasks') }}
    where is_open

),

users as (

    select team_id, user_id, user_name, email
    from {{ ref('stg_lemlist__users') }}

),

now_utc as (

    select
        {{ lemlist_reference_time() }}          as ts,
        ({{ lemlist_reference_time() }})::date  as today

)

select
    md5(
        coalesce(t.team_id, '__no_team__') || '|'
        || coalesce(t.assigned_user_id, '__unassigned__') || '|'
        || coalesce(t.task_type, '__untyped__')
    )                                                           as assignee_type_key,
    t.team_id,
    t.team_name,
    t.assigned_user_id,
    u.user_name                                                 as assignee_name,
    u.email                                                     as assignee_email,
    t.task_type,
    count(*)                                                    as open_tasks,
    count(*) filter (where t.due_at < n.ts)                     as overdue_tasks,
    count(*) filter (where t.due_at::date = n.today)            as due_today_tasks,
    count(*) filter (where t.due_at is null)                    as no_due_date_tasks,
    min(t.due_at)                                               as oldest_due_at,
    n.ts                                                        as computed_at

from open_tasks as t
-- users are unique per team (tested), so the join keeps one row per task
left join users as u
    on t.team_id = u.team_id
    and t.assigned_user_id = u.user_id
cross join now_utc as n
group by
    t.team_id, t.team_name, t.assigned_user_id, u.user_name, u.email, t.task_type,
    n.ts, n.today
