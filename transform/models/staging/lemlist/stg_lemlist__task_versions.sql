-- One row per version of a lemlist task the snapshot `snp_lemlist__tasks` recorded: a new
-- version each time a load changed one of the task's fields or retired / reopened it.
-- Same columns as stg_lemlist__tasks (as they were in that version; team_name as it is
-- now), plus the snapshot's bookkeeping. loaded_at is the extraction that first
-- delivered this version.
--
-- Before the first `dbt snapshot` (or `dbt build`) the snapshot table does not exist:
-- `dbt run` and `dbt test` on a new warehouse then build this model, and the history
-- models on it, empty, and say so in the log. `dbt build` takes the snapshot first.

{%- set snapshot = ref('snp_lemlist__tasks') %}
{%- set loaded = ref('base_lemlist__tasks') %}
{%- set taken = execute and adapter.get_relation(
        database=snapshot.database, schema=snapshot.schema, identifier=snapshot.identifier
    ) is not none %}
{%- if execute and not taken %}
    {{- log(
        "stg_lemlist__task_versions: no task history yet, the snapshot " ~ snapshot
        ~ " has not been taken. The history starts with the first `dbt snapshot`"
        ~ " (`dbt build` takes one before this model).",
        info=true
    ) }}
{%- endif %}

with snapshot as (

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

),

teams as (

    select team_id as "teamId", team_name from {{ ref('stg_lemlist__teams') }}

),

renamed as (

    select
        dbt_scd_id                  as task_version_id,
{{ lemlist_task_columns() }},
        dbt_valid_from              as snapshotted_at,
        dbt_valid_to                as superseded_at

    from snapshot
    left join teams using ("teamId")

)

select * from renamed
