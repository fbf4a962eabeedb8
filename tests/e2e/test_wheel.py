"""End to end, as a new user: build the wheel, install it into a fresh venv together with a
Kedro project's requirements, and drive `kedro kubeflow ...` in real projects.

Every compiled workflow is validated against the pinned Argo JSON schema, and its DAG is
compared with `Pipeline.node_dependencies` computed by Kedro itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from .conftest import SHARED, TOOLS, kedro, kedro_dependencies, run


_SCHEMA = None


def argo_errors(path: Path) -> list[str]:
    global _SCHEMA
    if _SCHEMA is None:
        schema = json.loads((SHARED / "specs" / "argo" / "schema.json").read_text())
        _SCHEMA = Draft202012Validator(
            {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow", "definitions": schema["definitions"]}
        )
    document = yaml.safe_load(path.read_text())
    return [f"{list(e.absolute_path)}: {e.message}" for e in _SCHEMA.iter_errors(document)]


def compiled_dependencies(path: Path) -> dict[str, list[str]]:
    """Kedro node name -> parent node names, read back from a compiled workflow."""
    workflow = yaml.safe_load(path.read_text())
    templates = {t["name"]: t for t in workflow["spec"]["templates"]}
    tasks = templates[workflow["spec"]["entrypoint"]]["dag"]["tasks"]
    node_of = {}
    for task in tasks:
        args = templates[task["template"]].get("container", {}).get("args", [])
        nodes = [args[i + 1] for i, arg in enumerate(args) if arg == "--node"]
        if nodes:
            (node_of[task["name"]],) = nodes
    return {
        node_of[task["name"]]: sorted(node_of[d] for d in task.get("dependencies", []) if d in node_of)
        for task in tasks
        if task["name"] in node_of
    }


def test_plugin_commands_appear_in_kedro(fresh_venv, example):
    result = kedro(fresh_venv, example, "--help")
    assert "kubeflow" in result.stdout and "vertexai" in result.stdout
    result = kedro(fresh_venv, example, "kubeflow", "--help")
    for command in ("compile", "init"):
        assert command in result.stdout


def test_example_compiles_to_a_valid_workflow_matching_kedro(fresh_venv, example):
    result = kedro(fresh_venv, example, "kubeflow", "compile", "-o", "pipeline.yml")
    assert "pipeline.yml" in result.stderr
    assert argo_errors(example / "pipeline.yml") == []
    assert compiled_dependencies(example / "pipeline.yml") == kedro_dependencies(fresh_venv, example)
    # Namespaced nodes and datasets survive: names are sanitized, the Kedro names are kept.
    text = (example / "pipeline.yml").read_text()
    assert "candidate_modelling_pipeline.train_model_node" in text
    assert "name: candidate_modelling_pipeline-X_train" in text
    # Deterministic: compiling again changes nothing, and --check agrees.
    kedro(fresh_venv, example, "kubeflow", "compile", "-o", "again.yml")
    assert (example / "again.yml").read_bytes() == (example / "pipeline.yml").read_bytes()
    assert kedro(fresh_venv, example, "kubeflow", "compile", "-o", "pipeline.yml", "--check").returncode == 0


def test_every_pipeline_and_the_env_option(fresh_venv, example):
    for pipeline in ("data_processing", "data_science", "notify"):
        kedro(fresh_venv, example, "kubeflow", "compile", "-p", pipeline, "-o", f"{pipeline}.yml")
        assert argo_errors(example / f"{pipeline}.yml") == []
        assert compiled_dependencies(example / f"{pipeline}.yml") == kedro_dependencies(fresh_venv, example, pipeline)
    (example / "conf" / "prod").mkdir()
    (example / "conf" / "prod" / "kubeflow.yaml").write_text("run_config:\n  image: prod-image:1\n")
    kedro(fresh_venv, example, "kubeflow", "-e", "prod", "compile", "-o", "prod.yml")
    workflow = yaml.safe_load((example / "prod.yml").read_text())
    containers = [t["container"] for t in workflow["spec"]["templates"] if "container" in t]
    assert {c["image"] for c in containers} == {"prod-image:1"}
    steps = [c["args"] for c in containers if c["command"] == ["kedro"]]
    assert all(args[args.index("--env") + 1] == "prod" for args in steps)


def test_snapshot_compiles_without_python(fresh_venv, example, tmp_path):
    kedro(fresh_venv, example, "kubeflow", "snapshot", "-o", str(tmp_path / "snapshot.json"))
    kedro(fresh_venv, example, "kubeflow", "compile", "-o", str(tmp_path / "via-kedro.yml"))
    binary = fresh_venv / "bin" / "kedro-kfp"
    run([str(binary), "kubeflow", "compile", "--snapshot", "snapshot.json", "-o", "standalone.yml"], cwd=tmp_path)
    assert (tmp_path / "standalone.yml").read_bytes() == (tmp_path / "via-kedro.yml").read_bytes()


def test_init_writes_a_file_that_compiles_unchanged(fresh_venv, example):
    (example / "conf" / "base" / "kubeflow.yaml").unlink()
    result = kedro(fresh_venv, example, "kubeflow", "init", "https://kubeflow.example.com/pipeline")
    assert "conf/base/kubeflow.yaml" in result.stdout + result.stderr
    kedro(fresh_venv, example, "kubeflow", "compile", "-o", "pipeline.yml")
    assert argo_errors(example / "pipeline.yml") == []


def test_bad_config_is_one_line_not_a_traceback(fresh_venv, example):
    config = example / "conf" / "base" / "kubeflow.yaml"
    config.write_text(config.read_text().replace("  ttl:", "  tll:"))
    result = kedro(fresh_venv, example, "kubeflow", "compile", "-o", "pipeline.yml", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error == [error[0]] and "conf/base/kubeflow.yaml:" in error[0] and "run_config.tll" in error[0], result.stderr
    assert "hint: did you mean `ttl`?" in result.stderr
    assert not (example / "pipeline.yml").exists()


def test_unknown_pipeline_is_one_line(fresh_venv, example):
    result = kedro(fresh_venv, example, "kubeflow", "compile", "-p", "data_sciense", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: pipeline `data_sciense` is not registered" in result.stderr
    assert "did you mean `data_science`?" in result.stderr


@pytest.mark.parametrize("namespaces", [0, 3])
def test_a_3000_node_project_compiles_to_its_node_dependencies(fresh_venv, tmp_path, namespaces):
    project = tmp_path / "big"
    run([sys.executable, str(TOOLS / "make_project.py"), str(project), "--nodes", "3000", "--namespaces", str(namespaces)], cwd=tmp_path)
    kedro(fresh_venv, project, "kubeflow", "init", "https://kubeflow.example.com/pipeline")
    kedro(fresh_venv, project, "kubeflow", "compile", "-o", "pipeline.yml")
    assert argo_errors(project / "pipeline.yml") == []
    compiled = compiled_dependencies(project / "pipeline.yml")
    assert len(compiled) == 3000
    assert compiled == kedro_dependencies(fresh_venv, project)
