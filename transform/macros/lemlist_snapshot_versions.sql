{#-
    The rows a snapshot recorded, or, before the first `dbt snapshot` (or `dbt build`),
    none, with the columns the snapshot will have: `dbt run` and `dbt test` on a new
    warehouse then build the history models empty, and the log says why. `what` names
    the history in that line (task, team).
-#}
{% macro lemlist_snapshot_versions(snapshot, loaded, what) %}
{%- set taken = execute and adapter.get_relation(
        database=snapshot.database, schema=snapshot.schema, identifier=snapshot.identifier
    ) is not none %}
{%- if execute and not taken %}
    {{- log(
        model.name ~ ": no " ~ what ~ " history yet, the snapshot " ~ snapshot
        ~ " has not been taken. The history starts with the first `dbt snapshot`"
        ~ " (`dbt build` takes one before this model).",
        info=true
    ) }}
{%- endif %}
{%- if taken %}

    select * from {{ snapshot }}

{%- else %}

    -- No snapshot yet: no versions, with the columns the snapshot will have.
    select
        *,
        cast(null as text)      as dbt_scd_id,
        cast(null as timestamp) as dbt_updated_at,
        cast(null as timestamp) as dbt_valid_from,
        cast(null as timestamp) as dbt_valid_to
    from {{ loaded }}
    where false

{%- endif %}
{% endmacro %}
