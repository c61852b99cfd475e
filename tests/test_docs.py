"""The README's settings table and meltano.yml say what the tap's settings are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tap_lemlist_tasks.tap import SETTINGS

REPO = Path(__file__).parent.parent
MELTANO_KINDS = {"string": "string", "integer": "integer", "boolean": "boolean"}
MELTANO_KINDS |= {"array": "array", "number": "decimal"}


def test_readme_settings_table_is_the_taps_own_about_output() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_lemlist_tasks.tap", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = "\n".join(line for line in about.splitlines() if line.startswith("|"))

    readme = (REPO / "README.md").read_text()
    documented = re.search(
        r"<!-- settings:begin -->\n(.*?)\n<!-- settings:end -->", readme, re.DOTALL
    )

    assert documented, "README.md lost its settings markers"
    assert documented[1] == table, "run scripts/update-readme-settings"


def test_meltano_yml_declares_every_tap_setting_as_the_tap_does() -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    declared = {setting["name"]: setting for setting in extractor["settings"]}

    properties = SETTINGS.to_dict()["properties"]
    assert list(declared) == list(properties)
    for name, schema in properties.items():
        setting = declared[name]
        json_type = next(t for t in schema["type"] if t != "null")
        secret = schema.get("writeOnly", False)
        assert setting["kind"] == ("password" if secret else MELTANO_KINDS[json_type])
        assert setting.get("sensitive", False) == secret
        assert setting.get("value") == schema.get("default")
        assert setting["label"] == schema["title"]
        assert setting["description"] == schema["description"]
