"""End to end against the fake Google token endpoint / metadata server
(tests/fakes/google_fake.py) and the fake Vertex AI (tests/fakes/vertex_fake.py, which rejects
unknown JSON fields using the discovery document): `kedro vertexai list-pipelines / run-once /
schedule` through the installed wheel with each kind of Application Default Credentials,
`kedro kubeflow` with `host: vertex-ai-pipelines`, and IAP for a KFP server. No secret may
appear in any output.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from google_fake import GoogleFake
from kfp_fake import KfpFake
from vertex_fake import VertexFake

from .conftest import kedro

QUICK = {"KEDRO_KFP_POLL_MS": "10", "KEDRO_KFP_RETRY_BACKOFF_MS": "1"}
IAP_CLIENT = "123456789-iap.apps.googleusercontent.com"


def json_from(stdout: str):
    """The JSON document on stdout (Kedro logs a line there before any plugin runs)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line in ("[", "{", "[]", "{}"))
    return json.loads("\n".join(lines[start:]))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def google():
    with GoogleFake() as fake:
        yield fake


@pytest.fixture()
def vertex(google, monkeypatch):
    issued = lambda token: token in google.access_tokens  # noqa: E731
    with VertexFake(issued) as fake:
        # The kedro processes inherit it: the whole API base, instead of Google's regional host.
        monkeypatch.setenv("KEDRO_VERTEXAI_API_ENDPOINT", fake.url)
        yield fake


def no_credentials(tmp_path: Path) -> dict[str, str]:
    """An environment where the machine's own credentials cannot leak in."""
    gcloud = tmp_path / "gcloud-empty"
    gcloud.mkdir(exist_ok=True)
    return {"GOOGLE_APPLICATION_CREDENTIALS": "", "CLOUDSDK_CONFIG": str(gcloud),
            "GCE_METADATA_HOST": f"127.0.0.1:{closed_port()}", "SERVICE_ACCOUNT": "", **QUICK}


def credentials(kind: str, google: GoogleFake, tmp_path: Path) -> dict[str, str]:
    env = no_credentials(tmp_path)
    if kind == "service_account":
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(google.write_service_account(tmp_path / "sa.json"))
    elif kind == "authorized_user":
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(google.write_authorized_user(tmp_path / "user.json"))
    elif kind == "gcloud":
        gcloud = tmp_path / "gcloud"
        gcloud.mkdir()
        google.write_authorized_user(gcloud / "application_default_credentials.json", quota_project="billing-proj")
        env["CLOUDSDK_CONFIG"] = str(gcloud)
    elif kind == "metadata":
        env["GCE_METADATA_HOST"] = google.host_port
    return env


def write_vertex_config(project: Path, **run_config) -> None:
    config = {
        "project_id": "my-project",
        "region": "europe-west4",
        "run_config": {
            "image": "gcr.io/my-project/spaceflights:1",
            "root": "my-bucket/kedro",
            "experiment_name": "spaceflights-exp",
            "scheduled_run_name": "spaceflights-nightly",
            "service_account": "runner@my-project.iam.gserviceaccount.com",
            "network": {"vpc": "projects/12345/global/networks/my-vpc"},
            **run_config,
        },
    }
    (project / "conf" / "base" / "vertexai.yaml").write_text(yaml.safe_dump(config))


def assert_no_secret(google: GoogleFake, *results) -> None:
    shown = "".join(r.stdout + r.stderr for r in results)
    for secret in google.secrets():
        assert secret not in shown, "a secret was printed"
    assert "PRIVATE KEY" not in shown


