"""Kedro CLI commands: ``kedro kubeflow ...`` and ``kedro vertexai ...``.

Kedro imports every installed plugin on every ``kedro`` command, so this module
imports nothing but click; each command imports what it needs when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

_F = TypeVar("_F", bound=Callable[..., Any])


def _env_option(func: _F) -> _F:
    # Declared on the groups and on the commands: `kedro kubeflow -e prod compile`
    # and `kedro kubeflow compile -e prod` both work; the command's value wins.
    return click.option(
        "-e",
        "--env",
        default=None,
        help="Kedro configuration environment (default: Kedro's default run environment).",
    )(func)


# Options several commands share, declared once.
_image_option = click.option("-i", "--image", default=None, help="Image the steps run (overrides the config).")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
_force_option = click.option("--force", is_flag=True, help="Overwrite files that exist.")
_param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a pipeline parameter; VALUE as JSON or plain text (repeatable).",
)


def _experiment_options(func: _F) -> _F:
    func = click.option(
        "-en",
        "--experiment-namespace",
        default=None,
        help="Namespace of the experiment on a multi-user Kubeflow (your profile's namespace).",
    )(func)
    return click.option(
        "-x", "--experiment-name", default=None, help="Experiment, created when missing (default: run_config.experiment_name)."
    )(func)


def _pipeline_option(verb: str) -> Callable[[_F], _F]:
    return click.option("-p", "--pipeline", default="__default__", show_default=True, help=f"Kedro pipeline to {verb}.")


def _kfp_version_option(verb: str) -> Callable[[_F], _F]:
    return click.option(
        "--kfp-version",
        type=click.Choice(["1", "2"]),
        default=None,
        help=f"{verb} the Argo Workflow (1) or the KFP v2 IR (2) (default: run_config.kfp_version, else 1).",
    )


def _flags(**options: Any) -> list[str]:
    """The binary's arguments for the options given: `--name VALUE`, `--flag` for True,
    one `--param VALUE` per item of `params`; None and False are left out."""
    flags: list[str] = []
    for name, value in options.items():
        flag = "--param" if name == "params" else "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif isinstance(value, (tuple, list)):
            flags += [item for entry in value for item in (flag, str(entry))]
        elif value is not None and value is not False:
            flags += [flag, str(value)]
    return flags


# Both outer groups are named "kedro-kfp": Kedro merges same-name groups into one
# "Project specific commands from kedro-kfp" section of `kedro --help`.
@click.group(name="kedro-kfp")
def kubeflow_commands() -> None:
    # No docstring: Kedro would paste it into the description of `kedro --help`.
    pass


# Where the groups' `-v` count is kept (in the context's meta, which the command's context
# shares) for the binary's arguments.
VERBOSE_KEY = "kedro_kfp.verbose"


def _verbose_option(func: _F) -> _F:
    return click.option(
        "-v",
        "--verbose",
        count=True,
        help="Show each request to the server and its answer (-vv: more). Secrets are never shown.",
    )(func)


def _keep_verbosity(verbose: int) -> None:
    click.get_current_context().meta[VERBOSE_KEY] = verbose


@kubeflow_commands.group(name="kubeflow")
@_env_option
@_verbose_option
def kubeflow(env: str | None, verbose: int) -> None:
    """Compile and run Kedro pipelines on Kubeflow Pipelines."""
    _keep_verbosity(verbose)


@click.group(name="kedro-kfp")
def vertexai_commands() -> None:
    pass


@vertexai_commands.group(name="vertexai")
@_env_option
@_verbose_option
def vertexai(env: str | None, verbose: int) -> None:
    """Compile and run Kedro pipelines on Vertex AI Pipelines."""
    _keep_verbosity(verbose)


@kubeflow.command(name="init")
@click.argument("host")
@click.option(
    "--with-github-actions",
    is_flag=True,
    help="Also write GitHub Actions workflows that build and run the pipeline.",
)
@_force_option
@click.pass_context
def init(ctx: click.Context, host: str, with_github_actions: bool, force: bool) -> None:
    """Create the kubeflow.yaml config for the Kubeflow Pipelines at HOST."""
    from kedro_kfp import _commands

    _commands.init(ctx, "kubeflow", [host], _flags(with_github_actions=with_github_actions, force=force))


def _compile_options(default_output: str) -> Callable[[_F], _F]:
    """The options `kedro kubeflow compile` and `kedro vertexai compile` share."""

    def decorate(func: _F) -> _F:
        for option in reversed(
            [
                _env_option,
                _pipeline_option("compile"),
                _image_option,
                click.option(
                    "-o",
                    "--output",
                    default=default_output,
                    show_default=True,
                    help="File to write the pipeline to.",
                ),
                click.option(
                    "--check", is_flag=True, help="Write nothing; fail if OUTPUT is out of date."
                ),
                click.pass_context,
            ]
        ):
            func = option(func)
        return func

    return decorate


@kubeflow.command(name="compile")
@_compile_options(default_output="pipeline.yml")
@_kfp_version_option("Compile to")
def compile_(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    output: str,
    check: bool,
    kfp_version: str | None,
) -> None:
    """Compile a Kedro pipeline into a Kubeflow Pipelines definition."""
    from kedro_kfp import _commands

    env = _commands.resolve_env(ctx, env)
    _commands.compile_pipeline(ctx, "kubeflow", env, pipeline, image, output, check, _flags(kfp_version=kfp_version))


@vertexai.command(name="init")
@click.argument("project_id")
@click.argument("region")
@click.option(
    "--with-github-actions",
    is_flag=True,
    help="Also write GitHub Actions workflows that build and run the pipeline.",
)
@_force_option
@click.pass_context
def vertexai_init(
    ctx: click.Context, project_id: str, region: str, with_github_actions: bool, force: bool
) -> None:
    """Create the vertexai.yaml config for Vertex AI Pipelines in PROJECT_ID and REGION."""
    from kedro_kfp import _commands

    flags = _flags(with_github_actions=with_github_actions, force=force)
    _commands.init(ctx, "vertexai", [project_id, region], flags)


@vertexai.command(name="compile")
@_compile_options(default_output="pipeline.json")
def vertexai_compile(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    output: str,
    check: bool,
) -> None:
    """Compile a Kedro pipeline into a Vertex AI pipeline: JSON for a .json OUTPUT, else YAML."""
    from kedro_kfp import _commands

    env = _commands.resolve_env(ctx, env)
    _commands.compile_pipeline(ctx, "vertexai", env, pipeline, image, output, check)


def _run_local_options(func: _F) -> _F:
    for option in reversed(
        [
            _env_option,
            _pipeline_option("run"),
            click.option(
                "--workflow",
                default=None,
                help="Run this compiled file (Argo Workflow or KFP v2 IR) instead of compiling.",
            ),
            click.option("-j", "--jobs", type=int, default=None, help="Steps at once (default: the number of cores)."),
            _param_option,
            click.option(
                "--run-dir",
                default=None,
                help="Where the run's data, logs and step directory go (default: .kedro-kfp/run-local/<id>).",
            ),
            click.pass_context,
        ]
    ):
        func = option(func)
    return func


@kubeflow.command(name="run-local")
@_run_local_options
@_kfp_version_option("Run")
def kubeflow_run_local(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    workflow: str | None,
    jobs: int | None,
    params: tuple[str, ...],
    run_dir: str | None,
    kfp_version: str | None,
) -> None:
    """Run the compiled pipeline on this machine, every step as its own process."""
    from kedro_kfp import _commands

    flags = _flags(workflow=workflow, jobs=jobs, params=params, run_dir=run_dir, kfp_version=kfp_version)
    _commands.run_local(ctx, "kubeflow", _commands.resolve_env(ctx, env), pipeline, flags)


@vertexai.command(name="run-local")
@_run_local_options
def vertexai_run_local(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    workflow: str | None,
    jobs: int | None,
    params: tuple[str, ...],
    run_dir: str | None,
) -> None:
    """Run the compiled pipeline on this machine, every step as its own process."""
    from kedro_kfp import _commands

    flags = _flags(workflow=workflow, jobs=jobs, params=params, run_dir=run_dir)
    _commands.run_local(ctx, "vertexai", _commands.resolve_env(ctx, env), pipeline, flags)


@kubeflow.command(name="list-pipelines")
@_env_option
@click.option("--json", "as_json", is_flag=True, help="Print the pipelines as JSON on stdout.")
@click.pass_context
def list_pipelines(ctx: click.Context, env: str | None, as_json: bool) -> None:
    """List the pipelines deployed on the Kubeflow Pipelines server."""
    from kedro_kfp import _commands

    _commands.remote(ctx, "kubeflow", "list-pipelines", _commands.resolve_env(ctx, env), _flags(json=as_json))


@kubeflow.command(name="upload-pipeline")
@_env_option
@_pipeline_option("upload")
@_image_option
@_kfp_version_option("Upload")
@_json_option
@click.pass_context
def upload_pipeline(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    kfp_version: str | None,
    as_json: bool,
) -> None:
    """Compile the pipeline and upload it to Kubeflow Pipelines (a new version if it exists)."""
    from kedro_kfp import _commands

    flags = _flags(pipeline=pipeline, image=image, kfp_version=kfp_version, json=as_json)
    _commands.remote(ctx, "kubeflow", "upload-pipeline", _commands.resolve_env(ctx, env), flags)


@kubeflow.command(name="run-once")
@_env_option
@_pipeline_option("run")
@_image_option
@_kfp_version_option("Run")
@_experiment_options
@click.option("--run-name", default=None, help="Run name (default: run_config.run_name).")
@_param_option
@click.option(
    "--wait-for-completion",
    is_flag=True,
    help="Wait for the run to end; exit 1 unless it succeeded (default: run_config.wait_for_completion).",
)
@click.option("--timeout", type=int, default=None, help="With waiting: give up after SECONDS (the run goes on).")
@_json_option
@click.pass_context
def run_once(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    kfp_version: str | None,
    experiment_name: str | None,
    experiment_namespace: str | None,
    run_name: str | None,
    params: tuple[str, ...],
    wait_for_completion: bool,
    timeout: int | None,
    as_json: bool,
) -> None:
    """Compile, upload and start the pipeline as a single run in the experiment."""
    from kedro_kfp import _commands

    flags = _flags(
        pipeline=pipeline,
        image=image,
        kfp_version=kfp_version,
        experiment_name=experiment_name,
        experiment_namespace=experiment_namespace,
        run_name=run_name,
        params=params,
        wait_for_completion=wait_for_completion,
        timeout=timeout,
        json=as_json,
    )
    _commands.remote(ctx, "kubeflow", "run-once", _commands.resolve_env(ctx, env), flags)


@kubeflow.command(name="schedule")
@_env_option
@_pipeline_option("schedule")
@_kfp_version_option("Type --param values for")
@click.option(
    "-c",
    "--cron-expression",
    required=True,
    help="KFP cron, six fields: 'sec min hour day-of-month month day-of-week' (five fields get a 0 seconds field).",
)
@_experiment_options
@_param_option
@_json_option
@click.pass_context
def schedule(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    kfp_version: str | None,
    cron_expression: str,
    experiment_name: str | None,
    experiment_namespace: str | None,
    params: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run the newest uploaded version of the pipeline on a cron schedule."""
    from kedro_kfp import _commands

    flags = _flags(
        pipeline=pipeline,
        kfp_version=kfp_version,
        cron_expression=cron_expression,
        experiment_name=experiment_name,
        experiment_namespace=experiment_namespace,
        params=params,
        json=as_json,
    )
    _commands.remote(ctx, "kubeflow", "schedule", _commands.resolve_env(ctx, env), flags)


