{#-
    "Now" in naive UTC, the way task timestamps are stored: the `reference_time` var when it
    is set (unit tests, replays), otherwise the time the model is built.
-#}
{% macro lemlist_reference_time() -%}
    {%- set reference_time = var('reference_time', none) -%}
    {%- if reference_time -%}
        cast('{{ reference_time }}' as timestamp without time zone)
    {%- else -%}
        (now() at time zone 'utc')
    {%- endif -%}
{%- endmacro %}
