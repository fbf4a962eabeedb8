#!/usr/bin/env python3
"""A stateful fake of the Kubeflow Pipelines (KFP) REST API, for tests.

The fake serves the grpc-gateway JSON API of a KFP 2.x server (``/apis/v2beta1`` and
``/apis/v1beta1``) or of a KFP 1.8 server (``/apis/v1beta1`` only) on 127.0.0.1, keeps
pipelines, versions, experiments, runs and recurring runs in plain dicts, and is strict
where a real server or a swagger-driven mock would be: the vendored swagger files in
the shared specs tree (``shared/specs/kfp``) drive routing and the validation of query parameters and JSON bodies
(unknown fields, wrong JSON types, int64 sent as a number, enum spelling).

Use it from Python::

    with KfpFake(api="v2beta1", path_prefix="/pipeline") as kfp:
        urllib.request.urlopen(kfp.url + "/apis/v2beta1/healthz")
        kfp.requests[-1].path

or as a process (the first line of stdout is the base URL; it serves until killed)::

    python kfp_fake.py --api v2beta1 --port 0 [--prefix /pipeline] [--bearer TOKEN]

Behaviour that tests may rely on, beyond the swagger:

* Output is snake_case and, like the real server (protojson ``EmitUnpopulated: false``),
  omits unpopulated fields: empty lists, "", 0, false and zero enums. An empty list
  response is ``{}``; the last page has no ``next_page_token``.
* Runs move PENDING (create) -> RUNNING -> ``run_final_state`` over successive GETs of
  that run; the final state is reached on GET number ``polls_to_finish``.
* List calls return at most ``page_size_cap`` items per page (when set); the page token
  carries the filter and sort order, as on the real server.
* A single-user server has the "Default" experiment from the start.
* Error bodies: ``{"code", "message", "details"}`` (googleRpcStatus) on 2.x,
  ``{"error", "code", "details"}`` (apiStatus) on 1.8, and
  ``{"error_message", "error_details"}`` on the multipart upload endpoints.

Where the fake is stricter than a real server, on purpose (to catch client mistakes):
int64 fields sent as JSON numbers, enums sent as numbers, query parameters the swagger does
not declare, and 5-field cron strings (``strict_cron=False`` allows them) are all 400s; a
multi-user fake also wants a namespace for pipelines (a real one lists shared pipelines).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import functools
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML is in the test venv
    yaml = None

# The official swagger files, pinned in the shared specs tree beside the repository.
SPECS_DIR = Path(
    os.environ.get("KFP_FAKE_SPECS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "specs" / "kfp"
)
API_MODES = {
    "v2beta1": ("v2beta1.swagger.json", "v1beta1.swagger.json"),
    "v1beta1-1.8": ("v1beta1-kfp-1.8.22.swagger.json",),
}
TERMINAL_STATES = frozenset({"SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"})
FINAL_STATES = frozenset({"SUCCEEDED", "SKIPPED", "FAILED", "CANCELED", "PAUSED"})
# HTTP status -> gRPC code, as grpc-gateway maps them back (runtime.HTTPStatusFromCode).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 499: 1, 500: 13,
              501: 12, 503: 14, 504: 4}
DEFAULT_PAGE_SIZE = 20  # backend/src/apiserver/list/list.go
MAX_PAGE_SIZE = 200
PIPELINE_FILE_RE = re.compile(r"\.(ya?ml|json)$", re.IGNORECASE)
IR_TOP_LEVEL = ("pipelineInfo", "deploymentSpec", "sdkVersion", "schemaVersion", "components",
                "root", "defaultPipelineRoot")
PIPELINE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
FILTER_OPS = {1: "EQUALS", 2: "NOT_EQUALS", 3: "GREATER_THAN", 5: "GREATER_THAN_EQUALS",
              6: "LESS_THAN", 7: "LESS_THAN_EQUALS", 8: "IN", 9: "IS_SUBSTRING"}
# Keys a filter or sort_by may name, per resource and API generation [model/*.go].
FILTER_KEYS = {
    ("pipeline", "v2"): {"pipeline_id", "display_name", "name", "created_at", "description",
                         "namespace"},
    ("pipeline", "v1"): {"id", "name", "created_at", "description", "namespace"},
    ("version", "v2"): {"pipeline_version_id", "display_name", "name", "created_at",
                        "description"},
    ("version", "v1"): {"id", "name", "created_at", "description"},
    ("experiment", "v2"): {"experiment_id", "display_name", "created_at", "description",
                           "namespace", "storage_state"},
    ("experiment", "v1"): {"id", "name", "created_at", "description", "namespace",
                           "storage_state"},
    ("run", "v2"): {"run_id", "display_name", "created_at", "scheduled_at", "finished_at",
                    "experiment_id", "state", "storage_state", "recurring_run_id"},
    ("run", "v1"): {"id", "name", "created_at", "scheduled_at", "finished_at", "status",
                    "storage_state"},
    ("recurring_run", "v2"): {"recurring_run_id", "display_name", "created_at", "updated_at",
                              "experiment_id", "status", "mode"},
    ("job", "v1"): {"id", "name", "created_at", "updated_at", "enabled"},
}
V2_TO_V1_STATUS = {"PENDING": "Pending", "RUNNING": "Running", "SUCCEEDED": "Succeeded",
                   "SKIPPED": "Skipped", "FAILED": "Failed", "CANCELING": "Terminating",
                   "CANCELED": "Failed", "PAUSED": "Unknown"}
CRON_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                    "@hourly"}
CRON_FIELDS = (("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23),
               ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))
CRON_ITEM_RE = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/\d+)?$")

# v1 filter.proto (not part of the single-file swagger).
V1_FILTER_SCHEMA = {
    "type": "object",
    "properties": {"predicates": {"type": "array", "items": {"type": "object", "properties": {
        "op": {"type": "string", "enum": ["UNKNOWN", "EQUALS", "NOT_EQUALS", "GREATER_THAN",
                                          "GREATER_THAN_EQUALS", "LESS_THAN",
                                          "LESS_THAN_EQUALS", "IN", "IS_SUBSTRING"]},
        "key": {"type": "string"},
        "int_value": {"type": "integer", "format": "int32"},
        "long_value": {"type": "string", "format": "int64"},
        "string_value": {"type": "string"},
        "timestamp_value": {"type": "string", "format": "date-time"},
        "int_values": {"type": "object", "properties": {
            "values": {"type": "array", "items": {"type": "integer", "format": "int32"}}}},
        "long_values": {"type": "object", "properties": {
            "values": {"type": "array", "items": {"type": "string", "format": "int64"}}}},
        "string_values": {"type": "object", "properties": {
            "values": {"type": "array", "items": {"type": "string"}}}},
    }}}},
}


# --------------------------------------------------------------------------------------
# Plumbing shared with dex_fake.py


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str  # as received (with any prefix), without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lowercased names; repeated headers joined with ", "
    body: bytes
    json: Any = None  # the parsed JSON body, or None
    multipart: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)
    status: int | None = None  # the status the fake answered with
    response: bytes = b""  # the body the fake answered with
    operation: str | None = None  # the swagger operationId, when routed
    route: str | None = None  # "METHOD /apis/...template", when routed


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0


def json_response(status: int, obj: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, json.dumps(obj).encode(),
                    [("Content-Type", "application/json"), *(headers or [])])


def parse_cookies(header: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for item in (header or "").split(";"):
        name, sep, value = item.strip().partition("=")
        if sep and name:
            cookies.setdefault(name, value)
    return cookies


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Parse multipart/form-data into {field: (filename, content)}; ValueError if malformed."""
    match = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', content_type)
    if not content_type.lower().startswith("multipart/form-data") or not match:
        raise ValueError("request Content-Type isn't multipart/form-data with a boundary")
    delimiter = b"--" + (match.group(1) or match.group(2)).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body is not terminated by the closing boundary")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for chunk in chunks[1:-1]:
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header/body separator")
        content = content[:-2] if content.endswith(b"\r\n") else content
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        field_name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        file_name = re.search(r'filename="([^"]*)"', disposition)
        if not field_name:
            raise ValueError("multipart part without a Content-Disposition name")
        fields[field_name.group(1)] = (file_name.group(1) if file_name else None, content)
    return fields


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            joiner = "; " if name == "cookie" else ", "
            headers[name] = headers[name] + joiner + value if name in headers else value
        try:
            response = self.server.app.handle(self.command, self.path, headers, body)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a bug in a fake must still answer
            import traceback

            traceback.print_exc()
            response = json_response(500, {"code": 13, "message": f"fake internal error: {exc!r}"})
        if response.delay:
            time.sleep(response.delay)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive client connections must not block stop()
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Any) -> None:
        super().__init__(address, _Handler)
        self.app = app


