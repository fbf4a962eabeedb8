"""Every request the kubeflow commands send, checked by Prism (the Stoplight mock server)
against the official KFP swagger files in shared/specs/kfp: KFP 2.x (v2beta1 and its
v1beta1) and KFP 1.8 (v1beta1). Prism answers an invalid request with 422 (or 401 without
an `authorization` header), which makes the command fail, and logs each violation.

Prism is stateless and answers with data generated from the schemas: every string is
"string" and the server claims to be multi-user. So the project is named "string" (its
pipeline and schedule then exist on the mock and the upload-version and replace-schedule
paths run) and an experiment namespace is given.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time

import pytest

from .conftest import SHARED, kedro
from .test_kfp_remote import point_at

PRISM = os.environ.get("KEDRO_KFP_PRISM")
SPECS = SHARED / "specs" / "kfp"

pytestmark = pytest.mark.skipif(not PRISM, reason="KEDRO_KFP_PRISM (the prism binary) is not set; scripts/test sets it")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def prism(request, tmp_path):
    spec = SPECS / request.param / "kfp_api_single_file.swagger.json"
    port = free_port()
    log = tmp_path / "prism.log"
    with log.open("w") as out:
        process = subprocess.Popen([PRISM, "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"prism did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("prism", ["v2beta1", "v1beta1", "v1beta1-kfp-1.8.22"], indirect=True)
def test_every_kfp_request_passes_the_swagger(fresh_venv, example, prism):
    url, log = prism
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('project_name = "Spaceflights"', 'project_name = "string"'))
    point_at(example, url)
    config = example / "conf" / "base" / "kubeflow.yaml"
    config.write_text(config.read_text().replace('"Spaceflights"', '"string"'))
    env = {"KF_PIPELINES_TOKEN": "x", "KEDRO_KFP_RETRY_BACKOFF_MS": "1"}
    commands = [
        ["list-pipelines"],
        ["upload-pipeline"],  # a new version of "string"
        ["upload-pipeline", "-p", "data_processing"],  # a new pipeline
        ["run-once", "-en", "team-a", "--param", "companies_rating_threshold=0.5"],
        ["schedule", "-c", "0 0 4 * * *", "-en", "team-a", "--param", "companies_rating_threshold=0.5"],
    ]
    for command in commands:
        result = kedro(fresh_venv, example, "kubeflow", *command, env=env, check=False)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    text = log.read_text()
    received = [line for line in text.splitlines() if "Request received" in line]
    for call in ("get /apis/v\\w+/pipelines", "post /apis/v\\w+/pipelines/upload", "post /apis/v\\w+/runs",
                 "post /apis/v\\w+/(recurringruns|jobs)", "delete /apis/v\\w+/(recurringruns|jobs)/"):
        assert any(re.search(call, line) for line in received), f"no {call} in {received}"
    violations = [line for line in text.splitlines() if "Violation: request" in line or "did not pass" in line]
    assert violations == [], "\n".join(violations)
