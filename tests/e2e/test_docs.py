"""The docs' shell snippets run: every ```sh block in docs/*.md that follows a `<!-- test -->`
line is run, in page order, with bash in a fresh copy of the example project through the
fresh venv's `kedro` (its bin/ first on PATH). A block marked `<!-- test: kfp-fake -->` runs
the same way with `host` pointed at the fake KFP server (tests/fakes/kfp_fake.py), which
checks each request against the official swagger. Blocks that need a real server or Google
credentials follow `<!-- no-test: why -->` instead; tests/python/test_docs.py checks that
every sh block has one of these marks.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from kfp_fake import KfpFake

from .conftest import REPO, run

DOCS = REPO / "docs"
BLOCK = re.compile(r"^<!-- test(: kfp-fake)? -->\n```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def runnable_blocks(page: Path) -> list[tuple[bool, str]]:
    """(needs the fake KFP server, the block's text) in page order."""
    return [(bool(fake), block) for fake, block in BLOCK.findall(page.read_text())]


PAGES = sorted(page for page in DOCS.glob("*.md") if runnable_blocks(page))


def test_some_pages_have_tested_snippets() -> None:
    assert DOCS / "quickstart.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_snippets_run(page: Path, fresh_venv: Path, example: Path) -> None:
    env = {
        "PATH": f"{fresh_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(fresh_venv),
        # Waiting for a run polls quickly.
        "KEDRO_KFP_POLL_MS": "10",
        "KEDRO_KFP_RETRY_BACKOFF_MS": "1",
    }
    for number, (needs_fake, block) in enumerate(runnable_blocks(page), start=1):
        with contextlib.ExitStack() as stack:
            if needs_fake:
                fake = stack.enter_context(KfpFake(api="v2beta1"))
                config = example / "conf" / "base" / "kubeflow.yaml"
                text = config.read_text()
                config.write_text(re.sub(r"(?m)^host: .*$", f'host: "{fake.url}"', text, count=1))
            # Without a desktop, `ui` prints the URL instead of starting a browser.
            script = "unset DISPLAY WAYLAND_DISPLAY\n" + block
            result = run(["bash", "-euo", "pipefail", "-c", script], cwd=example, env=env, check=False)
            violations = fake.contract_violations() if needs_fake else []
        assert violations == [], f"{page.name}, tested block {number}: requests off the KFP swagger: {violations}"
        assert result.returncode == 0, (
            f"{page.name}, tested block {number} failed ({result.returncode}):\n{block}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
