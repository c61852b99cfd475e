"""The tap as a Meltano plugin: its definition, and every setting through Meltano.

The plugin definition (`meltano-hub/extractors/tap-lemlist-tasks/*.yml`) and the
extractor in `meltano.yml` are generated from `tap-lemlist-tasks --about` by
`scripts/update-plugin-definition`; these tests fail when either has drifted, when a
Meltano command would rewrite `meltano.yml`, or when a setting does not reach the tap
with its type.
"""

from __future__ import annotations

import json
import shutil
import sys
import typing as t

import pytest
import yaml
from meltano_batch import SEPARATOR
from warehouse import REPO, environment, run_program

UPDATE = "run scripts/update-plugin-definition and commit the result"
NAME = "tap-lemlist-tasks"
(DEFINITION_FILE,) = (REPO / "meltano-hub" / "extractors" / NAME).glob("*.yml")
DEFINITION: dict[str, t.Any] = yaml.safe_load(DEFINITION_FILE.read_text())
# A value for `meltano config set` per kind, and what the tap must then receive.
SAMPLES: dict[str, tuple[str, t.Any]] = {
    "string": ("some-text", "some-text"),
    "integer": ("3", 3),
    "boolean": ("false", False),
    "array": ('[{"filterId": "type"}]', [{"filterId": "type"}]),
    "object": ('{"tasks": {"title": "__NULL__"}}', {"tasks": {"title": "__NULL__"}}),
}
BUILT_IN_KINDS = {
    **dict.fromkeys(("stream_maps", "stream_map_config", "faker_config"), "object"),
    "flattening_enabled": "boolean",
    "flattening_max_depth": "integer",
    "flattening_max_key_length": "integer",
    "flattening_separator": "string",
}


def meltano_yml_plugins() -> list[dict[str, t.Any]]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    return [plugin for group in project["plugins"].values() for plugin in group]


def sample(setting: dict[str, t.Any]) -> tuple[str, t.Any]:
    if setting["kind"] == "options":
        value = setting["options"][0]["value"]
        return str(value), value
    return SAMPLES[setting["kind"]]


def test_plugin_definition_and_meltano_yml_are_generated_from_about() -> None:
    script = REPO / "scripts" / "plugin_definition.py"
    check = run_program([sys.executable, str(script), "--check"], environment())

    assert check.returncode == 0, f"{check.stdout}{check.stderr}\n{UPDATE}"


def test_definition_declares_the_sdk_built_in_settings_with_their_kinds() -> None:
    kinds = {s["name"]: s["kind"] for s in DEFINITION["settings"]}

    assert kinds.items() >= BUILT_IN_KINDS.items()
    assert {"stream-maps", "schema-flattening"} <= set(DEFINITION["capabilities"])


def test_meltano_yml_extractor_is_the_plugin_definition() -> None:
    [extractor] = [p for p in meltano_yml_plugins() if p["name"] == NAME]

    for key in ("namespace", "executable", "capabilities", "settings_group_validation"):
        assert extractor[key] == DEFINITION[key], UPDATE
    by_name = {s["name"]: s for s in extractor["settings"]}
    assert by_name == {s["name"]: s for s in DEFINITION["settings"]}, UPDATE


def test_no_setting_uses_a_deprecated_kind() -> None:
    kinds = {
        (p["name"], s["name"]): s["kind"]
        for p in meltano_yml_plugins()
        for s in p.get("settings", [])
        if s["kind"] in {"password", "hidden", "oauth"}
    }

    assert kinds == {}


@pytest.fixture(scope="module")
def configured_copy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    """A copy of the project after `meltano config set` of every tap setting (one
    per command), `meltano config set` on every other plugin and `meltano select`;
    then the config Meltano gives the tap, from meltano.yml/.env and from variables.
    """
    project = tmp_path_factory.mktemp("project")
    shutil.copy(REPO / "meltano.yml", project / "meltano.yml")
    settings = DEFINITION["settings"]
    print_config = f"--log-level=warning config --unsafe print {NAME} --format=json"
    from_env = {
        f"TAP_LEMLIST_TASKS_{s['name'].upper()}": sample(s)[0] for s in settings
    }
    afterwards = [
        "config set target-jsonl do_timestamp_file false",
        "config set target-postgres port 5433",
        "config set target-postgres password pg-secret",
        "config set dbt-postgres some_setting x",
        f"select {NAME} tasks *",
        "config set target-postgres default_target_schema s1",
        print_config,
        "--log-level=warning config print dbt-postgres",
    ]
    # First the variables alone (nothing is stored yet), then each `config set`.
    commands: list[dict[str, t.Any]] = [
        {"argv": print_config.split(), "env": from_env},
        *({"argv": ["config", "set", NAME, s["name"], sample(s)[0]]} for s in settings),
        *({"argv": line.split()} for line in afterwards),
    ]
    original = (REPO / "meltano.yml").read_text()
    # tests/meltano_batch.py: one Meltano import for every command.
    batch = [sys.executable, str(REPO / "tests" / "meltano_batch.py")]
    ran = run_program([*batch, json.dumps(commands)], environment(), cwd=project)
    assert ran.returncode == 0, ran.stderr
    outputs = ran.stdout.split(f"{SEPARATOR}\n")[1:]
    return {
        "original": original,
        "after": (project / "meltano.yml").read_text(),
        "dotenv": (project / ".env").read_text(),
        "meltano config set": json.loads(outputs[-2]),
        "the environment": json.loads(outputs[0]),
        "dbt": json.loads(outputs[-1]),
        "stderr": ran.stderr,
    }


def test_meltano_commands_only_add_to_meltano_yml(
    configured_copy: dict[str, t.Any],
) -> None:
    after = iter(configured_copy["after"].splitlines())
    # Every line of before, in order, among the lines after (`in` consumes `after`).
    kept = all(line in after for line in configured_copy["original"].splitlines())

    assert kept, "Meltano rewrote meltano.yml; write plugins as it does"
    assert "Unknown setting" not in configured_copy["stderr"].replace(
        "Unknown setting 'some_setting'", ""
    )


@pytest.mark.parametrize("source", ["meltano config set", "the environment"])
def test_every_setting_reaches_the_tap_with_its_type(
    configured_copy: dict[str, t.Any], source: str
) -> None:
    expected = {s["name"]: sample(s)[1] for s in DEFINITION["settings"]}

    assert configured_copy[source] == expected


def test_sensitive_values_go_to_dotenv_never_into_meltano_yml(
    configured_copy: dict[str, t.Any],
) -> None:
    after = yaml.safe_load(configured_copy["after"])
    [extractor] = [p for p in after["plugins"]["extractors"] if p["name"] == NAME]

    assert "api_key" not in extractor["config"]
    assert "TAP_LEMLIST_TASKS_API_KEY='some-text'" in configured_copy["dotenv"]
    assert "pg-secret" not in configured_copy["after"]


def test_dbt_follows_a_schema_set_with_meltano_config_set(
    configured_copy: dict[str, t.Any],
) -> None:
    # test_rehearsal proves dbt reads its source_schema setting; this, that `meltano
    # config set` on the loader reaches that setting, by .env, meltano.yml unchanged.
    assert configured_copy["dbt"]["source_schema"] == "s1"
    assert "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA='s1'" in configured_copy["dotenv"]
