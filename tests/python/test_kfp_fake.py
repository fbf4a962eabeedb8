"""Tests of the fake KFP API server and the fake Dex gateway in tests/fakes.

They talk HTTP with urllib only, the way a client would, so they also document how the
fakes are meant to be used by the Rust client's tests.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FAKES = Path(__file__).resolve().parents[1] / "fakes"
sys.path.insert(0, str(FAKES))

from dex_fake import DexFake  # noqa: E402
from kfp_fake import KfpFake  # noqa: E402

IR = """\
# PIPELINE DEFINITION
# Name: kedro-demo
components:
  comp-step:
    executorLabel: exec-step
deploymentSpec:
  executors:
    exec-step:
      container:
        image: python:3.11
        command: [kedro, run]
pipelineInfo:
  name: kedro-demo
root:
  dag:
    tasks:
      step:
        componentRef:
          name: comp-step
        taskInfo:
          name: step
  inputDefinitions:
    parameters:
      lr:
        parameterType: NUMBER_DOUBLE
      env:
        defaultValue: prod
        isOptional: true
        parameterType: STRING
schemaVersion: 2.1.0
sdkVersion: kfp-2.7.0
"""

ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: kedro-demo-
spec:
  entrypoint: kedro-demo
  arguments:
    parameters:
    - name: lr
      value: "0.1"
  templates:
  - name: kedro-demo
    container:
      image: python:3.11
      command: [kedro, run]
"""

V2 = "/apis/v2beta1"
V1 = "/apis/v1beta1"


# --------------------------------------------------------------------------------------
# A small HTTP client


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes
    url: str

    @property
    def json(self) -> Any:
        assert self.headers.get("Content-Type", "").startswith("application/json"), self.headers
        return json.loads(self.body)


class _KeepErrors(urllib.request.HTTPErrorProcessor):
    """Return 3xx/4xx/5xx answers instead of raising (and so never follow redirects)."""

    def http_response(self, request, response):  # noqa: ANN001
        return response


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _KeepErrors())