@pytest.mark.parametrize("kind", ["service_account", "authorized_user", "gcloud", "metadata"])
def test_run_once_and_list_with_each_kind_of_credentials(fresh_venv, example, tmp_path, google, vertex, kind):
    write_vertex_config(example)
    env = credentials(kind, google, tmp_path)
    # -vv: every request and credential step is logged, and still no secret shows.
    started = kedro(fresh_venv, example, "vertexai", "-vv", "run-once", "--json", env=env)
    assert "Google credentials: " in started.stderr and "Google token: " in started.stderr
    assert "DEBUG POST " in started.stderr, started.stderr
    result = json_from(started.stdout)
    job_id = result["job_id"]
    assert job_id.startswith("spaceflights-exp-") and len(job_id) == len("spaceflights-exp-") + 14
    link = f"https://console.cloud.google.com/vertex-ai/locations/europe-west4/pipelines/runs/{job_id}?project=my-project"
    assert result["link"] == link and link in started.stderr
    (job,) = vertex.jobs.values()
    assert job["displayName"] == "spaceflights-exp"
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://my-bucket/kedro"
    assert job["serviceAccount"] == "runner@my-project.iam.gserviceaccount.com"
    assert job["network"] == "projects/12345/global/networks/my-vpc"
    assert job["pipelineSpec"]["schemaVersion"] == "2.1.0"
    # Every Vertex call carried a token the fake Google issued.
    assert all(r.status != 401 for r in vertex.requests)
    if kind == "gcloud":
        assert all(r.headers.get("x-goog-user-project") == "billing-proj" for r in vertex.requests)
    if kind == "metadata":
        assert all(r.headers.get("metadata-flavor") == "Google" for r in google.requests)

    listed = kedro(fresh_venv, example, "vertexai", "list-pipelines", "--json", env=env)
    assert [j["id"] for j in json_from(listed.stdout)] == [job_id]
    table = kedro(fresh_venv, example, "vertexai", "list-pipelines", env=env).stdout.splitlines()
    header = next(line for line in table if line.startswith("NAME"))
    assert header.split() == ["NAME", "ID", "STATE", "CREATED"]
    assert any(job_id in line and "PENDING" in line for line in table)
    assert vertex.violations == []
    assert_no_secret(google, started, listed)


