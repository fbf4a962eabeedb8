"""Datasets Kedro keeps in memory cross steps when stored (`--memory-dir`, what compile
passes with `run_config.store_memory_datasets`): each node here runs in its own process."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from conftest import RunKedro

# __default__ in node order; `dp.cleaned` and `length` are in no catalog.
STEPS = ["dp.make_numbers", "dp.clean", "to_json", "count", "summarise"]


def test_in_memory_datasets_cross_steps_through_the_memory_dir(
    project: Path, run_kedro: RunKedro, tmp_path: Path
) -> None:
    memory = tmp_path / "volume" / "memory"
    for node in STEPS:
        result = run_kedro(
            project,
            *["kubeflow", "step", "--pipeline", "__default__", "--node", node],
            *["--run-id", "run-1", "--memory-dir", str(memory)],
        )
        assert result.returncode == 0, f"{node}: {result.stderr}"

    report = json.loads((project / "data" / "08_reporting" / "report.json").read_text())
    assert report["total"] == 6  # 0 + 2 + 4, through dp.cleaned stored by another process
    numbers_text = (project / "data" / "02_intermediate" / "numbers.json").read_text()
    assert report["length"] == len(numbers_text)  # `length`, stored by the `count` step
    stored = sorted(p.name for p in (memory / "run-1").iterdir())
    assert stored == ["dp.cleaned.pkl", "length.pkl"]  # catalog datasets stay where they are
    assert pickle.loads((memory / "run-1" / "dp.cleaned.pkl").read_bytes()) == [0, 2, 4]


def test_without_it_a_step_cannot_read_another_steps_memory(
    project: Path, run_kedro: RunKedro
) -> None:
    result = run_kedro(
        project, "kubeflow", "step", "--pipeline", "__default__", "--node", "summarise"
    )
    assert result.returncode == 1
    assert "dp.cleaned" in result.stderr
