{#-
    Snapshots stamp dbt_valid_from / dbt_valid_to with this. dbt-postgres uses the server's
    local time; the loaded tasks are naive UTC, so the snapshot uses UTC too.
-#}
{% macro postgres__snapshot_get_time() -%}
    (now() at time zone 'utc')
{%- endmacro %}
