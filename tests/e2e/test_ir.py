"""End to end, KFP v2 IR and Vertex AI: `kedro kubeflow compile --kfp-version 2` and
`kedro vertexai compile` through the installed wheel.

Every compiled file passes tests/tools/validate_ir.py (strict protobuf parses, the SDK's loader,
references, exec form), and its DAG equals `Pipeline.node_dependencies` computed by Kedro.
Vertex AI compiles offline: no credentials, no network.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from validate_ir import dag_dependencies, load_documents, problems

from .conftest import TOOLS, kedro, kedro_dependencies, run


def offline(tmp_path: Path) -> dict[str, str]:
    """An environment in which any Google credential lookup or network call fails."""
    proxy = "http://127.0.0.1:9"  # the discard port: nothing listens there
    return {
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "no-such-credentials.json"),
        "CLOUDSDK_CONFIG": str(tmp_path / "no-gcloud-config"),
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "HTTPS_PROXY": proxy,
        "HTTP_PROXY": proxy,
        "https_proxy": proxy,
        "http_proxy": proxy,
        "NO_PROXY": "",
        "no_proxy": "",
    }


def assert_valid_and_matches_kedro(path: Path, expected: dict[str, list[str]]) -> None:
    assert problems(path) == []
    assert dag_dependencies(path) == expected


def assert_check_flags_stale_files(
    fresh_venv: Path, project: Path, compile_args: list[str], env: dict[str, str] | None = None
) -> None:
    """`compile ... --check`: 0 for the file just written, 1 once it is edited."""
    output = project / compile_args[compile_args.index("-o") + 1]
    assert kedro(fresh_venv, project, *compile_args, "--check", env=env).returncode == 0
    output.write_text(output.read_text() + "\n")
    stale = kedro(fresh_venv, project, *compile_args, "--check", env=env, check=False)
    assert stale.returncode == 1, stale.stderr


def test_kfp_v2_ir_of_the_example(fresh_venv, example):
    args = ["kubeflow", "compile", "--kfp-version", "2", "-o", "pipeline.yaml"]
    kedro(fresh_venv, example, *args)
    assert_valid_and_matches_kedro(example / "pipeline.yaml", kedro_dependencies(fresh_venv, example))
    # The example's volume goes to kfp-kubernetes' PlatformSpec, a second YAML document.
    assert len(load_documents(example / "pipeline.yaml")) == 2
    # Deterministic: the same project compiles to the same bytes.
    kedro(fresh_venv, example, *args[:-1], "again.yaml")
    assert (example / "again.yaml").read_bytes() == (example / "pipeline.yaml").read_bytes()
    assert_check_flags_stale_files(fresh_venv, example, args)


def test_vertex_ai_compiles_offline_to_json_or_yaml(fresh_venv, example, tmp_path):
    env = offline(tmp_path)
    kedro(fresh_venv, example, "vertexai", "init", "my-project", "europe-west4", env=env)
    kedro(fresh_venv, example, "vertexai", "compile", "-o", "pipeline.json", env=env)
    kedro(fresh_venv, example, "vertexai", "compile", "-o", "pipeline.yaml", env=env)

    expected = kedro_dependencies(fresh_venv, example)
    for name in ("pipeline.json", "pipeline.yaml"):
        assert_valid_and_matches_kedro(example / name, expected)
    spec = json.loads((example / "pipeline.json").read_text())
    text = (example / "pipeline.yaml").read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    # One document, never a PlatformSpec (Vertex ignores kfp-kubernetes), the same spec.
    assert list(yaml.safe_load_all(text)) == [spec]
    assert_check_flags_stale_files(fresh_venv, example, ["vertexai", "compile", "-o", "pipeline.json"], env)


@pytest.fixture(scope="module")
def big_project(fresh_venv, tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    """A generated 3000-node project with namespaces, and its node dependencies."""
    project = tmp_path_factory.mktemp("big") / "big"
    args = [str(project), "--nodes", "3000", "--namespaces", "3"]
    run([sys.executable, str(TOOLS / "make_project.py"), *args], cwd=project.parent)
    kedro(fresh_venv, project, "kubeflow", "init", "https://kubeflow.example.com/pipeline")
    kedro(fresh_venv, project, "vertexai", "init", "my-project", "europe-west4")
    expected = kedro_dependencies(fresh_venv, project)
    assert len(expected) == 3000
    return project, expected


@pytest.mark.parametrize(
    "compile_args",
    [
        ["kubeflow", "compile", "--kfp-version", "2", "-o", "kfp.yaml"],
        ["vertexai", "compile", "-o", "vertex.json"],
    ],
    ids=["kfp-v2", "vertex-ai"],
)
def test_a_3000_node_project(fresh_venv, big_project, compile_args, tmp_path):
    project, expected = big_project
    kedro(fresh_venv, project, *compile_args, env=offline(tmp_path))
    assert_valid_and_matches_kedro(project / compile_args[-1], expected)


def test_kubeflow_yaml_with_the_vertex_host_compiles_for_vertex(fresh_venv, example, tmp_path):
    """kedro-kubeflow's `host: vertex-ai-pipelines` targets Vertex AI from kubeflow.yaml."""
    run_config = {
        "image": "img:1",
        "root": "my-bucket/pipelines",
        "experiment_name": "spaceflights",
        # Explicit: the two plugins' files have different default resources.
        "resources": {"__default__": {"cpu": "500m", "memory": "1024Mi"}},
    }
    place = {"project_id": "my-project", "region": "europe-west4"}
    conf = example / "conf" / "base"
    (conf / "kubeflow.yaml").write_text(
        yaml.safe_dump({"host": "vertex-ai-pipelines", **place, "run_config": run_config})
    )
    (conf / "vertexai.yaml").write_text(yaml.safe_dump({**place, "run_config": run_config}))
    env = offline(tmp_path)
    compile_args = ["kubeflow", "compile", "-o", "via-kubeflow.yaml"]
    kedro(fresh_venv, example, *compile_args, env=env)
    kedro(fresh_venv, example, "vertexai", "compile", "-o", "via-vertexai.yaml", env=env)

    compiled = example / "via-kubeflow.yaml"
    assert_valid_and_matches_kedro(compiled, kedro_dependencies(fresh_venv, example))
    documents = load_documents(compiled)
    assert len(documents) == 1  # no PlatformSpec
    # The same pipeline, but each group's steps run its own `kedro <group> step`.
    for executor in documents[0]["deploymentSpec"]["executors"].values():
        args = executor["container"].get("args", [])
        if args[:2] == ["kubeflow", "step"]:
            args[0] = "vertexai"
    assert documents == load_documents(example / "via-vertexai.yaml")
    assert_check_flags_stale_files(fresh_venv, example, compile_args, env)
