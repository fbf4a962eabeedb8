#!/usr/bin/env python3
"""A fake of the few Kubernetes API calls kedro-kfp makes from inside a pod: deleting a
PersistentVolumeClaim. Serves on 127.0.0.1, checks the bearer token like an API server
(401 without it), keeps claims by namespace and records every request.

    with KubeFake(token="t", claims={("kubeflow", "run-1-data-volume")}) as kube:
        ...  # point KEDRO_KFP_KUBE_API_URL at kube.url
        kube.claims, kube.requests
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from dataclasses import dataclass

_CLAIM_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/persistentvolumeclaims/([^/]+)$")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorization: str | None


class KubeFake:
    def __init__(self, token: str, claims: set[tuple[str, str]], forbidden: bool = False) -> None:
        self.token = token
        self.claims = set(claims)
        self.forbidden = forbidden
        self.requests: list[Seen] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_DELETE(self) -> None:  # noqa: N802
                authorization = self.headers.get("Authorization")
                fake.requests.append(Seen("DELETE", self.path, authorization))
                if authorization != f"Bearer {fake.token}":
                    return self._status(401, "Unauthorized", "Unauthorized")
                match = _CLAIM_PATH.match(self.path)
                if not match:
                    return self._status(404, "NotFound", "the server could not find the requested resource")
                namespace, name = match.groups()
                if fake.forbidden:
                    return self._status(
                        403,
                        "Forbidden",
                        f'persistentvolumeclaims "{name}" is forbidden: User "system:serviceaccount:'
                        f'{namespace}:pipeline-runner" cannot delete resource',
                    )
                if (namespace, name) not in fake.claims:
                    return self._status(404, "NotFound", f'persistentvolumeclaims "{name}" not found')
                fake.claims.discard((namespace, name))
                body = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                        "metadata": {"name": name, "namespace": namespace}}
                self._send(200, body)

            def _status(self, code: int, reason: str, message: str) -> None:
                self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "message": message, "reason": reason, "code": code})

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> KubeFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
