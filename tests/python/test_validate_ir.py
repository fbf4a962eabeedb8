"""tests/tools/validate_ir.py, the KFP v2 IR validator the e2e tests rely on: the official
compiler's goldens pass, broken copies fail, and DAGs read back through exit handlers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT
from validate_ir import dag_dependencies, main, problems

GOLDENS = sorted((REPO_ROOT.parent / "shared" / "specs" / "kfp" / "examples" / "ir").glob("*.yaml"))


def step(node: str | None) -> dict[str, Any]:
    """An executor as kedro-kfp writes it; None runs a whole pipeline (the on-exit step)."""
    args = ["kubeflow", "step", "--pipeline", "p", *(["--node", node] if node else [])]
    return {"container": {"image": "img:1", "command": ["kedro"], "args": args}}


def task(component: str, *after: str, **inputs: Any) -> dict[str, Any]:
    body = {"componentRef": {"name": component}, "taskInfo": {"name": component}}
    if after:
        body["dependentTasks"] = list(after)
    if inputs:
        body["inputs"] = {"parameters": inputs}
    return body


# Node a, then b and c (c after b) inside an exit handler, then the on-exit step.
KEDRO_IR: dict[str, Any] = {
    "components": {
        "comp-a": {
            "executorLabel": "exec-a",
            "inputDefinitions": {"parameters": {"scale": {"parameterType": "NUMBER_INTEGER"}}},
        },
        "comp-b": {"executorLabel": "exec-b"},
        "comp-c": {"executorLabel": "exec-c"},
        "comp-on-exit": {"executorLabel": "exec-on-exit"},
        "comp-exit-handler-1": {
            "dag": {"tasks": {"b": task("comp-b"), "c": task("comp-c", "b")}},
        },
    },
    "deploymentSpec": {
        "executors": {
            "exec-a": step("a"),
            "exec-b": step("b"),
            "exec-c": step("c"),
            "exec-on-exit": step(None),
        }
    },
    "pipelineInfo": {"name": "kedro"},
    "root": {
        "dag": {
            "tasks": {
                "a": task("comp-a", scale={"componentInputParameter": "scale"}),
                "exit-handler-1": task("comp-exit-handler-1", "a"),
                "on-exit": {
                    **task("comp-on-exit", "exit-handler-1"),
                    "triggerPolicy": {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"},
                },
            }
        },
        "inputDefinitions": {
            "parameters": {"scale": {"parameterType": "NUMBER_INTEGER", "defaultValue": 2}}
        },
    },
    "schemaVersion": "2.1.0",
    "sdkVersion": "kedro-kfp-test",
}


def write(path: Path, *documents: Any) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps(documents[0]))
    else:
        path.write_text(yaml.safe_dump_all(documents))
    return path


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.stem)
def test_the_official_goldens_are_valid_but_run_shells(golden: Path) -> None:
    assert problems(golden, allow_shell=True) == []
    found = problems(golden)
    assert found and all("runs a shell" in problem for problem in found)


def test_goldens_are_there() -> None:
    assert len(GOLDENS) == 11


@pytest.mark.parametrize("name", ["pipeline.yaml", "pipeline.json"])
def test_kedro_ir_with_an_exit_handler(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, KEDRO_IR)
    assert problems(path) == []
    assert dag_dependencies(path) == {"a": [], "b": ["a"], "c": ["a", "b"]}


def broken(change: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = copy.deepcopy(KEDRO_IR)
    platform: dict[str, Any] = {
        "platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-a": {}}}}}
    }
    executors = spec["deploymentSpec"]["executors"]
    tasks = spec["root"]["dag"]["tasks"]
    if change == "spec field":
        spec["pipelineInfo"]["nam"] = "x"
    elif change == "executor field":
        executors["exec-b"]["container"]["comand"] = ["kedro"]
    elif change == "kubernetes field":
        platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-a"] = {
            "nodeSelector": {"label": {}}
        }
    elif change == "kubernetes label":
        platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-z"] = {}
    elif change == "schema version":
        spec["schemaVersion"] = "2.0.0"
    elif change == "component":
        tasks["a"]["componentRef"]["name"] = "comp-z"
    elif change == "executor":
        spec["components"]["comp-b"]["executorLabel"] = "exec-z"
    elif change == "dependency":
        spec["components"]["comp-exit-handler-1"]["dag"]["tasks"]["b"]["dependentTasks"] = ["a"]
    elif change == "input":
        tasks["a"]["inputs"]["parameters"]["lr"] = {"componentInputParameter": "scale"}
    elif change == "pipeline input":
        tasks["a"]["inputs"]["parameters"]["scale"] = {"componentInputParameter": "lr"}
    elif change == "shell":
        executors["exec-a"]["container"]["command"] = ["/bin/sh", "-c", "kedro run"]
    elif change == "command":
        del executors["exec-a"]["container"]["command"]
    elif change == "pipeline name":  # only the SDK's loader needs it
        del spec["pipelineInfo"]
    return spec, platform


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("spec field", 'PipelineSpec: Failed to parse pipelineInfo field: Message type "ml_pipelines.PipelineInfo" has no field named "nam"'),
        ("executor field", 'deploymentSpec.executors[exec-b]: Message type "ml_pipelines.PipelineDeploymentConfig.PipelineContainerSpec" has no field named "comand"'),
        ("kubernetes field", 'platforms.kubernetes.executors[exec-a]: Failed to parse nodeSelector field: Message type "kfp_kubernetes.NodeSelector" has no field named "label"'),
        ("kubernetes label", "platforms.kubernetes.executors[exec-z]: not in deploymentSpec.executors"),
        ("schema version", "schemaVersion is '2.0.0', KFP accepts only '2.1.0'"),
        ("component", "root.dag.tasks[a]: componentRef 'comp-z' is not in components"),
        ("executor", "components[comp-b]: executorLabel 'exec-z' is not in deploymentSpec.executors"),
        ("dependency", "components[comp-exit-handler-1].dag.tasks[b]: task 'a' is not in the same DAG"),
        ("input", "root.dag.tasks[a]: input parameters['lr'] is not declared by comp-a"),
        ("pipeline input", "root.dag.tasks[a]: input root.inputDefinitions.parameters['lr'] is not declared"),
        ("shell", "deploymentSpec.executors[exec-a].container: runs a shell (/bin/sh -c)"),
        ("command", "deploymentSpec.executors[exec-a].container: no command (exec form needs one)"),
        ("pipeline name", "kfp.components.load_component_from_file: KeyError: 'pipelineInfo'"),
    ],
)  # fmt: skip
def test_broken_copies_are_invalid(tmp_path: Path, change: str, expected: str) -> None:
    found = problems(write(tmp_path / "pipeline.yaml", *broken(change)))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.json", KEDRO_IR)
    bad = write(tmp_path / "bad.yaml", *broken("executor field"))
    assert main([str(good), str(bad), str(tmp_path / "missing.yaml")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [str(bad), str(tmp_path / "missing.yaml")]
    assert lines[-1] == "1 valid, 2 invalid"
    assert main(["--allow-shell", *map(str, GOLDENS)]) == 0
