"""The snapshot: schema, content, environments, secrets and loading errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SCHEMA_PATH, SECRET, RunKedro
from jsonschema import Draft202012Validator

from kedro_kfp.plugin import kubeflow_commands, vertexai_commands
from kedro_kfp.snapshot import build_snapshot, snapshot_to_json


@pytest.fixture(scope="session")
def snapshot_text(shared_project: Path) -> str:
    return snapshot_to_json(build_snapshot(shared_project, env=None))


@pytest.fixture(scope="session")
def snapshot(snapshot_text: str) -> dict[str, Any]:
    return json.loads(snapshot_text)


def cli_snapshot(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    """Run `kedro kubeflow ARGS... -o FILE` in-process and return the snapshot."""
    monkeypatch.chdir(project)
    output = project / "snapshot.json"
    result = CliRunner().invoke(kubeflow_commands, [*args, "-o", str(output)])
    assert result.exit_code == 0, result.output
    return json.loads(output.read_text(encoding="utf-8"))


def test_snapshot_matches_the_schema(snapshot: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(snapshot)


def test_snapshot_is_deterministic(shared_project: Path, snapshot_text: str) -> None:
    assert snapshot_to_json(build_snapshot(shared_project, env=None)) == snapshot_text


def test_snapshot_holds_no_secret_and_no_absolute_path(
    shared_project: Path, snapshot_text: str
) -> None:
    assert SECRET not in snapshot_text
    assert str(shared_project) not in snapshot_text
    assert str(shared_project.resolve()) not in snapshot_text


def test_project_and_producer(snapshot: dict[str, Any]) -> None:
    import kedro

    assert snapshot["snapshot_version"] == 1
    assert snapshot["project"] == {
        "name": "Demo Project",
        "package_name": "demo_project",
        "env": None,
    }
    assert snapshot["producer"]["kedro_version"] == kedro.__version__
    assert snapshot["producer"]["kedro_kfp_version"]


def test_namespaced_nodes_keep_kedro_order_names_and_sorted_tags(
    snapshot: dict[str, Any],
) -> None:
    nodes = snapshot["pipelines"]["processing"]["nodes"]
    assert nodes == [
        {
            "name": "dp.make_numbers",
            "namespace": "dp",
            "tags": [],
            "inputs": ["params:scale"],
            "outputs": ["dp.raw_numbers"],
        },
        {
            "name": "dp.clean",
            "namespace": "dp",
            "tags": ["a", "b"],
            "inputs": ["dp.raw_numbers"],
            "outputs": ["dp.cleaned"],
        },
    ]
    assert snapshot["pipelines"]["failing"]["nodes"][0]["namespace"] is None


def test_every_registered_pipeline_is_included(snapshot: dict[str, Any]) -> None:
    assert set(snapshot["pipelines"]) == {
        "__default__",
        "processing",
        "reporting",
        "echo",
        "typed",
        "failing",
    }


def test_datasets(snapshot: dict[str, Any]) -> None:
    datasets = snapshot["datasets"]
    # A factory pattern, with the placeholders resolved.
    assert datasets["dp.raw_numbers"] == {
        "type": "json.JSONDataset",
        "filepath": "data/01_raw/dp/numbers.json",
        "in_catalog": True,
    }
    # An intermediate dataset no catalog entry or pattern matches.
    assert datasets["dp.cleaned"] == {
        "type": "kedro.io.MemoryDataset",
        "filepath": None,
        "in_catalog": False,
    }
    # Transcoded names are kept; relative paths are kept as written.
    assert datasets["numbers@text"]["type"] == "text.TextDataset"
    assert datasets["numbers@json"]["filepath"] == "data/02_intermediate/numbers.json"
    # `path` stands in for `filepath`; credentials are left out.
    assert datasets["partitions"]["filepath"] == "data/03_primary/partitions"
    assert datasets["report"] == {
        "type": "json.JSONDataset",
        "filepath": "data/08_reporting/report.json",
        "in_catalog": True,
    }
    assert not any(name == "parameters" or name.startswith("params:") for name in datasets)


def test_parameters_include_typed_ones_as_plain_json(snapshot: dict[str, Any]) -> None:
    # `params:model` feeds a node typed with a dataclass, so Kedro hands us a
    # dataclass instance; the snapshot holds its fields.
    assert snapshot["parameters"] == {
        "scale": 2,
        "greeting": "hello",
        "model": {"learning_rate": 0.1, "layers": [8, 4]},
        "run_date": "2024-01-31",
    }


def test_values_json_cannot_hold_become_strings() -> None:
    assert snapshot_to_json({"parameters": {"day": date(2024, 1, 31)}}) == (
        '{"parameters": {"day": "2024-01-31"}}'
    )


def test_config_files_of_the_default_run_env(snapshot: dict[str, Any]) -> None:
    assert snapshot["config_files"] == {
        "kubeflow": [
            {
                "path": "conf/base/kubeflow.yaml",
                "content": (
                    "host: https://kfp.example.com\nrun_config:\n"
                    "  image: demo-image:latest\n  experiment_name: demo\n"
                ),
            },
            {
                "path": "conf/local/kubeflow.yml",
                "content": "run_config:\n  image: demo-image:local\n",
            },
        ]
    }


def test_both_spellings_are_read_yaml_first(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "conf" / "base" / "kubeflow.yml").write_text("# second\n")
    snapshot = cli_snapshot(project, monkeypatch, "kubeflow", "snapshot")
    paths = [f["path"] for f in snapshot["config_files"]["kubeflow"]]
    assert paths == [
        "conf/base/kubeflow.yaml",
        "conf/base/kubeflow.yml",
        "conf/local/kubeflow.yml",
    ]


def test_group_env_selects_parameters_and_config_files(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = cli_snapshot(shared_project, monkeypatch, "kubeflow", "-e", "prod", "snapshot")
    assert snapshot["project"]["env"] == "prod"
    assert snapshot["parameters"]["scale"] == 10
    assert [f["path"] for f in snapshot["config_files"]["kubeflow"]] == [
        "conf/base/kubeflow.yaml",
        "conf/prod/kubeflow.yaml",
    ]
    assert snapshot["config_files"]["vertexai"] == [
        {"path": "conf/prod/vertexai.yml", "content": "project_id: demo-project\n"}
    ]


def test_command_env_wins_over_group_env(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("kubeflow", "-e", "prod", "snapshot", "-e", "local")
    snapshot = cli_snapshot(shared_project, monkeypatch, *args)
    assert snapshot["project"]["env"] == "local"
    assert snapshot["parameters"]["scale"] == 2


def test_kedro_env_variable_is_the_fallback(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEDRO_ENV", "prod")
    snapshot = cli_snapshot(shared_project, monkeypatch, "kubeflow", "snapshot")
    assert snapshot["project"]["env"] == "prod"
    assert snapshot["parameters"]["scale"] == 10


def test_user_catch_all_pattern_puts_everything_in_the_catalog(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = cli_snapshot(shared_project, monkeypatch, "kubeflow", "snapshot", "-e", "catchall")
    assert snapshot["datasets"]["dp.cleaned"] == {
        "type": "pickle.PickleDataset",
        "filepath": "data/06_models/dp.cleaned.pkl",
        "in_catalog": True,
    }
    # More specific patterns still win over the catch-all.
    assert snapshot["datasets"]["dp.raw_numbers"]["type"] == "json.JSONDataset"


def test_vertexai_group_has_the_same_snapshot_command(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shared_project)
    output = shared_project / "vertexai-snapshot.json"
    result = CliRunner().invoke(vertexai_commands, ["vertexai", "snapshot", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8"))["project"]["name"] == "Demo Project"


def test_node_dependencies_recomputed_from_the_snapshot_match_kedro(
    snapshot: dict[str, Any], shared_project: Path
) -> None:
    from kedro.framework.project import pipelines

    build_snapshot(shared_project, env=None)  # make sure this project is the configured one
    for name, pipeline in pipelines.items():
        nodes = snapshot["pipelines"][name]["nodes"]
        assert [n["name"] for n in nodes] == [n.name for n in pipeline.nodes]
        expected = {
            node.name: {parent.name for parent in parents}
            for node, parents in pipeline.node_dependencies.items()
        }
        assert dependencies(nodes) == expected, name


def dependencies(nodes: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Parents of each node: the producers of its inputs, transcoding ignored."""

    def dataset(name: str) -> str:
        return name.split("@")[0]

    producer = {dataset(out): node["name"] for node in nodes for out in node["outputs"]}
    return {
        node["name"]: {producer[dataset(i)] for i in node["inputs"] if dataset(i) in producer}
        for node in nodes
    }


