"""Dynamic configuration: KEDRO_CONFIG_<NAME> variables as ${name} in a real project's
config files, through Kedro 1.x's OmegaConfigLoader, run by the step command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunKedro

from kedro_kfp import config_hook

TEMPLATED_PARAMETERS = r"""
templated:
  commit: ${commit_id|dirty}
  branch: "${branch_name|main} build"
  odd_default: ${missing|a b'c"d,e:f ~%}
  numeric_default: ${missing|123}
  bucket: ${bucket}
  run: ${run_id}
  escaped: \${bucket}
  base: ${_base}/x
  global: ${globals:region}
  custom: ${demo_upper:abc}
_base: data
"""

CUSTOM_RESOLVER_SETTINGS = """
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"demo_upper": lambda text: text.upper()},
}
"""


@pytest.fixture
def templated_project(project: Path) -> Path:
    conf = project / "conf" / "base"
    (conf / "parameters_templated.yml").write_text(TEMPLATED_PARAMETERS, encoding="utf-8")
    # Kedro reads globals.yml when it creates the loader, before any hook can run:
    # placeholders do not work there, but ${globals:...} still does.
    (conf / "globals.yml").write_text("region: eu-west\n", encoding="utf-8")
    catalog = conf / "catalog.yml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(
            "filepath: data/08_reporting/received_params.json",
            "filepath: data/08_reporting/${run_id}/received_params.json",
        ),
        encoding="utf-8",
    )
    settings = project / "src" / "demo_project" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + CUSTOM_RESOLVER_SETTINGS)
    return project


def test_placeholders_resolve_in_parameters_catalog_and_globals(
    templated_project: Path, run_kedro: RunKedro
) -> None:
    bucket = "gs://b/x y: #not-a-comment 'q' \"dq\" ${oc.env:HOME}"
    result = run_kedro(
        templated_project,
        *["kubeflow", "step", "--pipeline", "echo", "--run-id", "wf-uid-123"],
        KEDRO_CONFIG_BUCKET=bucket,
        KEDRO_CONFIG_BRANCH_NAME="feature/x",
    )
    assert result.returncode == 0, result.stderr

    # ${run_id} in the catalog: the run's own directory.
    written = templated_project / "data" / "08_reporting" / "wf-uid-123" / "received_params.json"
    received = json.loads(written.read_text(encoding="utf-8"))
    assert received["templated"] == {
        "commit": "dirty",  # not set: the default
        "branch": "feature/x build",
        "odd_default": "a b'c\"d,e:f ~%",
        "numeric_default": "123",
        "bucket": bucket,  # substituted after YAML parsing, never re-interpolated
        "run": "wf-uid-123",
        "escaped": "${bucket}",
        "base": "data/x",  # the project's own interpolations still work
        "global": "eu-west",
        "custom": "ABC",  # and its own resolvers
    }


def test_documented_names_without_value_stay_literal(
    templated_project: Path, run_kedro: RunKedro
) -> None:
    # Outside a run (compile, snapshot): no run id; the project still loads.
    result = run_kedro(
        templated_project, "kubeflow", "snapshot", "-o", "snap.json", KEDRO_CONFIG_BUCKET="b"
    )
    assert result.returncode == 0, result.stderr
    snapshot = json.loads((templated_project / "snap.json").read_text(encoding="utf-8"))
    assert snapshot["parameters"]["templated"]["run"] == "${run_id}"
    assert snapshot["datasets"]["received_params"]["filepath"] == (
        "data/08_reporting/${run_id}/received_params.json"
    )


def test_disable_variable_warns_and_turns_it_off(project: Path, run_kedro: RunKedro) -> None:
    params = project / "conf" / "base" / "parameters_templated.yml"
    params.write_text("templated: ${bucket}\nbucket: from-the-config\n", encoding="utf-8")
    result = run_kedro(
        project,
        *["vertexai", "step", "--pipeline", "echo"],
        KEDRO_CONFIG_BUCKET="from-the-env",
        KEDRO_VERTEXAI_DISABLE_CONFIG_HOOK="true",
        COLUMNS="1000",  # one log record, one line
    )
    assert result.returncode == 0, result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "KEDRO_VERTEXAI_DISABLE_CONFIG_HOOK environment variable is set" in output
    assert "${run_id} will not be substituted at runtime" in output
    received = json.loads(
        (project / "data" / "08_reporting" / "received_params.json").read_text(encoding="utf-8")
    )
    assert received["templated"] == "from-the-config"  # OmegaConf's own interpolation


def test_plugin_config_files_are_templated_in_the_snapshot(
    project: Path, run_kedro: RunKedro
) -> None:
    config = project / "conf" / "base" / "kubeflow.yaml"
    text = config.read_text(encoding="utf-8")
    assert "image:" in text
    lines = [
        "  image: registry.example.com/demo:${commit_id|dirty}" if line.strip().startswith("image:")
        else line
        for line in text.splitlines()
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_kedro(
        project, "kubeflow", "snapshot", "-o", "snap.json", KEDRO_CONFIG_COMMIT_ID="0a1b2c3"
    )
    assert result.returncode == 0, result.stderr
    snapshot = json.loads((project / "snap.json").read_text(encoding="utf-8"))
    content = snapshot["config_files"]["kubeflow"][0]["content"]
    assert "image: registry.example.com/demo:0a1b2c3\n" in content

    # A value that could change the YAML's structure is refused, naming it and the file.
    result = run_kedro(
        project, "kubeflow", "snapshot", "-o", "snap.json", KEDRO_CONFIG_COMMIT_ID="x # y"
    )
    assert result.returncode == 1
    assert "conf/base/kubeflow.yaml: the value of ${commit_id} (KEDRO_CONFIG_COMMIT_ID)" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("a: ${x}", set(), "a: ${x}"),  # not set, no default: OmegaConf's
        ("a: ${x}", {"x"}, "a: ${kedro_kfp_env:x}"),
        ("a: ${run_id}", set(), "a: ${kedro_kfp_env:run_id}"),
        ("a: ${x|d}", set(), "a: ${kedro_kfp_env:x,_d}"),
        ("a: \\${x}", {"x"}, "a: \\${x}"),  # escaped
        ("a: \\\\${x}", {"x"}, "a: \\\\${kedro_kfp_env:x}"),  # escaped backslash
        ("a: ${oc.env:X} ${globals:x}", {"x"}, "a: ${oc.env:X} ${globals:x}"),
    ],
)
def test_rewrite(text: str, names: set[str], expected: str) -> None:
    assert config_hook.rewrite(text, names) == expected


def test_variables_are_lowercased_names() -> None:
    environ = {"KEDRO_CONFIG_COMMIT_ID": "abc", "KEDRO_CONFIG_": "x", "OTHER": "y"}
    assert config_hook.variables(environ) == {"commit_id": "abc"}
