"""Three copies of lemlist's documented values agree: the tap's, dbt's, the stand-in's.

Each is kept on its own (the stand-in plays lemlist and imports nothing from the
tap), so a value added to one and not the others fails here.
"""

from __future__ import annotations

import lemlist_sample
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


def test_dbt_drifting_filters_are_the_ones_the_tap_warns_about() -> None:
    # dbt names a retirement by a sync with one of these "done, deleted or left the
    # filters"; the tap warns at the start of such a sync (issues #23, #29).
    drifting = [*filters.DRIFTING_FILTERS, filters.STREAM_MAP]
    assert dbt_vars()["lemlist_drifting_filters"] == drifting


def test_the_filters_accept_the_task_types_lemlist_documents() -> None:
    assert filters.TASK_TYPES == lemlist_sample.TASK_TYPES


def test_the_filters_accept_the_campaign_states_lemlist_documents() -> None:
    assert filters.CAMPAIGN_STATES == lemlist_sample.CAMPAIGN_STATES


def test_dbt_yaml_files_name_no_task_type_outside_the_vars() -> None:
    copies = [
        path.relative_to(TRANSFORM)
        for path in TRANSFORM.rglob("*.yml")
        if "target" not in path.parts
        and path.name != "dbt_project.yml"
        and "linkedinVoiceNote" in path.read_text()
    ]

    assert copies == []