def call(method: str, url: str, body: Any = None, *, data: bytes | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with _OPENER.open(request, timeout=10) as response:
        return Reply(response.status, response.headers, response.read(), response.url)


def multipart(content: str | bytes, filename: str = "pipeline.yaml",
              field: str = "uploadfile") -> tuple[bytes, dict[str, str]]:
    boundary = "kfpfake-boundary-7MA4YWxkTrZu0gW"
    if isinstance(content, str):
        content = content.encode()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(url: str, content: str = IR, filename: str = "pipeline.yaml",
           **query: str) -> Reply:
    data, headers = multipart(content, filename)
    return call("POST", f"{url}?{urllib.parse.urlencode(query)}", data=data, headers=headers)


def q(**params: Any) -> str:
    return "?" + urllib.parse.urlencode(params)


def eq_filter(key: str, value: str, op_key: str = "operation") -> str:
    return json.dumps({"predicates": [{"key": key, op_key: "EQUALS", "string_value": value}]})


@pytest.fixture
def kfp():
    with KfpFake(path_prefix="/pipeline") as fake:
        yield fake
        assert fake.contract_violations() == []


# --------------------------------------------------------------------------------------
# KFP 2.x, v2beta1


def test_v2_upload_run_and_poll(kfp: KfpFake) -> None:
    base = kfp.url + V2
    assert kfp.url.endswith("/pipeline")

    created = upload(f"{base}/pipelines/upload", name="kedro-demo", display_name="Kedro demo")
    assert created.status == 200, created.body
    pipeline = created.json
    assert pipeline["name"] == "kedro-demo" and pipeline["display_name"] == "Kedro demo"
    assert "pipeline_version_id" not in pipeline  # v2 upload returns no version id
    pipeline_id = pipeline["pipeline_id"]
    assert kfp.requests[-1].multipart["uploadfile"][0] == "pipeline.yaml"

    duplicate = upload(f"{base}/pipelines/upload", name="kedro-demo")
    assert duplicate.status == 409
    assert set(duplicate.json) == {"error_message", "error_details"}

    for name in ("v2", "v3"):
        version = upload(f"{base}/pipelines/upload_version", pipelineid=pipeline_id, name=name)
        assert version.status == 200, version.body
        assert version.json["pipeline_id"] == pipeline_id
    assert upload(f"{base}/pipelines/upload_version", pipelineid=pipeline_id,
                  name="v3").status == 409

    # Three versions, the server caps pages at 2: two pages; the token carries the sort.
    first = call("GET", f"{base}/pipelines/{pipeline_id}/versions" + q(sort_by="created_at desc"))
    assert first.status == 200
    assert first.json["total_size"] == 3 and len(first.json["pipeline_versions"]) == 2
    assert [v["name"] for v in first.json["pipeline_versions"]] == ["v3", "v2"]
    second = call("GET", f"{base}/pipelines/{pipeline_id}/versions"
                  + q(page_token=first.json["next_page_token"]))
    assert [v["name"] for v in second.json["pipeline_versions"]] == ["kedro-demo"]
    assert "next_page_token" not in second.json  # empty strings are not emitted
    latest_version_id = first.json["pipeline_versions"][0]["pipeline_version_id"]
    assert first.json["pipeline_versions"][0]["pipeline_spec"]["pipelineInfo"]["name"] == \
        "kedro-demo"

    listed = call("GET", f"{base}/pipelines" + q(filter=eq_filter("display_name", "Kedro demo")))
    assert [p["pipeline_id"] for p in listed.json["pipelines"]] == [pipeline_id]
    # The SDK's form: numeric operation and camelCase value key.
    sdk_filter = json.dumps({"predicates": [{"key": "name", "operation": 1,
                                             "stringValue": "kedro-demo"}]})
    assert call("GET", f"{base}/pipelines" + q(filter=sdk_filter)).json["total_size"] == 1
    by_name = call("GET", f"{base}/pipelines/names/kedro-demo")
    assert by_name.json["pipeline_id"] == pipeline_id
    assert call("GET", f"{base}/pipelines/names/nope").status == 404

    experiment = call("POST", f"{base}/experiments",
                      {"display_name": "kedro-exp", "description": "", "namespace": ""})
    assert experiment.status == 200, experiment.body
    experiment_id = experiment.json["experiment_id"]
    assert call("POST", f"{base}/experiments", {"display_name": "kedro-exp"}).status == 409
    found = call("GET", f"{base}/experiments" + q(filter=eq_filter("display_name", "kedro-exp")))
    assert [e["experiment_id"] for e in found.json["experiments"]] == [experiment_id]

    run = call("POST", f"{base}/runs", {
        "display_name": "run-1", "experiment_id": experiment_id,
        "pipeline_version_reference": {"pipeline_id": pipeline_id,
                                       "pipeline_version_id": latest_version_id},
        "runtime_config": {"parameters": {"lr": 0.1, "env": "prod"}},
        "service_account": ""})
    assert run.status == 200, run.body
    assert run.json["state"] == "PENDING"
    run_id = run.json["run_id"]

    states = [call("GET", f"{base}/runs/{run_id}").json["state"] for _ in range(3)]
    assert states == ["RUNNING", "SUCCEEDED", "SUCCEEDED"]
    final = call("GET", f"{base}/runs/{run_id}").json
    assert final["finished_at"] and [h["state"] for h in final["state_history"]] == [
        "PENDING", "RUNNING", "SUCCEEDED"]
    assert final["runtime_config"]["parameters"] == {"lr": 0.1, "env": "prod"}
    assert kfp.runs[run_id]["state"] == "SUCCEEDED"
    assert kfp.runs[run_id]["pipeline_version_id"] == latest_version_id

    # Without a version id, a run uses the latest version; without an experiment, "Default".
    run2 = call("POST", f"{base}/runs", {"display_name": "run-2",
                                         "pipeline_version_reference": {"pipeline_id": pipeline_id}})
    assert run2.status == 200, run2.body
    assert kfp.runs[run2.json["run_id"]]["pipeline_version_id"] == latest_version_id
    assert run2.json["experiment_id"] == kfp.default_experiment_id

    assert call("DELETE", f"{base}/pipelines/{pipeline_id}").status == 400  # has versions
    assert call("DELETE", f"{base}/pipelines/{pipeline_id}" + q(cascade="true")).status == 200
    assert kfp.pipelines == {} and kfp.versions == {}


def test_failed_run_and_terminate() -> None:
    with KfpFake(run_final_state="FAILED", polls_to_finish=1) as kfp:
        base = kfp.url + V2
        pipeline_id = upload(f"{base}/pipelines/upload").json["pipeline_id"]
        body = {"display_name": "r", "pipeline_version_reference": {"pipeline_id": pipeline_id}}
        run_id = call("POST", f"{base}/runs", body).json["run_id"]
        failed = call("GET", f"{base}/runs/{run_id}").json
        assert failed["state"] == "FAILED" and failed["error"]["message"]

        kfp.run_final_state = "SUCCEEDED"
        run_id = call("POST", f"{base}/runs", body).json["run_id"]
        assert call("POST", f"{base}/runs/{run_id}:terminate").json == {}
        assert call("GET", f"{base}/runs/{run_id}").json["state"] == "CANCELED"
        assert kfp.contract_violations() == []


def test_failure_injection(kfp: KfpFake) -> None:
    url = kfp.url + V2 + "/healthz"
    kfp.fail_next("GET", r"/healthz$", 500, times=2)
    replies = [call("GET", url) for _ in range(3)]
    assert [r.status for r in replies] == [500, 500, 200]
    assert replies[0].json["code"] == 13 and "message" in replies[0].json
    assert replies[2].json["multi_user"] is False

    kfp.fail_next("*", r"/experiments", 200, raw=b"<html>oops</html>")
    reply = call("GET", kfp.url + V2 + "/experiments")
    assert reply.status == 200 and reply.body == b"<html>oops</html>"
    assert reply.headers["Content-Type"].startswith("text/html")
    assert call("GET", kfp.url + V2 + "/experiments").json["total_size"] == 1

    kfp.fail_next("POST", r"/pipelines/upload$", 503)
    reply = upload(kfp.url + V2 + "/pipelines/upload")
    assert reply.status == 503 and "error_message" in reply.json
    assert upload(kfp.url + V2 + "/pipelines/upload").status == 200
    kfp.fail_next("GET", r"/runs", 418, body={"custom": True})
    assert call("GET", kfp.url + V2 + "/runs").json == {"custom": True}


def test_request_body_validation(kfp: KfpFake) -> None:
    base = kfp.url + V2
    unknown = call("POST", f"{base}/experiments", {"display_name": "e", "foo": 1})
    assert unknown.status == 400 and '"foo"' in unknown.json["message"]
    assert unknown.json["code"] == 3
    # camelCase is accepted on input and stored in snake_case.
    camel = call("POST", f"{base}/experiments", {"displayName": "camel"})
    assert camel.status == 200 and camel.json["display_name"] == "camel"
    assert call("POST", f"{base}/experiments", {"display_name": 5}).status == 400
    assert call("POST", f"{base}/experiments", data=b"{not json",
                headers={"Content-Type": "application/json"}).status == 400

    pipeline_id = upload(f"{base}/pipelines/upload").json["pipeline_id"]
    experiment_id = camel.json["experiment_id"]
    # A run has no namespace field (it comes from the experiment).
    reply = call("POST", f"{base}/runs", {"display_name": "r", "namespace": "team-a",
                                          "pipeline_version_reference": {"pipeline_id": pipeline_id}})
    assert reply.status == 400 and '"namespace"' in reply.json["message"]
    nested = call("POST", f"{base}/runs", {"display_name": "r", "pipeline_version_reference": {
        "pipeline_id": pipeline_id, "version_id": "x"}})
    assert nested.status == 400 and '"version_id"' in nested.json["message"]
    bad_param = call("POST", f"{base}/runs", {"display_name": "r", "runtime_config": {
        "parameters": {"lr": "fast"}}, "pipeline_version_reference": {"pipeline_id": pipeline_id}})
    assert bad_param.status == 400 and "lr" in bad_param.json["message"]
    unknown_param = call("POST", f"{base}/runs", {"display_name": "r", "runtime_config": {
        "parameters": {"epochs": 3}}, "pipeline_version_reference": {"pipeline_id": pipeline_id}})
    assert unknown_param.status == 400 and "epochs" in unknown_param.json["message"]

    recurring = {"display_name": "nightly", "experiment_id": experiment_id, "mode": "ENABLE",
                 "pipeline_version_reference": {"pipeline_id": pipeline_id},
                 "trigger": {"cron_schedule": {"cron": "0 0 2 * * *",
                                               "start_time": "2026-01-01T00:00:00Z"}},
                 "max_concurrency": "1", "no_catchup": True}
    as_number = call("POST", f"{base}/recurringruns", {**recurring, "max_concurrency": 1})
    assert as_number.status == 400 and "max_concurrency" in as_number.json["message"]
    v1_mode = call("POST", f"{base}/recurringruns", {**recurring, "mode": "ENABLED"})
    assert v1_mode.status == 400 and "ENABLE" in v1_mode.json["message"]
    bad_time = {**recurring, "trigger": {"cron_schedule": {"cron": "0 0 2 * * *",
                                                           "start_time": "tomorrow"}}}
    assert call("POST", f"{base}/recurringruns", bad_time).status == 400
    five = {**recurring, "trigger": {"cron_schedule": {"cron": "0 2 * * *"}}}
    assert "6 fields" in call("POST", f"{base}/recurringruns", five).json["message"]
    too_many = call("POST", f"{base}/recurringruns", {**recurring, "max_concurrency": "11"})
    assert too_many.status == 400
    assert call("POST", f"{base}/recurringruns", recurring).status == 200


def test_query_parameter_validation(kfp: KfpFake) -> None:
    base = kfp.url + V2
    reply = call("GET", f"{base}/pipelines" + q(pageSize=10))
    assert reply.status == 400 and "pageSize" in reply.json["message"]
    assert call("GET", f"{base}/pipelines" + q(page_size="ten")).status == 400
    assert call("GET", f"{base}/pipelines" + q(filter="{bad")).status == 400
    v1_style = eq_filter("display_name", "x", op_key="op")  # v1 spelling on a v2 endpoint
    assert call("GET", f"{base}/pipelines" + q(filter=v1_style)).status == 400
    assert call("GET", f"{base}/pipelines" + q(filter=eq_filter("owner", "x"))).status == 400
    assert call("GET", f"{base}/pipelines" + q(page_token="garbage")).status == 400
    # v1 upload has no display_name query parameter
    reply = upload(kfp.url + V1 + "/pipelines/upload", name="p", display_name="P")
    assert reply.status == 400 and "display_name" in reply.json["error_message"]


def test_upload_validation(kfp: KfpFake) -> None:
    url = kfp.url + V2 + "/pipelines/upload"
    reply = upload(url, filename="pipeline.txt")
    assert reply.status == 400
    assert "Unexpected pipeline file format" in reply.json["error_message"]
    data, headers = multipart(IR, field="file")
    assert call("POST", url, data=data, headers=headers).status == 400
    assert upload(url, content="just: a map\n", name="x").status == 400
    assert upload(url, content="{not yaml: [", name="x").status == 400
    old_ir = IR.replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0")
    assert "schemaVersion" in upload(url, content=old_ir, name="x").json["error_message"]
    upper = IR.replace("name: kedro-demo", "name: Kedro_Demo")
    assert upload(url, content=upper, name="x").status == 400
    typo = IR + "pipelineInfos: {}\n"
    assert upload(url, content=typo, name="x").status == 400
    platform = IR + "---\nplatforms:\n  kubernetes:\n    deploymentSpec: {}\n"
    ok = upload(url, content=platform, filename="p.yml", name="with-platform")
    assert ok.status == 200, ok.body
    assert upload(url, content=ARGO, filename="argo.json", name="argo").status == 200
    assert upload(url, filename="kedro.yaml").json["name"] == "kedro"  # from the file name


def test_recurring_runs_v2(kfp: KfpFake) -> None:
    base = kfp.url + V2
    pipeline_id = upload(f"{base}/pipelines/upload").json["pipeline_id"]
    experiment_id = call("POST", f"{base}/experiments", {"display_name": "e"}).json[
        "experiment_id"]
    created = call("POST", f"{base}/recurringruns", {
        "display_name": "nightly", "experiment_id": experiment_id, "mode": "ENABLE",
        "pipeline_version_reference": {"pipeline_id": pipeline_id},
        "runtime_config": {"parameters": {"lr": 0.5}},
        "trigger": {"cron_schedule": {"cron": "0 0 2 * * *"}}, "max_concurrency": "1",
        "no_catchup": True})
    assert created.status == 200, created.body
    job = created.json
    assert job["status"] == "ENABLED" and job["mode"] == "ENABLE"
    assert job["max_concurrency"] == "1"
    listed = call("GET", f"{base}/recurringruns" + q(experiment_id=experiment_id)).json
    assert [j["recurring_run_id"] for j in listed["recurringRuns"]] == [job["recurring_run_id"]]
    by_name = call("GET", f"{base}/recurringruns" + q(
        experiment_id=experiment_id, filter=eq_filter("display_name", "other"))).json
    assert by_name == {}  # an empty list is not emitted at all
    job_url = f"{base}/recurringruns/{job['recurring_run_id']}"
    assert call("POST", job_url + ":disable").json == {}
    assert call("GET", job_url).json["status"] == "DISABLED"
    assert call("POST", job_url + ":enable").status == 200
    assert kfp.recurring_runs[job["recurring_run_id"]]["enabled"] is True
    assert call("DELETE", job_url).status == 200
    missing = call("GET", job_url)
    assert missing.status == 404 and missing.json["code"] == 5


# --------------------------------------------------------------------------------------
# KFP 2.x, v1beta1


def test_v1_api_on_a_2x_server(kfp: KfpFake) -> None:
    base = kfp.url + V1
    pipeline = upload(f"{base}/pipelines/upload", content=ARGO, name="kedro-demo",
                      description="d").json
    assert pipeline["default_version"]["id"] and pipeline["parameters"] == [
        {"name": "lr", "value": "0.1"}]
    version = upload(f"{base}/pipelines/upload_version", content=ARGO, name="v2",
                     pipelineid=pipeline["id"]).json
    versions = call("GET", f"{base}/pipeline_versions" + q(**{
        "resource_key.type": "PIPELINE", "resource_key.id": pipeline["id"]})).json
    assert versions["total_size"] == 2 and len(versions["versions"]) == 2
    assert call("GET", f"{base}/pipelines/{pipeline['id']}").json["default_version"]["id"] == \
        version["id"]
    assert call("GET", f"{base}/namespaces/-/pipelines/kedro-demo").json["id"] == pipeline["id"]
    listed = call("GET", f"{base}/pipelines" + q(filter=eq_filter("name", "kedro-demo", "op")))
    assert listed.json["total_size"] == 1

    experiment = call("POST", f"{base}/experiments", {"name": "kedro-exp"}).json
    run = call("POST", f"{base}/runs", {
        "name": "run-1",
        "pipeline_spec": {"pipeline_id": pipeline["id"],
                          "parameters": [{"name": "lr", "value": "0.2"}]},
        "resource_references": [
            {"key": {"type": "EXPERIMENT", "id": experiment["id"]}, "relationship": "OWNER"},
            {"key": {"type": "PIPELINE_VERSION", "id": version["id"]},
             "relationship": "CREATOR"}],
        "service_account": ""})
    assert run.status == 200, run.body
    assert run.json["run"]["status"] == "Pending"
    run_id = run.json["run"]["id"]
    statuses = [call("GET", f"{base}/runs/{run_id}").json["run"]["status"] for _ in range(2)]
    assert statuses == ["Running", "Succeeded"]
    detail = call("GET", f"{base}/runs/{run_id}").json
    assert json.loads(detail["pipeline_runtime"]["workflow_manifest"])["status"]["phase"] == \
        "Succeeded"
    # v1 parameter values are strings
    numeric = call("POST", f"{base}/runs", {"name": "r", "pipeline_spec": {
        "pipeline_id": pipeline["id"], "parameters": [{"name": "lr", "value": 0.2}]}})
    assert numeric.status == 400

    job_body = {"name": "nightly", "max_concurrency": "1", "no_catchup": True,
                "trigger": {"cron_schedule": {"cron": "0 0 2 * * *"}},
                "pipeline_spec": {"pipeline_id": pipeline["id"], "parameters": []},
                "resource_references": [{"key": {"type": "EXPERIMENT", "id": experiment["id"]},
                                         "relationship": "OWNER"}]}
    disabled = call("POST", f"{base}/jobs", job_body).json  # `enabled` defaults to false
    assert disabled["mode"] == "DISABLED" and "enabled" not in disabled
    enabled = call("POST", f"{base}/jobs", {**job_body, "enabled": True}).json
    assert enabled["enabled"] is True and enabled["mode"] == "ENABLED"
    jobs = call("GET", f"{base}/jobs" + q(**{"resource_reference_key.type": "EXPERIMENT",
                                             "resource_reference_key.id": experiment["id"]}))
    assert jobs.json["total_size"] == 2
    assert call("POST", f"{base}/jobs/{disabled['id']}/enable").status == 200
    assert call("GET", f"{base}/jobs/{disabled['id']}").json["enabled"] is True
    assert call("DELETE", f"{base}/jobs/{disabled['id']}").status == 200
    assert len(kfp.jobs) == 1


# --------------------------------------------------------------------------------------
# KFP 1.8


def test_kfp_18_mode() -> None:
    with KfpFake(api="v1beta1-1.8") as kfp:
        missing = call("GET", kfp.url + V2 + "/healthz")
        assert missing.status == 404 and set(missing.json) == {"error", "code", "details"}
        assert call("GET", kfp.url + V2 + "/pipelines").status == 404
        assert call("GET", kfp.url + V1 + "/healthz").json == {}  # multi_user false omitted

        base = kfp.url + V1
        with_namespace = upload(f"{base}/pipelines/upload", content=ARGO, name="p",
                                namespace="team-a")
        assert with_namespace.status == 400 and "namespace" in with_namespace.json[
            "error_message"]
        pipeline = upload(f"{base}/pipelines/upload", content=ARGO, name="p").json
        assert pipeline["default_version"]["id"]
        assert call("GET", f"{base}/namespaces/-/pipelines/p").status == 404  # not on 1.8
        listed = call("GET", f"{base}/pipelines" + q(filter=eq_filter("name", "p", "op"))).json
        assert [p["id"] for p in listed["pipelines"]] == [pipeline["id"]]

        run = call("POST", f"{base}/runs", {"name": "r", "pipeline_spec": {
            "pipeline_id": pipeline["id"]}}).json
        assert "status" not in run["run"]  # "" until the workflow starts
        statuses = [call("GET", f"{base}/runs/{run['run']['id']}").json["run"]["status"]
                    for _ in range(2)]
        assert statuses == ["Running", "Succeeded"]
        bad = call("POST", f"{base}/experiments", {"name": "e", "display_name": "e"})
        assert bad.status == 400 and set(bad.json) == {"error", "code", "details"}
        assert kfp.contract_violations() == []


# --------------------------------------------------------------------------------------
# Auth and multi-user


def test_bearer_token_required() -> None:
    with KfpFake(require_bearer="s3cret") as kfp:
        url = kfp.url + V2 + "/healthz"
        assert call("GET", url).status == 401
        assert call("GET", url).json["code"] == 16
        assert call("GET", url, headers={"Authorization": "Bearer nope"}).status == 401
        assert call("GET", url, headers={"Authorization": "Bearer s3cret"}).status == 200
        assert kfp.requests[-1].headers["authorization"] == "Bearer s3cret"


def test_multi_user_needs_namespaces() -> None:
    with KfpFake(multi_user=True) as kfp:
        base = kfp.url + V2
        assert call("GET", f"{base}/healthz").json["multi_user"] is True
        reply = call("GET", f"{base}/experiments")
        assert reply.status == 400 and "namespace is required" in reply.json["message"]
        assert call("POST", f"{base}/experiments", {"display_name": "e"}).status == 400
        assert upload(f"{base}/pipelines/upload").status == 400
        pipeline_id = upload(f"{base}/pipelines/upload", namespace="team-a").json["pipeline_id"]
        experiment = call("POST", f"{base}/experiments",
                          {"display_name": "e", "namespace": "team-a"}).json
        assert experiment["namespace"] == "team-a"
        assert call("GET", f"{base}/experiments" + q(namespace="team-a")).json[
            "total_size"] == 1
        assert call("GET", f"{base}/experiments" + q(namespace="team-b")).json == {}
        run = {"display_name": "r", "pipeline_version_reference": {"pipeline_id": pipeline_id}}
        assert call("POST", f"{base}/runs", run).status == 400  # no experiment, no namespace
        ok = call("POST", f"{base}/runs", {**run, "experiment_id": experiment["experiment_id"]})
        assert ok.status == 200
        assert kfp.runs[ok.json["run_id"]]["namespace"] == "team-a"
        v1 = call("GET", kfp.url + V1 + "/experiments" + q(**{
            "resource_reference_key.type": "NAMESPACE", "resource_reference_key.id": "team-a"}))
        assert v1.json["experiments"][0]["resource_references"][0]["key"] == {
            "type": "NAMESPACE", "id": "team-a"}


def test_routing_edges(kfp: KfpFake) -> None:
    no_prefix = kfp.origin + V2 + "/healthz"
    assert call("GET", no_prefix).status == 404
    unknown = call("GET", kfp.url + V2 + "/nothing/here")
    assert unknown.status == 404 and unknown.json == {"code": 5, "message": "Not Found",
                                                      "details": []}
    assert call("PUT", kfp.url + V2 + "/experiments").status == 501
    assert call("GET", kfp.url + V2 + "/runs/does-not-exist").status == 404


# --------------------------------------------------------------------------------------
# Dex


class Browser:
    """What kedro-kubeflow's auth.py / the manifests' DexSessionManager do, with urllib."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                  urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, url: str, form: dict[str, str] | None = None) -> Reply:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as response:
                return Reply(response.status, response.headers, response.read(), response.url)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read(), error.url)

    def login(self, host: str, username: str, password: str) -> Reply:
        reply = self.open(host + "/")
        if reply.status == 403:  # oauth2-proxy answers non-browser requests with 403
            reply = self.open(host + "/oauth2/start?rd=%2F")
        assert reply.status == 200, reply.body
        split = urllib.parse.urlsplit(reply.url)
        if split.path.endswith("/auth"):  # the connector chooser
            reply = self.open(urllib.parse.urlunsplit(split._replace(path=split.path + "/local")))
        action = re.search(rb'<form method="post" action="([^"]+)"', reply.body)
        assert action, reply.body
        login_url = urllib.parse.urljoin(reply.url, action.group(1).decode().replace("&amp;", "&"))
        assert login_url == reply.url  # the form posts back to where it was served
        reply = self.open(login_url, {"login": username, "password": password})
        if urllib.parse.urlsplit(reply.url).path.endswith("/approval"):
            reply = self.open(reply.url, {"approval": "approve"})
        return reply

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.jar}


@pytest.mark.parametrize(("flow", "cookie", "form_path"), [
    ("authservice", "authservice_session", "/dex/auth/local"),
    ("oauth2-proxy", "oauth2_proxy_kubeflow", "/dex/auth/local/login"),
])
def test_dex_login_flows(flow: str, cookie: str, form_path: str) -> None:
    password = "pa55-w0rd-never-logged"
    kfp = KfpFake(multi_user=True)
    with DexFake(kfp, flow=flow, username="jane@example.com", password=password) as dex:
        assert kfp.require_cookie == dex.session_cookie
        browser = Browser()
        final = browser.login(dex.url, "jane@example.com", password)
        assert final.status == 200 and b"Kubeflow Central Dashboard" in final.body
        assert browser.cookies()[cookie] == dex.session_value
        assert [r.path for r in dex.requests if r.method == "GET" and r.status == 200][0] == \
            form_path

        api = call("GET", dex.api_url + V2 + "/healthz",
                   headers={"Cookie": f"{cookie}={browser.cookies()[cookie]}"})
        assert api.status == 200 and api.json["multi_user"] is True
        assert kfp.requests[-1].headers["kubeflow-userid"] == "jane@example.com"

        seen_by_kfp = len(kfp.requests)
        anonymous = call("GET", dex.api_url + V2 + "/healthz")
        assert anonymous.status == (302 if flow == "authservice" else 403)
        assert len(kfp.requests) == seen_by_kfp  # the gateway stopped it
        if flow == "authservice":
            assert anonymous.headers["Location"].startswith("/dex/auth?client_id=")

        leaks = [r for r in dex.all_recorded()
                 if password in r.path or password in json.dumps(r.query)
                 or password in json.dumps(r.headers) or password.encode() in r.body]
        assert len(leaks) == 1 and leaks[0].method == "POST"
        assert leaks[0].path.startswith("/dex/auth/local")
        assert dex.logins == 1


def test_dex_wrong_password_shows_the_form_again() -> None:
    with DexFake(KfpFake(), flow="oauth2-proxy") as dex:
        browser = Browser()
        reply = browser.login(dex.url, "user@example.com", "wrong")
        assert reply.status == 200 and b"Invalid Email Address and password" in reply.body
        assert urllib.parse.urlsplit(reply.url).path == "/dex/auth/local/login"  # no redirect
        assert "oauth2_proxy_kubeflow" not in browser.cookies()
        assert dex.failed_logins == 1 and dex.logins == 0


def test_dex_chooser_approval_and_passthrough() -> None:
    kfp = KfpFake(path_prefix="/pipeline")
    with DexFake(kfp, flow="authservice", approval=True, connectors=("local", "ldap"),
                 unauthenticated_api="passthrough") as dex:
        assert call("GET", dex.api_url + V2 + "/healthz").status == 401  # KfpFake's answer
        browser = Browser()
        reply = browser.login(dex.url, "user@example.com", "12341234")
        assert reply.status == 200, reply.body
        assert any(r.path == "/dex/approval" and r.method == "POST" for r in dex.requests)
        cookie = browser.cookies()["authservice_session"]
        api = call("GET", dex.api_url + V2 + "/pipelines",
                   headers={"Cookie": f"other=1; authservice_session={cookie}"})
        assert api.status == 200 and api.json == {}
        assert kfp.requests[-1].path == "/pipeline/apis/v2beta1/pipelines"


def test_keep_alive_and_chunked_upload(kfp: KfpFake) -> None:
    """What a pooled client (reqwest) does: several requests on one connection, and a
    streamed multipart body sent with Transfer-Encoding: chunked."""
    connection = http.client.HTTPConnection("127.0.0.1", kfp.port_number, timeout=10)
    try:
        data, headers = multipart(IR)
        connection.request("POST", "/pipeline" + V2 + "/pipelines/upload?name=chunked",
                           body=iter([data[:100], data[100:]]), headers=headers,
                           encode_chunked=True)
        first = connection.getresponse()
        assert first.status == 200, first.read()
        first.read()
        connection.request("GET", "/pipeline" + V2 + "/pipelines/names/chunked")
        second = connection.getresponse()
        assert second.status == 200 and json.loads(second.read())["name"] == "chunked"
    finally:
        connection.close()
    assert kfp.requests[0].headers["transfer-encoding"] == "chunked"


# --------------------------------------------------------------------------------------
# As a process


def test_runs_as_a_process() -> None:
    process = subprocess.Popen(
        [sys.executable, str(FAKES / "kfp_fake.py"), "--api", "v2beta1", "--port", "0",
         "--prefix", "/pipeline"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/pipeline", url), url
        assert call("GET", url + V2 + "/healthz").json["pipeline_store"] == "database"
    finally:
        process.terminate()
        process.wait(timeout=10)
