-- Singular test: a completion happened between the last load that saw the task open and
-- the sync that found it gone, so last_seen_open_at never comes after retired_at.
select task_completion_id, last_seen_open_at, retired_at
from {{ ref('lemlist_task_completions') }}
where last_seen_open_at > retired_at