@click.command(name="mlflow-start")
@_env_option
@click.argument("run_id")
@click.option(
    "--output",
    default="/tmp/mlflow_run_id",
    show_default=True,
    help="File to write the MLflow run's id to (the step's output parameter).",
)
@click.pass_context
def mlflow_start(ctx: click.Context, env: str | None, run_id: str, output: str) -> None:
    """Start the MLflow run of a pipeline run (kedro-mlflow), tagged with RUN_ID."""
    from kedro_kfp import _commands

    _commands.mlflow_start(ctx, _commands.resolve_env(ctx, env), run_id, output)


@kubeflow.command(name="delete-pipeline-volume")
@click.argument("name")
@click.option("--namespace", default=None, help="Namespace (default: the pod's).")
def delete_pipeline_volume(name: str, namespace: str | None) -> None:
    """Delete a run's data volume; the exit handler of a run runs this in the cluster."""
    from kedro_kfp import _commands

    _commands.binary_only(["kubeflow", "delete-pipeline-volume", name, *_flags(namespace=namespace)])


@vertexai.command(name="list-pipelines")
@_env_option
@click.option("--json", "as_json", is_flag=True, help="Print the pipeline jobs as JSON on stdout.")
@click.pass_context
def vertexai_list_pipelines(ctx: click.Context, env: str | None, as_json: bool) -> None:
    """List the pipeline jobs (runs) on Vertex AI Pipelines, newest first."""
    from kedro_kfp import _commands

    _commands.remote(ctx, "vertexai", "list-pipelines", _commands.resolve_env(ctx, env), _flags(json=as_json))


