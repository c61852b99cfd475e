-- A model of your own on the package's mart: open and overdue lemlist tasks per team.
select
    team_id,
    team_name,
    sum(open_tasks)     as open_tasks,
    sum(overdue_tasks)  as overdue_tasks
from {{ ref('lemlist_open_tasks_by_assignee') }}
group by team_id, team_name
