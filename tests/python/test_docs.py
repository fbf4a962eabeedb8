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


def test_every_shell_snippet_is_marked() -> None:
    """Each ```sh block of docs/*.md is run by tests/e2e/test_docs.py (`<!-- test -->` before it)
    or says why it is not (`<!-- no-test: needs a KFP server -->`)."""
    import re

    unmarked = []
    for page in sorted((REPO_ROOT / "docs").rglob("*.md")):
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if line.strip() == "```sh":
                before = lines[number - 1].strip() if number else ""
                if not re.fullmatch(r"<!-- (test|no-test: .+) -->", before):
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
