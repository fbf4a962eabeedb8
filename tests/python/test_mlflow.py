"""MLflow (docs 3.3), against a real MLflow server with a SQLite store: `mlflow-start`
creates one run tagged with the pipeline run's id, and two steps run with its id as
MLFLOW_RUN_ID log their metrics into that one run through kedro-mlflow."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunKedro

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("kedro_mlflow")

PIPELINE_RUN_ID = "3f2c1d4e-kfp-workflow-uid"

MLFLOW_PIPELINE = '''

def first_metric(scale):
    return float(scale) * 1.5


def second_metric(scale):
    return float(scale) + 0.25


_registered = register_pipelines


def register_pipelines():
    from kedro.pipeline import node, pipeline

    pipelines = _registered()
    pipelines["metrics"] = pipeline(
        [
            node(first_metric, "params:scale", "metric_first", name="first"),
            node(second_metric, "params:scale", "metric_second", name="second"),
        ]
    )
    return pipelines
'''

METRICS_CATALOG = """
metric_first:
  type: kedro_mlflow.io.metrics.MlflowMetricDataset
  key: metric_first
metric_second:
  type: kedro_mlflow.io.metrics.MlflowMetricDataset
  key: metric_second
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `mlflow server` on 127.0.0.1 with a SQLite store, for the whole module."""
    root = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow_bin = Path(sys.executable).parent / "mlflow"
    server = subprocess.Popen(
        [
            str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--default-artifact-root", str(root / "artifacts"), "--workers", "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "server.log").open("w"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log = (root / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"mlflow server did not start: {log}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def mlflow_project(project: Path, mlflow_server: str) -> Path:
    conf = project / "conf" / "base"
    (conf / "mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: {mlflow_server}\n"
        "tracking:\n  experiment:\n    name: demo-experiment\n",
        encoding="utf-8",
    )
    (conf / "catalog_metrics.yml").write_text(METRICS_CATALOG, encoding="utf-8")
    settings = project / "src" / "demo_project" / "settings.py"
    text = settings.read_text(encoding="utf-8")
    assert "DISABLE_HOOKS_FOR_PLUGINS" in text
    settings.write_text(text.replace("DISABLE_HOOKS_FOR_PLUGINS", "_NOT_DISABLED"), encoding="utf-8")
    registry = project / "src" / "demo_project" / "pipeline_registry.py"
    registry.write_text(registry.read_text(encoding="utf-8") + MLFLOW_PIPELINE, encoding="utf-8")
    return project


def test_one_mlflow_run_holds_the_metrics_of_every_step(
    mlflow_project: Path, run_kedro: RunKedro, mlflow_server: str, tmp_path: Path
) -> None:
    id_file = tmp_path / "mlflow_run_id"
    started = run_kedro(
        mlflow_project, "kubeflow", "mlflow-start", PIPELINE_RUN_ID, "--output", str(id_file)
    )
    assert started.returncode == 0, started.stderr
    mlflow_run_id = id_file.read_text(encoding="utf-8")
    assert f"Started MLflow run {mlflow_run_id}" in started.stderr

    # A retried mlflow-start-run step finds its run again.
    again = run_kedro(
        mlflow_project, "kubeflow", "mlflow-start", PIPELINE_RUN_ID, "--output", str(id_file)
    )
    assert again.returncode == 0, again.stderr
    assert id_file.read_text(encoding="utf-8") == mlflow_run_id

    # Two steps, two processes, as in the cluster. The compiled steps pass `--mlflow` and
    # find the run by its tag; MLFLOW_RUN_ID set by hand works too.
    common = ["kubeflow", "step", "--pipeline", "metrics", "--run-id", PIPELINE_RUN_ID]
    first = run_kedro(
        mlflow_project, *common, "--node", "first", "--mlflow", "--param", "scale", "4"
    )
    assert first.returncode == 0, first.stderr
    second = run_kedro(
        mlflow_project, *common, "--node", "second", "--param", "scale", "4",
        MLFLOW_RUN_ID=mlflow_run_id,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr

    client = mlflow.tracking.MlflowClient(tracking_uri=mlflow_server)
    experiment = client.get_experiment_by_name("demo-experiment")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert [run.info.run_id for run in runs] == [mlflow_run_id], "one run, not one per step"
    (run,) = runs
    assert run.data.tags["kubeflow_run_id"] == PIPELINE_RUN_ID
    assert run.data.metrics == {"metric_first": 6.0, "metric_second": 4.25}
    # kedro-mlflow logged the parameters the nodes read, overrides included.
    assert run.data.params.get("scale") == "4"


def test_without_kedro_mlflow_config_mlflow_start_fails_in_one_line(
    project: Path, run_kedro: RunKedro, tmp_path: Path
) -> None:
    result = run_kedro(
        project, "kubeflow", "mlflow-start", "x", "--output", str(tmp_path / "id"),
        MLFLOW_TRACKING_URI=str(tmp_path / "mlruns"),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: could not load the Kedro project")
    assert not (tmp_path / "id").exists()
    assert os.environ.get("MLFLOW_RUN_ID") is None


def test_mlflow_step_without_a_started_run_fails_in_one_line(
    mlflow_project: Path, run_kedro: RunKedro
) -> None:
    result = run_kedro(
        mlflow_project,
        *["kubeflow", "step", "--pipeline", "metrics", "--node", "first"],
        *["--run-id", "never-started", "--mlflow"],
    )
    assert result.returncode == 1
    assert result.stderr.endswith(
        "error: cannot log into the pipeline run's MLflow run: RuntimeError: no MLflow run "
        "is tagged kubeflow_run_id=never-started: did the mlflow-start-run step run?\n"
    )


def test_the_snapshot_tells_compile_that_the_project_uses_kedro_mlflow(
    mlflow_project: Path, run_kedro: RunKedro
) -> None:
    import json

    result = run_kedro(mlflow_project, "kubeflow", "snapshot", "-o", "snap.json")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads((mlflow_project / "snap.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in snapshot["config_files"]["mlflow"]] == ["conf/base/mlflow.yml"]
