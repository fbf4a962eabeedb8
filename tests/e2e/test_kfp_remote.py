"""End to end against the stateful fake KFP server (tests/fakes/kfp_fake.py, which checks
every request against the official swagger): `kedro kubeflow upload-pipeline` and
`list-pipelines` through the installed wheel, on KFP 2.x (v2beta1) and KFP 1.8 (v1beta1).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from dex_fake import DexFake
from kfp_fake import KfpFake

from .conftest import kedro


def json_from(stdout: str):
    """The JSON document on stdout. Kedro itself logs one line there ("Using ... as logging
    configuration") before any plugin runs; everything kedro-kfp prints to stdout is JSON."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line in ("[", "{", "[]", "{}"))
    return json.loads("\n".join(lines[start:]))


def point_at(project: Path, url: str, extra: str = "") -> None:
    config = project / "conf" / "base" / "kubeflow.yaml"
    text = config.read_text()
    text = text.replace('host: "https://kubeflow.example.com/pipeline"', f'host: "{url}"')
    config.write_text(text + extra)


@pytest.mark.parametrize("api", ["v2beta1", "v1beta1-1.8"])
@pytest.mark.parametrize("kfp_version", ["1", "2"])
def test_upload_then_upload_again_then_a_new_version(fresh_venv, example, api, kfp_version):
    if api == "v1beta1-1.8" and kfp_version == "2":
        pytest.skip("KFP 1.8 runs Argo Workflows only")
    with KfpFake(api=api, path_prefix="/pipeline") as fake:
        point_at(example, fake.url)
        upload = ["kubeflow", "upload-pipeline", "--kfp-version", kfp_version, "--json"]
        first = kedro(fresh_venv, example, *upload)
        result = json_from(first.stdout)
        assert result["created"] is True and result["name"] == "Spaceflights"
        assert "Pipeline created: Spaceflights" in first.stderr
        assert f"Pipeline link: {fake.url}/#/pipelines/details/{result['pipeline_id']}/version/" in first.stderr
        assert result["version_id"], "the version id is found even where the upload does not return it"

        # The first version carries the pipeline's name (the upload endpoint names it);
        # later versions are named after their content, so repeating one changes nothing.
        second = json_from(kedro(fresh_venv, example, *upload).stdout)
        assert second["created"] is False and second["version_name"].startswith("sha-")
        again = json_from(kedro(fresh_venv, example, *upload).stdout)
        assert again["unchanged"] is True and again["version_id"] == second["version_id"]

        newer = kedro(fresh_venv, example, *upload, "-i", "registry.example.com/spaceflights:2")
        assert json_from(newer.stdout)["created"] is False
        assert "New version of pipeline Spaceflights created: sha-" in newer.stderr

        listed = json_from(kedro(fresh_venv, example, "kubeflow", "list-pipelines", "--json").stdout)
        assert [p["name"] for p in listed] == ["Spaceflights"]
        table = kedro(fresh_venv, example, "kubeflow", "list-pipelines").stdout.splitlines()
        header = next(line for line in table if line.startswith("NAME"))
        assert header.split() == ["NAME", "ID", "CREATED"]
        assert fake.contract_violations() == []
        # Only the expected refusals: 404 from a 1.8 server asked for v2beta1 (that is how
        # the API generation is found), 409 for a version uploaded before.
        refused = [(r.method, r.path, r.status) for r in fake.requests if r.status >= 400]
        assert all(status == 409 or path.endswith("/apis/v2beta1/healthz") for _, path, status in refused), refused


def test_service_account_token_is_sent_and_never_printed(fresh_venv, example, tmp_path):
    token = tmp_path / "token"
    token.write_text("sa-token-0123456789")
    with KfpFake(require_bearer="sa-token-0123456789") as fake:
        point_at(example, fake.url)
        denied = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False)
        assert denied.returncode == 1
        assert "401" in denied.stderr and "hint: " in denied.stderr and "KF_PIPELINES_SA_TOKEN_PATH" in denied.stderr
        allowed = kedro(fresh_venv, example, "kubeflow", "upload-pipeline", env={"KF_PIPELINES_SA_TOKEN_PATH": str(token)})
        assert "sa-token-0123456789" not in allowed.stdout + allowed.stderr
        assert all(r.headers.get("authorization") == "Bearer sa-token-0123456789" for r in fake.requests[1:])


def test_server_errors_are_retried_and_reported_with_the_server_message(fresh_venv, example):
    with KfpFake() as fake:
        point_at(example, fake.url)
        fake.fail_next("GET", r"/apis/v2beta1/pipelines$", 500, times=2)
        listed = kedro(fresh_venv, example, "kubeflow", "list-pipelines", "--json", env={"KEDRO_KFP_RETRY_BACKOFF_MS": "1"})
        assert json_from(listed.stdout) == []
        fake.fail_next("GET", r"/apis/v2beta1/pipelines$", 503, times=9, body={"code": 14, "message": "database is down"})
        failed = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False, env={"KEDRO_KFP_RETRY_BACKOFF_MS": "1"})
        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        errors = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and errors[0].startswith("error: GET ") and "database is down" in errors[0], failed.stderr


