-- Singular test: a task's versions follow each other (valid_to is the next valid_from and
-- never before its own valid_from), and exactly one version per task is current.
with history as (
    select * from {{ ref('lemlist_task_history') }}
)
select task_id, version_number, 'valid_to before valid_from' as problem
from history
where valid_to < valid_from
union all
select task_id, null, 'not exactly one current version'
from history
group by task_id
having count(*) filter (where is_current) <> 1
