"""`kedro kubeflow step`: the runtime of every pipeline step, run for real."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import RunKedro

from kedro_kfp.plugin import kubeflow_commands

# Values people put in pipeline parameters, or type into the KFP UI.
AWKWARD_VALUES: dict[str, Any] = {
    "quotes": "say \"hi\" and 'bye' \\ \\\"",
    "shell": "$(touch /tmp/kedro-kfp-pwned) `id` ; rm -rf / | cat > x && echo $HOME *",
    "lines": "first\nsecond\r\n\tthird\n",
    "unicode": "é ✓ 日本語 🚀 \u200b",
    "nested": {"a": {"b": [1, 2.5, {"c": None, "d": True}], "e": "x\"y"}, "f": []},
    "number": 3.5,
    "flag": False,
    "empty": "",
    "dotted.key": {"stays": "top-level"},
    # OmegaConf syntax stays text: no env lookup, no reference, escapes kept as typed.
    "interpolations": "${oc.env:HOME} ${scale} \\${scale} \\\\${x} ${globals:y} $${z}}",
    "nested_interpolation": {"k": ["${runtime_params:scale}", "${", "x\\"]},
}


def received_params(project: Path) -> dict[str, Any]:
    path = project / "data" / "08_reporting" / "received_params.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_parameters_reach_the_node_unchanged(project: Path, run_kedro: RunKedro) -> None:
    args = ["kubeflow", "step", "--pipeline", "echo", "--node", "echo_params"]
    for key, value in AWKWARD_VALUES.items():
        args += ["--param", key, json.dumps(value, ensure_ascii=False)]
    # Not JSON: taken as the string typed.
    args += ["--param", "greeting", "plain words, not {JSON}"]

    result = run_kedro(project, *args)

    assert result.returncode == 0, result.stderr
    received = received_params(project)
    assert {key: received[key] for key in AWKWARD_VALUES} == AWKWARD_VALUES
    assert received["greeting"] == "plain words, not {JSON}"
    assert received["scale"] == 2  # untouched parameters keep their configured value
    assert not Path("/tmp/kedro-kfp-pwned").exists()


def test_env_selects_the_configuration(project: Path, run_kedro: RunKedro) -> None:
    result = run_kedro(project, "kubeflow", "step", "--pipeline", "echo", "-e", "prod")
    assert result.returncode == 0, result.stderr
    assert received_params(project)["scale"] == 10


def test_without_node_runs_the_whole_pipeline(project: Path, run_kedro: RunKedro) -> None:
    result = run_kedro(project, "vertexai", "step", "--pipeline", "processing")
    assert result.returncode == 0, result.stderr
    # Written through the factory pattern "{namespace}.raw_{name}".
    raw = project / "data" / "01_raw" / "dp" / "numbers.json"
    assert json.loads(raw.read_text(encoding="utf-8")) == [0, 2, 4]


def test_only_the_given_nodes_run(project: Path, run_kedro: RunKedro) -> None:
    args = ["--pipeline", "processing", "--node", "dp.make_numbers", "--param", "scale", "5"]
    result = run_kedro(project, "kubeflow", "step", *args)
    assert result.returncode == 0, result.stderr
    raw = project / "data" / "01_raw" / "dp" / "numbers.json"
    assert json.loads(raw.read_text(encoding="utf-8")) == [0, 5, 10]
    assert "Completed 1 out of 1 tasks" in result.stdout + result.stderr


def test_failing_node_exits_1_with_one_error_line(project: Path, run_kedro: RunKedro) -> None:
    result = run_kedro(project, "kubeflow", "step", "--pipeline", "failing", "--node", "explode")
    assert result.returncode == 1
    assert result.stderr.endswith(
        "error: node failed: ValueError: exploding on purpose with scale=2\n"
    )
    assert "Traceback" not in result.stderr


def test_string_params_are_never_decoded(project: Path, run_kedro: RunKedro) -> None:
    args = ["kubeflow", "step", "--pipeline", "echo", "--param", "number", "123"]
    for key, value in [("text", "123"), ("flag", "true"), ("list", "[1]"), ("null", "null")]:
        args += ["--string-param", key, value]
    result = run_kedro(project, *args)
    assert result.returncode == 0, result.stderr
    received = received_params(project)
    assert received["number"] == 123
    assert [received[k] for k in ("text", "flag", "list", "null")] == ["123", "true", "[1]", "null"]


@pytest.mark.parametrize(("run_id", "expected"), [("run-42", "run-42"), ("", "unchanged")])
def test_run_id_is_in_the_environment_before_the_session_exists(
    project: Path, monkeypatch: pytest.MonkeyPatch, run_id: str, expected: str
) -> None:
    from kedro.framework.session import KedroSession

    monkeypatch.setenv("KEDRO_CONFIG_RUN_ID", "unchanged")  # and restored after the test
    seen = []

    def create(**kwargs: Any) -> None:
        seen.append((os.environ["KEDRO_CONFIG_RUN_ID"], kwargs["runtime_params"]))
        raise RuntimeError("stop here")

    monkeypatch.setattr(KedroSession, "create", create)
    monkeypatch.chdir(project)
    args = ["kubeflow", "step", "--pipeline", "echo", "--run-id", run_id]
    result = CliRunner().invoke(kubeflow_commands, [*args, "--string-param", "n", "7"])
    assert result.exit_code == 1
    assert seen == [(expected, {"n": "7"})]


def test_host_aliases_are_added_once(project: Path, run_kedro: RunKedro, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1\tlocalhost")  # no trailing newline, as some images ship it
    args = ["vertexai", "step", "--pipeline", "echo", "--host-alias", "10.0.0.1", "mlflow.internal,ml.example"]
    for _ in range(2):
        result = run_kedro(project, *args, KEDRO_KFP_HOSTS_FILE=str(hosts))
        assert result.returncode == 0, result.stderr
    assert hosts.read_text().splitlines() == ["127.0.0.1\tlocalhost", "10.0.0.1\tmlflow.internal ml.example"]