def test_snapshot_to_stdout_is_only_json(project: Path, run_kedro: RunKedro) -> None:
    # The project prints while registering pipelines; that must not reach stdout.
    # (Kedro's own start-up log line may, with its default rich logging to stdout:
    # point it elsewhere with KEDRO_LOGGING_CONFIG, as here, or use -o FILE.)
    logging_config = project / "stderr-logging.yml"
    logging_config.write_text(
        "version: 1\nhandlers:\n  err: {class: logging.StreamHandler, stream: ext://sys.stderr}\n"
        "root: {handlers: [err], level: INFO}\n"
    )
    result = run_kedro(
        project, "kubeflow", "snapshot", "-o", "-", KEDRO_LOGGING_CONFIG=str(logging_config)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["project"]["package_name"] == "demo_project"
    assert "registering demo pipelines" in result.stderr


def test_not_a_kedro_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(kubeflow_commands, ["kubeflow", "snapshot"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: could not load the Kedro project: RuntimeError: Could not find the project"
    )
    assert result.stderr.count("\n") == 1


def test_bad_catalog_yaml(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "conf" / "base" / "catalog.yml").write_text("a: [unclosed\n")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(kubeflow_commands, ["kubeflow", "snapshot"])
    assert result.exit_code == 1
    last_line = result.stderr.splitlines()[-1]
    assert last_line.startswith("error: could not load the Kedro project: ParserError: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_broken_pipeline_code(project: Path, run_kedro: RunKedro, debug: bool) -> None:
    registry = project / "src" / "demo_project" / "pipeline_registry.py"
    registry.write_text("import a_module_that_does_not_exist\n" + registry.read_text())
    extra_env = {"KEDRO_KFP_DEBUG": "1"} if debug else {}
    result = run_kedro(project, "kubeflow", "snapshot", **extra_env)
    assert result.returncode == 1
    line = (
        "error: could not load the Kedro project: ModuleNotFoundError: "
        "No module named 'a_module_that_does_not_exist'\n"
    )
    assert result.stderr.endswith(line)
    assert ("Traceback" in result.stderr) == debug
