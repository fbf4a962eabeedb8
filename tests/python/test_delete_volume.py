"""`delete-pipeline-volume`: the exit handler of a run with `volume.keep: false` deletes the
run's volume through the Kubernetes API with the pod's service-account token, here against
a fake API server; the token is re-read per request and never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunKedro

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))
from kube_fake import KubeFake  # noqa: E402

pytestmark = pytest.mark.skipif(
    "KEDRO_KFP_BIN" not in os.environ, reason="needs the kedro-kfp binary (KEDRO_KFP_BIN)"
)
TOKEN = "sa-token-9f8e7d-NEVER-PRINTED"
VOLUME = "demo-pipeline-x7k2p-data-volume"


@pytest.fixture
def service_account(tmp_path: Path) -> Path:
    directory = tmp_path / "serviceaccount"
    directory.mkdir()
    (directory / "token").write_text(TOKEN + "\n")
    (directory / "namespace").write_text("kubeflow-user\n")
    return directory


def pod_env(kube: KubeFake, service_account: Path) -> dict[str, str]:
    return {
        "KEDRO_KFP_KUBE_API_URL": kube.url,
        "KEDRO_KFP_KUBE_SA_DIR": str(service_account),
    }


def run_binary(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    full_env.update(env)
    return subprocess.run(
        [os.environ["KEDRO_KFP_BIN"], "kubeflow", "delete-pipeline-volume", *args],
        env=full_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_exit_handler_deletes_the_volume_through_kedro(
    shared_project: Path, run_kedro: RunKedro, service_account: Path
) -> None:
    with KubeFake(TOKEN, {("kubeflow-user", VOLUME), ("kubeflow-user", "other")}) as kube:
        # What the compiled exit handler runs: `kedro kubeflow delete-pipeline-volume NAME`.
        result = run_kedro(
            shared_project, "kubeflow", "delete-pipeline-volume", VOLUME,
            **pod_env(kube, service_account),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert kube.claims == {("kubeflow-user", "other")}
        (seen,) = kube.requests
        assert seen.path == f"/api/v1/namespaces/kubeflow-user/persistentvolumeclaims/{VOLUME}"
        assert seen.authorization == f"Bearer {TOKEN}"
        assert f"Deleted volume {VOLUME} in namespace kubeflow-user" in result.stderr
        assert TOKEN not in result.stdout + result.stderr


def test_a_missing_volume_is_not_an_error_and_the_token_is_reread(
    service_account: Path,
) -> None:
    with KubeFake("rotated-token", set()) as kube:
        # The kubelet rotated the token after the pod started: the new one is used.
        (service_account / "token").write_text("rotated-token")
        result = run_binary(VOLUME, "--namespace", "ns2", env=pod_env(kube, service_account))
        assert result.returncode == 0, result.stderr
        assert "does not exist in namespace ns2: nothing to delete" in result.stderr
        assert kube.requests[-1].authorization == "Bearer rotated-token"
        assert kube.requests[-1].path.startswith("/api/v1/namespaces/ns2/")


def test_failures_are_one_line_without_the_token(service_account: Path) -> None:
    with KubeFake(TOKEN, {("kubeflow-user", VOLUME)}, forbidden=True) as kube:
        result = run_binary(VOLUME, env=pod_env(kube, service_account))
        assert result.returncode == 1
        assert "403" in result.stderr and "cannot delete resource" in result.stderr
        assert "needs `delete` on persistentvolumeclaims" in result.stderr
        assert TOKEN not in result.stdout + result.stderr
        assert kube.claims == {("kubeflow-user", VOLUME)}

    with KubeFake("another-token", {("kubeflow-user", VOLUME)}) as kube:
        result = run_binary(VOLUME, env=pod_env(kube, service_account))
        assert result.returncode == 1
        assert "401" in result.stderr and TOKEN not in result.stderr

    # Outside a pod, and with a name that is not a Kubernetes name.
    outside = run_binary(VOLUME, env={})
    assert outside.returncode == 1
    assert "not inside a Kubernetes pod" in outside.stderr
    bad = run_binary("../../nodes/x", env={})
    assert bad.returncode == 1 and "is not a volume name" in bad.stderr
