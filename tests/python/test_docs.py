"""The generated command reference (docs/reference/commands.md) matches the click commands.

The config reference pages are checked by `cargo test -p kfp-config --test reference`.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT


def test_command_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "docs"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_user_command_is_documented() -> None:
    page = (REPO_ROOT / "docs" / "reference" / "commands.md").read_text()
    from kedro_kfp import plugin

    for group in (plugin.kubeflow, plugin.vertexai):
        for name, command in group.commands.items():
            if not command.hidden:
                assert f"### `kedro {group.name} {name}`" in page
