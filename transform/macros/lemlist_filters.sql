{#-
    Whether a `filters` setting, as the canonical JSON text the tap puts in the teams
    row's `taskFilters`, has a filter a task can leave while it stays open: one whose
    filterId is in the `lemlist_drifting_filters` var (a reassignment, a reschedule, a
    paused campaign, an edited lead). Null when the filters are not known (null).
-#}
{% macro lemlist_has_drifting_filters(task_filters) -%}
    case
        when {{ task_filters }} is null then null
        else exists (
            select 1
            from jsonb_array_elements(cast({{ task_filters }} as jsonb)) as lemlist_filter (item)
            where lemlist_filter.item ->> 'filterId' in (
                {%- for filter_id in var('lemlist_drifting_filters') -%}
                    {{ dbt.string_literal(filter_id) }}{{ ", " if not loop.last }}
                {%- endfor -%}
            )
        )
    end
{%- endmacro %}
