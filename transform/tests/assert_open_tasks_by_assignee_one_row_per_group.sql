-- Singular test: at most one row per (team_id, assigned_user_id, task_type); null
-- assignees are one group per team. Returns the offending groups.
select
    team_id,
    coalesce(assigned_user_id, '__unassigned__') as assignee,
    task_type,
    count(*) as n_rows
from {{ ref('lemlist_open_tasks_by_assignee') }}
group by 1, 2, 3
having count(*) > 1
