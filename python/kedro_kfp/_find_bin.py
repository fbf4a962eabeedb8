"""Locate the ``kedro-kfp`` binary installed next to this package (like uv's ``_find_uv``)."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

_ENV_VAR = "KEDRO_KFP_BIN"


def find_kedro_kfp_bin() -> str:
    """Return the path of the ``kedro-kfp`` binary.

    ``KEDRO_KFP_BIN`` wins (development and tests); otherwise the scripts directories
    a wheel installs into are searched, then ``PATH``.

    Raises:
        FileNotFoundError: ``KEDRO_KFP_BIN`` names no file, or no binary was found.
    """
    override = os.environ.get(_ENV_VAR)
    if override:
        if os.path.isfile(override):
            return override
        raise FileNotFoundError(f"{_ENV_VAR} is set to {override!r}, which is not a file")

    exe_name = "kedro-kfp" + (sysconfig.get_config_var("EXE") or "")
    searched: list[str] = []
    for directory in _script_dirs():
        if directory in searched:
            continue
        searched.append(directory)
        candidate = os.path.join(directory, exe_name)
        if os.path.isfile(candidate):
            return candidate

    on_path = shutil.which(exe_name)
    if on_path:
        return on_path
    searched.append("PATH")
    places = "\n".join(f"  - {place}" for place in searched)
    raise FileNotFoundError(
        f"could not find the {exe_name} binary; searched:\n{places}\n"
        f"Reinstall kedro-kfp, or set {_ENV_VAR} to the binary's path."
    )


def _script_dirs() -> list[str]:
    """Directories where pip/uv put a wheel's scripts, most likely first."""
    dirs = [sysconfig.get_path("scripts")]
    # `pip install --user` installs into the user scheme's scripts directory.
    user_scheme = sysconfig.get_preferred_scheme("user")
    dirs.append(sysconfig.get_path("scripts", scheme=user_scheme))
    if sys.executable:
        dirs.append(os.path.dirname(sys.executable))
    return [d for d in dirs if d]
