"""meltano.yml declares the plugins as they describe themselves (``--about``)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from typing import Any

import pytest
import yaml

from tests.plugins import ROOT
from zoho_emulator.settings import Settings

#: singer-sdk's own settings a plugin may leave undeclared (Meltano passes them through).
SDK_SETTINGS = {
    "faker_config",
    "flattening_max_key_length",
    "flattening_separator",
    "add_record_metadata",
    "load_method",
    "batch_size_rows",
}
KINDS = {
    "string": {"string", "options", "date_iso8601"},
    "integer": {"integer"},
    "number": {"decimal"},
    "boolean": {"boolean"},
    "array": {"array"},
    "object": {"object"},
}


def project() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return loaded


def plugin(kind: str, name: str) -> dict[str, Any]:
    return next(p for p in project()["plugins"][kind] if p["name"] == name)


def about(package: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", package, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    described: dict[str, Any] = json.loads(done.stdout)
    return described


@pytest.mark.parametrize(
    ("kind", "name", "package"),
    [("extractors", "tap-zoho", "tap_zoho"), ("loaders", "target-zoho", "target_zoho")],
)
def test_every_setting_is_declared_as_the_plugin_describes_it(
    kind: str, name: str, package: str
) -> None:
    declared = {setting["name"]: setting for setting in plugin(kind, name)["settings"]}
    described = about(package)
    schema = described["settings"]
    properties = schema["properties"]
    assert set(properties) - SDK_SETTINGS == set(declared)
    for setting, spec in properties.items():
        if setting in SDK_SETTINGS:
            continue
        entry = declared[setting]
        json_type = next(t for t in spec["type"] if t != "null")
        assert entry["kind"] in KINDS[json_type], setting
        assert bool(entry.get("sensitive")) == bool(spec.get("secret")), setting
        assert entry.get("value") == spec.get("default"), setting
        if "enum" in spec:
            values = [option["value"] for option in entry["options"]]
            assert sorted(values) == sorted(v for v in spec["enum"] if v is not None), setting
        if spec.get("format") == "date-time":
            assert entry["kind"] == "date_iso8601", setting
    assert plugin(kind, name)["settings_group_validation"] == [schema["required"]]
    assert set(plugin(kind, name)["capabilities"]) == set(described["capabilities"])


@pytest.mark.parametrize("package", ["tap_zoho", "target_zoho"])
def test_the_version_is_the_distribution_s(package: str) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert about(package)["version"] == version


def test_the_emulator_environment_holds_the_emulators_defaults() -> None:
    defaults = Settings()
    environment = next(e for e in project()["environments"] if e["name"] == "emulator")
    plugins = environment["config"]["plugins"]
    for entry in (*plugins["extractors"], *plugins["loaders"]):
        config = entry["config"]
        assert config["client_id"] == defaults.client_id
        assert config["client_secret"] == defaults.client_secret
        assert config["refresh_token"] == defaults.refresh_token
        assert config["desk_org_id"] == defaults.desk_org_id
        assert {config[url] for url in ("accounts_url", "crm_url", "desk_url")} == {
            "http://127.0.0.1:8765"  # `make emulator`
        }


def test_no_secret_is_kept_in_the_project_but_the_emulators() -> None:
    """Real credentials belong in .env or the shell; only the emulator's are in meltano.yml."""
    for kind in ("extractors", "loaders"):
        for entry in project()["plugins"][kind]:
            sensitive = {s["name"] for s in entry.get("settings", []) if s.get("sensitive")}
            assert not sensitive & set(entry.get("config", {})), entry["name"]
    for environment in project()["environments"]:
        if environment["name"] == "emulator":
            continue
        plugins = environment.get("config", {}).get("plugins", {})
        for entry in (*plugins.get("extractors", []), *plugins.get("loaders", [])):
            assert not {"client_secret", "refresh_token", "password"} & set(entry["config"])


@pytest.mark.parametrize("package", ["tap_zoho", "target_zoho"])
def test_the_readme_documents_every_setting(package: str) -> None:
    readme = (ROOT / "README.md").read_text()
    table_rows = [line for line in readme.splitlines() if line.startswith("| ")]
    for setting in set(about(package)["settings"]["properties"]) - SDK_SETTINGS:
        if setting.startswith(("stream_map", "flattening_")):
            continue  # the SDK's, which the README points to --about for
        assert any(setting in row for row in table_rows), setting
