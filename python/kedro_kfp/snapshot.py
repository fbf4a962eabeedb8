"""Build the project snapshot (docs/snapshot.md, schema/snapshot.v1.schema.json).

The snapshot is everything the ``kedro-kfp`` binary needs to know about a Kedro
project, read through Kedro's own API. It holds no absolute path, secret or timestamp.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import kedro
from kedro.config import MissingConfigException
from kedro.framework.project import pipelines as project_pipelines
from kedro.framework.project import settings
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io.catalog_config_resolver import (
    CREDENTIALS_KEY,
    DEFAULT_RUNTIME_PATTERN,
    CatalogConfigResolver,
)

from kedro_kfp import config_hook

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext
    from kedro.pipeline import Pipeline

SNAPSHOT_VERSION = 1
# The plugin's config files; the binary merges them like non-parameter Kedro config.
CONFIG_FILE_NAMES = ("kubeflow", "vertexai")
# Key of kedro-mlflow's config files, when the project uses kedro-mlflow.
MLFLOW_CONFIG = "mlflow"
# What Kedro creates for a dataset that no catalog entry or pattern matches.
UNCATALOGED_TYPE = "kedro.io.MemoryDataset"


def build_snapshot(project_path: str | Path, env: str | None) -> dict[str, Any]:
    """Load the Kedro project at ``project_path`` in ``env`` and describe it.

    ``env`` None means what it means to Kedro: ``KEDRO_ENV`` if set, else the
    default run environment (then ``project.env`` is null).
    """
    metadata = bootstrap_project(Path(project_path))
    project_root = metadata.project_path
    session = KedroSession.create(project_path=project_root, env=env, save_on_close=False)
    try:
        context = session.load_context()
        pipelines = _all_pipelines()
        return {
            "snapshot_version": SNAPSHOT_VERSION,
            "producer": _producer(),
            "project": {
                "name": metadata.project_name,
                "package_name": metadata.package_name,
                # What Kedro used: `env`, or else KEDRO_ENV.
                "env": context.env,
            },
            "config_files": _config_files(context, project_root),
            "parameters": context.params,
            "datasets": _datasets(context, pipelines),
            "pipelines": {name: _pipeline(p) for name, p in pipelines.items()},
        }
    finally:
        session.close()


def snapshot_to_json(snapshot: dict[str, Any]) -> str:
    """Serialise a snapshot: sorted keys, UTF-8 text, same input gives same bytes.

    Parameter values that JSON cannot represent are converted by ``_json_fallback``.
    """
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=_json_fallback)


def _json_fallback(value: Any) -> Any:
    """Make a parameter value JSON-friendly.

    Kedro turns parameters read by nodes with typed inputs into pydantic models or
    dataclasses; those become their fields. Anything else (dates, custom objects)
    becomes ``str(value)``.
    """
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def _producer() -> dict[str, str]:
    from kedro_kfp import __version__

    return {"kedro_version": kedro.__version__, "kedro_kfp_version": __version__}


def _all_pipelines() -> dict[str, Pipeline]:
    # bootstrap_project has just reset the registry, so this loads every pipeline.
    return dict(project_pipelines.items())


def _pipeline(pipeline: Pipeline) -> dict[str, Any]:
    # `pipeline.nodes` is Kedro's topological order, which the binary keeps.
    return {
        "nodes": [
            {
                "name": node.name,
                "namespace": node.namespace,
                "tags": sorted(node.tags),
                "inputs": list(node.inputs),
                "outputs": list(node.outputs),
            }
            for node in pipeline.nodes
        ]
    }


def is_parameter(dataset_name: str) -> bool:
    """Whether a node input is Kedro's parameters rather than a dataset."""
    return dataset_name == "parameters" or dataset_name.startswith("params:")


def _datasets(context: KedroContext, pipelines: dict[str, Pipeline]) -> dict[str, Any]:
    names = {
        name
        for pipeline in pipelines.values()
        for node in pipeline.nodes
        for name in (*node.inputs, *node.outputs)
        if not is_parameter(name)
    }
    resolver = _catalog_resolver(context)
    # Kedro logs a warning for every dataset a catch-all pattern ("{name}") resolves: noise
    # here (thousands of lines on a big project, and most of the time spent).
    quiet = logging.getLogger(CatalogConfigResolver.__module__)
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        return {name: _dataset(resolver, name) for name in sorted(names)}
    finally:
        quiet.disabled = was_disabled


