"""What every end-to-end test shares: the wheel, a fresh venv with it installed, a copy of the
example project, and ways to run `kedro` there and ask Kedro for a pipeline's DAG.

The fresh venv is made once per session (building the wheel with maturin unless
KEDRO_KFP_WHEEL names one). tests/e2e is a package so that this conftest does not shadow
tests/python's when both directories run in one pytest session: import it as `.conftest`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
EXAMPLE = REPO / "examples" / "spaceflights"
TOOLS = REPO / "tests" / "tools"
QUIET_KEDRO = {"KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "NO_COLOR": "1"}

# The validators in tests/tools run in this (the test) interpreter.
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(REPO / "tests" / "fakes"))


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True):
    merged = {**os.environ, **QUIET_KEDRO, **(env or {})}
    merged.pop("KEDRO_KFP_BIN", None)  # the installed wheel's binary must be found on its own
    # A hang (a loop on a misbehaving server) fails the test instead of stalling CI.
    result = subprocess.run(args, cwd=cwd, env=merged, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    given = os.environ.get("KEDRO_KFP_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "maturin", "build", "--release", "--out", str(out)], cwd=REPO)
    (built,) = out.glob("kedro_kfp-*.whl")
    return built


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory, wheel) -> Path:
    """A venv with nothing but the wheel and the example project's requirements."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    venv.create(home, with_pip=True)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, str(wheel), "-r", str(EXAMPLE / "requirements.txt")], cwd=REPO)
    return home


@pytest.fixture()
def example(tmp_path) -> Path:
    project = tmp_path / "spaceflights"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("pipeline.yml", "__pycache__"))
    return project


def kedro(fresh_venv: Path, project: Path, *args: str, check: bool = True, env: dict[str, str] | None = None):
    return run([str(fresh_venv / "bin" / "kedro"), *args], cwd=project, env=env, check=check)


def kedro_dependencies(fresh_venv: Path, project: Path, pipeline: str = "__default__") -> dict[str, list[str]]:
    output = project / f"kedro-dependencies-{pipeline}.json"
    run([str(fresh_venv / "bin" / "python"), str(TOOLS / "kedro_dependencies.py"), pipeline, str(output)], cwd=project)
    return json.loads(output.read_text())
