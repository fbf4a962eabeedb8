"""End to end: `kedro kubeflow run-local` / `kedro vertexai run-local` through the installed
wheel, on the example project and a generated 1000-node project.

The local run executes every step of the compiled pipeline as its own process; its outputs
must equal what a plain `kedro run` writes, byte for byte.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import sys
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLE, TOOLS, kedro, run

OUTPUT_LAYERS = ("02_intermediate", "03_primary", "05_model_input", "06_models", "08_reporting")


def outputs(data_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(data_dir)): path.read_bytes()
        for layer in OUTPUT_LAYERS
        for path in sorted((data_dir / layer).rglob("*"))
        if path.is_file() and path.name != ".gitkeep"
    }


@pytest.fixture(scope="module")
def plain_run_outputs(fresh_venv, tmp_path_factory) -> dict[str, bytes]:
    """What plain `kedro run` writes for the example project."""
    project = tmp_path_factory.mktemp("plain") / "spaceflights"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("pipeline.yml", "__pycache__"))
    kedro(fresh_venv, project, "run")
    written = outputs(project / "data")
    assert len(written) == 15
    return written


@pytest.mark.parametrize(
    "command",
    [
        ["kubeflow", "run-local"],
        ["kubeflow", "run-local", "--kfp-version", "2"],
    ],
    ids=["argo", "kfp-v2"],
)
def test_run_local_writes_what_kedro_run_writes(fresh_venv, example, tmp_path, plain_run_outputs, command):
    run_dir = tmp_path / "run"
    result = kedro(fresh_venv, example, *command, "-j", "2", "--run-dir", str(run_dir))
    assert "12 succeeded, 0 failed, 0 skipped" in result.stderr or "13 succeeded, 0 failed, 0 skipped" in result.stderr, result.stderr
    assert outputs(run_dir / "volume") == plain_run_outputs
    # Every step kept its own log, and the project's own data/ was left alone.
    assert (run_dir / "logs" / "preprocess-companies-node.log").read_text()
    assert outputs(example / "data") == {}


def test_vertex_run_local_with_a_parameter_override(fresh_venv, example, tmp_path):
    kedro(fresh_venv, example, "vertexai", "init", "my-project", "europe-west4")
    run_dir = tmp_path / "run"
    result = kedro(
        fresh_venv, example, "vertexai", "run-local", "--run-dir", str(run_dir),
        "--param", "companies_rating_threshold=0.9",
    )
    assert "9 succeeded, 0 failed, 0 skipped" in result.stderr, result.stderr
    header = json.loads((run_dir / "logs" / "preprocess-companies-node.log").read_text().splitlines()[0])
    argv = header["argv"]
    at = argv.index("companies_rating_threshold")
    assert argv[at - 1 : at + 2] == ["--param", "companies_rating_threshold", "0.9"]
    bad = kedro(fresh_venv, example, "vertexai", "run-local", "--param", "nope=1", check=False)
    assert bad.returncode == 1
    assert "error: `--param nope`: the pipeline has no such parameter" in bad.stderr
    assert "hint: parameters of this pipeline:" in bad.stderr


def test_an_in_memory_dataset_crossing_steps_is_named_before_anything_runs(fresh_venv, example, tmp_path):
    catalog = example / "conf" / "base" / "catalog.yml"
    text = catalog.read_text()
    # Drop the catalog entry: model_input_table becomes a MemoryDataset.
    catalog.write_text(re.sub(r"\nmodel_input_table:\n(  .*\n)+", "\n", text))
    run_dir = tmp_path / "run"
    result = kedro(fresh_venv, example, "kubeflow", "run-local", "--run-dir", str(run_dir), check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: dataset `model_input_table` is kept in memory" in result.stderr, result.stderr
    assert "create_model_input_table_node" in result.stderr
    assert "hint: add `model_input_table` to conf/base/catalog.yml" in result.stderr
    assert not (run_dir / "logs").exists(), "nothing ran"


def test_a_failing_step_stops_the_run_and_shows_its_log(fresh_venv, example, tmp_path):
    nodes = example / "src" / "spaceflights" / "pipelines" / "data_processing" / "nodes.py"
    nodes.write_text(
        nodes.read_text()
        + "\n\ndef preprocess_shuttles(shuttles):\n    raise RuntimeError('the shuttles are late')\n"
    )
    run_dir = tmp_path / "run"
    result = kedro(fresh_venv, example, "kubeflow", "run-local", "-j", "1", "--run-dir", str(run_dir), check=False)
    assert result.returncode == 1
    assert "error: step `preprocess_shuttles_node` failed" in result.stderr, result.stderr
    assert "  | " in result.stderr and "the shuttles are late" in result.stderr
    assert "hint: full log: " in result.stderr
    # Nothing downstream ran; the exit handler's pipeline (notify) did, and the volume's
    # deletion was skipped: a local run keeps it.
    assert "1 failed" in result.stderr
    assert (run_dir / "logs" / "on-exit-pipeline.log").exists()
    assert (run_dir / "volume").is_dir()
    assert not (run_dir / "logs" / "create-model-input-table-node.log").exists()


def test_a_500_node_project_runs_with_both_cores_busy(fresh_venv, tmp_path):
    # 500 steps of about a second each keep the suite within its time budget; the scheduling
    # is the same as for any size.
    project = tmp_path / "big"
    run([sys.executable, str(TOOLS / "make_project.py"), str(project), "--nodes", "500", "--namespaces", "0"], cwd=tmp_path)
    kedro(fresh_venv, project, "kubeflow", "init", "https://kubeflow.example.com/pipeline")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = kedro(fresh_venv, project, "kubeflow", "run-local", "-j", "2", "--run-dir", str(tmp_path / "run"))
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The nodes, the volume's creation and initialisation, and its deletion at exit (which
    # run-local reports without doing).
    assert "503 succeeded, 0 failed, 0 skipped" in result.stderr, result.stderr[-2000:]
    assert "(at most 2 at once)" in result.stderr
    # Two cores kept busy: the children used well over one core's worth of CPU time.
    assert cpu / wall > 1.5, f"CPU {cpu:.0f}s over {wall:.0f}s wall"
