"""No secret in any output: every command that can hold one runs with `-v` and `-vv`
against the fakes, on its success and its failure paths, and everything it prints is
searched for the secrets the test set (tokens, a token file's content, a Dex password and
session cookie, credentials inside the host URL)."""

from __future__ import annotations

from dex_fake import DexFake
from kfp_fake import KfpFake

from .conftest import kedro
from .test_kfp_remote import point_at

TOKEN = "tok-AAAA-kf-pipelines-token"
FILE_TOKEN = "tok-BBBB-service-account-file"
DEX_PASSWORD = "pw-CCCC-dex-static-password"
URL_PASSWORD = "pw-DDDD-inside-the-url"

COMMANDS = [
    ["list-pipelines", "--json"],
    ["upload-pipeline"],
    ["run-once", "--wait-for-completion", "--param", "companies_rating_threshold=0.3"],
    ["schedule", "-c", "0 0 4 * * *"],
    ["ui", "--print"],
    ["compile", "-o", "out.yml"],
]
QUICK = {"KEDRO_KFP_POLL_MS": "10", "KEDRO_KFP_RETRY_BACKOFF_MS": "1"}


def run_all(fresh_venv, example, env, secrets, verbosity="-v", expect_ok=True):
    """Runs every command; returns how many printed request logs. Fails on any secret."""
    logged = 0
    for command in COMMANDS:
        result = kedro(fresh_venv, example, "kubeflow", verbosity, *command, env={**QUICK, **env}, check=False)
        output = result.stdout + result.stderr
        for secret in secrets:
            assert secret not in output, f"{command} printed a secret:\n{output}"
        assert "Traceback" not in output
        if expect_ok and command[0] not in ("ui",):
            assert result.returncode == 0, f"{command}: {result.stderr}"
        logged += "DEBUG GET " in result.stderr
    return logged


def test_tokens_never_print(fresh_venv, example, tmp_path, verbosity="-v"):
    token_file = tmp_path / "token"
    token_file.write_text(FILE_TOKEN)
    with KfpFake(require_bearer=TOKEN) as fake:
        point_at(example, fake.url)
        assert run_all(fresh_venv, example, {"KF_PIPELINES_TOKEN": TOKEN}, [TOKEN], verbosity) >= 4
        fake.require_bearer = FILE_TOKEN
        run_all(fresh_venv, example, {"KF_PIPELINES_SA_TOKEN_PATH": str(token_file)}, [FILE_TOKEN], verbosity)
        # Refused: the error paths show the server's message, never what was sent.
        fake.require_bearer = "another"
        run_all(fresh_venv, example, {"KF_PIPELINES_TOKEN": TOKEN}, [TOKEN], verbosity, expect_ok=False)


def test_dex_password_and_session_never_print(fresh_venv, example):
    with KfpFake() as kfp, DexFake(kfp, password=DEX_PASSWORD) as dex:
        point_at(example, dex.api_url)
        env = {"DEX_USERNAME": dex.username, "DEX_PASSWORD": DEX_PASSWORD}
        secrets = [DEX_PASSWORD, dex.session_value]
        assert run_all(fresh_venv, example, env, secrets, "-vv") >= 4
        run_all(fresh_venv, example, {**env, "DEX_PASSWORD": "wrong-" + DEX_PASSWORD}, secrets, "-vv", expect_ok=False)


def test_credentials_inside_the_host_url_never_print(fresh_venv, example):
    with KfpFake() as fake:
        point_at(example, fake.url.replace("http://", f"http://user:{URL_PASSWORD}@"))
        assert run_all(fresh_venv, example, {}, [URL_PASSWORD], "-v") >= 4
        fake.fail_next("GET", r"/apis/v2beta1/pipelines$", 503, times=20)
        run_all(fresh_venv, example, {}, [URL_PASSWORD], "-v", expect_ok=False)
