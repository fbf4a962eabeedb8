"""Bodies of the commands declared in ``plugin.py``.

Imported only when a command runs, so that ``kedro`` stays fast for every other command.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from kedro_kfp import plugin
from kedro_kfp._binary import run_binary

if TYPE_CHECKING:
    from kedro.framework.startup import ProjectMetadata

# Set to 1 to see the full traceback behind an "error: ..." line.
_DEBUG_ENV_VAR = "KEDRO_KFP_DEBUG"
# Where a step exposes the pipeline run's id to the Kedro config.
_RUN_ID_ENV_VAR = "KEDRO_CONFIG_RUN_ID"
_T = TypeVar("_T")


def resolve_env(ctx: click.Context, env: str | None) -> str | None:
    """The command's ``-e`` wins over the group's; None leaves the choice to Kedro
    (``KEDRO_ENV``, else the default run environment)."""
    group_env = ctx.parent.params.get("env") if ctx.parent else None
    return env or group_env or None


def init(
    ctx: click.Context, group: str, arguments: list[str], flags: Sequence[str] = ()
) -> NoReturn:
    """``kedro-kfp GROUP init ARGUMENTS... <project metadata> FLAGS...``."""
    metadata = _project_metadata(ctx)
    args = [group, "init", *arguments]
    args += ["--project-dir", str(metadata.project_path)]
    args += ["--project-name", metadata.project_name, "--package-name", metadata.package_name]
    sys.exit(_call_binary([*args, *flags], stdin=None))


def compile_pipeline(
    ctx: click.Context,
    group: str,
    env: str | None,
    pipeline: str,
    image: str | None,
    output: str,
    check: bool,
    flags: Sequence[str] = (),
) -> NoReturn:
    """``kedro-kfp GROUP compile`` with the snapshot on stdin; exits with the binary's code."""
    snapshot = _snapshot_json(ctx, env)
    args = [group, "compile", "--snapshot", "-", "--pipeline", pipeline, "--output", output]
    if image:
        args += ["--image", image]
    if check:
        args.append("--check")
    sys.exit(_call_binary([*args, *flags], stdin=snapshot.encode("utf-8")))


def run_local(
    ctx: click.Context,
    group: str,
    env: str | None,
    pipeline: str,
    options: Sequence[str],
) -> NoReturn:
    """``kedro-kfp GROUP run-local`` on this project, with the snapshot on stdin."""
    metadata = _project_metadata(ctx)
    snapshot = _snapshot_json(ctx, env)
    args = [group, "run-local", "--snapshot", "-", "--pipeline", pipeline]
    args += ["--project-dir", str(metadata.project_path), *options]
    # Each step runs `kedro`: the one of this environment, whatever PATH says.
    child_env = dict(os.environ)
    child_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), child_env.get("PATH", "")])
    sys.exit(_call_binary(args, stdin=snapshot.encode("utf-8"), env=child_env))


def remote(ctx: click.Context, group: str, command: str, env: str | None, flags: Sequence[str]) -> NoReturn:
    """``kedro-kfp GROUP COMMAND`` for commands that talk to a server, snapshot on stdin."""
    snapshot = _snapshot_json(ctx, env)
    args = [group, command, "--snapshot", "-", *flags]
    sys.exit(_call_binary(args, stdin=snapshot.encode("utf-8")))


def write_snapshot(ctx: click.Context, env: str | None, output: str) -> None:
    data = (_snapshot_json(ctx, env) + "\n").encode("utf-8")
    if output == "-":
        # Bytes, so the snapshot is UTF-8 whatever the terminal's encoding is.
        click.echo(data, nl=False)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        _fail(f"could not write {output}: {exc.strerror or exc}")


# Tests point this at a scratch file; in the container it is the real /etc/hosts.
_HOSTS_FILE_ENV_VAR = "KEDRO_KFP_HOSTS_FILE"


def add_host_aliases(aliases: Sequence[tuple[str, str]]) -> None:
    """Append ``IP HOSTNAME...`` lines to /etc/hosts, once each."""
    if not aliases:
        return
    hosts = Path(os.environ.get(_HOSTS_FILE_ENV_VAR, "/etc/hosts"))
    try:
        existing = hosts.read_text(encoding="utf-8") if hosts.exists() else ""
        lines = [f"{ip}\t{' '.join(filter(None, names.split(',')))}" for ip, names in aliases]
        missing = [line for line in lines if line not in existing.splitlines()]
        if missing:
            prefix = "" if not existing or existing.endswith("\n") else "\n"
            with hosts.open("a", encoding="utf-8") as handle:
                handle.write(prefix + "\n".join(missing) + "\n")
    except OSError as exc:
        _fail(f"could not add host aliases to {hosts}: {exc.strerror or exc}")


