"""The dbt project shares the tap's lists of lemlist values instead of copying them."""

from __future__ import annotations

import lemlist_standin
import yaml
from warehouse import REPO

from tap_lemlist_tasks import filters

TRANSFORM = REPO / "transform"


def dbt_vars() -> dict[str, object]:
    project = yaml.safe_load((TRANSFORM / "dbt_project.yml").read_text())
    return dict(project["vars"])


def test_dbt_task_types_are_the_ones_the_filters_accept() -> None:
    assert dbt_vars()["lemlist_task_types"] == list(filters.TASK_TYPES)


def test_dbt_campaign_states_are_the_ones_the_filters_accept() -> None:
    assert dbt_vars()["lemlist_campaign_states"] == list(filters.CAMPAIGN_STATES)


def test_the_standin_accepts_and_serves_the_task_types_the_filters_accept() -> None:
    standin = lemlist_standin.LemlistStandIn(lemlist_standin.sample_tasks(100))
    every_type = [{"filterId": "type", "in": list(filters.TASK_TYPES)}]

    served = standin.pending_records(every_type)

    assert len(served) == 100
    assert {task["type"] for task in served} == set(filters.TASK_TYPES)


def test_the_standin_accepts_the_campaign_states_the_filters_accept() -> None:
    standin = lemlist_standin.LemlistStandIn(lemlist_standin.sample_tasks(100))
    every_state = [{"filterId": "campaignState", "in": list(filters.CAMPAIGN_STATES)}]

    assert standin.pending_records(every_state)


def test_dbt_yaml_files_name_no_task_type_outside_the_vars() -> None:
    copies = [
        path.relative_to(TRANSFORM)
        for path in TRANSFORM.rglob("*.yml")
        if "target" not in path.parts
        and path.name != "dbt_project.yml"
        and "linkedinVoiceNote" in path.read_text()
    ]

    assert copies == []