def test_an_unreachable_host_is_a_clear_error(fresh_venv, example):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_at(example, f"http://127.0.0.1:{port}/pipeline")
    result = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False, env={"KEDRO_KFP_RETRY_BACKOFF_MS": "1"})
    assert result.returncode == 1
    assert f"error: cannot reach http://127.0.0.1:{port}/pipeline/apis/v2beta1/healthz" in result.stderr
    assert "hint: check `host` in kubeflow.yaml" in result.stderr


@pytest.mark.parametrize("api", ["v2beta1", "v1beta1-1.8"])
def test_run_once_waits_for_the_run_and_reports_its_end(fresh_venv, example, api):
    quick = {"KEDRO_KFP_POLL_MS": "10", "KEDRO_KFP_RETRY_BACKOFF_MS": "1"}
    with KfpFake(api=api) as fake:
        point_at(example, fake.url)
        result = kedro(
            fresh_venv, example, "kubeflow", "run-once", "--wait-for-completion", "--json",
            "--param", "companies_rating_threshold=0.5", env=quick,
        )
        outcome = json_from(result.stdout)
        assert outcome["state"] == "SUCCEEDED"
        assert f"Run Spaceflights started: {fake.url}/#/runs/details/{outcome['run_id']}" in result.stderr
        # The experiment was created once, under the configured name, and reused.
        kedro(fresh_venv, example, "kubeflow", "run-once", env=quick)
        names = [e.get("display_name") or e.get("name") for e in fake.experiments.values()]
        assert names.count("Spaceflights") == 1, names
        run = fake.runs[outcome["run_id"]]
        sent = json.dumps(run)
        assert "companies_rating_threshold" in sent and "0.5" in sent
        assert fake.contract_violations() == []

        fake.run_final_state = "FAILED"
        failed = kedro(fresh_venv, example, "kubeflow", "run-once", "--wait-for-completion", env=quick, check=False)
        assert failed.returncode == 1
        assert any(line.startswith("error: run Spaceflights ended FAILED: ") for line in failed.stderr.splitlines()), failed.stderr


def test_run_once_with_typed_ir_parameters_and_a_timeout(fresh_venv, example):
    with KfpFake(polls_to_finish=1000) as fake:
        point_at(example, fake.url)
        env = {"KEDRO_KFP_POLL_MS": "10"}
        options = '{"model_options": {"test_size": 0.25, "random_state": 1, "features": ["engines"]}}'
        result = kedro(
            fresh_venv, example, "kubeflow", "run-once", "--kfp-version", "2", "--wait-for-completion",
            "--timeout", "1", "--param", f"active_modelling_pipeline={options}", env=env, check=False,
        )
        assert result.returncode == 1
        assert "stopped waiting, the run goes on" in result.stderr
        (run,) = fake.runs.values()
        assert run["runtime_config"]["parameters"]["active_modelling_pipeline"]["model_options"]["test_size"] == 0.25
        bad = kedro(fresh_venv, example, "kubeflow", "run-once", "--kfp-version", "2", "--param", "nope=1", env=env, check=False)
        assert bad.returncode == 1 and "`--param nope`: the project has no such parameter" in bad.stderr


