"""The README's settings table says what the tap's settings are.

meltano.yml and the plugin definition: tests/test_plugin_definition.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parent.parent


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
