"""The generated command reference (docs/reference/commands.md) matches the click commands.

The config reference pages are checked by `cargo test -p kfp-config --test reference`.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
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


def test_every_shell_snippet_is_marked() -> None:
    """Each ```sh block of docs/*.md is run by tests/e2e/test_docs.py (`<!-- test -->` before it,
    or `<!-- test: kfp-fake -->` against the fake KFP server) or says why it is not
    (`<!-- no-test: needs a KFP server -->`)."""
    import re

    unmarked = []
    for page in sorted((REPO_ROOT / "docs").rglob("*.md")):
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if line.strip() == "```sh":
                before = lines[number - 1].strip() if number else ""
                if not re.fullmatch(r"<!-- (test|test: kfp-fake|no-test: .+) -->", before):
                    unmarked.append(f"{page.relative_to(REPO_ROOT)}:{number + 1}")
    assert not unmarked, "sh blocks without <!-- test --> or <!-- no-test: why -->: " + ", ".join(unmarked)


# Written by a command, not checked in: `scripts/bench --readme` writes docs/benchmark.md.
WRITTEN_LATER = {"docs/benchmark.md"}


def _anchors(page) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    import re

    anchors = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_links_between_pages_resolve() -> None:
    """Every relative link in README.md and docs/ names a file that exists, and a heading in
    it when it has an anchor."""
    import re

    broken = []
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target in WRITTEN_LATER:
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
                broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert not broken, "broken links: " + ", ".join(broken)


PER_NODE = {"resources", "extra_volumes", "retry_policy", "tolerations", "node_selectors"}


def _key_paths(value, path: str = "") -> set[str]:
    """The keys of a config file as the generated reference names them (`<node>` for a node
    name, tag or __default__, `[]` for list items)."""
    paths: set[str] = set()
    if isinstance(value, list):
        for item in value:
            paths |= _key_paths(item, path + "[]")
        return paths
    if not isinstance(value, dict):
        return paths
    parent = path.rsplit(".", 1)[-1]
    for key, child in value.items():
        if parent in PER_NODE:
            key = "<node>"
        elif parent == "<node>" and (".resources." in path or ".node_selectors." in path):
            key = "<key>"
        elif parent == "schedules":
            key = "<schedule>"
        elif path.endswith("[].volume") and key != "name":
            key = "<source>"
        full = f"{path}.{key}" if path else key
        paths.add(full)
        if key != "params":
            paths |= _key_paths(child, full)
    return paths


@pytest.mark.parametrize(
    ("peer_file", "page"),
    [
        ("kedro-kubeflow-0.11.0-init-kubeflow.yaml", "kubeflow-yaml.md"),
        ("kedro-vertexai-1.0.0-init-vertexai.yml", "vertexai-yaml.md"),
    ],
)
def test_every_key_of_the_peers_files_is_in_the_reference(peer_file: str, page: str) -> None:
    """The migration promise, checked: each key the replaced plugins' `init` writes has a row
    in the generated configuration reference."""
    import yaml

    peer = REPO_ROOT.parent / "shared" / "reference" / peer_file
    if not peer.exists():
        pytest.skip(f"{peer} is not beside the repository")
    documented = set(re.findall(r"^\| `([^`]+)` \|", (REPO_ROOT / "docs" / "reference" / page).read_text(), re.MULTILINE))
    missing = sorted(_key_paths(yaml.safe_load(peer.read_text())) - documented)
    assert not missing, f"keys of {peer_file} missing from docs/reference/{page}: {missing}"
