"""The tap's Meltano plugin definition, generated from `tap-lemlist-tasks --about`.

Writes two files that must never be edited by hand:

- `meltano-hub/extractors/tap-lemlist-tasks/<variant>.yml`: the definition in Meltano
  Hub's format and layout (`_data/meltano/extractors/<name>/<variant>.yml` in the
  meltano/hub repository), for `meltano add --plugin-type extractor tap-lemlist-tasks
  --from-ref <file or raw URL>` and for a Hub submission;
- the `extractors:` block of `meltano.yml`: the same definition, installed from the
  checkout (`pip_url: -e .`), written the way Meltano itself writes a plugin, so
  `meltano config set` and `meltano select` add to it without rewriting it.

Usage: `python scripts/plugin_definition.py [--check]`, which
`scripts/update-plugin-definition` runs. `--check` changes nothing and exits 1 when a
file is out of date.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import typing as t
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse

import yaml

REPO = Path(__file__).resolve().parent.parent
NAME = "tap-lemlist-tasks"
UPDATE_COMMAND = "scripts/update-plugin-definition"

# Meltano's setting kinds for the JSON types of the tap's settings. JSON `number` is
# missing on purpose: Meltano 4.4.1 crashes on a `kind: decimal` setting set from the
# environment (Decimal is not JSON serialisable).
KINDS = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}
# Meltano's own key order for a setting (SettingDefinition) and for a plugin
# (ProjectPlugin): `meltano config set` rewrites a plugin it touches in this order.
SETTING_KEYS = ("name", "kind", "value", "label", "description", "options", "sensitive")
PLUGIN_KEYS = (
    "name",
    "namespace",
    "pip_url",
    "executable",
    "capabilities",
    "settings_group_validation",
    "settings",
)
# Where the extractor lives in meltano.yml: from `  extractors:` up to `  loaders:`,
# or up to the first extractor inheriting from it (one per lemlist team), kept as is.
EXTRACTORS_BLOCK = re.compile(
    r"^  extractors:\n.*?(?=^  - name: [^\n]*\n    inherit_from: |^  loaders:\n)",
    re.DOTALL | re.MULTILINE,
)


class UnsupportedSettingError(ValueError):
    """A setting whose JSON schema has no Meltano kind that works."""


def about() -> dict[str, t.Any]:
    """Return `tap-lemlist-tasks --about --format=json`, parsed."""
    completed = subprocess.run(
        [sys.executable, "-m", "tap_lemlist_tasks", "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    about_info: dict[str, t.Any] = json.loads(completed.stdout)
    return about_info


def setting_kind(name: str, schema: dict[str, t.Any]) -> str:
    """Return the Meltano kind for one setting's JSON schema.

    Raises:
        UnsupportedSettingError: For a JSON type Meltano cannot pass on safely.
    """
    if "enum" in schema:
        return "options"
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    (json_type, *others) = [json_type for json_type in types if json_type != "null"]
    if others or json_type not in KINDS:
        msg = (
            f"Setting {name!r} has JSON type {types}: Meltano has no kind that works "
            f"for it (kinds: {', '.join(sorted(KINDS))}). A `number` would be "
            "`kind: decimal`, which Meltano 4.4.1 cannot read from the environment: "
            "use an integer (e.g. milliseconds) instead."
        )
        raise UnsupportedSettingError(msg)
    if json_type == "string" and schema.get("format") in {"date", "date-time"}:
        return "date_iso8601"
    return KINDS[json_type]


def setting(name: str, schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the Meltano setting for one property of the tap's config schema."""
    kind = setting_kind(name, schema)
    fields: dict[str, t.Any] = {
        "name": name,
        "kind": kind,
        "value": schema.get("default"),
        "label": schema.get("title") or name.replace("_", " ").capitalize(),
        "description": schema.get("description"),
        "options": [{"label": str(v), "value": v} for v in schema.get("enum", [])]
        or None,
        # Meltano keeps a sensitive setting out of meltano.yml and redacts it.
        "sensitive": bool(schema.get("secret") or schema.get("writeOnly")),
    }
    return {key: fields[key] for key in SETTING_KEYS if fields[key] is not None}


def repository() -> str:
    """Return the repository URL from the installed package's metadata."""
    urls = metadata.metadata(NAME).get_all("Project-URL") or []
    by_label = dict(url.split(", ", 1) for url in urls)
    return str(by_label["Repository"]).rstrip("/")


