#!/usr/bin/env python3
"""A fake of Google's OAuth2 token endpoint and of the GCE metadata server, for tests.

One server on 127.0.0.1 serves both:

* ``POST /token`` (form-encoded), the ``token_uri`` of the credential files it writes:
  * ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` with an RS256 ``assertion``:
    the signature is verified with the public half of the service account's key (generated
    by the fake; no key is stored anywhere), then ``kid``, ``iss``, ``aud`` (= token_uri) and
    ``iat``/``exp`` (at most an hour) are checked. ``scope`` gets an access token;
    ``target_audience`` gets ``{"id_token": ...}``; both or neither is an error.
  * ``grant_type=refresh_token`` with the user's ``client_id``, ``client_secret`` and
    ``refresh_token``.
  * Errors are Google's shape: 400 ``{"error": "invalid_grant", "error_description": ...}``.
* ``GET /computeMetadata/v1/instance/service-accounts/default/token`` and
  ``.../identity?audience=...&format=full``, which require ``Metadata-Flavor: Google``
  (403 otherwise, like the real server).

ID tokens are JWTs signed by the fake, with ``aud`` = the audience; the one for a given
audience and account is always the same string (``id_token_for``), so another fake can
require it. Access tokens are random; ``access_tokens`` holds those issued.

Use it::

    with GoogleFake() as google:
        sa = google.write_service_account(tmp_path / "sa.json")
        ...  # GOOGLE_APPLICATION_CREDENTIALS=sa, or GCE_METADATA_HOST=google.host_port
        google.access_tokens, google.requests
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from kfp_fake import Response, ServingMixin, json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
METADATA_PREFIX = "/computeMetadata/v1/instance/service-accounts/default/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, str]
    status: int = 0


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class GoogleFake(ServingMixin):
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, expires_in: int = 3600) -> None:
        self.host, self.port = host, port
        self.expires_in = expires_in
        self.sa_email = "runner@my-project.iam.gserviceaccount.com"
        self.sa_key_id = "fake-key-" + secrets.token_hex(4)
        self.sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_id = "764086051850-fake.apps.googleusercontent.com"
        self.client_secret = "d-FL95Q19q7MQmFpd7hHD0Ty"  # not a real one
        self.refresh_token = "1//0fake-refresh-" + secrets.token_hex(8)
        self.metadata_email = "default-sa@my-project.iam.gserviceaccount.com"
        self.access_tokens: list[str] = []
        self.id_tokens: list[str] = []
        self.requests: list[Seen] = []
        self._issued_at = int(time.time())
        self._lock = threading.Lock()

    # -- what tests use ------------------------------------------------------------------

    @property
    def token_uri(self) -> str:
        return self.origin + "/token"

    @property
    def host_port(self) -> str:
        """For GCE_METADATA_HOST."""
        return self.origin.removeprefix("http://")

    def private_key_pem(self) -> str:
        return self.sa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def write_service_account(self, path: Path) -> Path:
        path.write_text(json.dumps({
            "type": "service_account",
            "project_id": "my-project",
            "private_key_id": self.sa_key_id,
            "private_key": self.private_key_pem(),
            "client_email": self.sa_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }, indent=2))
        return path

    def write_authorized_user(self, path: Path, quota_project: str | None = None) -> Path:
        info = {
            "type": "authorized_user",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "token_uri": self.token_uri,
        }
        if quota_project:
            info["quota_project_id"] = quota_project
        path.write_text(json.dumps(info, indent=2))
        return path

    def secrets(self) -> list[str]:
        """Text that must never be printed: key material, refresh token, client secret and
        every token issued."""
        body = "".join(self.private_key_pem().splitlines()[1:-1])
        return [body[100:160], self.client_secret, self.refresh_token,
                *self.access_tokens, *self.id_tokens]

    def id_token_for(self, audience: str, email: str | None = None) -> str:
        """The ID token the fake issues for this audience and account."""
        email = email or self.sa_email
        header = {"alg": "RS256", "typ": "JWT", "kid": "fake-signer"}
        claims = {"iss": "https://accounts.google.com", "aud": audience, "azp": email,
                  "email": email, "email_verified": True, "sub": "1" + str(abs(hash(email)) % 10**20),
                  "iat": self._issued_at, "exp": self._issued_at + 3600}
        signing_input = (_b64(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()))
        signature = self.signer.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64(signature)

    # -- serving -------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        form: dict[str, str] = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        seen = Seen(method, split.path, query, headers, form)
        with self._lock:
            self.requests.append(seen)
            response = self._dispatch(seen)
            seen.status = response.status
            return response

    def _dispatch(self, seen: Seen) -> Response:
        if seen.path == "/token":
            if seen.method != "POST":
                return json_response(405, {"error": "invalid_request", "error_description": "POST only"})
            try:
                return json_response(200, self._grant(seen.form))
            except OAuthError as exc:
                return json_response(exc.status, {"error": exc.error, "error_description": exc.description})
        if seen.path.startswith(METADATA_PREFIX):
            if seen.headers.get("metadata-flavor") != "Google":
                # What the real metadata server says without the header.
                return Response(403, b"Missing required header: Metadata-Flavor",
                                [("Content-Type", "text/html")])
            what = seen.path[len(METADATA_PREFIX):]
            if what == "token":
                token = self._access_token()
                return json_response(200, {"access_token": token, "expires_in": self.expires_in,
                                            "token_type": "Bearer"})
            if what == "identity":
                audience = (seen.query.get("audience") or [""])[0]
                if not audience:
                    return Response(400, b"non-empty audience parameter required",
                                    [("Content-Type", "text/plain")])
                token = self.id_token_for(audience, self.metadata_email)
                self.id_tokens.append(token)
                return Response(200, token.encode(), [("Content-Type", "text/html")])
        return Response(404, b"not found", [("Content-Type", "text/plain")])

    def _access_token(self) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.access_tokens.append(token)
        return token

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
            if form.get("refresh_token") != self.refresh_token:
                raise OAuthError("invalid_grant", "Bad Request")
            return {"access_token": self._access_token(), "expires_in": self.expires_in,
                    "scope": CLOUD_PLATFORM, "token_type": "Bearer"}
        if grant != JWT_BEARER:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant}")
        claims = self._verified_claims(form.get("assertion", ""))
        scope, audience = claims.get("scope"), claims.get("target_audience")
        if bool(scope) == bool(audience):
            raise OAuthError("invalid_scope", "Exactly one of scope and target_audience is required.")
        if audience:
            token = self.id_token_for(audience)
            self.id_tokens.append(token)
            return {"id_token": token}
        if CLOUD_PLATFORM not in str(scope).split():
            raise OAuthError("invalid_scope", f"Unexpected scope: {scope}")
        return {"access_token": self._access_token(), "expires_in": self.expires_in,
                "token_type": "Bearer"}

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe")
        try:
            header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
            self.sa_key.public_key().verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode(),
                                            padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        except ValueError:
            raise OAuthError("invalid_grant", "Invalid JWT: not decodable") from None
        if header.get("alg") != "RS256" or header.get("kid") != self.sa_key_id:
            raise OAuthError("invalid_grant", f"Invalid JWT header: {header}")
        if claims.get("iss") != self.sa_email:
            raise OAuthError("invalid_grant", "Invalid JWT: unknown issuer")
        if claims.get("aud") != self.token_uri:
            raise OAuthError("invalid_grant", f"Invalid JWT: aud must be {self.token_uri}")
        now = int(time.time())
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or abs(iat - now) > 300 \
                or exp <= iat or exp - iat > 3600:
            raise OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        return claims
