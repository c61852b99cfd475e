"""The README's settings table says what the tap's settings are; the README is a front
page, and its links and those of docs/ lead somewhere.

meltano.yml and the plugin definition: tests/test_plugin_definition.py. The README's
code blocks that tests run: test_own_project.py, test_rehearsal.py; docs/'s dashboard
queries: test_dbt.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parent.parent


def test_readme_settings_table_is_the_taps_own_about_output() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_lemlist_tasks", "--about", "--format=markdown"],
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


LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)
    return {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings
    }


def test_every_local_link_of_the_docs_leads_somewhere() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and anchor not in heading_anchors(linked.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")

    assert broken == []


def test_the_readme_is_a_front_page_to_every_page_in_docs() -> None:
    readme = (REPO / "README.md").read_text()
    pages = {f"docs/{page.name}" for page in (REPO / "docs").glob("*.md")}

    assert len(readme.splitlines()) <= 300
    assert "OWNER" not in readme
    assert pages
    assert {page for page in pages if f"]({page})" not in readme} == set()