@vertexai.command(name="run-once")
@_env_option
@_pipeline_option("run")
@_image_option
@_param_option
@click.option(
    "--wait-for-completion",
    is_flag=True,
    help="Wait for the job to end; exit 1 unless it succeeded (default: run_config.wait_for_completion).",
)
@click.option("--timeout", type=int, default=None, help="With waiting: give up after SECONDS (the job goes on).")
@_json_option
@click.pass_context
def vertexai_run_once(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    params: tuple[str, ...],
    wait_for_completion: bool,
    timeout: int | None,
    as_json: bool,
) -> None:
    """Compile the pipeline and start it as one Vertex AI pipeline job."""
    from kedro_kfp import _commands

    flags = _flags(
        pipeline=pipeline,
        image=image,
        params=params,
        wait_for_completion=wait_for_completion,
        timeout=timeout,
        json=as_json,
    )
    _commands.remote(ctx, "vertexai", "run-once", _commands.resolve_env(ctx, env), flags)


@vertexai.command(name="schedule")
@_env_option
@_pipeline_option("schedule")
@_image_option
@click.option(
    "-c",
    "--cron-expression",
    default=None,
    help="5-field cron (default: run_config.schedules, else '0 0 * * *').",
)
@click.option("--timezone", default=None, help="IANA time zone of the cron, e.g. Europe/Warsaw.")
@_param_option
@_json_option
@click.pass_context
def vertexai_schedule(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    image: str | None,
    cron_expression: str | None,
    timezone: str | None,
    params: tuple[str, ...],
    as_json: bool,
) -> None:
    """Compile the pipeline and run it on a schedule (replacing the schedule of the same name)."""
    from kedro_kfp import _commands

    flags = _flags(
        pipeline=pipeline,
        image=image,
        cron_expression=cron_expression,
        timezone=timezone,
        params=params,
        json=as_json,
    )
    _commands.remote(ctx, "vertexai", "schedule", _commands.resolve_env(ctx, env), flags)