def test_run_once_waits_with_parameters_and_reports_failures(fresh_venv, example, tmp_path, google, vertex):
    write_vertex_config(example)
    env = credentials("service_account", google, tmp_path)
    env["SERVICE_ACCOUNT"] = "override@my-project.iam.gserviceaccount.com"
    done = kedro(
        fresh_venv, example, "vertexai", "run-once", "--wait-for-completion", "--json",
        "--param", "companies_rating_threshold=0.5", env=env,
    )
    assert json_from(done.stdout)["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert "RUNNING" in done.stderr and "SUCCEEDED" in done.stderr
    (job,) = vertex.jobs.values()
    assert job["runtimeConfig"]["parameterValues"]["companies_rating_threshold"] == 0.5
    assert job["serviceAccount"] == "override@my-project.iam.gserviceaccount.com"
    # One signed grant served every call: the token is cached.
    assert len([r for r in google.requests if r.path == "/token"]) == 1

    vertex.final_state = "PIPELINE_STATE_FAILED"
    failed = kedro(fresh_venv, example, "vertexai", "run-once", "--wait-for-completion", env=env, check=False)
    assert failed.returncode == 1
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "ended FAILED" in errors[0] and "some tasks failed" in errors[0], failed.stderr

    vertex.polls_to_finish = 10_000
    timed_out = kedro(fresh_venv, example, "vertexai", "run-once", "--wait-for-completion", "--timeout", "1",
                      env=env, check=False)
    assert timed_out.returncode == 1 and "stopped waiting, the pipeline job goes on" in timed_out.stderr
    bad = kedro(fresh_venv, example, "vertexai", "run-once", "--param", "nope=1", env=env, check=False)
    assert bad.returncode == 1 and "`--param nope`: the project has no such parameter" in bad.stderr
    assert vertex.violations == []
    assert_no_secret(google, done, failed, timed_out)


def test_schedule_replaces_the_schedule_of_the_same_name(fresh_venv, example, tmp_path, google, vertex):
    schedules = {
        "default_schedule": {"cron_expression": "0 * * * *", "timezone": "Etc/UTC", "start_time": "none",
                             "end_time": "none", "allow_queueing": False, "max_run_count": "none",
                             "max_concurrent_run_count": 1},
        "data_processing": {"cron_expression": "30 2 * * *", "timezone": "Europe/Warsaw",
                            "start_time": "2026-02-01T00:00:00Z", "end_time": "none",
                            "allow_queueing": True, "max_run_count": 10, "max_concurrent_run_count": 2},
    }
    write_vertex_config(example, schedules=schedules)
    env = credentials("service_account", google, tmp_path)
    first = json_from(kedro(fresh_venv, example, "vertexai", "schedule", "--json", env=env).stdout)
    assert first["display_name"] == "spaceflights-nightly" and first["cron"] == "TZ=Etc/UTC 0 * * * *"
    assert first["replaced"] == []
    assert first["link"].startswith("https://console.cloud.google.com/vertex-ai/locations/europe-west4/pipelines/schedules/")

    again = kedro(fresh_venv, example, "vertexai", "schedule", "-c", "15 3 * * 1", "--timezone", "America/New_York",
                  "--json", env=env)
    second = json_from(again.stdout)
    assert second["replaced"] == [first["name"]] and "Deleted schedule" in again.stderr
    processing = json_from(kedro(fresh_venv, example, "vertexai", "schedule", "-p", "data_processing", "--json",
                                 env=env).stdout)
    assert processing["display_name"] == "spaceflights-nightly-data_processing"
    assert processing["replaced"] == []

    by_name = {s["displayName"]: s for s in vertex.schedules.values()}
    assert set(by_name) == {"spaceflights-nightly", "spaceflights-nightly-data_processing"}
    nightly = by_name["spaceflights-nightly"]
    assert nightly["cron"] == "TZ=America/New_York 15 3 * * 1"
    assert nightly["maxConcurrentRunCount"] == "1" and nightly["allowQueueing"] is False
    assert "startTime" not in nightly and "maxRunCount" not in nightly
    job = nightly["createPipelineJobRequest"]["pipelineJob"]
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://my-bucket/kedro"
    other = by_name["spaceflights-nightly-data_processing"]
    assert other["cron"] == "TZ=Europe/Warsaw 30 2 * * *"
    assert (other["maxConcurrentRunCount"], other["maxRunCount"], other["allowQueueing"]) == ("2", "10", True)
    assert other["startTime"] == "2026-02-01T00:00:00Z"

    six = kedro(fresh_venv, example, "vertexai", "schedule", "-c", "0 0 2 * * *", env=env, check=False)
    assert six.returncode == 1
    assert "error: cron `0 0 2 * * *` has 6 fields" in six.stderr and "hint: drop the seconds: `0 2 * * *`" in six.stderr
    assert len(vertex.schedules) == 2
    assert vertex.violations == []
    assert_no_secret(google, again, six)


def test_missing_credentials_and_refusals_are_clear(fresh_venv, example, tmp_path, google, vertex):
    write_vertex_config(example)
    env = no_credentials(tmp_path)
    missing_file = {**env, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope.json")}
    result = kedro(fresh_venv, example, "vertexai", "list-pipelines", env=missing_file, check=False)
    assert result.returncode == 1
    assert f"error: Google credentials file `{tmp_path / 'nope.json'}`: No such file" in result.stderr
    assert "hint: set GOOGLE_APPLICATION_CREDENTIALS" in result.stderr

    nothing = kedro(fresh_venv, example, "vertexai", "list-pipelines", env=env, check=False)
    assert nothing.returncode == 1
    assert "error: cannot reach http://127.0.0.1:" in nothing.stderr and "metadata server" in nothing.stderr
    assert "hint: set GOOGLE_APPLICATION_CREDENTIALS" in nothing.stderr

    sa_env = credentials("service_account", google, tmp_path)
    vertex.forbidden = True
    denied = kedro(fresh_venv, example, "vertexai", "run-once", env=sa_env, check=False)
    assert denied.returncode == 1
    assert "403" in denied.stderr and "Permission 'aiplatform.pipelineJobs.list' denied" in denied.stderr
    hint = next(line for line in denied.stderr.splitlines() if line.startswith("hint: "))
    assert "GOOGLE_APPLICATION_CREDENTIALS" in hint and google.sa_email in hint
    vertex.forbidden = False

    # A key the token endpoint does not know: Google's error_description is shown.
    other = GoogleFake()
    wrong_key = json.loads(google.write_service_account(tmp_path / "sa2.json").read_text())
    wrong_key["private_key"] = other.private_key_pem()
    (tmp_path / "sa2.json").write_text(json.dumps(wrong_key))
    refused = kedro(fresh_venv, example, "vertexai", "-vv", "list-pipelines", check=False,
                    env={**sa_env, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "sa2.json")})
    assert refused.returncode == 1
    assert "invalid_grant: Invalid JWT Signature." in refused.stderr and "sa2.json" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert_no_secret(google, result, nothing, denied, refused)
    assert other.private_key_pem().splitlines()[5] not in refused.stdout + refused.stderr


def test_kubeflow_with_the_vertex_host_runs_on_vertex(fresh_venv, example, tmp_path, google, vertex):
    config = {
        "host": "vertex-ai-pipelines",
        "project_id": "my-project",
        "region": "europe-west4",
        "run_config": {
            "image": "gcr.io/my-project/spaceflights:1",
            "root": "gs://my-bucket/kfp",
            "experiment_name": "Spaceflights",
            "vertex_ai_networking": {"vpc": "projects/12345/global/networks/my-vpc"},
        },
    }
    (example / "conf" / "base" / "kubeflow.yaml").write_text(yaml.safe_dump(config))
    env = credentials("service_account", google, tmp_path)
    started = kedro(fresh_venv, example, "kubeflow", "run-once", "--wait-for-completion", "--json", env=env)
    result = json_from(started.stdout)
    assert result["state"] == "PIPELINE_STATE_SUCCEEDED" and result["job_id"].startswith("spaceflights-")
    (job,) = vertex.jobs.values()
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://my-bucket/kfp"
    assert job["network"] == "projects/12345/global/networks/my-vpc"
    listed = json_from(kedro(fresh_venv, example, "kubeflow", "list-pipelines", "--json", env=env).stdout)
    assert [j["id"] for j in listed] == [result["job_id"]]
    upload = kedro(fresh_venv, example, "kubeflow", "upload-pipeline", env=env, check=False)
    assert upload.returncode == 1 and "no pipeline registry" in upload.stderr

    del config["region"]
    (example / "conf" / "base" / "kubeflow.yaml").write_text(yaml.safe_dump(config))
    missing = kedro(fresh_venv, example, "kubeflow", "list-pipelines", env=env, check=False)
    assert missing.returncode == 1 and "`region` is missing" in missing.stderr
    assert vertex.violations == []
    assert_no_secret(google, started)


@pytest.mark.parametrize("kind", ["service_account", "metadata"])
def test_iap_id_token_for_kubeflow(fresh_venv, example, tmp_path, google, kind):
    email = google.sa_email if kind == "service_account" else google.metadata_email
    token = google.id_token_for(IAP_CLIENT, email)
    with KfpFake(require_bearer=token) as kfp:
        kubeflow_yaml = example / "conf" / "base" / "kubeflow.yaml"
        kubeflow_yaml.write_text(kubeflow_yaml.read_text().replace(
            'host: "https://kubeflow.example.com/pipeline"', f'host: "{kfp.url}"'))
        env = {**credentials(kind, google, tmp_path), "IAP_CLIENT_ID": IAP_CLIENT}
        listed = kedro(fresh_venv, example, "kubeflow", "-vv", "list-pipelines", "--json", env=env)
        assert f"an IAP ID token for {IAP_CLIENT}" in listed.stderr
        assert json_from(listed.stdout) == []
        assert kfp.requests and all(r.headers.get("authorization") == f"Bearer {token}" for r in kfp.requests)
        assert_no_secret(google, listed)

        user_env = {**credentials("authorized_user", google, tmp_path), "IAP_CLIENT_ID": IAP_CLIENT}
        refused = kedro(fresh_venv, example, "kubeflow", "list-pipelines", env=user_env, check=False)
        assert refused.returncode == 1
        assert "cannot make an ID token for audience" in refused.stderr and "hint: for IAP" in refused.stderr
        assert_no_secret(google, refused)
