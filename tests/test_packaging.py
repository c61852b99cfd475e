"""What the published package promises: declared imports, typing, entry points."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "tap_lemlist_tasks"
DISTRIBUTION = "tap-lemlist-tasks"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_distribution_is_a_declared_dependency() -> None:
    imported: set[str] = set()  # top-level modules, the tap's own and stdlib's aside
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    imported -= {*sys.stdlib_module_names, "tap_lemlist_tasks"}
    declared = {
        normalise(match[0])
        for requirement in metadata.requires(DISTRIBUTION) or []
        if "extra ==" not in requirement
        and (match := re.match(r"[A-Za-z0-9._-]+", requirement))
    }
    providers = metadata.packages_distributions()

    undeclared = {
        module
        for module in imported
        if not {normalise(d) for d in providers.get(module, [module])} & declared
    }

    assert not undeclared, f"add to [project] dependencies: {sorted(undeclared)}"


def test_the_package_says_it_is_typed() -> None:
    classifiers = metadata.metadata(DISTRIBUTION).get_all("Classifier") or []

    assert "Typing :: Typed" in classifiers
    assert (PACKAGE / "py.typed").exists()


def test_python_dash_m_runs_the_tap() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "tap_lemlist_tasks", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert version.startswith(f"{DISTRIBUTION} v{metadata.version(DISTRIBUTION)}")