def _catalog_resolver(context: KedroContext) -> CatalogConfigResolver:
    """Kedro's resolver for the catalog config, factory patterns included.

    Built from the config loader rather than ``context.catalog``: the catalog reads
    credentials.yml and rewrites relative paths as absolute ones, and a snapshot
    must contain neither.
    """
    try:
        catalog_config = context.config_loader["catalog"]
    except MissingConfigException:  # a project without any catalog file
        catalog_config = {}
    runtime_patterns = getattr(
        settings.DATA_CATALOG_CLASS, "default_runtime_patterns", DEFAULT_RUNTIME_PATTERN
    )
    return CatalogConfigResolver(
        config=_without_credentials(catalog_config),
        credentials={},
        default_runtime_patterns=runtime_patterns,
    )


def _without_credentials(config: Any) -> Any:
    """Drop every ``credentials`` entry: by-name references would need credentials.yml
    to resolve, and inline ones are secrets."""
    if isinstance(config, dict):
        return {
            key: _without_credentials(value)
            for key, value in config.items()
            if key != CREDENTIALS_KEY
        }
    if isinstance(config, list):
        return [_without_credentials(item) for item in config]
    return config


def _dataset(resolver: CatalogConfigResolver, name: str) -> dict[str, Any]:
    # The same test as `name in DataCatalog`: explicit entry, factory pattern or
    # the user's catch-all pattern; Kedro's runtime default pattern does not count.
    if name in resolver.config:
        config = resolver.config[name]
    elif (
        resolver.match_dataset_pattern(name) is not None
        or resolver.match_user_catch_all_pattern(name) is not None
    ):
        config = resolver.resolve_pattern(name)
    else:
        return {"type": UNCATALOGED_TYPE, "filepath": None, "in_catalog": False}
    filepath = config.get("filepath", config.get("path"))
    return {
        "type": str(config.get("type", "")),
        "filepath": filepath if isinstance(filepath, str) else None,
        "in_catalog": True,
    }


def _config_files(context: KedroContext, project_root: Path) -> dict[str, Any]:
    """The plugin's config files, base environment first, as relative POSIX paths."""
    env_dirs = _env_dirs(context)
    files = {}
    for name in CONFIG_FILE_NAMES:
        found = [
            path
            for env_dir in env_dirs
            for path in (env_dir / f"{name}.yaml", env_dir / f"{name}.yml")
            if path.is_file()
        ]
        if found:
            files[name] = [_config_file(path, project_root) for path in found]
    mlflow = _mlflow_config_files(env_dirs, project_root)
    if mlflow:
        files[MLFLOW_CONFIG] = mlflow
    return files


def _mlflow_config_files(env_dirs: list[Path], project_root: Path) -> list[dict[str, str]]:
    """kedro-mlflow's config files when the project uses it (installed, hooks not disabled,
    an mlflow.yml): compile then adds the step that starts the run's MLflow run."""
    import importlib.util

    if importlib.util.find_spec("kedro_mlflow") is None:
        return []
    disabled = set(getattr(settings, "DISABLE_HOOKS_FOR_PLUGINS", ()) or ())
    if disabled & {"kedro-mlflow", "kedro_mlflow"}:
        return []
    return [
        {
            "path": PurePath(os.path.relpath(path, project_root)).as_posix(),
            "content": path.read_text(encoding="utf-8"),
        }
        for env_dir in env_dirs
        for path in (env_dir / "mlflow.yml", env_dir / "mlflow.yaml")
        if path.is_file()
    ]


def _config_file(path: Path, project_root: Path) -> dict[str, str]:
    """One plugin config file, its ``${name}`` placeholders substituted from the
    ``KEDRO_CONFIG_<NAME>`` variables (docs 2.2.1) unless that is turned off."""
    relative = PurePath(os.path.relpath(path, project_root)).as_posix()
    content = path.read_text(encoding="utf-8")
    if not config_hook.disabled():
        content = config_hook.render_plain(content, relative)
    return {"path": relative, "content": content}


def _env_dirs(context: KedroContext) -> list[Path]:
    """The base and run environment directories, in the order Kedro merges them."""
    loader = context.config_loader
    conf_source = Path(loader.conf_source)
    # OmegaConfigLoader holds base_env/default_run_env from CONFIG_LOADER_ARGS.
    base_env: str = getattr(loader, "base_env", "base")
    default_run_env: str = getattr(loader, "default_run_env", "local")
    run_env = context.env or default_run_env
    envs = [base_env] if run_env == base_env else [base_env, run_env]
    return [conf_source / env for env in envs]
