"""Shared fixtures: a copy of the demo Kedro project, and a way to run `kedro`
with kedro_kfp registered as a plugin without building the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_SRC = REPO_ROOT / "python"
TOOLS = REPO_ROOT / "tests" / "tools"
SCHEMA_PATH = REPO_ROOT / "schema" / "snapshot.v1.schema.json"
FIXTURE_PROJECT = Path(__file__).resolve().parent / "fixtures" / "demo_project"
# The value in the fixture's conf/base/credentials.yml: it must never leave Kedro.
SECRET = "SUPER-SECRET-TOKEN-4f1c9"

# Test the sources, not whatever kedro_kfp may be installed; the tools are tested here too.
sys.path[:0] = [str(PYTHON_SRC), str(TOOLS)]
os.environ["KEDRO_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "1"

_ENTRY_POINTS = """\
[kedro.project_commands]
kubeflow = kedro_kfp.plugin:kubeflow_commands
vertexai = kedro_kfp.plugin:vertexai_commands

[kedro.hooks]
kedro_kfp_config = kedro_kfp.config_hook:config_hook
"""


def copy_project(destination: Path) -> Path:
    project = destination / "demo_project"
    shutil.copytree(FIXTURE_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the demo project that a test may modify or run."""
    return copy_project(tmp_path)


@pytest.fixture(scope="session")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the demo project for tests that only read it."""
    return copy_project(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="session")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PYTHONPATH under which `kedro` finds kedro_kfp's entry points.

    The entry points come from a hand-written dist-info, which is all that
    importlib.metadata needs; the real wheel is tested end to end elsewhere.
    """
    site = tmp_path_factory.mktemp("site")
    dist_info = site / "kedro_kfp-0.0.0+test.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kedro-kfp\nVersion: 0.0.0+test\n"
    )
    (dist_info / "entry_points.txt").write_text(_ENTRY_POINTS)
    return os.pathsep.join([str(PYTHON_SRC), str(site)])


RunKedro = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_kedro(plugin_path: str) -> RunKedro:
    """Run `python -m kedro ARGS` in a project directory, like a user would."""

    def run(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KEDRO_ENV"}
        env.update(PYTHONPATH=plugin_path, **extra_env)
        return subprocess.run(
            [sys.executable, "-m", "kedro", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    return run
