#!/usr/bin/env python3
"""A stateful fake of Vertex AI Pipelines (aiplatform v1) on 127.0.0.1, for tests.

It serves pipelineJobs (create, get, list) and schedules (create, list, get, delete) of one
project and region, routed and validated with the vendored discovery document
(``shared/specs/vertex/discovery/aiplatform.v1.json``), as strictly as Google's front end:

* JSON bodies: an unknown field is a 400 ``Invalid JSON payload received. Unknown name``,
  like Google's; wrong JSON types, int64 values sent as numbers, timestamps that are not
  RFC 3339 and enum values outside the list are 400s too. Output-only fields sent by the
  client are recorded in ``violations`` (Google ignores them; a client should not send
  them).
* Query parameters must be declared by the method (or be the API's global ones).
* ``Authorization: Bearer <token>`` must be a token ``token_ok(token)`` accepts (401
  UNAUTHENTICATED otherwise); ``forbidden = True`` answers 403 PERMISSION_DENIED instead.
* A pipeline job needs ``pipelineSpec`` and ``runtimeConfig.gcsOutputDirectory``
  (``gs://``); its id must match ``^[a-z][-a-z0-9]{0,127}$``. Its state moves PENDING ->
  RUNNING -> ``final_state`` over successive GETs (the last on GET ``polls_to_finish``).
* A schedule needs ``cron`` (5 fields, optional ``TZ=``/``CRON_TZ=``),
  ``maxConcurrentRunCount`` and a ``createPipelineJobRequest`` whose parent is this
  project and region.
* Lists return at most ``page_size`` items per page with a ``nextPageToken``.

Errors are Google's shape: ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kfp_fake import Response, ServingMixin, json_response

DISCOVERY = Path(
    os.environ.get("VERTEX_FAKE_DISCOVERY")
    or Path(__file__).resolve().parents[3] / "shared" / "specs" / "vertex" / "discovery" / "aiplatform.v1.json"
)
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "ALREADY_EXISTS", 500: "INTERNAL"}
JOB_ID_RE = re.compile(r"^[a-z][-a-z0-9]{0,127}$")
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INT64_RE = re.compile(r"^-?\d+$")
TERMINAL = {"PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED",
            "PIPELINE_STATE_PAUSED"}


class GoogleApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any = None
    status: int = 0


@dataclass
class Discovery:
    doc: dict[str, Any]
    violations: list[str] = field(default_factory=list)

    @property
    def schemas(self) -> dict[str, Any]:
        return self.doc["schemas"]

    def method(self, resource: str, name: str) -> dict[str, Any]:
        locations = self.doc["resources"]["projects"]["resources"]["locations"]["resources"]
        return locations[resource]["methods"][name]

    def check_query(self, method: dict[str, Any], query: dict[str, list[str]]) -> None:
        allowed = set(method.get("parameters", {})) | set(self.doc.get("parameters", {}))
        for key in query:
            if key not in allowed:
                raise GoogleApiError(400, f"Invalid JSON payload received. Unknown name \"{key}\": Cannot bind query parameter. Field '{key}' could not be found in request message.")

    def check(self, schema: dict[str, Any], value: Any, where: str) -> None:
        """Google's strictness: unknown names, JSON types, int64 as strings, enums."""
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        kind = schema.get("type")
        if kind == "any" or kind is None and "properties" not in schema:
            return
        if kind == "object":
            if not isinstance(value, dict):
                raise GoogleApiError(400, f"Invalid value at '{where}', expected an object")
            properties = schema.get("properties")
            if properties is not None:
                for key, item in value.items():
                    if key not in properties:
                        raise GoogleApiError(400, f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field.")
                    if properties[key].get("readOnly"):
                        self.violations.append(f"{where}.{key} is output only")
                    self.check(properties[key], item, f"{where}.{key}")
            elif "additionalProperties" in schema:
                for key, item in value.items():
                    self.check(schema["additionalProperties"], item, f"{where}[{key!r}]")
            return
        if kind == "array":
            if not isinstance(value, list):
                raise GoogleApiError(400, f"Invalid value at '{where}', expected a list")
            for index, item in enumerate(value):
                self.check(schema.get("items", {}), item, f"{where}[{index}]")
            return
        if kind == "string":
            if not isinstance(value, str):
                proto_type = "TYPE_INT64" if schema.get("format") in ("int64", "uint64") else "TYPE_STRING"
                raise GoogleApiError(400, f"Invalid value at '{where}' ({proto_type}), {json.dumps(value)}")
            fmt = schema.get("format")
            if fmt in ("int64", "uint64") and not INT64_RE.match(value):
                raise GoogleApiError(400, f"Invalid value at '{where}' (TYPE_INT64), \"{value}\"")
            if fmt == "google-datetime" and not RFC3339_RE.match(value):
                raise GoogleApiError(400, f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Timestamp), Field '{where}', Invalid time format")
            if "enum" in schema and value not in schema["enum"]:
                raise GoogleApiError(400, f"Invalid value at '{where}', \"{value}\"")
            return
        if kind == "boolean" and not isinstance(value, bool):
            raise GoogleApiError(400, f"Invalid value at '{where}' (TYPE_BOOL), {json.dumps(value)}")
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise GoogleApiError(400, f"Invalid value at '{where}' (TYPE_INT32), {json.dumps(value)}")
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise GoogleApiError(400, f"Invalid value at '{where}' (TYPE_DOUBLE), {json.dumps(value)}")


def check_cron(cron: str) -> None:
    fields = cron.split()
    if fields and (fields[0].startswith("TZ=") or fields[0].startswith("CRON_TZ=")):
        fields = fields[1:]
    if len(fields) != 5:
        raise GoogleApiError(400, f"Invalid cron: {cron!r} must have 5 fields")


class VertexFake(ServingMixin):
    def __init__(self, token_ok: Callable[[str], bool], *, project: str = "my-project",
                 region: str = "europe-west4", final_state: str = "PIPELINE_STATE_SUCCEEDED",
                 polls_to_finish: int = 2, page_size: int = 2, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.token_ok = token_ok
        self.project, self.region = project, region
        self.final_state = final_state  # read when a job is created
        self.polls_to_finish = max(1, polls_to_finish)
        self.page_size = page_size
        self.forbidden = False
        self.host, self.port = host, port
        self.discovery = Discovery(json.loads(DISCOVERY.read_text(encoding="utf-8")))
        self.jobs: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self._polls: dict[str, int] = {}
        self._finals: dict[str, str] = {}
        self._next_id = 1000
        self._clock = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    @property
    def violations(self) -> list[str]:
        return self.discovery.violations

    # -- serving -------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        seen = Seen(method, split.path, urllib.parse.parse_qs(split.query, keep_blank_values=True),
                    headers)
        with self._lock:
            self.requests.append(seen)
            try:
                if body:
                    try:
                        seen.json = json.loads(body)
                    except ValueError:
                        raise GoogleApiError(400, "Invalid JSON payload received.") from None
                result = self._dispatch(seen)
                response = json_response(200, result)
            except GoogleApiError as exc:
                response = json_response(exc.status, {"error": {
                    "code": exc.status, "message": exc.message,
                    "status": STATUS_NAMES.get(exc.status, "UNKNOWN")}})
            seen.status = response.status
            return response

    def _dispatch(self, seen: Seen) -> Any:
        scheme, _, token = seen.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.token_ok(token.strip()):
            raise GoogleApiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
        if self.forbidden:
            raise GoogleApiError(403, f"Permission 'aiplatform.pipelineJobs.list' denied on resource '//aiplatform.googleapis.com/{self.parent}' (or it may not exist).")
        prefix = f"/v1/{self.parent}/"
        if not seen.path.startswith(prefix):
            raise GoogleApiError(404, f"The requested URL {seen.path} was not found on this server.")
        rest = seen.path[len(prefix):]
        collection, _, item = rest.partition("/")
        route = (seen.method, collection, bool(item))
        handlers = {
            ("POST", "pipelineJobs", False): ("pipelineJobs", "create", self._create_job),
            ("GET", "pipelineJobs", False): ("pipelineJobs", "list", self._list_jobs),
            ("GET", "pipelineJobs", True): ("pipelineJobs", "get", self._get_job),
            ("POST", "schedules", False): ("schedules", "create", self._create_schedule),
            ("GET", "schedules", False): ("schedules", "list", self._list_schedules),
            ("GET", "schedules", True): ("schedules", "get", self._get_schedule),
            ("DELETE", "schedules", True): ("schedules", "delete", self._delete_schedule),
        }
        if route not in handlers:
            raise GoogleApiError(404, f"{seen.method} {seen.path} is not served by vertex_fake")
        resource, name, handler = handlers[route]
        method = self.discovery.method(resource, name)
        self.discovery.check_query(method, seen.query)
        if "request" in method:
            if seen.json is None:
                raise GoogleApiError(400, "Request body is missing.")
            self.discovery.check(method["request"], seen.json, name == "create" and resource[:-1] or resource)
        elif seen.json is not None:
            raise GoogleApiError(400, f"{resource}.{name} takes no body")
        return handler(seen, item)

    def _q(self, seen: Seen, key: str) -> str:
        return (seen.query.get(key) or [""])[0]

    def _now(self) -> str:
        self._clock += _dt.timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _check_job(self, job: dict[str, Any], where: str) -> None:
        spec = job.get("pipelineSpec")
        if not isinstance(spec, dict) or not spec.get("schemaVersion") or not spec.get("root"):
            raise GoogleApiError(400, f"{where}.pipeline_spec is required (a PipelineSpec with schemaVersion and root)")
        output = (job.get("runtimeConfig") or {}).get("gcsOutputDirectory", "")
        if not output.startswith("gs://"):
            raise GoogleApiError(400, f"{where}.runtime_config.gcs_output_directory must be a gs:// URI, got {output!r}")

    def _create_job(self, seen: Seen, _: str) -> Any:
        job = dict(seen.json)
        self._check_job(job, "pipeline_job")
        job_id = self._q(seen, "pipelineJobId")
        if not job_id:
            self._next_id += 1
            job_id = str(self._next_id)
        elif not JOB_ID_RE.match(job_id):
            raise GoogleApiError(400, f"Invalid pipelineJobId {job_id!r}: must match ^[a-z][-a-z0-9]{{0,127}}$")
        name = f"{self.parent}/pipelineJobs/{job_id}"
        if name in self.jobs:
            raise GoogleApiError(409, f"PipelineJob {name} already exists")
        now = self._now()
        job.update({"name": name, "state": "PIPELINE_STATE_PENDING", "createTime": now,
                    "updateTime": now})
        job.setdefault("serviceAccount", "123456789-compute@developer.gserviceaccount.com")
        self.jobs[name] = job
        self._polls[name] = 0
        self._finals[name] = self.final_state
        return job

    def _get_job(self, _: Seen, item: str) -> Any:
        name = f"{self.parent}/pipelineJobs/{item}"
        job = self.jobs.get(name)
        if job is None:
            raise GoogleApiError(404, f"PipelineJob {name} not found.")
        if job["state"] not in TERMINAL:
            self._polls[name] += 1
            if self._polls[name] >= self.polls_to_finish:
                job["state"] = self._finals[name]
                job["endTime"] = self._now()
                if job["state"] == "PIPELINE_STATE_FAILED":
                    job["error"] = {"code": 9, "message": "The DAG failed because some tasks failed."}
            else:
                job["state"] = "PIPELINE_STATE_RUNNING"
                job.setdefault("startTime", self._now())
        return job

    def _page(self, seen: Seen, items: list[dict[str, Any]], key: str) -> Any:
        size = min(int(self._q(seen, "pageSize") or self.page_size), self.page_size)
        start = int(self._q(seen, "pageToken") or 0)
        page = items[start:start + size]
        result: dict[str, Any] = {key: page} if page else {}
        if start + size < len(items):
            result["nextPageToken"] = str(start + size)
        return result

    def _list_jobs(self, seen: Seen, _: str) -> Any:
        jobs = list(self.jobs.values())
        order = self._q(seen, "orderBy")
        if order not in ("", "create_time desc", "create_time"):
            raise GoogleApiError(400, f"Unsupported orderBy {order!r}")
        if order == "create_time desc":
            jobs.reverse()
        return self._page(seen, jobs, "pipelineJobs")

    def _create_schedule(self, seen: Seen, _: str) -> Any:
        schedule = dict(seen.json)
        for required in ("displayName", "cron", "maxConcurrentRunCount", "createPipelineJobRequest"):
            if required not in schedule:
                raise GoogleApiError(400, f"schedule.{required} is required")
        check_cron(schedule["cron"])
        request = schedule["createPipelineJobRequest"]
        if request.get("parent") != self.parent:
            raise GoogleApiError(400, f"create_pipeline_job_request.parent must be {self.parent}")
        self._check_job(request.get("pipelineJob") or {}, "create_pipeline_job_request.pipeline_job")
        self._next_id += 1
        name = f"{self.parent}/schedules/{self._next_id}"
        now = self._now()
        schedule.update({"name": name, "state": "ACTIVE", "createTime": now, "updateTime": now,
                         "startedRunCount": "0"})
        self.schedules[name] = schedule
        return schedule

    def _list_schedules(self, seen: Seen, _: str) -> Any:
        items = list(self.schedules.values())
        raw = self._q(seen, "filter")
        if raw:
            match = re.fullmatch(r'display_name="((?:[^"\\]|\\.)*)"', raw)
            if not match:
                raise GoogleApiError(400, f"Unsupported filter {raw!r}")
            wanted = match.group(1).replace('\\"', '"')
            items = [s for s in items if s.get("displayName") == wanted]
        return self._page(seen, items, "schedules")

    def _get_schedule(self, _: Seen, item: str) -> Any:
        name = f"{self.parent}/schedules/{item}"
        if name not in self.schedules:
            raise GoogleApiError(404, f"Schedule {name} not found.")
        return self.schedules[name]

    def _delete_schedule(self, _: Seen, item: str) -> Any:
        name = f"{self.parent}/schedules/{item}"
        if self.schedules.pop(name, None) is None:
            raise GoogleApiError(404, f"Schedule {name} not found.")
        return {"name": f"{self.parent}/operations/{self._next_id}",
                "metadata": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata"},
                "done": True, "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}
