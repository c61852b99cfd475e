{#-
    Snapshots stamp dbt_valid_from / dbt_valid_to with this. dbt-postgres uses the session's
    local time; the loaded tasks are naive UTC, so the snapshot uses UTC too, whatever the
    database's timezone. When this project is a package of another, dbt uses this version
    only if that project's `dispatch` lists lemlist_tasks for the `dbt` namespace
    (README.md, "Using transform/ as a dbt package").
-#}
{% macro postgres__snapshot_get_time() -%}
    (now() at time zone 'utc')
{%- endmacro %}
