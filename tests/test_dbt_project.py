"""Three copies of lemlist's documented values agree: the tap's, dbt's, the stand-in's.

Each is kept on its own (the stand-in plays lemlist and imports nothing from the
tap), so a value added to one and not the others fails here.
"""

from __future__ import annotations

import lemlist_sample
import pytest
import yaml
from warehouse import REPO

from tap_lemlist_tasks import filters

TRANSFORM = REPO / "transform"


@pytest.mark.parametrize(
    ("name", "taps"),
    [
        ("lemlist_task_types", list(filters.TASK_TYPES)),
        ("lemlist_campaign_states", list(filters.CAMPAIGN_STATES)),
        # dbt names a retirement by a sync with one of these "done, deleted or left
        # the filters"; the tap warns at the start of such a sync (issues #23, #29).
        ("lemlist_drifting_filters", [*filters.DRIFTING_FILTERS, filters.STREAM_MAP]),
    ],
)
def test_dbt_vars_are_the_values_of_the_filters(name: str, taps: list[str]) -> None:
    project = yaml.safe_load((TRANSFORM / "dbt_project.yml").read_text())

    assert project["vars"][name] == taps


def test_the_filters_accept_the_types_and_states_lemlist_documents() -> None:
    assert filters.TASK_TYPES == lemlist_sample.TASK_TYPES
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