def run_step(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    node_names: Sequence[str],
    params: Sequence[tuple[str, str]],
    string_params: Sequence[tuple[str, str]],
    run_id: str | None,
) -> None:
    """Run some nodes of a pipeline: what each pipeline step does in its container."""
    from kedro.framework.session import KedroSession

    metadata = _project_metadata(ctx)
    # Keys are top-level parameter keys, dots included: no dotted-path expansion.
    runtime_params: dict[str, Any] = {key: _decode_param(value) for key, value in params}
    runtime_params.update(string_params)  # verbatim: KFP v2 renders STRING parameters raw
    if run_id:
        # The config the session loads may read it, so it must be set before the session
        # is created.
        os.environ[_RUN_ID_ENV_VAR] = run_id
    session = _load_project(
        lambda: KedroSession.create(
            project_path=metadata.project_path,
            env=env,
            runtime_params=runtime_params or None,
        )
    )
    try:
        with session:
            session.run(**_select_pipeline(pipeline), node_names=list(node_names) or None)
    except Exception as exc:  # Kedro has logged the node's error already
        _print_traceback_if_debug()
        _fail(f"node failed: {_describe(exc)}")


def _select_pipeline(pipeline: str) -> dict[str, Any]:
    """The ``KedroSession.run`` argument naming one pipeline, for every Kedro 1.x:
    later releases take ``pipeline_names`` and deprecate ``pipeline_name``."""
    import inspect

    from kedro.framework.session import KedroSession

    if "pipeline_names" in inspect.signature(KedroSession.run).parameters:
        return {"pipeline_names": [pipeline]}
    return {"pipeline_name": pipeline}


def _decode_param(text: str) -> Any:
    """Parameter values arrive as JSON text; anything that is not JSON is taken as a
    plain string, since people type bare strings into the KFP UI."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _snapshot_json(ctx: click.Context, env: str | None) -> str:
    from kedro_kfp.snapshot import build_snapshot, snapshot_to_json

    metadata = _project_metadata(ctx)

    def build() -> str:
        # Kedro's rich logging and the user's own code print to stdout, which
        # belongs to the snapshot (`snapshot -o -`) or to the binary.
        with contextlib.redirect_stdout(sys.stderr):
            return snapshot_to_json(build_snapshot(metadata.project_path, env))

    return _load_project(build)


def _project_metadata(ctx: click.Context) -> ProjectMetadata:
    from kedro.framework.startup import ProjectMetadata, bootstrap_project
    from kedro.utils import find_kedro_project

    # Run through `kedro`, the CLI has bootstrapped the project and passes its metadata.
    if isinstance(ctx.obj, ProjectMetadata):
        return ctx.obj
    return _load_project(lambda: bootstrap_project(find_kedro_project(Path.cwd()) or Path.cwd()))


def _load_project(load: Callable[[], _T]) -> _T:
    """Return ``load()``; report a failure to load the user's project as one line
    and exit code 1."""
    try:
        return load()
    except Exception as exc:  # user code (settings, pipelines, hooks) can raise anything
        _print_traceback_if_debug()
        _fail(f"could not load the Kedro project: {_describe(exc)}")


def _call_binary(args: list[str], stdin: bytes | None, env: dict[str, str] | None = None) -> int:
    ctx = click.get_current_context(silent=True)
    verbose = ctx.meta.get(plugin.VERBOSE_KEY, 0) if ctx is not None else 0
    try:
        return run_binary(["-v"] * verbose + args, stdin, env)
    except OSError as exc:  # not found, or found but not executable
        _fail(str(exc))


def _describe(exc: BaseException) -> str:
    message = " ".join(str(exc).split())  # Kedro's messages span lines; ours must not
    return f"{type(exc).__name__}: {message}"


def _print_traceback_if_debug() -> None:
    if os.environ.get(_DEBUG_ENV_VAR) == "1":
        traceback.print_exc()


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
