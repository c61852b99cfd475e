{#-
    The load schemas dbt unites, one per lemlist team (agencies, issue #12): the
    `lemlist_schemas` var, a list or a comma-separated string. Unset, it is the
    LEMLIST_SCHEMAS variable, else the one schema of LEMLIST_SOURCE_SCHEMA (what
    target-postgres loaded: tap_lemlist_tasks by default).
-#}
{% macro lemlist_schemas() -%}
    {%- set default = env_var('LEMLIST_SCHEMAS', env_var('LEMLIST_SOURCE_SCHEMA', 'tap_lemlist_tasks')) -%}
    {%- set value = var('lemlist_schemas', none) or default -%}
    {%- set listed = value.split(',') if value is string else value -%}
    {%- set schemas = [] -%}
    {%- for schema in listed if schema | trim -%}
        {%- do schemas.append(schema | trim) -%}
    {%- endfor -%}
    {%- if not schemas -%}
        {{ exceptions.raise_compiler_error("lemlist_schemas lists no schema") }}
    {%- endif -%}
    {{ return(schemas) }}
{%- endmacro %}

{#-
    `select * from <schema>.<table_name>` for every schema of lemlist_schemas(), united,
    with `_lemlist_schema` saying which schema a row came from. A column one schema lacks
    (loaded by an older tap) is null there. A schema without the table fails the model
    when `required` (a mistyped schema must not look like a team without tasks), and is
    left out otherwise. `columns` ({name: type}) are the columns the result always has,
    of those types: one a schema's table lacks is null there, and when no schema has the table at all (a
    stream that loaded nothing, e.g. campaigns on a plan without that route) the result
    is no row with `_lemlist_schema` and these columns. `if_none`, when given, is the
    query for that case instead.
-#}
{% macro lemlist_union(table_name, required=true, if_none='', columns={}) -%}
    {%- if not execute -%}
        select null as _lemlist_schema
    {%- else -%}
        {%- set relations = [] -%}
        {%- for schema in lemlist_schemas() -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=table_name) -%}
            {%- if relation is not none -%}
                {%- do relations.append(relation) -%}
            {%- elif required -%}
                {{ exceptions.raise_compiler_error("lemlist_schemas: no table " ~ schema ~ "." ~ table_name ~ " (has this team been loaded?)") }}
            {%- endif -%}
        {%- endfor -%}
        {%- set types = {} -%}
        {%- set columns_of = {} -%}
        {%- for relation in relations -%}
            {%- set names = [] -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do names.append(column.name) -%}
                {%- if column.name not in types -%}
                    {%- do types.update({column.name: column.data_type}) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do columns_of.update({relation.schema: names}) -%}
        {%- endfor -%}
        {#- Declared types win: PostgreSQL reports an array column as just ARRAY. -#}
        {%- for name, data_type in columns.items() -%}
            {%- do types.update({name: data_type}) -%}
        {%- endfor -%}
        {%- for relation in relations %}
        select
            cast({{ dbt.string_literal(relation.schema) }} as text) as _lemlist_schema
            {%- for name, data_type in types.items() %},
            {% if name in columns_of[relation.schema] -%}
                {{ adapter.quote(name) }}
            {%- else -%}
                cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
            {%- endif -%}
            {%- endfor %}
        from {{ relation }}
        {% if not loop.last %}union all{% endif -%}
        {%- endfor -%}
        {%- if not relations and if_none %}
        {{ if_none }}
        {%- elif not relations %}
        select
            cast(null as text) as _lemlist_schema
            {%- for name, data_type in types.items() %},
            cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
            {%- endfor %}
        where false
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
