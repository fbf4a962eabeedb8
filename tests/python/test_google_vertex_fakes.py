"""Tests of the fake Google token endpoint / metadata server and the fake Vertex AI in
tests/fakes: they must refuse what the real services refuse, or the e2e tests prove nothing.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

FAKES = Path(__file__).resolve().parents[1] / "fakes"
sys.path.insert(0, str(FAKES))

from google_fake import GoogleFake, _b64  # noqa: E402
from vertex_fake import VertexFake  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


def assertion(google: GoogleFake, key: Any, **claims: Any) -> str:
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": google.sa_key_id}
    body = {"iss": google.sa_email, "aud": google.token_uri, "iat": now, "exp": now + 3600, **claims}
    signing = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(body).encode())
    return signing + "." + _b64(key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256()))


def grant(google: GoogleFake, jwt: str) -> tuple[int, Any]:
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": jwt}).encode()
    return call(google.token_uri, form, {"Content-Type": "application/x-www-form-urlencoded"})


def test_the_token_endpoint_checks_the_signature_and_claims() -> None:
    with GoogleFake() as google:
        scope = "https://www.googleapis.com/auth/cloud-platform"
        status, answer = grant(google, assertion(google, google.sa_key, scope=scope))
        assert status == 200 and answer["access_token"] in google.access_tokens
        status, answer = grant(google, assertion(google, google.sa_key, target_audience="aud-1"))
        assert status == 200 and answer["id_token"] == google.id_token_for("aud-1")
        # Signed by another key, or both scope and audience, or a day long: refused.
        status, answer = grant(google, assertion(google, google.signer, scope=scope))
        assert (status, answer["error_description"]) == (400, "Invalid JWT Signature.")
        status, _ = grant(google, assertion(google, google.sa_key, scope=scope, target_audience="a"))
        assert status == 400
        status, _ = grant(google, assertion(google, google.sa_key, scope=scope, exp=int(time.time()) + 86400))
        assert status == 400


def test_the_metadata_server_wants_its_header() -> None:
    with GoogleFake() as google:
        path = google.origin + "/computeMetadata/v1/instance/service-accounts/default/"
        assert call(path + "token")[0] == 403
        status, answer = call(path + "token", headers={"Metadata-Flavor": "Google"})
        assert status == 200 and answer["access_token"] in google.access_tokens
        status, token = call(path + "identity?audience=x&format=full", headers={"Metadata-Flavor": "Google"})
        assert status == 200 and token == google.id_token_for("x", google.metadata_email)


def test_vertex_rejects_unknown_fields_bad_types_and_strangers() -> None:
    with VertexFake(lambda token: token == "good") as vertex:
        jobs = f"{vertex.url}/v1/{vertex.parent}/pipelineJobs"
        auth = {"Authorization": "Bearer good", "Content-Type": "application/json"}
        job = {"displayName": "x", "pipelineSpec": {"schemaVersion": "2.1.0", "root": {"dag": {}}},
               "runtimeConfig": {"gcsOutputDirectory": "gs://b/p", "parameterValues": {"a": 1}}}

        def post(url: str, body: Any, headers: dict[str, str] = auth) -> tuple[int, Any]:
            return call(url, json.dumps(body).encode(), headers)

        assert post(jobs + "?pipelineJobId=job-1", job)[0] == 200
        status, answer = post(jobs, {**job, "display_name": "x"})
        assert status == 400 and 'Unknown name "display_name"' in answer["error"]["message"]
        status, answer = post(jobs, {**job, "runtimeConfig": {"gcsOutputDirectory": "gs://b", "extra": 1}})
        assert status == 400 and 'Unknown name "extra"' in answer["error"]["message"]
        assert post(jobs + "?pipelineJobId=Bad_Id", job)[0] == 400
        assert post(jobs + "?jobId=x", job)[0] == 400
        assert post(jobs, {**job, "runtimeConfig": {}})[0] == 400
        assert post(jobs, job, {**auth, "Authorization": "Bearer bad"})[0] == 401

        schedules = f"{vertex.url}/v1/{vertex.parent}/schedules"
        schedule = {"displayName": "s", "cron": "0 * * * *", "maxConcurrentRunCount": "1",
                    "createPipelineJobRequest": {"parent": vertex.parent, "pipelineJob": job}}
        assert post(schedules, schedule)[0] == 200
        status, answer = post(schedules, {**schedule, "maxConcurrentRunCount": 1})
        assert status == 400 and "TYPE_INT64" in answer["error"]["message"]
        assert post(schedules, {**schedule, "cron": "0 0 * * * *"})[0] == 400
        assert post(schedules, {**schedule, "startTime": "tomorrow"})[0] == 400

        status, answer = call(jobs + "/job-1", headers=auth)
        assert answer["state"] == "PIPELINE_STATE_RUNNING"
        status, answer = call(jobs + "/job-1", headers=auth)
        assert answer["state"] == "PIPELINE_STATE_SUCCEEDED"
        assert vertex.violations == []
        assert post(jobs + "?pipelineJobId=job-2", {**job, "state": "PIPELINE_STATE_RUNNING"})[0] == 200
        assert vertex.violations == ["pipelineJob.state is output only"]
