"""Dynamic configuration (kedro-kubeflow / kedro-vertexai docs 2.2.1).

Every ``KEDRO_CONFIG_<NAME>`` environment variable can be used as ``${name}`` in the
project's config files, catalog included, with a default for when it is not set:
``${commit_id|dirty}``. Inside a pipeline run, ``KEDRO_CONFIG_RUN_ID`` holds the run's id
(the ``step`` command sets it), so ``${run_id}`` is the KFP workflow uid or the Vertex AI
pipeline job's id. ``KEDRO_VERTEXAI_DISABLE_CONFIG_HOOK=true`` (or
``KEDRO_KUBEFLOW_DISABLE_CONFIG_HOOK=true``) turns this off.

How, with Kedro 1.x's OmegaConfigLoader: the loader reads each config file through its
filesystem object; ours rewrites ``${name}`` / ``${name|default}`` into a call of the
OmegaConf resolver ``kedro_kfp_env`` before OmegaConf parses the file, so values are
substituted after YAML parsing (a value can never change the file's structure) and
every other interpolation (``${_base_path}``, ``${globals:x}``, the project's own
resolvers) is left to OmegaConf. A placeholder is rewritten only when its variable is
set, it has a default, or it is one of the documented names (``run_id``, ``commit_id``,
``branch_name``); those without a value stay as the literal text ``${name}``, as they
did with kedro-kubeflow's TemplatedConfigLoader, so compiling outside a run works.

Imported by Kedro on every session; imports nothing heavy.
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from kedro.framework.hooks import hook_impl

ENV_PREFIX = "KEDRO_CONFIG_"
RESOLVER = "kedro_kfp_env"
# Always substituted, even when not set (then they stay as the literal `${name}`).
DOCUMENTED_NAMES = frozenset({"run_id", "commit_id", "branch_name"})
DISABLE_ENV_VARS = ("KEDRO_VERTEXAI_DISABLE_CONFIG_HOOK", "KEDRO_KUBEFLOW_DISABLE_CONFIG_HOOK")
CONFIG_SUFFIXES = (".yml", ".yaml", ".json")

# `${name}` or `${name|default}`, with the backslashes before it (an odd count escapes it).
PLACEHOLDER = re.compile(r"(\\*)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^${}\r\n]*))?\}")

_logger = logging.getLogger(__name__)


def variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{name: value}`` for every ``KEDRO_CONFIG_<NAME>`` variable, names lowercased."""
    environ = os.environ if environ is None else environ
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX)
    }


def rewrite(text: str, names: frozenset[str] | set[str]) -> str:
    """``text`` with each templating placeholder turned into a ``kedro_kfp_env`` resolver
    call; ``names`` are the variables that are set."""

    def replace(match: re.Match[str]) -> str:
        backslashes, name, default = match.groups()
        if len(backslashes) % 2 or not (
            name in names or default is not None or name in DOCUMENTED_NAMES
        ):
            return match.group(0)
        args = name if default is None else f"{name},{_encode(default)}"
        return f"{backslashes}${{{RESOLVER}:{args}}}"

    return PLACEHOLDER.sub(replace, text)


def _encode(default: str) -> str:
    # OmegaConf's unquoted resolver arguments take letters, digits and a few symbols;
    # percent-encoding keeps to those (`~` included), and the `_` prefix keeps "123" or
    # "true" from being read as a number or a bool.
    return "_" + quote(default, safe="").replace("~", "%7E")


def _resolve(name: str, default: str | None = None) -> str:
    value = os.environ.get(ENV_PREFIX + name.upper())
    if value is not None:
        return value
    if default is not None:
        return unquote(str(default)[1:])
    return "${" + name + "}"


def render_plain(text: str, source: str) -> str:
    """``text`` with the placeholders substituted as text, for the plugin's own config
    files (kubeflow.yaml, vertexai.yaml), which the binary reads as YAML itself.

    Only values made of characters that are plain in YAML anywhere in a scalar are
    substituted; any other value is an error naming the variable and the file."""
    values = variables()

    def replace(match: re.Match[str]) -> str:
        backslashes, name, default = match.groups()
        if len(backslashes) % 2:
            return match.group(0)
        value = values.get(name, default)
        if value is None:
            return match.group(0)
        if not re.fullmatch(r"[A-Za-z0-9._/@+=-]*", value):
            raise ValueError(
                f"{source}: the value of ${{{name}}} ({ENV_PREFIX}{name.upper()}) may only "
                "contain letters, digits and . _ / @ + = - in this file"
            )
        return backslashes + value

    return PLACEHOLDER.sub(replace, text)


def disabled(environ: Mapping[str, str] | None = None) -> str | None:
    """The variable that turns dynamic configuration off, if one does."""
    environ = os.environ if environ is None else environ
    for name in DISABLE_ENV_VARS:
        if environ.get(name, "").strip().lower() in ("1", "true", "yes"):
            return name
    return None


class _TemplatingFileSystem:
    """Wraps the config loader's fsspec filesystem: config files read through ``open``
    come back rewritten; everything else is the wrapped filesystem's."""

    def __init__(self, fs: Any) -> None:
        self._kedro_kfp_wrapped = fs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kedro_kfp_wrapped, name)

    def open(self, path: Any, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        handle = self._kedro_kfp_wrapped.open(path, mode, *args, **kwargs)
        if mode != "rb" or not str(path).endswith(CONFIG_SUFFIXES):
            return handle
        with handle:
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return io.BytesIO(data)  # the loader reports it as it would have
        return io.BytesIO(rewrite(text, frozenset(variables())).encode("utf-8"))


class ConfigHook:
    """Registered through the ``kedro.hooks`` entry point."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        variable = disabled()
        if variable:
            _logger.warning(
                "%s environment variable is set and EnvTemplatedConfigLoader will not be "
                "used which means formatted config values like ${run_id} will not be "
                "substituted at runtime",
                variable,
            )
            return
        loader = context.config_loader
        fs = getattr(loader, "_fs", None)
        if fs is None:
            _logger.warning(
                "kedro-kfp: %s is not an OmegaConfigLoader; ${name} placeholders from "
                "KEDRO_CONFIG_<NAME> variables will not be substituted",
                type(loader).__name__,
            )
            return
        if not isinstance(fs, _TemplatingFileSystem):
            loader._fs = _TemplatingFileSystem(fs)
        _register_resolver()
        # The loader read globals.yml when it was created, before this hook ran.
        if hasattr(loader, "_globals") and "globals" not in loader:
            from kedro.config import MissingConfigException

            try:
                loader._globals = loader["globals"]
            except MissingConfigException:
                pass
            else:
                loader._globals_oc = None


def _register_resolver() -> None:
    from omegaconf import OmegaConf

    with warnings.catch_warnings():
        # Newer OmegaConf renames register_new_resolver (Kedro uses the same call).
        warnings.simplefilter("ignore")
        OmegaConf.register_new_resolver(RESOLVER, _resolve, replace=True)


config_hook = ConfigHook()
