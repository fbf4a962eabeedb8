"""`init --with-github-actions`: the workflows written (docs 3.4) pass actionlint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import RunKedro

pytestmark = pytest.mark.skipif(
    "KEDRO_KFP_BIN" not in os.environ, reason="needs the kedro-kfp binary (KEDRO_KFP_BIN)"
)


def actionlint() -> str:
    # Installed by requirements-test.txt into the test venv, next to its python.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("actionlint", path=path)
    if found is None:
        pytest.fail("actionlint is not installed: pip install -r requirements-test.txt")
    return found


def workflows(project: Path) -> dict[str, dict]:
    directory = project / ".github" / "workflows"
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(directory.iterdir())
    }


def steps_run(workflow: dict) -> list[str]:
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step]


@pytest.mark.parametrize(
    ("group", "arguments", "push_command", "merge_commands"),
    [
        (
            "kubeflow",
            ["https://kfp.example.com/pipeline"],
            'kedro kubeflow run-once --image "$IMAGE" --wait-for-completion',
            [
                'kedro kubeflow upload-pipeline --image "$IMAGE"',
                'kedro kubeflow schedule --cron-expression "0 0 4 * * *"',
            ],
        ),
        (
            "vertexai",
            ["my-gcp-project", "europe-west4"],
            'kedro vertexai run-once --image "$IMAGE"',
            ['kedro vertexai schedule --cron-expression "0 4 * * *"'],
        ),
    ],
)
def test_workflows_are_written_and_pass_actionlint(
    project: Path,
    run_kedro: RunKedro,
    group: str,
    arguments: list[str],
    push_command: str,
    merge_commands: list[str],
) -> None:
    config = project / "conf" / "base" / f"{group}.yaml"
    config.unlink(missing_ok=True)
    result = run_kedro(project, group, "init", "--with-github-actions", *arguments)
    assert result.returncode == 0, result.stderr
    assert config.is_file()

    written = workflows(project)
    assert set(written) == {"on-push.yml", "on-merge-to-main.yml"}
    on_push, on_merge = written["on-push.yml"], written["on-merge-to-main.yml"]
    # PyYAML reads the `on:` key as True (YAML 1.1); GitHub reads it as "on".
    assert on_push[True] == {"push": {"branches-ignore": ["main"]}}
    assert on_merge[True] == {"push": {"branches": ["main"]}}
    assert steps_run(on_push)[-1] == push_command
    assert steps_run(on_merge)[-len(merge_commands) :] == merge_commands
    for workflow in (on_push, on_merge):
        assert workflow["env"]["IMAGE"].endswith("/demo_project:${{ github.sha }}")
        assert workflow["env"]["KEDRO_CONFIG_COMMIT_ID"] == "${{ github.sha }}"
        assert any("docker push" in run for run in steps_run(workflow))

    lint = subprocess.run(
        [actionlint(), "-no-color", *sorted(str(p) for p in (project / ".github" / "workflows").iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_existing_workflow_is_not_overwritten_without_force(
    project: Path, run_kedro: RunKedro
) -> None:
    (project / "conf" / "base" / "kubeflow.yaml").unlink()
    existing = project / ".github" / "workflows" / "on-push.yml"
    existing.parent.mkdir(parents=True)
    existing.write_text("name: mine\n", encoding="utf-8")
    args = ["kubeflow", "init", "--with-github-actions", "https://kfp.example.com"]

    result = run_kedro(project, *args)
    assert result.returncode == 1
    assert "`.github/workflows/on-push.yml` already exists" in result.stderr
    # Nothing was written: not even the config file.
    assert not (project / "conf" / "base" / "kubeflow.yaml").exists()
    assert existing.read_text(encoding="utf-8") == "name: mine\n"

    result = run_kedro(project, *args, "--force")
    assert result.returncode == 0, result.stderr
    assert "run-once" in existing.read_text(encoding="utf-8")


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    # The check above can fail: actionlint rejects what GitHub would reject.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ secrets.X.y.z( }}\n",
        encoding="utf-8",
    )
    lint = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True, text=True)
    assert lint.returncode == 1
