"""Hostile names and values through the whole path: compile (Argo, KFP v2 IR, Vertex AI),
run the compiled pipeline with `run-local`, every step as `kedro ... step` in its own
process. Dataset names and parameter values full of quotes, `$()`, backticks, `;`,
newlines, unicode and length, and node names that are long, unicode or look like options,
reach Kedro unchanged and nothing of them is executed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunKedro


def hostile(pwned: Path) -> dict[str, str]:
    shell = f"$(touch {pwned}) `touch {pwned}` ; touch {pwned} | cat && echo $HOME *"
    # Kedro 1.x allows only word characters (unicode included), `.` and `-` in node names;
    # a name that looks like an option is the hostile case there.
    return {
        "node_1": "ünïcødé-日本_名前-" + "n" * 300,
        "node_2": "--help",
        "dataset": f"ds '{shell}' \"dq\" ü\nline",
    }


VALUES = {
    "quotes": "say \"hi\" and 'bye' \\ \\\"",
    "lines": "first\nsecond\r\n\tthird\n",
    "unicode": "é ✓ 日本語 🚀 \u200b",
    "nested": {"a": {"b": [1, 2.5, {"c": None, "d": True}], "e": "x\"y"}, "f": []},
    "long": "L" * 20_000,
}


def add_hostile_pipeline(project: Path, names: dict[str, str]) -> None:
    registry = project / "src" / "demo_project" / "pipeline_registry.py"
    registry.write_text(registry.read_text(encoding="utf-8") + f"""

_registered = register_pipelines


def _same(value):
    return value


def register_pipelines():
    pipelines = _registered()
    pipelines["hostile"] = pipeline([
        node(echo_parameters, "parameters", {names["dataset"]!r}, name={names["node_1"]!r}),
        node(_same, {names["dataset"]!r}, "received_params", name={names["node_2"]!r}),
    ])
    return pipelines
""", encoding="utf-8")
    # The overridden parameters exist in the project, with values of the same type.
    parameters = project / "conf" / "base" / "parameters.yml"
    defaults = {key: {"a": 0} if isinstance(value, dict) else "x" for key, value in VALUES.items()}
    parameters.write_text(parameters.read_text(encoding="utf-8") + "".join(
        f"{key}: {json.dumps(value)}\n" for key, value in defaults.items()), encoding="utf-8")
    catalog = project / "conf" / "base" / "catalog.yml"
    entry = {"type": "json.JSONDataset", "filepath": "data/02_intermediate/hostile.json"}
    catalog.write_text(
        catalog.read_text(encoding="utf-8") + f"\n{json.dumps(names['dataset'], ensure_ascii=False)}: {json.dumps(entry)}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "command",
    [["kubeflow", "run-local"], ["kubeflow", "run-local", "--kfp-version", "2"], ["vertexai", "run-local"]],
    ids=["argo", "kfp-v2-ir", "vertex"],
)
def test_hostile_names_and_values_reach_kedro_unchanged(project: Path, run_kedro: RunKedro, tmp_path: Path, command):
    pwned = tmp_path / "pwned"
    names = hostile(pwned)
    add_hostile_pipeline(project, names)
    (project / "conf" / "base" / "vertexai.yml").write_text(
        "project_id: demo\nregion: europe-west4\nrun_config:\n  image: demo-image:latest\n  root: bucket/root\n"
    )
    args = [*command, "-p", "hostile", "-j", "1", "--run-dir", str(tmp_path / "run")]
    for key, value in VALUES.items():
        args += ["--param", f"{key}={json.dumps(value, ensure_ascii=False)}"]

    result = run_kedro(project, *args)

    assert result.returncode == 0, result.stderr[-3000:]
    (received_file,) = (tmp_path / "run").rglob("received_params.json")
    received = json.loads(received_file.read_text(encoding="utf-8"))
    assert {key: received[key] for key in VALUES} == VALUES
    assert not pwned.exists()
    # The step logs record the exact argv each step ran with: the node names are there whole.
    logs = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / "run").rglob("*.log"))
    assert json.dumps(names["node_1"], ensure_ascii=False) in logs
    assert '"--node","--help"' in logs.replace(", ", ",")