@pytest.mark.parametrize("api", ["v2beta1", "v1beta1-1.8"])
def test_schedule_replaces_the_recurring_run_of_the_same_name(fresh_venv, example, api):
    with KfpFake(api=api) as fake:
        point_at(example, fake.url)
        early = kedro(fresh_venv, example, "kubeflow", "schedule", "-c", "0 0 4 * * *", check=False)
        assert early.returncode == 1
        assert "error: pipeline Spaceflights is not on the server" in early.stderr
        assert "hint: upload it first: `kedro kubeflow upload-pipeline -p __default__`" in early.stderr

        kedro(fresh_venv, example, "kubeflow", "upload-pipeline")
        first = kedro(fresh_venv, example, "kubeflow", "schedule", "-c", "0 2 * * *", "--json")
        assert "`0 2 * * *` is a five-field cron" in first.stderr and "`0 0 2 * * *`" in first.stderr
        scheduled = json_from(first.stdout)
        assert scheduled["cron"] == "0 0 2 * * *"
        assert f"{fake.url}/#/recurringrun/details/{scheduled['recurring_run_id']}" == scheduled["link"]
        (job,) = fake.recurring_runs.values()
        assert job["trigger"]["cron_schedule"]["cron"] == "0 0 2 * * *"
        assert job["enabled"] and job["pipeline_version_id"] == scheduled["version_id"]

        # Same name (scheduled_run_name, else the pipeline's): replaced, not duplicated.
        second = kedro(fresh_venv, example, "kubeflow", "schedule", "--cron-expression", "0 30 4 * * MON-FRI",
                       "--param", "companies_rating_threshold=0.7")
        assert f"Previous schedule Spaceflights deleted ({job['id']})" in second.stderr
        (replacement,) = fake.recurring_runs.values()
        assert replacement["id"] != job["id"]
        assert replacement["trigger"]["cron_schedule"]["cron"] == "0 30 4 * * MON-FRI"
        assert "0.7" in json.dumps(replacement["parameters"])

        # Another experiment keeps its own schedule.
        kedro(fresh_venv, example, "kubeflow", "schedule", "-c", "@daily", "-x", "nightly")
        assert len(fake.recurring_runs) == 2

        bad = kedro(fresh_venv, example, "kubeflow", "schedule", "-c", "0 0 25 * * *", check=False)
        assert bad.returncode == 1 and "Traceback" not in bad.stderr
        (error,) = [line for line in bad.stderr.splitlines() if line.startswith("error: ")]
        assert error == "error: --cron-expression `0 0 25 * * *`: hours 25 is outside 0-23"
        assert len(fake.recurring_runs) == 2, "nothing is deleted when the cron is wrong"
        assert fake.contract_violations() == []


def test_multi_user_servers_need_the_experiment_namespace(fresh_venv, example):
    with KfpFake(multi_user=True) as fake:
        point_at(example, fake.url)
        missing = kedro(fresh_venv, example, "kubeflow", "run-once", check=False)
        assert missing.returncode == 1
        assert "hint: pass `--experiment-namespace <your profile namespace>`" in missing.stderr
        assert fake.pipelines == {}, "nothing is uploaded before the namespace problem is reported"
        kedro(fresh_venv, example, "kubeflow", "run-once", "-en", "team-a", "-x", "exp")
        (experiment,) = [e for e in fake.experiments.values() if e["name"] == "exp"]
        assert experiment["namespace"] == "team-a"
        (run,) = fake.runs.values()
        assert run["experiment_id"] == experiment["id"]
        kedro(fresh_venv, example, "kubeflow", "schedule", "-c", "0 0 4 * * *", "-en", "team-a", "-x", "exp")
        (job,) = fake.recurring_runs.values()
        assert job["namespace"] == "team-a"
        assert fake.contract_violations() == []


@pytest.mark.parametrize(
    ("flow", "approval", "connectors"),
    [("authservice", False, ("local",)), ("oauth2-proxy", False, ("local",)), ("oauth2-proxy", True, ("ldap", "local"))],
)
def test_dex_login_gets_the_session_cookie_and_never_prints_the_password(
    fresh_venv, example, flow, approval, connectors
):
    password = "s3cret-Dex-p4ss"
    with KfpFake() as kfp, DexFake(kfp, flow=flow, password=password, approval=approval, connectors=connectors) as dex:
        point_at(example, dex.api_url)
        env = {"DEX_USERNAME": dex.username, "DEX_PASSWORD": password}
        result = kedro(fresh_venv, example, "kubeflow", "upload-pipeline", "--json", env=env)
        assert json_from(result.stdout)["created"] is True
        assert dex.logins == 1
        api_calls = [r for r in kfp.requests]
        assert api_calls and all(dex.session_cookie in r.headers.get("cookie", "") for r in api_calls)
        output = result.stdout + result.stderr
        assert password not in output and dex.session_value not in output

        wrong = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False, env={**env, "DEX_PASSWORD": "nope"})
        assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
        assert f"error: login at {dex.api_url} failed: Dex did not accept DEX_USERNAME and DEX_PASSWORD" in wrong.stderr
        assert "hint: check DEX_USERNAME and DEX_PASSWORD" in wrong.stderr
        assert dex.failed_logins == 1


def test_dex_needs_a_password_and_a_dex(fresh_venv, example):
    with KfpFake() as fake:
        point_at(example, fake.url)
        no_password = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False, env={"DEX_USERNAME": "u@example.com"})
        assert no_password.returncode == 1 and "error: `DEX_USERNAME` is set but `DEX_PASSWORD` is not" in no_password.stderr
        no_dex = kedro(fresh_venv, example, "kubeflow", "list-pipelines", check=False,
                       env={"DEX_USERNAME": "u@example.com", "DEX_PASSWORD": "pw-never-shown"})
        assert no_dex.returncode == 1 and "is this Kubeflow behind Dex?" in no_dex.stderr
        assert "pw-never-shown" not in no_dex.stdout + no_dex.stderr