def _ui_command(group: str) -> click.Command:
    @click.command(name="ui")
    @_env_option
    @click.option("--print", "print_only", is_flag=True, help="Only print the URL.")
    @click.pass_context
    def ui(ctx: click.Context, env: str | None, print_only: bool) -> None:
        from kedro_kfp import _commands

        _commands.remote(ctx, group, "ui", _commands.resolve_env(ctx, env), _flags(print=print_only))

    ui.help = "Open the pipelines UI in a browser (or print its URL)."
    return ui


kubeflow.add_command(_ui_command("kubeflow"))
vertexai.add_command(_ui_command("vertexai"))


# `snapshot` and `step` do the same for both groups, so one command object serves both.


@click.command(name="snapshot")
@_env_option
@click.option(
    "-o",
    "--output",
    default="snapshot.json",
    show_default=True,
    # Kedro logs its first line to stdout before any plugin runs, so stdout is not a
    # clean channel for the snapshot unless the project's logging says otherwise.
    help="File to write; '-' is standard output.",
)
@click.pass_context
def snapshot(ctx: click.Context, env: str | None, output: str) -> None:
    """Write the project snapshot JSON that the kedro-kfp binary reads."""
    from kedro_kfp import _commands

    _commands.write_snapshot(ctx, _commands.resolve_env(ctx, env), output)


@click.command(name="step")
@_env_option
@click.option("--pipeline", required=True, help="Kedro pipeline the nodes belong to.")
@click.option(
    "--node",
    "node_names",
    multiple=True,
    help="Node to run (repeatable; default: every node of the pipeline).",
)
@click.option(
    "--param",
    "params",
    nargs=2,
    multiple=True,
    metavar="KEY VALUE",
    help="Set the top-level parameter KEY to VALUE, JSON or a plain string (repeatable).",
)
@click.option(
    "--string-param",
    "string_params",
    nargs=2,
    multiple=True,
    metavar="KEY VALUE",
    # KFP v2 renders STRING-typed parameters raw into the args: "123" must stay a string.
    help="Set the top-level parameter KEY to the string VALUE, taken as is (repeatable).",
)
@click.option(
    "--run-id",
    default=None,
    help="The pipeline run's id, exposed to the Kedro config as KEDRO_CONFIG_RUN_ID.",
)
@click.option(
    "--mlflow",
    is_flag=True,
    help="Log into the MLflow run that `mlflow-start RUN_ID` created (kedro-mlflow).",
)
@click.option(
    "--memory-dir",
    default=None,
    metavar="DIR",
    help="Store datasets Kedro keeps in memory under DIR/RUN_ID (a path or fsspec URL).",
)
@click.option(
    "--host-alias",
    "host_aliases",
    nargs=2,
    multiple=True,
    metavar="IP HOSTNAMES",
    # Vertex AI has no pod hostAliases; the step adds the entries itself (as root).
    help="Add an /etc/hosts entry: IP and comma-separated HOSTNAMES (repeatable).",
)
@click.pass_context
def step(
    ctx: click.Context,
    env: str | None,
    pipeline: str,
    node_names: tuple[str, ...],
    params: tuple[tuple[str, str], ...],
    string_params: tuple[tuple[str, str], ...],
    run_id: str | None,
    host_aliases: tuple[tuple[str, str], ...],
    mlflow: bool,
    memory_dir: str | None,
) -> None:
    """Run Kedro nodes inside a pipeline step's container."""
    from kedro_kfp import _commands

    env = _commands.resolve_env(ctx, env)
    _commands.add_host_aliases(host_aliases)
    _commands.run_step(
        ctx, env, pipeline, node_names, params, string_params, run_id, mlflow, memory_dir
    )


for _group in (kubeflow, vertexai):
    _group.add_command(snapshot)
    _group.add_command(step)
    _group.add_command(mlflow_start)
