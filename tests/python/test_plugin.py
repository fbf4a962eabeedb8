"""The CLI surface: import cost, command tree, and calls to the kedro-kfp binary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import PYTHON_SRC, SCHEMA_PATH, RunKedro
from jsonschema import Draft202012Validator

from kedro_kfp import _find_bin
from kedro_kfp._binary import run_binary
from kedro_kfp._find_bin import find_kedro_kfp_bin
from kedro_kfp.plugin import kubeflow_commands, vertexai_commands


def imported_modules(code: str) -> set[str]:
    """Modules a fresh interpreter imports to run ``code`` (from -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env={**os.environ, "PYTHONPATH": str(PYTHON_SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # [0] is the header


def test_importing_the_plugin_costs_nothing_beyond_click() -> None:
    click_only = imported_modules("import click")
    plugin = imported_modules("import kedro_kfp.plugin")
    assert plugin - click_only == {"kedro_kfp", "kedro_kfp.plugin"}
    heavy = {m for m in plugin if m.split(".")[0] in {"kedro", "json", "subprocess"}}
    assert heavy == set()


def test_command_tree() -> None:
    assert set(kubeflow_commands.commands) == {"kubeflow"}
    assert set(vertexai_commands.commands) == {"vertexai"}
    kubeflow = kubeflow_commands.commands["kubeflow"]
    vertexai = vertexai_commands.commands["vertexai"]
    assert set(kubeflow.commands) == {
        "init", "compile", "run-local", "snapshot", "step", "list-pipelines", "upload-pipeline", "ui", "run-once", "schedule",
        "delete-pipeline-volume", "mlflow-start",
    }
    assert set(vertexai.commands) == {
        "init", "compile", "run-local", "snapshot", "step", "ui", "list-pipelines", "run-once", "schedule", "mlflow-start",
    }
    # One implementation serves both groups.
    assert vertexai.commands["step"] is kubeflow.commands["step"]
    for command in [*kubeflow.commands.values(), *vertexai.commands.values(), kubeflow, vertexai]:
        assert command.help and command.help.strip().endswith(".")


def test_help_works_through_kedro(shared_project: Path, run_kedro: RunKedro) -> None:
    result = run_kedro(shared_project, "kubeflow", "compile", "--help")
    assert result.returncode == 0, result.stderr
    assert "--pipeline" in result.stdout and "--check" in result.stdout


# --- calls to the binary, with a fake binary that records what it was given --------


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in kedro-kfp that records its arguments and stdin, and exits with 3."""
    record = tmp_path / "record.json"
    binary = tmp_path / "kedro-kfp"
    binary.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, sys
            args = sys.argv[1:]
            stdin = sys.stdin.read() if "--snapshot" in args else None
            with open({str(record)!r}, "w", encoding="utf-8") as f:
                json.dump({{"args": args, "stdin": stdin}}, f)
            sys.exit(3)
            """
        )
    )
    binary.chmod(0o755)
    monkeypatch.setenv("KEDRO_KFP_BIN", str(binary))
    return record


def invoke(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """Run `kedro ARGS...` in-process; ARGS start with the group, kubeflow or vertexai."""
    monkeypatch.chdir(project)
    commands = {"kubeflow": kubeflow_commands, "vertexai": vertexai_commands}[args[0]]
    return CliRunner().invoke(commands, list(args))


def recorded(record: Path) -> dict[str, Any]:
    return json.loads(record.read_text(encoding="utf-8"))


def test_compile_pipes_the_snapshot_and_returns_the_exit_code(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, fake_binary: Path
) -> None:
    args = ["-e", "prod", "compile", "-p", "processing", "-i", "img:1", "-o", "out.yml", "--check"]
    result = invoke(shared_project, monkeypatch, "kubeflow", *args)
    assert result.exit_code == 3, result.output
    call = recorded(fake_binary)
    assert call["args"] == [
        "kubeflow", "compile", "--snapshot", "-", "--pipeline", "processing",
        "--output", "out.yml", "--image", "img:1", "--check",
    ]  # fmt: skip
    snapshot = json.loads(call["stdin"])
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(snapshot)
    assert snapshot["project"]["env"] == "prod"


def test_compile_defaults(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, fake_binary: Path
) -> None:
    invoke(shared_project, monkeypatch, "kubeflow", "compile")
    assert recorded(fake_binary)["args"] == [
        "kubeflow", "compile", "--snapshot", "-", "--pipeline", "__default__",
        "--output", "pipeline.yml",
    ]  # fmt: skip
    # Without --kfp-version the binary reads run_config.kfp_version.
    invoke(shared_project, monkeypatch, "kubeflow", "compile", "--kfp-version", "2")
    assert recorded(fake_binary)["args"][-2:] == ["--kfp-version", "2"]
    result = invoke(shared_project, monkeypatch, "kubeflow", "compile", "--kfp-version", "3")
    assert result.exit_code == 2


def test_vertexai_compile_shares_the_kubeflow_options(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, fake_binary: Path
) -> None:
    result = invoke(shared_project, monkeypatch, "vertexai", "compile", "-e", "prod")
    assert result.exit_code == 3, result.output
    call = recorded(fake_binary)
    assert call["args"] == [
        "vertexai", "compile", "--snapshot", "-", "--pipeline", "__default__",
        "--output", "pipeline.json",
    ]  # fmt: skip
    assert json.loads(call["stdin"])["project"]["env"] == "prod"
    args = ["vertexai", "-e", "prod", "compile", "-p", "processing", "-i", "img:1"]
    invoke(shared_project, monkeypatch, *args, "-o", "p.yaml", "--check")
    assert recorded(fake_binary)["args"] == [
        "vertexai", "compile", "--snapshot", "-", "--pipeline", "processing",
        "--output", "p.yaml", "--image", "img:1", "--check",
    ]  # fmt: skip
    help_text = invoke(shared_project, monkeypatch, "vertexai", "compile", "--help").output
    assert "--kfp-version" not in help_text and "pipeline.json" in help_text


@pytest.mark.parametrize("github_actions", [False, True])
def test_init_passes_the_project_metadata(
    shared_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_binary: Path,
    github_actions: bool,
) -> None:
    flags = ["--with-github-actions"] if github_actions else []
    args = ["kubeflow", "init", "https://kfp.example.com", *flags]
    result = invoke(shared_project, monkeypatch, *args)
    assert result.exit_code == 3, result.output
    assert recorded(fake_binary)["args"] == [
        "kubeflow", "init", "https://kfp.example.com",
        "--project-dir", str(shared_project.resolve()),
        "--project-name", "Demo Project", "--package-name", "demo_project", *flags,
    ]  # fmt: skip


def test_vertexai_init_passes_the_project_metadata(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, fake_binary: Path
) -> None:
    result = invoke(shared_project, monkeypatch, "vertexai", "init", "my-project", "europe-west4")
    assert result.exit_code == 3, result.output
    assert recorded(fake_binary)["args"] == [
        "vertexai", "init", "my-project", "europe-west4",
        "--project-dir", str(shared_project.resolve()),
        "--project-name", "Demo Project", "--package-name", "demo_project",
    ]  # fmt: skip


def test_missing_binary_is_one_error_line(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KEDRO_KFP_BIN", str(tmp_path / "nope"))
    result = invoke(shared_project, monkeypatch, "kubeflow", "compile")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: KEDRO_KFP_BIN is set to {str(tmp_path / 'nope')!r}, which is not a file"
    )


def test_run_binary_reports_death_by_signal_like_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "kedro-kfp"
    binary.write_text(
        f"#!{sys.executable}\nimport os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n"
    )
    binary.chmod(0o755)
    monkeypatch.setenv("KEDRO_KFP_BIN", str(binary))
    handler = signal.getsignal(signal.SIGINT)
    assert run_binary([], stdin=b"") == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGINT) is handler  # restored after the child ends


def test_python_dash_m_execs_the_binary(tmp_path: Path) -> None:
    binary = tmp_path / "kedro-kfp"
    binary.write_text(f"#!{sys.executable}\nimport sys\nprint(sys.argv[1:])\nsys.exit(7)\n")
    binary.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(PYTHON_SRC), "KEDRO_KFP_BIN": str(binary)}
    result = subprocess.run(
        [sys.executable, "-m", "kedro_kfp", "a b", "$(x)"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 7
    assert result.stdout == "['a b', '$(x)']\n"


# --- finding the binary --------------------------------------------------------------


def test_find_bin_searches_script_dirs_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEDRO_KFP_BIN", raising=False)
    empty, scripts = tmp_path / "empty", tmp_path / "scripts"
    empty.mkdir()
    scripts.mkdir()
    monkeypatch.setattr(_find_bin, "_script_dirs", lambda: [str(empty), str(scripts)])
    monkeypatch.setenv("PATH", str(empty))

    with pytest.raises(FileNotFoundError) as error:
        find_kedro_kfp_bin()
    assert f"  - {empty}\n  - {scripts}\n  - PATH\n" in str(error.value)

    binary = scripts / "kedro-kfp"
    binary.write_text("")
    assert find_kedro_kfp_bin() == str(binary)


def test_find_bin_default_dirs_include_the_interpreters_own() -> None:
    assert os.path.dirname(sys.executable) in _find_bin._script_dirs()


# --- the real binary, when there is one ----------------------------------------------

REAL_BINARY = os.environ.get("KEDRO_KFP_BIN", "")


@pytest.mark.skipif(not os.path.isfile(REAL_BINARY), reason="KEDRO_KFP_BIN is not set")
def test_compile_through_the_shim_equals_the_binary_on_a_snapshot_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(project, monkeypatch, "kubeflow", "snapshot", "-o", "snapshot.json")
    assert result.exit_code == 0, result.output
    direct = subprocess.run(
        [REAL_BINARY, "kubeflow", "compile", "--snapshot", "snapshot.json", "-o", "direct.yml"],
        cwd=project,
    )
    result = invoke(project, monkeypatch, "kubeflow", "compile", "-o", "shim.yml")
    assert result.exit_code == direct.returncode, result.output
    if direct.returncode == 0:
        assert (project / "shim.yml").read_bytes() == (project / "direct.yml").read_bytes()


def test_vertexai_remote_commands_pass_their_options(
    shared_project: Path, monkeypatch: pytest.MonkeyPatch, fake_binary: Path
) -> None:
    args = ["run-once", "-p", "processing", "-i", "img:1", "--param", "a=1", "--param", "b=x",
            "--wait-for-completion", "--timeout", "30", "--json"]  # fmt: skip
    result = invoke(shared_project, monkeypatch, "vertexai", *args)
    assert result.exit_code == 3, result.output
    assert recorded(fake_binary)["args"] == [
        "vertexai", "run-once", "--snapshot", "-", "--pipeline", "processing", "--image", "img:1",
        "--param", "a=1", "--param", "b=x", "--wait-for-completion", "--timeout", "30", "--json",
    ]  # fmt: skip
    invoke(shared_project, monkeypatch, "vertexai", "schedule", "-c", "0 2 * * *", "--timezone", "Europe/Warsaw")
    assert recorded(fake_binary)["args"] == [
        "vertexai", "schedule", "--snapshot", "-", "--pipeline", "__default__",
        "--cron-expression", "0 2 * * *", "--timezone", "Europe/Warsaw",
    ]  # fmt: skip
    invoke(shared_project, monkeypatch, "vertexai", "-e", "prod", "list-pipelines", "--json")
    call = recorded(fake_binary)
    assert call["args"] == ["vertexai", "list-pipelines", "--snapshot", "-", "--json"]
    assert json.loads(call["stdin"])["project"]["env"] == "prod"