class ServingMixin:
    """start()/stop()/context manager around an object with handle(method, target, headers, body)."""

    host: str
    port: int
    _server: _HttpServer | None = None
    _thread: threading.Thread | None = None

    def start(self):  # -> Self
        if self._server is None:
            self._server = _HttpServer((self.host, self.port), self)
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """http://127.0.0.1:PORT (no prefix)."""
        if self._server is None:
            raise RuntimeError("the fake server is not started; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port_number(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])


# --------------------------------------------------------------------------------------
# Swagger: routing and validation


class ApiError(Exception):
    """An error answer. `status` is the HTTP status; the body shape depends on the endpoint."""

    def __init__(self, status: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


class Swagger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc = json.loads(path.read_text(encoding="utf-8"))
        self.definitions: dict[str, Any] = self.doc["definitions"]
        self.operations: list[Operation] = []
        for template, item in self.doc["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method != "parameters":
                    self.operations.append(Operation(self, method.upper(), template, op, shared))

    def resolve(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        schema = schema or {}
        while "$ref" in schema:
            base = self.definitions[schema["$ref"].rsplit("/", 1)[1]]
            extra = {k: v for k, v in schema.items() if k not in ("$ref", "type", "description")}
            schema = {**base, **extra}
        return schema

    def check(self, schema: dict[str, Any] | None, value: Any, where: str) -> Any:
        """Validate a request JSON value against a swagger schema, the way a strict
        protojson/Prism reader would; return it with every field name in snake_case.
        Raises ApiError(400)."""
        schema = self.resolve(schema)
        if value is None:  # protojson: null means "not set"
            return None
        kind = schema.get("type")
        if "enum" in schema:
            if not isinstance(value, str) or value not in schema["enum"]:
                raise ApiError(400, f"invalid value for enum field {where}: {json.dumps(value)}"
                                    f" (expected one of {', '.join(schema['enum'])})")
            return value
        if kind == "object" or "properties" in schema or "additionalProperties" in schema:
            if not isinstance(value, dict):
                raise ApiError(400, f"invalid value for object field {where}: "
                                    f"{json.dumps(value)[:80]} (expected a JSON object)")
            properties = schema.get("properties")
            extra = schema.get("additionalProperties")
            if properties is None and extra is None:
                return value  # google.protobuf.Struct: anything goes
            names: dict[str, str] = {}
            for prop in properties or {}:
                names.setdefault(prop, prop)
                names.setdefault(_camel(prop), prop)
                names.setdefault(_snake(prop), prop)
            out: dict[str, Any] = {}
            for key, item in value.items():
                canonical = names.get(key)
                if canonical is None:
                    if extra is None:
                        allowed = ", ".join(sorted(properties or {}))
                        raise ApiError(400, f'unknown field "{key}" in {where} '
                                            f"(known fields: {allowed})")
                    out[key] = self.check(extra, item, f"{where}.{key}") if extra else item
                    continue
                if canonical in out:
                    raise ApiError(400, f'field "{canonical}" is set twice in {where}')
                out[canonical] = self.check(properties[canonical], item, f"{where}.{key}")
            return out
        if kind == "array":
            if not isinstance(value, list):
                raise ApiError(400, f"invalid value for repeated field {where}: "
                                    f"{json.dumps(value)[:80]} (expected a JSON array)")
            return [self.check(schema.get("items"), item, f"{where}[{i}]")
                    for i, item in enumerate(value)]
        fmt = schema.get("format")
        if kind == "string":
            if not isinstance(value, str):
                hint = " (int64 values are JSON strings, e.g. \"1\")" if fmt in (
                    "int64", "uint64") else ""
                raise ApiError(400, f"invalid value for string field {where}: "
                                    f"{json.dumps(value)[:80]}{hint}")
            if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
                raise ApiError(400, f"invalid value for {fmt} field {where}: {json.dumps(value)}")
            if fmt == "date-time" and not RFC3339_RE.match(value):
                raise ApiError(400, f"invalid value for timestamp field {where}: "
                                    f"{json.dumps(value)} (expected RFC 3339)")
            if fmt == "byte":
                try:
                    base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise ApiError(400, f"invalid base64 value for bytes field {where}") from None
            return value
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ApiError(400, f"invalid value for {fmt or 'integer'} field {where}: "
                                    f"{json.dumps(value)[:80]} (expected a JSON number)")
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ApiError(400, f"invalid value for number field {where}: "
                                    f"{json.dumps(value)[:80]}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ApiError(400, f"invalid value for bool field {where}: "
                                    f"{json.dumps(value)[:80]} (expected true or false)")
            return value
        return value  # no type: google.protobuf.Value

    def shape(self, schema: dict[str, Any] | None, value: Any) -> Any:
        """Render a response value like protojson with EmitUnpopulated=false; every field
        must exist in the schema (this guards the fake against drifting from the contract)."""
        schema = self.resolve(schema)
        if isinstance(value, dict) and "properties" in schema:
            out = {}
            for key, item in value.items():
                if key not in schema["properties"]:
                    raise AssertionError(f"kfp_fake bug: {key!r} is not a field of the response "
                                         f"schema ({sorted(schema['properties'])})")
                prop = self.resolve(schema["properties"][key])
                item = self.shape(prop, item)
                if not _unpopulated(item, prop):
                    out[key] = item
            return out
        if isinstance(value, list) and schema.get("type") == "array":
            return [self.shape(schema.get("items"), item) for item in value]
        return value


def _unpopulated(value: Any, schema: dict[str, Any]) -> bool:
    if value is None or value is False or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return True
    return bool(schema.get("enum")) and value == schema["enum"][0]


class Operation:
    def __init__(self, swagger: Swagger, method: str, template: str, op: dict[str, Any],
                 shared: list[dict[str, Any]]) -> None:
        self.swagger = swagger
        self.method = method
        self.template = template
        self.operation_id = op.get("operationId", f"{method} {template}")
        params = [*shared, *op.get("parameters", [])]
        self.query = {p["name"]: p for p in params if p["in"] == "query"}
        body = [p for p in params if p["in"] == "body"]
        self.body_schema = body[0].get("schema") if body else None
        self.body_name = body[0]["name"] if body else None
        self.form = {p["name"]: p for p in params if p["in"] == "formData"}
        self.response_schema = op.get("responses", {}).get("200", {}).get("schema")
        pattern, self.path_names, pos = "", [], 0
        for match in re.finditer(r"\{([^}]+)\}", template):
            pattern += re.escape(template[pos:match.start()]) + "([^/:]+)"
            self.path_names.append(match.group(1))
            pos = match.end()
        self.regex = re.compile("^" + pattern + re.escape(template[pos:]) + "$")
        self.literal_length = len(re.sub(r"\{[^}]+\}", "", template))
        self.generation = "v2" if template.startswith("/apis/v2beta1/") else "v1"
        self.is_upload = bool(self.form)

    def match(self, path: str) -> dict[str, str] | None:
        match = self.regex.match(path)
        if match is None:
            return None
        return {n: urllib.parse.unquote(v) for n, v in zip(self.path_names, match.groups())}


# Where the same files live in the shared specs tree (shared/specs/kfp, see its README).
UPSTREAM_LAYOUT = {
    "v2beta1.swagger.json": "v2beta1/kfp_api_single_file.swagger.json",
    "v1beta1.swagger.json": "v1beta1/kfp_api_single_file.swagger.json",
    "v1beta1-kfp-1.8.22.swagger.json": "v1beta1-kfp-1.8.22/kfp_api_single_file.swagger.json",
}


@functools.lru_cache(maxsize=None)
def load_swagger(file_name: str) -> Swagger:
    """The swagger file from the shared specs tree ($KFP_FAKE_SPECS_DIR, default
    <repo>/../shared/specs/kfp)."""
    return Swagger(SPECS_DIR / UPSTREAM_LAYOUT[file_name])


# --------------------------------------------------------------------------------------
# Pipeline files


def parse_pipeline_file(data: bytes) -> tuple[str, list[Any]]:
    """Return ("argo" | "ir", documents) or raise ApiError(400) like the server's template
    parser would [template/template.go, v2_template.go]."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the pipeline file is not UTF-8 text") from None
    try:
        if yaml is not None:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        else:
            docs = [json.loads(text)]
    except Exception as exc:  # noqa: BLE001 - any parse error is a 400
        raise ApiError(400, f"the pipeline file is not valid YAML/JSON: {exc}") from None
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise ApiError(400, "the pipeline file must hold one or more YAML/JSON objects")
    first = docs[0]
    if str(first.get("apiVersion", "")).startswith("argoproj.io/") and first.get("kind") == "Workflow":
        return "argo", docs
    if "apiVersion" in first or "kind" in first:
        raise ApiError(400, "unknown template format: a v1 pipeline must be an Argo Workflow "
                            f"(apiVersion argoproj.io/*, kind Workflow), got apiVersion="
                            f"{first.get('apiVersion')!r} kind={first.get('kind')!r}")
    allowed = {*IR_TOP_LEVEL, *(_snake(k) for k in IR_TOP_LEVEL)}
    unknown = sorted(set(first) - allowed)
    if unknown:
        raise ApiError(400, f"invalid pipeline spec: unknown field(s) {', '.join(unknown)} "
                            "(PipelineSpec is parsed strictly)")
    info = first.get("pipelineInfo") or first.get("pipeline_info") or {}
    name = info.get("name") if isinstance(info, dict) else None
    if not name:
        raise ApiError(400, "invalid pipeline spec: pipelineInfo.name is empty")
    if not PIPELINE_NAME_RE.match(name):
        raise ApiError(400, f"invalid pipeline spec: pipeline name {name!r} must be lowercase "
                            "letters, digits and '-', starting with a letter or digit")
    if not first.get("root"):
        raise ApiError(400, "invalid pipeline spec: root is missing")
    version = first.get("schemaVersion", first.get("schema_version"))
    if version != "2.1.0":
        raise ApiError(400, f"invalid pipeline spec: schemaVersion {version!r} is not supported"
                            " (KFP accepts 2.1.0)")
    if len(docs) > 2:
        raise ApiError(400, "invalid pipeline spec: more than two YAML documents")
    if len(docs) == 2:
        platforms = docs[1].get("platforms")
        if set(docs[1]) != {"platforms"} or not isinstance(platforms, dict) \
                or "kubernetes" not in platforms:
            raise ApiError(400, "invalid platform spec: the second document must be "
                                "{platforms: {kubernetes: ...}}")
    return "ir", docs


def _strip_extension(file_name: str) -> str:
    return PIPELINE_FILE_RE.sub("", Path(file_name).name)


def check_cron(expression: str, allow_five_fields: bool = False) -> None:
    """robfig/cron v1.2.0 cron.Parse: sec min hour dom month [dow], or a descriptor."""
    expression = expression.strip()
    if expression.startswith("@"):
        if expression in CRON_DESCRIPTORS or re.fullmatch(
                r"@every\s+(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", expression):
            return
        raise ApiError(400, f"invalid cron schedule {expression!r}: unrecognized descriptor")
    fields = expression.split()
    if len(fields) == 5 and not allow_five_fields:
        raise ApiError(400, f"cron schedule {expression!r} has 5 fields: KFP's cron "
                            "(robfig/cron v1.2.0) reads the first field as seconds, so it would "
                            "not run when intended; use 6 fields 'sec min hour dom month dow'")
    if len(fields) not in (5, 6):
        raise ApiError(400, f"invalid cron schedule {expression!r}: expected 6 fields "
                            "'sec min hour dom month dow'")
    for text, (label, low, high) in zip(fields, CRON_FIELDS):
        for item in text.split(","):
            if not CRON_ITEM_RE.match(item):
                raise ApiError(400, f"invalid cron schedule {expression!r}: bad {label} {item!r}")
            for number in re.findall(r"(?<![/\d])\d+", item.split("/")[0]):
                if not low <= int(number) <= high:
                    raise ApiError(400, f"invalid cron schedule {expression!r}: {label} "
                                        f"{number} is outside {low}-{high}")


def _check_parameter_types(pipeline_name: str, ir: dict[str, Any] | None,
                           parameters: dict[str, Any]) -> None:
    """The server checks runtime_config.parameters against root.inputDefinitions."""
    if not ir:
        return
    inputs = ((ir.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
    for name, value in parameters.items():
        if name not in inputs:
            raise ApiError(400, f"Invalid input error: parameter {name!r} is not an input of "
                                f"pipeline {pipeline_name!r} (inputs: {', '.join(sorted(inputs))})")
        kind = inputs[name].get("parameterType") or inputs[name].get("type") or ""
        ok = {
            "STRING": lambda v: isinstance(v, str),
            "NUMBER_INTEGER": lambda v: not isinstance(v, bool) and (
                isinstance(v, int) or (isinstance(v, float) and v.is_integer())),
            "INT": lambda v: not isinstance(v, bool) and isinstance(v, int),
            "NUMBER_DOUBLE": lambda v: not isinstance(v, bool) and isinstance(v, (int, float)),
            "DOUBLE": lambda v: not isinstance(v, bool) and isinstance(v, (int, float)),
            "BOOLEAN": lambda v: isinstance(v, bool),
            "LIST": lambda v: isinstance(v, list),
            "STRUCT": lambda v: isinstance(v, dict),
        }.get(kind, lambda v: True)(value)
        if not ok:
            raise ApiError(400, f"Invalid input error: parameter {name!r} of pipeline "
                                f"{pipeline_name!r} must be {kind}, got {json.dumps(value)}")


# --------------------------------------------------------------------------------------
# The fake


@dataclass
class FakeState:
    """Everything the fake stores, keyed by id. Records are API-neutral plain dicts."""

    pipelines: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    experiments: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    recurring_runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        """v1 jobs and v2 recurring runs are one table on the server."""
        return self.recurring_runs


@dataclass
class _Failure:
    method: str
    regex: re.Pattern[str]
    status: int
    times: int
    body: Any
    raw: bytes | None
    headers: list[tuple[str, str]]
    delay: float


@dataclass
class _Call:
    rec: Recorded
    op: Operation
    path: dict[str, str]
    q: dict[str, str]
    body: dict[str, Any]


class KfpFake(ServingMixin):
    def __init__(self, api: str = "v2beta1", path_prefix: str = "",
                 require_bearer: str | None = None, require_cookie: str | None = None,
                 multi_user: bool = False, run_final_state: str = "SUCCEEDED",
                 page_size_cap: int | None = 2, polls_to_finish: int = 2, *,
                 strict_cron: bool = True, host: str = "127.0.0.1", port: int = 0) -> None:
        if api not in API_MODES:
            raise ValueError(f"api must be one of {sorted(API_MODES)}, not {api!r}")
        if run_final_state not in FINAL_STATES:
            raise ValueError(f"run_final_state must be one of {sorted(FINAL_STATES)}")
        self.api = api
        self.is_kfp18 = api == "v1beta1-1.8"
        prefix = path_prefix.strip("/")
        self.path_prefix = f"/{prefix}" if prefix else ""
        self.require_bearer = require_bearer
        self.require_cookie = require_cookie
        self.multi_user = multi_user
        self.run_final_state = run_final_state  # read when a run is created
        self.page_size_cap = page_size_cap
        self.polls_to_finish = max(1, polls_to_finish)
        self.strict_cron = strict_cron
        self.host, self.port = host, port
        self.state = FakeState()
        self.requests: list[Recorded] = []
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._clock = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
        self._swaggers = [load_swagger(name) for name in API_MODES[api]]
        self._operations = sorted((op for sw in self._swaggers for op in sw.operations),
                                  key=lambda op: -op.literal_length)
        self._handlers = self._handler_table()
        self.default_experiment_id: str | None = None
        if not multi_user:
            self.default_experiment_id = self._add_experiment(
                "Default", "All runs created without specifying an experiment will be grouped "
                "here.", "")["id"]

    # -- public helpers ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL including the path prefix, e.g. http://127.0.0.1:PORT/pipeline."""
        return self.origin + self.path_prefix

    @property
    def pipelines(self) -> dict[str, dict[str, Any]]:
        return self.state.pipelines

    @property
    def versions(self) -> dict[str, dict[str, Any]]:
        return self.state.versions

    @property
    def experiments(self) -> dict[str, dict[str, Any]]:
        return self.state.experiments

    @property
    def runs(self) -> dict[str, dict[str, Any]]:
        return self.state.runs

    @property
    def recurring_runs(self) -> dict[str, dict[str, Any]]:
        return self.state.recurring_runs

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return self.state.recurring_runs

    def fail_next(self, method: str, path_regex: str, status: int, times: int = 1,
                  body: Any = None, raw: bytes | None = None,
                  headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        """Answer the next `times` requests whose method matches (or "*") and whose path
        (as received, with prefix, no query) matches `path_regex` (re.search) with `status`
        and `body` (default: the endpoint's error shape), or with the bytes `raw` sent as
        text/html (e.g. status=200, raw=b"<html>oops</html>"). `delay` seconds are waited
        before answering. Requests are still recorded."""
        with self._lock:
            self._failures.append(_Failure(method.upper(), re.compile(path_regex), status,
                                           times, body, raw, list((headers or {}).items()),
                                           delay))

    def find_requests(self, method: str | None = None,
                      path_regex: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method.upper())
                    and (path_regex is None or re.search(path_regex, r.path))]

    def set_run_state(self, run_id: str, state: str) -> None:
        """Force a run's state (e.g. to test a run that stays RUNNING)."""
        with self._lock:
            self._set_run_state(self.state.runs[run_id], state)

    def contract_violations(self) -> list[str]:
        """Check every recorded 200 JSON answer against its swagger response schema (the
        fake's own output: unknown fields, JSON types). The 2.x healthz bodies are skipped:
        the real server writes fields there that its swagger does not declare."""
        routes = {f"{op.method} {op.template}": op for op in self._operations}
        problems = []
        with self._lock:
            recorded = list(self.requests)
        for rec in recorded:
            op = routes.get(rec.route or "")
            if op is None or rec.status != 200 or not op.response_schema:
                continue
            if op.template.endswith("/healthz") and not self.is_kfp18:
                continue
            try:
                op.swagger.check(op.response_schema, json.loads(rec.response), op.operation_id)
            except (ApiError, ValueError) as exc:
                problems.append(f"{rec.route}: {exc}")
        return problems

    # -- request entry point ----------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        rec = Recorded(method.upper(), split.path,
                       urllib.parse.parse_qs(split.query, keep_blank_values=True),
                       {k.lower(): v for k, v in headers.items()}, body)
        with self._lock:
            self.requests.append(rec)
            try:
                rec.json = json.loads(body) if body else None
            except ValueError:
                rec.json = None
            if rec.headers.get("content-type", "").lower().startswith("multipart/form-data"):
                try:
                    rec.multipart = parse_multipart(rec.headers["content-type"], body)
                except ValueError:
                    rec.multipart = {}
            response = self._dispatch(rec)
            rec.status = response.status
            rec.response = response.body
            return response

    def _error_body(self, status: int, message: str, details: str | None, upload: bool) -> Any:
        code = GRPC_CODES.get(status, 2)
        if upload:
            return {"error_message": message, "error_details": details or message}
        if self.is_kfp18:
            return {"error": message, "code": code, "details": []}
        return {"code": code, "message": message, "details": []}

    def _dispatch(self, rec: Recorded) -> Response:
        for failure in self._failures:
            if failure.times > 0 and failure.method in ("*", rec.method) \
                    and failure.regex.search(rec.path):
                failure.times -= 1
                if failure.raw is not None:
                    return Response(failure.status, failure.raw,
                                    [("Content-Type", "text/html; charset=utf-8"),
                                     *failure.headers], failure.delay)
                body = failure.body if failure.body is not None else self._error_body(
                    failure.status, f"injected failure (HTTP {failure.status})", None,
                    rec.path.endswith(("/pipelines/upload", "/pipelines/upload_version")))
                response = json_response(failure.status, body, failure.headers)
                response.delay = failure.delay
                return response

        path = rec.path
        if self.path_prefix:
            if path != self.path_prefix and not path.startswith(self.path_prefix + "/"):
                return json_response(404, self._error_body(404, "Not Found", None, False))
            path = path[len(self.path_prefix):] or "/"

        auth_error = self._check_auth(rec)
        if auth_error:
            return json_response(401, self._error_body(401, auth_error, None, False))

        candidates = [op for op in self._operations if op.regex.match(path)]
        if not candidates:
            return json_response(404, self._error_body(404, "Not Found", None, False))
        matching = [op for op in candidates if op.method == rec.method]
        if not matching:
            return json_response(501, self._error_body(501, "Method Not Allowed", None, False))
        op = matching[0]
        rec.operation = op.operation_id
        rec.route = f"{op.method} {op.template}"
        try:
            call = _Call(rec, op, op.match(path) or {}, self._check_query(op, rec),
                         self._check_body(op, rec))
            handler = self._handlers.get((op.method, op.template))
            if handler is None:
                raise ApiError(501, f"{op.operation_id} is not implemented by kfp_fake")
            result = handler(call)
        except ApiError as exc:
            return json_response(exc.status,
                                 self._error_body(exc.status, exc.message, exc.details,
                                                  op.is_upload))
        if isinstance(result, Response):
            return result
        return json_response(200, op.swagger.shape(op.response_schema, result or {}))

    def _check_auth(self, rec: Recorded) -> str | None:
        if self.require_bearer is not None:
            scheme, _, token = rec.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token.strip() != self.require_bearer:
                return "Unauthenticated: the request needs 'Authorization: Bearer <token>'"
        if self.require_cookie is not None:
            name, _, value = self.require_cookie.partition("=")
            if parse_cookies(rec.headers.get("cookie")).get(name) != value:
                return f"Unauthenticated: the request needs the session cookie {name!r}"
        return None

    def _check_query(self, op: Operation, rec: Recorded) -> dict[str, str]:
        out = {}
        for name, values in rec.query.items():
            param = op.query.get(name)
            if param is None:
                allowed = ", ".join(sorted(op.query)) or "none"
                raise ApiError(400, f'unknown query parameter "{name}" for {op.method} '
                                    f"{op.template} (allowed: {allowed})")
            if len(values) > 1:
                raise ApiError(400, f'query parameter "{name}" is given {len(values)} times')
            value = values[0]
            kind = param.get("type")
            if kind == "integer" and not re.fullmatch(r"-?\d+", value):
                raise ApiError(400, f'query parameter "{name}" must be an integer, got {value!r}')
            if kind == "boolean" and value not in ("true", "false", "True", "False", "TRUE",
                                                    "FALSE", "1", "0", "t", "f", "T", "F"):
                raise ApiError(400, f'query parameter "{name}" must be a boolean, got {value!r}')
            if param.get("enum") and value not in param["enum"] and not (
                    value.isdigit() and int(value) < len(param["enum"])):
                raise ApiError(400, f'query parameter "{name}" must be one of '
                                    f"{', '.join(param['enum'])}, got {value!r}")
            out[name] = value
        return out

    def _check_body(self, op: Operation, rec: Recorded) -> dict[str, Any]:
        if op.body_schema is None:
            return {}
        if not rec.body.strip():
            return {}
        if rec.json is None:
            raise ApiError(400, f"the request body of {op.operation_id} is not valid JSON")
        checked = op.swagger.check(op.body_schema, rec.json, op.body_name or "body")
        return checked if isinstance(checked, dict) else {"": checked}

    # -- small helpers ----------------------------------------------------------------

    def _now(self) -> str:
        self._clock += _dt.timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _namespace(self, value: str | None) -> str:
        """Single-user servers ignore namespaces."""
        return (value or "") if self.multi_user else ""

    def _require_namespace(self, namespace: str, what: str) -> None:
        if self.multi_user and not namespace:
            raise ApiError(400, f"Invalid input error: namespace is required for {what} on a "
                                "multi-user KFP")

    @staticmethod
    def _bool(value: str | None) -> bool:
        return (value or "").lower() in ("true", "1", "t")

    def _get(self, table: dict[str, dict[str, Any]], key: str, what: str) -> dict[str, Any]:
        if key not in table:
            raise ApiError(404, f"{what} {key} not found")
        return table[key]

    # -- lists, filters, pagination ---------------------------------------------------

    def _list(self, call: _Call, kind: str, gen: str, items: list[dict[str, Any]],
              render: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> dict[str, Any]:
        token = call.q.get("page_token")
        if token:
            try:
                padded = token + "=" * (-len(token) % 4)
                state = json.loads(base64.urlsafe_b64decode(padded.encode()))
                offset, raw_filter, sort_by = int(state["o"]), state["f"], state["s"]
                if state["k"] != f"{call.op.template}|{kind}":
                    raise ValueError("token of another list")
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise ApiError(400, f"Invalid input error: invalid page token {token!r}") from None
        else:
            offset, raw_filter, sort_by = 0, call.q.get("filter", ""), call.q.get("sort_by", "")
        predicates = self._parse_filter(raw_filter, kind, gen)
        rows = [(item, render(item)) for item in items]
        rows = [row for row in rows if all(p(row) for p in predicates)]
        rows = self._sort(rows, sort_by, kind, gen)
        page_size = int(call.q.get("page_size") or 0)
        if page_size < 0:
            raise ApiError(400, "Invalid input error: page_size must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        if self.page_size_cap:
            size = min(size, self.page_size_cap)
        page = rows[offset:offset + size]
        next_token = ""
        if offset + size < len(rows):
            state = {"o": offset + size, "f": raw_filter, "s": sort_by,
                     "k": f"{call.op.template}|{kind}"}
            next_token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
        return {key: [rendered for _, rendered in page], "total_size": len(rows),
                "next_page_token": next_token}

    @staticmethod
    def _field(row: tuple[dict[str, Any], dict[str, Any]], key: str) -> Any:
        record, rendered = row
        return rendered[key] if key in rendered else record.get(key)

    def _parse_filter(self, raw: str, kind: str, gen: str) -> list[Callable[[Any], bool]]:
        if not raw:
            return []
        try:
            value = json.loads(raw)
        except ValueError:
            raise ApiError(400, f"Invalid input error: filter is not JSON: {raw!r}") from None
        if gen == "v2":
            sw = load_swagger("v2beta1.swagger.json")
            schema = {"$ref": "#/definitions/v2beta1Filter"}
        else:
            sw, schema = self._swaggers[-1], V1_FILTER_SCHEMA
        # The SDK sends the numeric enum values; map them to names (4 is unused).
        op_field = "operation" if gen == "v2" else "op"
        for pred in (value.get("predicates") or []) if isinstance(value, dict) else []:
            number = pred.get(op_field) if isinstance(pred, dict) else None
            if isinstance(number, int) and not isinstance(number, bool):
                pred[op_field] = FILTER_OPS.get(number, number)
        checked = sw.check(schema, value, "filter")
        allowed = FILTER_KEYS[(kind, gen)]
        predicates = []
        for pred in checked.get("predicates") or []:
            op = pred.get("operation" if gen == "v2" else "op")
            key = pred.get("key")
            if key not in allowed:
                raise ApiError(400, f"Invalid input error: no support for filtering on "
                                    f"unrecognized field {key!r} (allowed: "
                                    f"{', '.join(sorted(allowed))})")
            if op in (None, "UNKNOWN", "OPERATION_UNSPECIFIED"):
                raise ApiError(400, f"Invalid input error: filter predicate on {key!r} has no "
                                    f"{'operation' if gen == 'v2' else 'op'}")
            values = [pred[name] for name in ("string_value", "int_value", "long_value",
                                              "timestamp_value") if name in pred]
            many = [v for name in ("string_values", "int_values", "long_values")
                    for v in (pred.get(name) or {}).get("values") or []]
            target = str(values[0]) if values else ""
            predicates.append(self._predicate(key, op, target, [str(v) for v in many]))
        return predicates

    def _predicate(self, key: str, op: str, target: str,
                   many: list[str]) -> Callable[[Any], bool]:
        def test(row: Any) -> bool:
            actual = self._field(row, key)
            actual = "" if actual is None else str(actual).lower() \
                if isinstance(actual, bool) else str(actual)
            return {
                "EQUALS": lambda: actual == target,
                "NOT_EQUALS": lambda: actual != target,
                "GREATER_THAN": lambda: actual > target,
                "GREATER_THAN_EQUALS": lambda: actual >= target,
                "LESS_THAN": lambda: actual < target,
                "LESS_THAN_EQUALS": lambda: actual <= target,
                "IN": lambda: actual in many,
                "IS_SUBSTRING": lambda: target in actual,
            }[op]()

        return test

    def _sort(self, rows: list[Any], sort_by: str, kind: str, gen: str) -> list[Any]:
        key, descending = "created_at", False
        if sort_by:
            parts = sort_by.split()
            if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")) \
                    or parts[0] not in FILTER_KEYS[(kind, gen)]:
                raise ApiError(400, f"Invalid input error: invalid sorting field {sort_by!r}")
            key, descending = parts[0], len(parts) == 2 and parts[1] == "desc"
        return sorted(rows, key=lambda row: (str(self._field(row, key) or ""),
                                             row[0]["created_at"], row[0]["id"]),
                      reverse=descending)

    # -- records ----------------------------------------------------------------------

    def _add_experiment(self, name: str, description: str, namespace: str) -> dict[str, Any]:
        exp = {"id": str(uuid.uuid4()), "name": name, "description": description,
               "namespace": namespace, "created_at": self._now(), "storage_state": "AVAILABLE",
               "last_run_created_at": ""}
        self.state.experiments[exp["id"]] = exp
        return exp

    def _add_version(self, pipeline: dict[str, Any], name: str, display_name: str,
                     description: str, file_name: str, data: bytes, kind: str,
                     docs: list[Any], code_source_url: str = "",
                     tags: dict[str, str] | None = None) -> dict[str, Any]:
        version = {"id": str(uuid.uuid4()), "pipeline_id": pipeline["id"], "name": name,
                   "display_name": display_name, "description": description,
                   "created_at": self._now(), "file_name": file_name, "raw": data,
                   "kind": kind, "docs": docs, "code_source_url": code_source_url,
                   "tags": tags or {}}
        self.state.versions[version["id"]] = version
        return version

    def _versions_of(self, pipeline_id: str) -> list[dict[str, Any]]:
        return sorted((v for v in self.state.versions.values() if v["pipeline_id"] == pipeline_id),
                      key=lambda v: (v["created_at"], v["id"]))

    def _latest_version(self, pipeline_id: str) -> dict[str, Any] | None:
        versions = self._versions_of(pipeline_id)
        return versions[-1] if versions else None

    def _experiment_for(self, experiment_id: str | None) -> dict[str, Any]:
        if experiment_id:
            return self._get(self.state.experiments, experiment_id, "Experiment")
        if self.multi_user:
            raise ApiError(400, "Invalid input error: namespace is required: a multi-user KFP "
                                "needs an experiment (in a namespace) for runs and recurring runs")
        if self.default_experiment_id not in self.state.experiments:
            self.default_experiment_id = self._add_experiment("Default", "", "")["id"]
        return self.state.experiments[self.default_experiment_id]

    def _resolve_pipeline(self, pipeline_id: str | None, version_id: str | None,
                          inline: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if inline and (pipeline_id or version_id):
            raise ApiError(400, "Invalid input error: specify either a pipeline (version) "
                                "reference or an inline pipeline spec, not both")
        if inline:
            return None, None
        if version_id:
            version = self._get(self.state.versions, version_id, "Pipeline version")
            if pipeline_id and version["pipeline_id"] != pipeline_id:
                raise ApiError(400, f"Invalid input error: pipeline version {version_id} does "
                                    f"not belong to pipeline {pipeline_id}")
            return self.state.pipelines[version["pipeline_id"]], version
        if pipeline_id:
            pipeline = self._get(self.state.pipelines, pipeline_id, "Pipeline")
            version = self._latest_version(pipeline_id)
            if version is None:
                raise ApiError(400, f"Invalid input error: pipeline {pipeline_id} has no versions")
            return pipeline, version
        raise ApiError(400, "Invalid input error: a pipeline is required: set "
                            "pipeline_version_reference (v2) / pipeline_spec.pipeline_id or a "
                            "PIPELINE_VERSION resource reference (v1), or an inline spec")

    @staticmethod
    def _ir_of(version: dict[str, Any] | None) -> dict[str, Any] | None:
        return version["docs"][0] if version and version["kind"] == "ir" else None

    @staticmethod
    def _spec_of(version: dict[str, Any]) -> Any:
        docs = version["docs"]
        if version["kind"] == "ir" and len(docs) == 2:
            return {"pipeline_spec": docs[0], "platform_spec": docs[1]}
        return docs[0]

    def _set_run_state(self, run: dict[str, Any], state: str) -> None:
        if run["state"] == state:
            return
        now = self._now()
        run["state"] = state
        run["state_history"].append({"update_time": now, "state": state})
        if state in TERMINAL_STATES:
            run["finished_at"] = now

    def _poll_run(self, run: dict[str, Any]) -> None:
        if run["state"] in TERMINAL_STATES:
            return
        run["polls"] += 1
        self._set_run_state(run, run["final_state"] if run["polls"] >= self.polls_to_finish
                            else "RUNNING")

    def _new_run(self, api: str, name: str, description: str, experiment: dict[str, Any],
                 pipeline: dict[str, Any] | None, version: dict[str, Any] | None,
                 inline: Any, parameters: dict[str, Any], runtime_config: dict[str, Any],
                 service_account: str, deprecated_version_field: bool = False) -> dict[str, Any]:
        now = self._now()
        run = {"id": str(uuid.uuid4()), "api": api, "display_name": name,
               "description": description, "experiment_id": experiment["id"],
               "namespace": experiment["namespace"],
               "pipeline_id": pipeline["id"] if pipeline else "",
               "pipeline_version_id": version["id"] if version else "",
               "deprecated_version_field": deprecated_version_field,
               "pipeline_spec": inline, "parameters": parameters,
               "runtime_config": runtime_config, "service_account": service_account,
               "created_at": now, "scheduled_at": now, "finished_at": "", "state": "PENDING",
               "final_state": self.run_final_state, "polls": 0,
               "state_history": [{"update_time": now, "state": "PENDING"}],
               "recurring_run_id": "", "storage_state": "AVAILABLE"}
        experiment["last_run_created_at"] = now
        self.state.runs[run["id"]] = run
        return run

    # -- rendering --------------------------------------------------------------------

    @staticmethod
    def _namespace_refs(namespace: str) -> list[dict[str, Any]]:
        if not namespace:
            return []
        return [{"key": {"type": "NAMESPACE", "id": namespace}, "relationship": "OWNER"}]

    def _r2_pipeline(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"pipeline_id": p["id"], "name": p["name"], "display_name": p["display_name"],
                "description": p["description"], "created_at": p["created_at"],
                "namespace": p["namespace"], "tags": p["tags"] or None}

    @staticmethod
    def _v1_parameters(version: dict[str, Any] | None) -> list[dict[str, str]]:
        if not version:
            return []
        doc = version["docs"][0]
        if version["kind"] == "argo":
            params = ((doc.get("spec") or {}).get("arguments") or {}).get("parameters") or []
            return [{"name": str(p.get("name")), "value": str(p.get("value", ""))}
                    if "value" in p else {"name": str(p.get("name"))} for p in params]
        inputs = ((doc.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
        return [{"name": name} for name in inputs]

    def _r1_pipeline(self, p: dict[str, Any]) -> dict[str, Any]:
        latest = self._latest_version(p["id"])
        return {"id": p["id"], "created_at": p["created_at"], "name": p["name"],
                "description": p["description"], "parameters": self._v1_parameters(latest),
                "default_version": self._r1_version(latest) if latest else None,
                "resource_references": [] if self.is_kfp18 else self._namespace_refs(
                    p["namespace"])}

    def _r2_version(self, v: dict[str, Any]) -> dict[str, Any]:
        return {"pipeline_id": v["pipeline_id"], "pipeline_version_id": v["id"],
                "display_name": v["display_name"], "name": v["name"],
                "description": v["description"], "created_at": v["created_at"],
                "code_source_url": v["code_source_url"], "pipeline_spec": self._spec_of(v),
                "tags": v["tags"] or None}

    def _r1_version(self, v: dict[str, Any]) -> dict[str, Any]:
        return {"id": v["id"], "name": v["name"], "created_at": v["created_at"],
                "parameters": self._v1_parameters(v), "code_source_url": v["code_source_url"],
                "resource_references": [{"key": {"type": "PIPELINE", "id": v["pipeline_id"]},
                                         "relationship": "OWNER"}],
                "description": v["description"]}

    def _r2_experiment(self, e: dict[str, Any]) -> dict[str, Any]:
        return {"experiment_id": e["id"], "display_name": e["name"],
                "description": e["description"], "created_at": e["created_at"],
                "namespace": e["namespace"], "storage_state": e["storage_state"],
                "last_run_created_at": e["last_run_created_at"]}

    def _r1_experiment(self, e: dict[str, Any]) -> dict[str, Any]:
        return {"id": e["id"], "name": e["name"], "description": e["description"],
                "created_at": e["created_at"],
                "resource_references": self._namespace_refs(e["namespace"]),
                "storage_state": f"STORAGESTATE_{e['storage_state']}"}

    @staticmethod
    def _v1_params_list(parameters: dict[str, Any]) -> list[dict[str, str]]:
        return [{"name": k, "value": v if isinstance(v, str) else json.dumps(v)}
                for k, v in parameters.items()]

    def _r2_run(self, r: dict[str, Any]) -> dict[str, Any]:
        runtime_config = {"parameters": r["parameters"] or None,
                          "pipeline_root": r["runtime_config"].get("pipeline_root", "")}
        out = {"experiment_id": r["experiment_id"], "run_id": r["id"],
               "display_name": r["display_name"], "description": r["description"],
               "storage_state": r["storage_state"],
               "pipeline_version_reference": {"pipeline_id": r["pipeline_id"],
                                              "pipeline_version_id": r["pipeline_version_id"]}
               if r["pipeline_id"] else None,
               "pipeline_version_id": r["pipeline_version_id"]
               if r["deprecated_version_field"] else "",
               "pipeline_spec": r["pipeline_spec"], "runtime_config": runtime_config,
               "service_account": r["service_account"], "created_at": r["created_at"],
               "scheduled_at": r["scheduled_at"], "finished_at": r["finished_at"],
               "state": r["state"], "recurring_run_id": r["recurring_run_id"],
               "state_history": list(r["state_history"])}
        if r["state"] == "FAILED":
            out["error"] = {"code": 2, "message": "kfp_fake: the run failed"}
        return out

    def _v1_status(self, r: dict[str, Any]) -> str:
        if self.is_kfp18 and r["state"] == "PENDING":
            return ""  # KFP 1.8 reports the Argo phase, empty until the workflow starts
        if self.is_kfp18 and r["state"] == "CANCELING":
            return "Running"
        return V2_TO_V1_STATUS.get(r["state"], "Unknown")

    def _v1_pipeline_spec(self, r: dict[str, Any]) -> dict[str, Any]:
        pipeline = self.state.pipelines.get(r["pipeline_id"])
        spec = {"pipeline_id": r["pipeline_id"],
                "pipeline_name": pipeline["name"] if pipeline else "",
                "parameters": self._v1_params_list(r["parameters"])}
        if r["pipeline_spec"] is not None:
            spec["workflow_manifest"] = json.dumps(r["pipeline_spec"])
        return spec

    def _v1_refs(self, r: dict[str, Any]) -> list[dict[str, Any]]:
        refs = []
        exp = self.state.experiments.get(r["experiment_id"])
        if exp:
            refs.append({"key": {"type": "EXPERIMENT", "id": exp["id"]}, "name": exp["name"],
                         "relationship": "OWNER"})
        version = self.state.versions.get(r["pipeline_version_id"])
        if version:
            refs.append({"key": {"type": "PIPELINE_VERSION", "id": version["id"]},
                         "name": version["name"], "relationship": "CREATOR"})
        return refs

    def _r1_run(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "name": r["display_name"], "description": r["description"],
                "storage_state": f"STORAGESTATE_{r['storage_state']}",
                "pipeline_spec": self._v1_pipeline_spec(r),
                "resource_references": self._v1_refs(r),
                "service_account": r["service_account"], "created_at": r["created_at"],
                "scheduled_at": r["scheduled_at"], "finished_at": r["finished_at"],
                "status": self._v1_status(r),
                "error": "kfp_fake: the run failed" if r["state"] == "FAILED" else ""}

    def _r1_run_detail(self, r: dict[str, Any]) -> dict[str, Any]:
        workflow = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                    "metadata": {"name": f"run-{r['id'][:8]}",
                                 "labels": {"pipeline/runid": r["id"]}},
                    "status": {"phase": self._v1_status(r)}}
        return {"run": self._r1_run(r),
                "pipeline_runtime": {"workflow_manifest": json.dumps(workflow)}}

    def _r2_recurring(self, j: dict[str, Any]) -> dict[str, Any]:
        return {"recurring_run_id": j["id"], "display_name": j["display_name"],
                "description": j["description"],
                "pipeline_version_reference": {"pipeline_id": j["pipeline_id"],
                                               "pipeline_version_id": j["pipeline_version_id"]}
                if j["pipeline_id"] else None,
                "pipeline_spec": j["pipeline_spec"],
                "runtime_config": {"parameters": j["parameters"] or None,
                                   "pipeline_root": j["runtime_config"].get("pipeline_root", "")},
                "service_account": j["service_account"],
                "max_concurrency": j["max_concurrency"], "trigger": j["trigger"],
                "mode": "ENABLE" if j["enabled"] else "DISABLE",
                "created_at": j["created_at"], "updated_at": j["updated_at"],
                "status": "ENABLED" if j["enabled"] else "DISABLED",
                "no_catchup": j["no_catchup"], "namespace": j["namespace"],
                "experiment_id": j["experiment_id"]}

    def _r1_job(self, j: dict[str, Any]) -> dict[str, Any]:
        return {"id": j["id"], "name": j["display_name"], "description": j["description"],
                "pipeline_spec": self._v1_pipeline_spec(j), "resource_references": self._v1_refs(j),
                "service_account": j["service_account"], "max_concurrency": j["max_concurrency"],
                "trigger": j["trigger"], "mode": "ENABLED" if j["enabled"] else "DISABLED",
                "created_at": j["created_at"], "updated_at": j["updated_at"],
                "status": "Enabled" if j["enabled"] else "Disabled", "enabled": j["enabled"],
                "no_catchup": j["no_catchup"]}

    # -- handlers ---------------------------------------------------------------------

    def _handler_table(self) -> dict[tuple[str, str], Callable[[_Call], Any]]:
        v2, v1 = "/apis/v2beta1", "/apis/v1beta1"
        table = {
            ("GET", f"{v1}/healthz"): self._healthz,
            ("POST", f"{v1}/pipelines/upload"): self._upload_pipeline,
            ("POST", f"{v1}/pipelines/upload_version"): self._upload_version,
            ("GET", f"{v1}/pipelines"): self._v1_list_pipelines,
            ("GET", f"{v1}/pipelines/{{id}}"): lambda c: self._r1_pipeline(
                self._get(self.state.pipelines, c.path["id"], "Pipeline")),
            ("DELETE", f"{v1}/pipelines/{{id}}"): lambda c: self._delete_pipeline(
                c.path["id"], cascade=True),
            ("GET", f"{v1}/pipelines/{{id}}/templates"): self._v1_pipeline_template,
            ("GET", f"{v1}/namespaces/{{namespace}}/pipelines/{{name}}"): self._v1_pipeline_by_name,
            ("GET", f"{v1}/pipeline_versions"): self._v1_list_versions,
            ("GET", f"{v1}/pipeline_versions/{{version_id}}"): lambda c: self._r1_version(
                self._get(self.state.versions, c.path["version_id"], "Pipeline version")),
            ("DELETE", f"{v1}/pipeline_versions/{{version_id}}"): self._delete_version,
            ("GET", f"{v1}/pipeline_versions/{{version_id}}/templates"): self._v1_version_template,
            ("POST", f"{v1}/experiments"): self._v1_create_experiment,
            ("GET", f"{v1}/experiments"): self._v1_list_experiments,
            ("GET", f"{v1}/experiments/{{id}}"): lambda c: self._r1_experiment(
                self._get(self.state.experiments, c.path["id"], "Experiment")),
            ("DELETE", f"{v1}/experiments/{{id}}"): self._delete_experiment,
            ("POST", f"{v1}/runs"): self._v1_create_run,
            ("GET", f"{v1}/runs"): self._v1_list_runs,
            ("GET", f"{v1}/runs/{{run_id}}"): self._v1_get_run,
            ("POST", f"{v1}/runs/{{run_id}}/terminate"): self._terminate_run,
            ("DELETE", f"{v1}/runs/{{id}}"): self._delete_run,
            ("POST", f"{v1}/jobs"): self._v1_create_job,
            ("GET", f"{v1}/jobs"): self._v1_list_jobs,
            ("GET", f"{v1}/jobs/{{id}}"): lambda c: self._r1_job(
                self._get(self.state.recurring_runs, c.path["id"], "Job")),
            ("DELETE", f"{v1}/jobs/{{id}}"): self._delete_recurring,
            ("POST", f"{v1}/jobs/{{id}}/enable"): lambda c: self._enable(c, True),
            ("POST", f"{v1}/jobs/{{id}}/disable"): lambda c: self._enable(c, False),
        }
        if not self.is_kfp18:
            table.update({
                ("GET", f"{v2}/healthz"): self._healthz,
                ("POST", f"{v2}/pipelines/upload"): self._upload_pipeline,
                ("POST", f"{v2}/pipelines/upload_version"): self._upload_version,
                ("GET", f"{v2}/pipelines"): self._v2_list_pipelines,
                ("POST", f"{v2}/pipelines"): self._v2_create_pipeline,
                ("GET", f"{v2}/pipelines/names/{{name}}"): self._v2_pipeline_by_name,
                ("GET", f"{v2}/pipelines/{{pipeline_id}}"): lambda c: self._r2_pipeline(
                    self._get(self.state.pipelines, c.path["pipeline_id"], "Pipeline")),
                ("DELETE", f"{v2}/pipelines/{{pipeline_id}}"): lambda c: self._delete_pipeline(
                    c.path["pipeline_id"], cascade=self._bool(c.q.get("cascade"))),
                ("GET", f"{v2}/pipelines/{{pipeline_id}}/versions"): self._v2_list_versions,
                ("GET", f"{v2}/pipelines/{{pipeline_id}}/versions/{{pipeline_version_id}}"):
                    self._v2_get_version,
                ("DELETE", f"{v2}/pipelines/{{pipeline_id}}/versions/{{pipeline_version_id}}"):
                    self._delete_version,
                ("POST", f"{v2}/experiments"): self._v2_create_experiment,
                ("GET", f"{v2}/experiments"): self._v2_list_experiments,
                ("GET", f"{v2}/experiments/{{experiment_id}}"): lambda c: self._r2_experiment(
                    self._get(self.state.experiments, c.path["experiment_id"], "Experiment")),
                ("DELETE", f"{v2}/experiments/{{experiment_id}}"): self._delete_experiment,
                ("POST", f"{v2}/runs"): self._v2_create_run,
                ("GET", f"{v2}/runs"): self._v2_list_runs,
                ("GET", f"{v2}/runs/{{run_id}}"): self._v2_get_run,
                ("DELETE", f"{v2}/runs/{{run_id}}"): self._delete_run,
                ("POST", f"{v2}/runs/{{run_id}}:terminate"): self._terminate_run,
                ("POST", f"{v2}/recurringruns"): self._v2_create_recurring,
                ("GET", f"{v2}/recurringruns"): self._v2_list_recurring,
                ("GET", f"{v2}/recurringruns/{{recurring_run_id}}"): lambda c: self._r2_recurring(
                    self._get(self.state.recurring_runs, c.path["recurring_run_id"],
                              "Recurring run")),
                ("DELETE", f"{v2}/recurringruns/{{recurring_run_id}}"): self._delete_recurring,
                ("POST", f"{v2}/recurringruns/{{recurring_run_id}}:enable"):
                    lambda c: self._enable(c, True),
                ("POST", f"{v2}/recurringruns/{{recurring_run_id}}:disable"):
                    lambda c: self._enable(c, False),
            })
        return table

    def _healthz(self, call: _Call) -> Any:
        if self.is_kfp18:  # a gRPC method there: zero values are omitted
            return {"multi_user": self.multi_user}
        # 2.x writes this by hand (main.go), with fields that are not in the swagger.
        body = {"commit_sha": "unknown", "tag_name": "kfp-fake", "multi_user": self.multi_user}
        if call.op.generation == "v2":
            body["pipeline_store"] = "database"
        return json_response(200, body)

    # pipelines

    def _upload_file(self, call: _Call) -> tuple[str, bytes, str, list[Any]]:
        content_type = call.rec.headers.get("content-type", "")
        try:
            parts = parse_multipart(content_type, call.rec.body)
        except ValueError as exc:
            raise ApiError(400, "Failed to read pipeline from file", str(exc)) from None
        if "uploadfile" not in parts:
            raise ApiError(400, "Failed to read pipeline from file",
                           f"no multipart field 'uploadfile' (got: {', '.join(parts) or 'none'})")
        file_name, data = parts["uploadfile"]
        if not file_name or not PIPELINE_FILE_RE.search(file_name):
            raise ApiError(400, "Unexpected pipeline file format. Support .zip, .tar.gz, .json "
                                "or YAML.", f"file name {file_name!r} does not end in .yaml, "
                                            ".yml or .json")
        try:
            kind, docs = parse_pipeline_file(data)
        except ApiError as exc:
            raise ApiError(400, f"Failed to create a pipeline: {exc.message}") from None
        return file_name, data, kind, docs

    @staticmethod
    def _tags(call: _Call) -> dict[str, str]:
        raw = call.q.get("tags")
        if not raw:
            return {}
        try:
            tags = json.loads(raw)
        except ValueError:
            tags = None
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise ApiError(400, "Failed to parse tags query parameter. Expected JSON object with "
                                "string keys and values")
        return tags

    def _upload_pipeline(self, call: _Call) -> Any:
        file_name, data, kind, docs = self._upload_file(call)
        namespace = "" if self.is_kfp18 else self._namespace(call.q.get("namespace"))
        if not self.is_kfp18:
            self._require_namespace(namespace, "a pipeline upload")
        name = call.q.get("name") or call.q.get("display_name") or _strip_extension(file_name)
        display_name = call.q.get("display_name") or name
        if any(p["name"] == name and p["namespace"] == namespace
               for p in self.state.pipelines.values()):
            raise ApiError(409, "Failed to create a pipeline and a pipeline version. The pipeline "
                                "already exists.", f"a pipeline named {name!r} already exists in "
                                                   f"namespace {namespace!r}")
        tags = self._tags(call)
        pipeline = {"id": str(uuid.uuid4()), "name": name, "display_name": display_name,
                    "description": call.q.get("description", ""), "namespace": namespace,
                    "created_at": self._now(), "tags": tags}
        self.state.pipelines[pipeline["id"]] = pipeline
        self._add_version(pipeline, name, display_name, pipeline["description"], file_name,
                          data, kind, docs)
        if call.op.generation == "v2":
            return self._r2_pipeline(pipeline)
        return self._r1_pipeline(pipeline)

    def _upload_version(self, call: _Call) -> Any:
        file_name, data, kind, docs = self._upload_file(call)
        pipeline_id = call.q.get("pipelineid")
        if not pipeline_id:
            raise ApiError(400, "Failed to create a pipeline version",
                           "the pipelineid query parameter is required")
        pipeline = self.state.pipelines.get(pipeline_id)
        if pipeline is None:
            raise ApiError(400, "Failed to create a pipeline version",
                           f"pipeline {pipeline_id} not found")
        name = call.q.get("name") or call.q.get("display_name") or _strip_extension(file_name)
        if any(v["name"] == name for v in self._versions_of(pipeline_id)):
            raise ApiError(409, "Failed to create a pipeline version. The pipeline version "
                                "already exists.", f"pipeline {pipeline_id} already has a "
                                                   f"version named {name!r}")
        version = self._add_version(pipeline, name, call.q.get("display_name") or name,
                                    call.q.get("description", ""), file_name, data, kind, docs,
                                    tags=self._tags(call))
        if call.op.generation == "v2":
            return self._r2_version(version)
        return self._r1_version(version)

    def _v2_create_pipeline(self, call: _Call) -> Any:
        body = call.body
        namespace = self._namespace(body.get("namespace"))
        self._require_namespace(namespace, "creating a pipeline")
        name = body.get("name") or body.get("display_name")
        if not name:
            raise ApiError(400, "Invalid input error: pipeline name is required")
        if any(p["name"] == name and p["namespace"] == namespace
               for p in self.state.pipelines.values()):
            raise ApiError(409, f"Already exists error: pipeline {name!r} already exists in "
                                f"namespace {namespace!r}")
        pipeline = {"id": str(uuid.uuid4()), "name": name,
                    "display_name": body.get("display_name") or name,
                    "description": body.get("description", ""), "namespace": namespace,
                    "created_at": self._now(), "tags": body.get("tags") or {}}
        self.state.pipelines[pipeline["id"]] = pipeline
        return self._r2_pipeline(pipeline)

    def _pipelines_in(self, namespace: str) -> list[dict[str, Any]]:
        return [p for p in self.state.pipelines.values() if p["namespace"] == namespace]

    def _v2_list_pipelines(self, call: _Call) -> Any:
        namespace = self._namespace(call.q.get("namespace"))
        self._require_namespace(namespace, "listing pipelines")
        return self._list(call, "pipeline", "v2", self._pipelines_in(namespace),
                          self._r2_pipeline, "pipelines")

    def _v1_namespace_key(self, call: _Call, allowed: tuple[str, ...]) -> tuple[str, str]:
        kind = call.q.get("resource_reference_key.type", "")
        key_id = call.q.get("resource_reference_key.id", "")
        if kind in ("", "UNKNOWN_RESOURCE_TYPE", "0"):
            if key_id:
                raise ApiError(400, "Invalid input error: resource_reference_key.id is set "
                                    "without resource_reference_key.type")
            return "", ""
        if kind not in allowed:
            raise ApiError(400, f"Invalid input error: resource_reference_key.type {kind} is not "
                                f"supported here (use {' or '.join(allowed)})")
        return kind, key_id

    def _v1_list_pipelines(self, call: _Call) -> Any:
        _, namespace = self._v1_namespace_key(call, ("NAMESPACE",))
        namespace = "" if self.is_kfp18 else self._namespace(namespace)
        if not self.is_kfp18:
            self._require_namespace(namespace, "listing pipelines")
        return self._list(call, "pipeline", "v1", self._pipelines_in(namespace),
                          self._r1_pipeline, "pipelines")

    def _find_pipeline_by_name(self, name: str, namespace: str) -> dict[str, Any]:
        for pipeline in self.state.pipelines.values():
            if pipeline["name"] == name and pipeline["namespace"] == namespace:
                return pipeline
        raise ApiError(404, f"Pipeline with name {name!r} not found in namespace {namespace!r}")

    def _v2_pipeline_by_name(self, call: _Call) -> Any:
        return self._r2_pipeline(self._find_pipeline_by_name(
            call.path["name"], self._namespace(call.q.get("namespace"))))

    def _v1_pipeline_by_name(self, call: _Call) -> Any:
        namespace = call.path["namespace"]
        return self._r1_pipeline(self._find_pipeline_by_name(
            call.path["name"], self._namespace("" if namespace == "-" else namespace)))

    def _delete_pipeline(self, pipeline_id: str, cascade: bool) -> Any:
        self._get(self.state.pipelines, pipeline_id, "Pipeline")
        versions = self._versions_of(pipeline_id)
        if versions and not cascade:
            raise ApiError(400, f"Failed precondition error: pipeline {pipeline_id} has "
                                f"{len(versions)} version(s); delete them first or pass "
                                "cascade=true")
        for version in versions:
            del self.state.versions[version["id"]]
        del self.state.pipelines[pipeline_id]
        return {}

    def _v2_list_versions(self, call: _Call) -> Any:
        pipeline = self._get(self.state.pipelines, call.path["pipeline_id"], "Pipeline")
        return self._list(call, "version", "v2", self._versions_of(pipeline["id"]),
                          self._r2_version, "pipeline_versions")

    def _v2_get_version(self, call: _Call) -> Any:
        version = self._get(self.state.versions, call.path["pipeline_version_id"],
                            "Pipeline version")
        if version["pipeline_id"] != call.path["pipeline_id"]:
            raise ApiError(404, f"Pipeline version {version['id']} not found in pipeline "
                                f"{call.path['pipeline_id']}")
        return self._r2_version(version)

    def _delete_version(self, call: _Call) -> Any:
        version_id = call.path.get("version_id") or call.path["pipeline_version_id"]
        self._get(self.state.versions, version_id, "Pipeline version")
        del self.state.versions[version_id]
        return {}

    def _v1_list_versions(self, call: _Call) -> Any:
        kind = call.q.get("resource_key.type", "")
        pipeline_id = call.q.get("resource_key.id", "")
        if kind != "PIPELINE" or not pipeline_id:
            raise ApiError(400, "Invalid input error: list pipeline versions needs "
                                "resource_key.type=PIPELINE and resource_key.id=<pipeline id>")
        self._get(self.state.pipelines, pipeline_id, "Pipeline")
        return self._list(call, "version", "v1", self._versions_of(pipeline_id),
                          self._r1_version, "versions")

    def _v1_pipeline_template(self, call: _Call) -> Any:
        self._get(self.state.pipelines, call.path["id"], "Pipeline")
        latest = self._latest_version(call.path["id"])
        return {"template": latest["raw"].decode("utf-8") if latest else ""}

    def _v1_version_template(self, call: _Call) -> Any:
        version = self._get(self.state.versions, call.path["version_id"], "Pipeline version")
        return {"template": version["raw"].decode("utf-8")}

    # experiments

    def _create_experiment(self, name: str, description: str, namespace: str) -> dict[str, Any]:
        self._require_namespace(namespace, "creating an experiment")
        if not name:
            raise ApiError(400, "Invalid input error: Experiment must have a non-empty name")
        if any(e["name"] == name and e["namespace"] == namespace
               for e in self.state.experiments.values()):
            raise ApiError(409, f"Already exists error: an experiment named {name!r} already "
                                f"exists in namespace {namespace!r}")
        return self._add_experiment(name, description, namespace)

    def _v2_create_experiment(self, call: _Call) -> Any:
        body = call.body
        return self._r2_experiment(self._create_experiment(
            body.get("display_name", ""), body.get("description", ""),
            self._namespace(body.get("namespace"))))

    def _v1_create_experiment(self, call: _Call) -> Any:
        body = call.body
        namespace = ""
        for ref in body.get("resource_references") or []:
            key = ref.get("key") or {}
            if key.get("type") != "NAMESPACE":
                raise ApiError(400, "Invalid input error: an experiment can only reference a "
                                    f"NAMESPACE, not {key.get('type')}")
            namespace = key.get("id", "")
        return self._r1_experiment(self._create_experiment(
            body.get("name", ""), body.get("description", ""), self._namespace(namespace)))

    def _experiments_in(self, namespace: str) -> list[dict[str, Any]]:
        return [e for e in self.state.experiments.values() if e["namespace"] == namespace]

    def _v2_list_experiments(self, call: _Call) -> Any:
        namespace = self._namespace(call.q.get("namespace"))
        self._require_namespace(namespace, "listing experiments")
        return self._list(call, "experiment", "v2", self._experiments_in(namespace),
                          self._r2_experiment, "experiments")

    def _v1_list_experiments(self, call: _Call) -> Any:
        _, namespace = self._v1_namespace_key(call, ("NAMESPACE",))
        namespace = self._namespace(namespace)
        self._require_namespace(namespace, "listing experiments")
        return self._list(call, "experiment", "v1", self._experiments_in(namespace),
                          self._r1_experiment, "experiments")

    def _delete_experiment(self, call: _Call) -> Any:
        experiment_id = call.path.get("id") or call.path["experiment_id"]
        self._get(self.state.experiments, experiment_id, "Experiment")
        del self.state.experiments[experiment_id]
        return {}

    # runs

    def _v2_create_run(self, call: _Call) -> Any:
        body = call.body
        name = body.get("display_name")
        if not name:
            raise ApiError(400, "Invalid input error: the run's display_name is required")
        experiment = self._experiment_for(body.get("experiment_id") or
                                          call.q.get("experiment_id"))
        reference = body.get("pipeline_version_reference") or {}
        inline = body.get("pipeline_spec")
        pipeline, version = self._resolve_pipeline(
            reference.get("pipeline_id"),
            reference.get("pipeline_version_id") or body.get("pipeline_version_id"),
            inline is not None)
        runtime_config = body.get("runtime_config") or {}
        parameters = runtime_config.get("parameters") or {}
        _check_parameter_types(pipeline["name"] if pipeline else "inline",
                               self._ir_of(version) or (inline if isinstance(inline, dict) and
                                                        "root" in inline else None), parameters)
        run = self._new_run("v2", name, body.get("description", ""), experiment, pipeline,
                            version, inline, parameters, runtime_config,
                            body.get("service_account", ""),
                            deprecated_version_field=bool(body.get("pipeline_version_id")))
        return self._r2_run(run)

    def _v2_get_run(self, call: _Call) -> Any:
        run = self._get(self.state.runs, call.path["run_id"], "Run")
        self._poll_run(run)
        return self._r2_run(run)

    def _terminate_run(self, call: _Call) -> Any:
        run = self._get(self.state.runs, call.path["run_id"], "Run")
        if run["state"] not in TERMINAL_STATES:
            self._set_run_state(run, "CANCELED")
        return {}

    def _delete_run(self, call: _Call) -> Any:
        run_id = call.path.get("id") or call.path["run_id"]
        self._get(self.state.runs, run_id, "Run")
        del self.state.runs[run_id]
        return {}

    def _runs_for(self, namespace: str, experiment_id: str) -> list[dict[str, Any]]:
        return [r for r in self.state.runs.values()
                if (not experiment_id or r["experiment_id"] == experiment_id)
                and (not namespace or r["namespace"] == namespace)]

    def _v2_list_runs(self, call: _Call) -> Any:
        namespace = self._namespace(call.q.get("namespace"))
        experiment_id = call.q.get("experiment_id", "")
        if not experiment_id:
            self._require_namespace(namespace, "listing runs")
        return self._list(call, "run", "v2", self._runs_for(namespace, experiment_id),
                          self._r2_run, "runs")

    def _v1_refs_in(self, body: dict[str, Any]) -> dict[str, str]:
        refs = {}
        for ref in body.get("resource_references") or []:
            key = ref.get("key") or {}
            if key.get("type") in ("EXPERIMENT", "PIPELINE_VERSION", "NAMESPACE", "PIPELINE"):
                refs[key["type"]] = key.get("id", "")
        return refs

    def _v1_pipeline_source(self, body: dict[str, Any]) -> tuple[
            dict[str, Any] | None, dict[str, Any] | None, Any, dict[str, Any]]:
        refs = self._v1_refs_in(body)
        spec = body.get("pipeline_spec") or {}
        manifest = spec.get("workflow_manifest") or spec.get("pipeline_manifest")
        inline = None
        if manifest:
            try:
                inline = (yaml.safe_load(manifest) if yaml else json.loads(manifest))
            except Exception:  # noqa: BLE001
                raise ApiError(400, "Invalid input error: workflow_manifest is not valid "
                                    "JSON/YAML") from None
            if not isinstance(inline, dict):
                raise ApiError(400, "Invalid input error: workflow_manifest must be an object")
        pipeline, version = self._resolve_pipeline(
            spec.get("pipeline_id") or refs.get("PIPELINE"), refs.get("PIPELINE_VERSION"),
            inline is not None)
        parameters = {p.get("name", ""): p.get("value", "") for p in spec.get("parameters") or []}
        parameters.update((spec.get("runtime_config") or {}).get("parameters") or {})
        return pipeline, version, inline, parameters

    def _v1_create_run(self, call: _Call) -> Any:
        body = call.body
        if not body.get("name"):
            raise ApiError(400, "Invalid input error: the run's name is required")
        experiment = self._experiment_for(self._v1_refs_in(body).get("EXPERIMENT"))
        pipeline, version, inline, parameters = self._v1_pipeline_source(body)
        run = self._new_run("v1", body["name"], body.get("description", ""), experiment,
                            pipeline, version, inline, parameters,
                            (body.get("pipeline_spec") or {}).get("runtime_config") or {},
                            body.get("service_account", ""))
        return self._r1_run_detail(run)

    def _v1_get_run(self, call: _Call) -> Any:
        run = self._get(self.state.runs, call.path["run_id"], "Run")
        self._poll_run(run)
        return self._r1_run_detail(run)

    def _v1_list_runs(self, call: _Call) -> Any:
        kind, key_id = self._v1_namespace_key(call, ("EXPERIMENT", "NAMESPACE"))
        namespace = self._namespace(key_id) if kind == "NAMESPACE" else ""
        experiment_id = key_id if kind == "EXPERIMENT" else ""
        if not experiment_id:
            self._require_namespace(namespace, "listing runs")
        return self._list(call, "run", "v1", self._runs_for(namespace, experiment_id),
                          self._r1_run, "runs")

    # recurring runs / jobs

    def _check_schedule(self, max_concurrency: Any, trigger: dict[str, Any]) -> None:
        if max_concurrency is None or not 1 <= int(max_concurrency) <= 10:
            raise ApiError(400, "Invalid input error: max_concurrency must be in the range "
                                f"[1, 10], got {max_concurrency!r}")
        cron = trigger.get("cron_schedule")
        periodic = trigger.get("periodic_schedule")
        if cron and periodic:
            raise ApiError(400, "Invalid input error: set only one of trigger.cron_schedule and "
                                "trigger.periodic_schedule")
        if cron:
            if not cron.get("cron"):
                raise ApiError(400, "Invalid input error: trigger.cron_schedule.cron is empty")
            check_cron(cron["cron"], allow_five_fields=not self.strict_cron)
        elif periodic:
            if int(periodic.get("interval_second") or 0) < 1:
                raise ApiError(400, "Invalid input error: trigger.periodic_schedule."
                                    "interval_second must be at least 1")
        else:
            raise ApiError(400, "Invalid input error: a trigger (cron_schedule.cron or "
                                "periodic_schedule.interval_second) is required")

    def _new_recurring(self, api: str, name: str, body: dict[str, Any],
                       experiment: dict[str, Any], pipeline: dict[str, Any] | None,
                       version: dict[str, Any] | None, inline: Any,
                       parameters: dict[str, Any], runtime_config: dict[str, Any],
                       enabled: bool) -> dict[str, Any]:
        now = self._now()
        job = {"id": str(uuid.uuid4()), "api": api, "display_name": name,
               "description": body.get("description", ""), "experiment_id": experiment["id"],
               "namespace": experiment["namespace"],
               "pipeline_id": pipeline["id"] if pipeline else "",
               "pipeline_version_id": version["id"] if version else "",
               "pipeline_spec": inline, "parameters": parameters,
               "runtime_config": runtime_config,
               "service_account": body.get("service_account", ""),
               "max_concurrency": str(body.get("max_concurrency")),
               "trigger": body.get("trigger"), "enabled": enabled,
               "no_catchup": bool(body.get("no_catchup")), "created_at": now, "updated_at": now}
        self.state.recurring_runs[job["id"]] = job
        return job

    def _v2_create_recurring(self, call: _Call) -> Any:
        body = call.body
        name = body.get("display_name")
        if not name:
            raise ApiError(400, "Invalid input error: the recurring run's display_name is "
                                "required")
        mode = body.get("mode")
        if mode not in ("ENABLE", "DISABLE"):
            raise ApiError(400, "Invalid input error: recurring run mode must be ENABLE or "
                                f"DISABLE, got {mode!r}")
        self._check_schedule(body.get("max_concurrency"), body.get("trigger") or {})
        experiment = self._experiment_for(body.get("experiment_id"))
        reference = body.get("pipeline_version_reference") or {}
        inline = body.get("pipeline_spec")
        pipeline, version = self._resolve_pipeline(
            reference.get("pipeline_id"),
            reference.get("pipeline_version_id") or body.get("pipeline_version_id"),
            inline is not None)
        runtime_config = body.get("runtime_config") or {}
        parameters = runtime_config.get("parameters") or {}
        _check_parameter_types(pipeline["name"] if pipeline else "inline", self._ir_of(version),
                               parameters)
        return self._r2_recurring(self._new_recurring(
            "v2", name, body, experiment, pipeline, version, inline, parameters, runtime_config,
            enabled=mode == "ENABLE"))

    def _v1_create_job(self, call: _Call) -> Any:
        body = call.body
        if not body.get("name"):
            raise ApiError(400, "Invalid input error: the job's name is required")
        self._check_schedule(body.get("max_concurrency"), body.get("trigger") or {})
        experiment = self._experiment_for(self._v1_refs_in(body).get("EXPERIMENT"))
        pipeline, version, inline, parameters = self._v1_pipeline_source(body)
        # Only the boolean `enabled` switches a v1 job on; it defaults to false.
        return self._r1_job(self._new_recurring(
            "v1", body["name"], body, experiment, pipeline, version, inline, parameters,
            (body.get("pipeline_spec") or {}).get("runtime_config") or {},
            enabled=body.get("enabled") is True))

    def _recurring_for(self, namespace: str, experiment_id: str) -> list[dict[str, Any]]:
        return [j for j in self.state.recurring_runs.values()
                if (not experiment_id or j["experiment_id"] == experiment_id)
                and (not namespace or j["namespace"] == namespace)]

    def _v2_list_recurring(self, call: _Call) -> Any:
        namespace = self._namespace(call.q.get("namespace"))
        experiment_id = call.q.get("experiment_id", "")
        if not experiment_id:
            self._require_namespace(namespace, "listing recurring runs")
        listed = self._list(call, "recurring_run", "v2",
                            self._recurring_for(namespace, experiment_id), self._r2_recurring,
                            "recurringRuns")
        return listed

    def _v1_list_jobs(self, call: _Call) -> Any:
        kind, key_id = self._v1_namespace_key(call, ("EXPERIMENT", "NAMESPACE"))
        namespace = self._namespace(key_id) if kind == "NAMESPACE" else ""
        experiment_id = key_id if kind == "EXPERIMENT" else ""
        if not experiment_id:
            self._require_namespace(namespace, "listing jobs")
        return self._list(call, "job", "v1", self._recurring_for(namespace, experiment_id),
                          self._r1_job, "jobs")

    def _delete_recurring(self, call: _Call) -> Any:
        job_id = call.path.get("id") or call.path["recurring_run_id"]
        self._get(self.state.recurring_runs, job_id, "Recurring run")
        del self.state.recurring_runs[job_id]
        return {}

    def _enable(self, call: _Call, enabled: bool) -> Any:
        job_id = call.path.get("id") or call.path["recurring_run_id"]
        job = self._get(self.state.recurring_runs, job_id, "Recurring run")
        job["enabled"] = enabled
        job["updated_at"] = self._now()
        return {}


# --------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake KFP REST API on 127.0.0.1.")
    parser.add_argument("--api", default="v2beta1", choices=sorted(API_MODES))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prefix", default="", help='path prefix, e.g. "/pipeline"')
    parser.add_argument("--bearer", help="require 'Authorization: Bearer TOKEN'")
    parser.add_argument("--cookie", help="require this cookie, NAME=VALUE")
    parser.add_argument("--multi-user", action="store_true")
    parser.add_argument("--final-state", default="SUCCEEDED", choices=sorted(FINAL_STATES))
    parser.add_argument("--page-size-cap", type=int, default=2, help="0 disables the cap")
    parser.add_argument("--polls-to-finish", type=int, default=2)
    parser.add_argument("--dex", choices=("authservice", "oauth2-proxy"),
                        help="put a Dex login gateway in front; the first line is then the "
                             "gateway URL and the API is under <url>/pipeline")
    parser.add_argument("--dex-user", default="user@example.com")
    parser.add_argument("--dex-password", default="12341234")
    args = parser.parse_args(argv)
    kfp = KfpFake(api=args.api, path_prefix="/pipeline" if args.dex else args.prefix,
                  require_bearer=args.bearer, require_cookie=args.cookie,
                  multi_user=args.multi_user, run_final_state=args.final_state,
                  page_size_cap=args.page_size_cap or None, polls_to_finish=args.polls_to_finish,
                  port=0 if args.dex else args.port)
    if args.dex:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from dex_fake import DexFake

        server: Any = DexFake(kfp, flow=args.dex, username=args.dex_user,
                              password=args.dex_password, port=args.port).start()
    else:
        server = kfp.start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