def hub_definition(about_info: dict[str, t.Any], repo: str) -> dict[str, t.Any]:
    """Return the plugin definition in Meltano Hub's format.

    Keys and settings are sorted, as in every file of Meltano Hub.
    """
    config = about_info["settings"]
    settings = [setting(name, schema) for name, schema in config["properties"].items()]
    for one in settings:
        if not one.get("sensitive"):
            one.pop("sensitive", None)
    definition = {
        "name": NAME,
        "variant": urlparse(repo).path.strip("/").split("/")[0].lower(),
        "label": "lemlist tasks",
        "description": "Tasks of lemlist, the sales engagement platform",
        "namespace": NAME.replace("-", "_"),
        "pip_url": NAME,
        "executable": NAME,
        "repo": repo,
        "docs": f"{repo}#readme",
        "domain_url": "https://www.lemlist.com",
        "keywords": ["api", "lemlist", "meltano_sdk"],
        "maintenance_status": "beta",
        "capabilities": sorted(about_info["capabilities"]),
        "settings_group_validation": [sorted(config.get("required", []))],
        "settings": sorted(
            (dict(sorted(one.items())) for one in settings), key=lambda s: s["name"]
        ),
    }
    return dict(sorted(definition.items()))


def meltano_yml_extractor(about_info: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the extractor of this repository's meltano.yml, in Meltano's order."""
    config = about_info["settings"]
    settings = [setting(name, schema) for name, schema in config["properties"].items()]
    for one in settings:
        if not one["sensitive"]:
            del one["sensitive"]
    fields = {
        "name": NAME,
        "namespace": NAME.replace("-", "_"),
        "pip_url": "-e .",
        "executable": NAME,
        "capabilities": sorted(about_info["capabilities"]),
        "settings_group_validation": [sorted(config.get("required", []))],
        "settings": settings,
    }
    return {key: fields[key] for key in PLUGIN_KEYS}


class _MeltanoStyleDumper(yaml.SafeDumper):
    """PyYAML, quoting like Meltano's ruamel.yaml: "..." around a single quote."""

    def choose_scalar_style(self) -> str:
        style = str(super().choose_scalar_style())
        value = getattr(self.event, "value", "")
        if style == "'" and "'" in value:
            return '"'
        return style


def to_yaml(data: object) -> str:
    """Dump YAML as Meltano does: block style, long lines kept, unicode as is."""
    return yaml.dump(
        data,
        Dumper=_MeltanoStyleDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
    )


def hub_file(variant: str) -> Path:
    """Return where the Hub-format definition lives in this repository."""
    return REPO / "meltano-hub" / "extractors" / NAME / f"{variant}.yml"


def expected_files() -> dict[Path, str]:
    """Return every generated file with the text it must have."""
    about_info = about()
    definition = hub_definition(about_info, repository())
    header = (
        f"# Generated by {UPDATE_COMMAND} from `{NAME} --about`: do not edit.\n"
        "# Meltano Hub format; add it to a project with\n"
        f"#   meltano add --plugin-type extractor {NAME} --from-ref <file or URL>\n"
    )
    extractor = to_yaml({"extractors": [meltano_yml_extractor(about_info)]})
    meltano_yml = (REPO / "meltano.yml").read_text()
    if not EXTRACTORS_BLOCK.search(meltano_yml):
        msg = "meltano.yml: no `  extractors:` block followed by `  loaders:`"
        raise ValueError(msg)
    generated = "\n".join(f"  {line}" for line in extractor.splitlines()) + "\n"
    meltano_yml = EXTRACTORS_BLOCK.sub(
        # A blank line before `  loaders:`, none before an inheriting extractor.
        lambda match: (
            generated + ("\n" * match.string.startswith("  loaders:", match.end()))
        ),
        meltano_yml,
    )
    return {
        hub_file(definition["variant"]): header + to_yaml(definition),
        REPO / "meltano.yml": meltano_yml,
    }


def main() -> int:
    """Write the generated files, or with --check report the stale ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing")
    check = parser.parse_args().check
    expected = expected_files()
    stale = []
    for path, text in expected.items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(f"updated: {path.relative_to(REPO)}")
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    # A definition left under another variant name (the repository moved).
    for path in sorted(hub_file("any").parent.glob("*.yml")):
        if path not in expected:
            stale.append(f"removed: {path.relative_to(REPO)}")
            if not check:
                path.unlink()
    for change in stale:
        print(f"out of date ({change})" if check else change)  # noqa: T201
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
