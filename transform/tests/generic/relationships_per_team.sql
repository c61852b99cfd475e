{#-
    dbt's `relationships` test, per lemlist team: every non-null `column_name` of `model`
    is a `field` of `to` in the same team (both have team_id). A team with no row in `to`
    at all is left out: its users or campaigns were not loaded (lemlist listed no users,
    or the plan has no campaigns route), which would make every one of its tasks a
    failure. Returns the team and value of each row that points nowhere.
-#}
{% test relationships_per_team(model, column_name, to, field) %}

with child as (
    select team_id, {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select team_id, {{ field }} as to_field
    from {{ to }}
),

loaded_teams as (
    select distinct team_id from parent
)

select child.team_id, child.from_field
from child
inner join loaded_teams on child.team_id = loaded_teams.team_id
left join parent
    on child.team_id = parent.team_id
    and child.from_field = parent.to_field
where parent.to_field is null

{% endtest %}
