-- One row per (team_id, campaign_id) with at least one open task, with the campaign's
-- name and status from the team's campaigns (null for a campaign lemlist no longer lists,
-- e.g. deleted, or when the plan has no campaigns route: the tasks still count). Tasks
-- without a campaign form their own group (campaign_id is null) in each team.
-- due_at is naive UTC, compared with "now" in UTC as in lemlist_open_tasks_by_assignee.

with open_tasks as (

    select *
    from {{ ref('stg_lemlist__tasks') }}
    where is_open

),

campaigns as (

    select team_id, campaign_id, campaign_name, campaign_status, has_error
    from {{ ref('stg_lemlist__campaigns') }}

),

now_utc as (

    select
        {{ lemlist_reference_time() }}          as ts,
        ({{ lemlist_reference_time() }})::date  as today

)

select
    md5(
        coalesce(t.team_id, '__no_team__') || '|'
        || coalesce(t.campaign_id, '__no_campaign__')
    )                                                           as team_campaign_key,
    t.team_id,
    t.team_name,
    t.campaign_id,
    c.campaign_name,
    c.campaign_status,
    c.has_error                                                 as campaign_has_error,
    count(*)                                                    as open_tasks,
    count(*) filter (where t.due_at < n.ts)                     as overdue_tasks,
    count(*) filter (where t.due_at::date = n.today)            as due_today_tasks,
    count(*) filter (where t.due_at is null)                    as no_due_date_tasks,
    count(distinct t.assigned_user_id)                          as assignees,
    min(t.due_at)                                               as oldest_due_at,
    n.ts                                                        as computed_at

from open_tasks as t
-- campaigns are unique per team (tested), so the join keeps one row per task
left join campaigns as c
    on t.team_id = c.team_id
    and t.campaign_id = c.campaign_id
cross join now_utc as n
group by
    t.team_id, t.team_name, t.campaign_id, c.campaign_name, c.campaign_status,
    c.has_error, n.ts, n.today
