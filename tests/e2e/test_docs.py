"""The docs' shell snippets run: every ```sh block in docs/*.md that follows a `<!-- test -->`
line is run, in page order, with bash in a fresh copy of the example project through the
fresh venv's `kedro` (its bin/ first on PATH). Blocks that need a server or Google
credentials follow `<!-- no-test: why -->` instead; tests/python/test_docs.py checks that
every sh block has one of the two marks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import REPO, run

DOCS = REPO / "docs"
BLOCK = re.compile(r"^<!-- test -->\n```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def runnable_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


PAGES = sorted(page for page in DOCS.glob("*.md") if runnable_blocks(page))


def test_some_pages_have_tested_snippets() -> None:
    assert DOCS / "quickstart.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_snippets_run(page: Path, fresh_venv: Path, example: Path) -> None:
    env = {"PATH": f"{fresh_venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(fresh_venv)}
    for number, block in enumerate(runnable_blocks(page), start=1):
        result = run(["bash", "-euo", "pipefail", "-c", block], cwd=example, env=env, check=False)
        assert result.returncode == 0, (
            f"{page.name}, tested block {number} failed ({result.returncode}):\n{block}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
