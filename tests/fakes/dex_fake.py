"""A fake Kubeflow gateway with a Dex login, in front of a KfpFake, for tests.

It emulates the two ways a non-browser client logs in to a Kubeflow platform with a Dex
static password (shared/notes/api-contracts.md section 2, item 2):

``flow="authservice"`` (Kubeflow <= 1.8, oidc-authservice, older Dex)::

    GET /                       302 /dex/auth?client_id=kubeflow-oidc-authservice
                                    &redirect_uri=%2Flogin%2Foidc&...&state=S
                                    (Set-Cookie oidc_state_csrf=S)
    GET /dex/auth?...           302 /dex/auth/local?...      (or a connector chooser page)
    GET /dex/auth/local?...     302 /dex/auth/local?req=R
    GET /dex/auth/local?req=R   200 login form, action="/dex/auth/local?req=R"
    POST login=..&password=..   303 /login/oidc?code=C&state=S   (or /dex/approval?req=R)
    GET /login/oidc?code&state  302 /   Set-Cookie authservice_session=...

``flow="oauth2-proxy"`` (Kubeflow >= 1.9, newer Dex)::

    GET /                       403 (non-browser request)
    GET /oauth2/start?rd=/      302 /dex/auth?...&redirect_uri=%2Foauth2%2Fcallback&state=N:/
                                    (Set-Cookie oauth2_proxy_kubeflow_csrf=N)
    GET /dex/auth?...           302 /dex/auth/local?...
    GET /dex/auth/local?...     302 /dex/auth/local/login?back=&state=R
    GET .../login?back=&state=R 200 login form, action=".../login?back=&amp;state=R"
    POST login=..&password=..   303 /oauth2/callback?code=C&state=N:/
    GET /oauth2/callback?...    302 /   Set-Cookie oauth2_proxy_kubeflow=...

A wrong password answers the form again with 200 and no redirect. With ``approval=True``
Dex asks for consent at ``/dex/approval`` (POST ``approval=approve``). Requests under
``/pipeline`` that carry the session cookie go to the KfpFake (in process, with the
``kubeflow-userid`` header added, as the Istio gateway does); the KfpFake is made to
require that cookie too. Every request is recorded in ``requests``.
"""

from __future__ import annotations

import html
import secrets
import threading
import urllib.parse

try:
    from .kfp_fake import KfpFake, Recorded, Response, ServingMixin, json_response, parse_cookies
except ImportError:  # imported as a top-level module with tests/fakes on sys.path
    from kfp_fake import KfpFake, Recorded, Response, ServingMixin, json_response, parse_cookies

FLOWS = {
    "authservice": {"session": "authservice_session", "state": "oidc_state_csrf",
                    "callback": "/login/oidc", "scope": "profile email groups openid"},
    "oauth2-proxy": {"session": "oauth2_proxy_kubeflow", "state": "oauth2_proxy_kubeflow_csrf",
                     "callback": "/oauth2/callback", "scope": "openid profile email groups"},
}
CLIENT_ID = "kubeflow-oidc-authservice"
CONNECTOR_NAMES = {"local": "Log in with Email", "ldap": "Log in with LDAP"}


def _html(status: int, body: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, body.encode(), [("Content-Type", "text/html; charset=utf-8"),
                                            *(headers or [])])


def _redirect(location: str, status: int = 302,
              cookies: list[str] | None = None) -> Response:
    headers = [("Location", location), ("Content-Type", "text/html; charset=utf-8")]
    headers += [("Set-Cookie", cookie) for cookie in cookies or []]
    return Response(status, f'<a href="{html.escape(location)}">Found</a>.\n'.encode(), headers)


class DexFake(ServingMixin):
    def __init__(self, kfp: KfpFake | None = None, flow: str = "oauth2-proxy",
                 username: str = "user@example.com", password: str = "12341234",
                 approval: bool = False, connectors: tuple[str, ...] = ("local",),
                 api_prefix: str = "/pipeline", unauthenticated_api: str = "realistic",
                 userid_header: str = "kubeflow-userid", *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        """unauthenticated_api: what an API call without a session gets: "realistic" (the
        flow's redirect / 403, like the real gateway) or "passthrough" (forwarded, so the
        KfpFake answers 401 because of require_cookie)."""
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {sorted(FLOWS)}, not {flow!r}")
        if unauthenticated_api not in ("realistic", "passthrough"):
            raise ValueError("unauthenticated_api must be 'realistic' or 'passthrough'")
        if not connectors or not set(connectors) <= set(CONNECTOR_NAMES):
            raise ValueError(f"connectors must be a non-empty subset of {sorted(CONNECTOR_NAMES)}")
        self.kfp = kfp
        self.flow = flow
        self.username = username
        self.password = password
        self.approval = approval
        self.connectors = tuple(connectors)
        self.api_prefix = "/" + api_prefix.strip("/")
        self.unauthenticated_api = unauthenticated_api
        self.userid_header = userid_header
        self.host, self.port = host, port
        self.cookie_name = FLOWS[flow]["session"]
        self.state_cookie_name = FLOWS[flow]["state"]
        self.session_value = secrets.token_urlsafe(24)
        self.requests: list[Recorded] = []
        self.logins = 0  # successful password checks
        self.failed_logins = 0
        self._auth_requests: dict[str, dict[str, str]] = {}  # Dex auth request id -> params
        self._codes: dict[str, str] = {}  # one-time authorization code -> auth request id
        self._return_to: dict[str, str] = {}  # authservice state -> original target
        self._lock = threading.RLock()
        if kfp is not None and kfp.require_cookie is None:
            kfp.require_cookie = f"{self.cookie_name}={self.session_value}"

    @property
    def url(self) -> str:
        """The gateway's base URL (the Kubeflow host); the KFP API is at api_url."""
        return self.origin

    @property
    def api_url(self) -> str:
        return self.origin + self.api_prefix

    @property
    def session_cookie(self) -> str:
        """The Cookie header value that a successful login yields."""
        return f"{self.cookie_name}={self.session_value}"

    # -- entry point ------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        rec = Recorded(method.upper(), split.path, query,
                       {k.lower(): v for k, v in headers.items()}, body)
        with self._lock:
            self.requests.append(rec)
            response = self._route(rec, split)
            rec.status = response.status
            rec.response = response.body
            return response

    def _route(self, rec: Recorded, split: urllib.parse.SplitResult) -> Response:
        path = split.path
        q = {k: v[0] for k, v in rec.query.items()}
        cookies = parse_cookies(rec.headers.get("cookie"))
        if path.startswith("/dex/"):
            return self._dex(rec, path, q)
        if path == FLOWS[self.flow]["callback"]:
            return self._callback(q, cookies)
        if self.flow == "oauth2-proxy" and path == "/oauth2/start":
            return self._oauth2_start(q.get("rd") or "/")
        if self.flow == "oauth2-proxy" and path == "/oauth2/sign_in":
            return _html(200, "<html><body><a href=\"/oauth2/start\">Sign in</a></body></html>")
        authenticated = cookies.get(self.cookie_name) == self.session_value
        is_api = path == self.api_prefix or path.startswith(self.api_prefix + "/")
        if is_api and (authenticated or self.unauthenticated_api == "passthrough"):
            return self._forward(rec, split)
        if authenticated:
            return _html(200, "<!DOCTYPE html><html><head><title>Kubeflow Central Dashboard"
                              "</title></head><body>Kubeflow</body></html>")
        target = split.path + ("?" + split.query if split.query else "")
        if self.flow == "authservice":
            state = secrets.token_urlsafe(12)
            self._return_to[state] = target
            query = urllib.parse.urlencode({
                "client_id": CLIENT_ID, "redirect_uri": "/login/oidc", "response_type": "code",
                "scope": FLOWS[self.flow]["scope"], "state": state})
            return _redirect(f"/dex/auth?{query}",
                             cookies=[f"{self.state_cookie_name}={state}; Path=/; HttpOnly"])
        if "text/html" in rec.headers.get("accept", ""):
            return _redirect("/oauth2/start?" + urllib.parse.urlencode({"rd": target}))
        return _html(403, "<html><head><title>403 Forbidden</title></head><body>"
                          "<h1>403 Forbidden</h1>RBAC: access denied</body></html>")

    def _forward(self, rec: Recorded, split: urllib.parse.SplitResult) -> Response:
        if self.kfp is None:
            return json_response(502, {"code": 14, "message": "no KFP behind this gateway"})
        headers = dict(rec.headers)
        headers[self.userid_header] = self.username
        sub_path = split.path[len(self.api_prefix):]
        target = self.kfp.path_prefix + sub_path + ("?" + split.query if split.query else "")
        return self.kfp.handle(rec.method, target, headers, rec.body)

    # -- oauth2-proxy / authservice ---------------------------------------------------

    def _oauth2_start(self, rd: str) -> Response:
        nonce = secrets.token_urlsafe(12)
        query = urllib.parse.urlencode({
            "approval_prompt": "force", "client_id": CLIENT_ID,
            "redirect_uri": "/oauth2/callback", "response_type": "code",
            "scope": FLOWS[self.flow]["scope"], "state": f"{nonce}:{rd}"})
        return _redirect(f"/dex/auth?{query}", cookies=[
            f"{self.state_cookie_name}={nonce}; Path=/; HttpOnly; SameSite=Lax"])

    def _callback(self, q: dict[str, str], cookies: dict[str, str]) -> Response:
        if "error" in q:
            return _html(403, f"<html><body>Login failed: {html.escape(q['error'])}</body></html>")
        request_id = self._codes.pop(q.get("code", ""), None)
        if request_id is None:
            return _html(403, "<html><body>Invalid or reused authorization code</body></html>")
        state = q.get("state", "")
        if self.flow == "oauth2-proxy":
            nonce, _, return_to = state.partition(":")
        else:
            nonce, return_to = state, self._return_to.pop(state, "/")
        if not nonce or cookies.get(self.state_cookie_name) != nonce:
            return _html(403, "<html><body>Unable to verify the state: the state cookie "
                              f"{self.state_cookie_name} is missing or does not match"
                              "</body></html>")
        session = f"{self.cookie_name}={self.session_value}; Path=/; HttpOnly"
        if self.flow == "oauth2-proxy":
            session += "; SameSite=Lax"
        clear = f"{self.state_cookie_name}=; Path=/; Max-Age=0"
        return _redirect(return_to or "/", cookies=[session, clear])

    # -- Dex --------------------------------------------------------------------------

    def _dex(self, rec: Recorded, path: str, q: dict[str, str]) -> Response:
        if path == "/dex/auth":
            return self._dex_auth(q)
        if path == "/dex/approval":
            return self._dex_approval(rec, q)
        parts = path.split("/")  # ["", "dex", "auth", connector, ("login")?]
        if len(parts) >= 4 and parts[2] == "auth" and parts[3] in self.connectors:
            connector = parts[3]
            if len(parts) == 4 and "req" not in q:
                return self._dex_start_connector(connector, q)
            old_style = len(parts) == 4  # /dex/auth/local?req=R
            new_style = len(parts) == 5 and parts[4] == "login"  # .../login?back=&state=R
            if old_style or new_style:
                request_id = q.get("req" if old_style else "state", "")
                if request_id not in self._auth_requests:
                    return _html(400, "<html><body>Bad Request: unknown auth request"
                                      "</body></html>")
                if rec.method == "POST":
                    return self._dex_login(rec, connector, request_id, old_style)
                return self._login_form(connector, request_id, old_style)
        return _html(404, "<html><body>404 page not found</body></html>")

    def _dex_auth(self, q: dict[str, str]) -> Response:
        missing = [k for k in ("client_id", "redirect_uri", "response_type", "state") if not q.get(k)]
        if missing or q.get("response_type") != "code":
            return _html(400, "<html><body>Bad Request: invalid authorization request "
                              f"({', '.join(missing) or 'response_type'})</body></html>")
        query = urllib.parse.urlencode(q)
        if len(self.connectors) == 1:
            return _redirect(f"/dex/auth/{self.connectors[0]}?{query}")
        links = "".join(
            f'<li><a href="/dex/auth/{c}?{html.escape(query)}" target="_self">'
            f'<button class="dex-btn theme-btn-provider"><span class="dex-btn-text">'
            f"{CONNECTOR_NAMES[c]}</span></button></a></li>" for c in self.connectors)
        return _html(200, "<!DOCTYPE html><html><head><title>dex</title></head><body>"
                          '<div class="theme-panel"><h2 class="theme-heading">Log in to dex</h2>'
                          f"<div><ul>{links}</ul></div></div></body></html>")

    def _dex_start_connector(self, connector: str, q: dict[str, str]) -> Response:
        if not q.get("client_id") or not q.get("redirect_uri") or not q.get("state"):
            return _html(400, "<html><body>Bad Request: invalid authorization request"
                              "</body></html>")
        request_id = secrets.token_hex(13)
        self._auth_requests[request_id] = {"redirect_uri": q["redirect_uri"],
                                           "state": q["state"], "connector": connector}
        if self.flow == "authservice":  # older Dex serves the form at /dex/auth/local?req=
            return _redirect(f"/dex/auth/{connector}?req={request_id}")
        return _redirect(f"/dex/auth/{connector}/login?back=&state={request_id}")

    def _login_form(self, connector: str, request_id: str, old_style: bool,
                    error: bool = False, status: int = 200) -> Response:
        action = (f"/dex/auth/{connector}?req={request_id}" if old_style
                  else f"/dex/auth/{connector}/login?back=&state={request_id}")
        error_box = ('<div id="login-error" class="dex-error-box">Invalid Email Address and '
                     "password.</div>") if error else ""
        return _html(status, f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>dex</title></head><body>
<div class="theme-panel">
  <h2 class="theme-heading">Log in to Your Account</h2>
  <form method="post" action="{html.escape(action)}">
    <div class="theme-form-row">
      <div class="theme-form-label"><label for="userid">Email Address</label></div>
      <input tabindex="1" required id="login" name="login" type="text" class="theme-form-input" placeholder="email address" autofocus />
    </div>
    <div class="theme-form-row">
      <div class="theme-form-label"><label for="password">Password</label></div>
      <input tabindex="2" required id="password" name="password" type="password" class="theme-form-input" placeholder="password" />
    </div>
    {error_box}
    <button tabindex="3" id="submit-login" type="submit" class="dex-btn theme-btn--primary">Login</button>
  </form>
</div></body></html>
""")

    def _dex_login(self, rec: Recorded, connector: str, request_id: str,
                   old_style: bool) -> Response:
        content_type = rec.headers.get("content-type", "")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(
            rec.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not content_type.startswith("application/x-www-form-urlencoded") or \
                form.get("login") != self.username or form.get("password") != self.password:
            self.failed_logins += 1
            return self._login_form(connector, request_id, old_style, error=True)
        self.logins += 1
        if self.approval:
            return _redirect(f"/dex/approval?req={request_id}&hmac={secrets.token_hex(8)}", 303)
        return self._finish(request_id)

    def _dex_approval(self, rec: Recorded, q: dict[str, str]) -> Response:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(
            rec.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        request_id = form.get("req") or q.get("req", "")
        if request_id not in self._auth_requests:
            return _html(400, "<html><body>Bad Request: unknown auth request</body></html>")
        if rec.method != "POST":
            return _html(200, f"""<!DOCTYPE html>
<html><head><title>dex</title></head><body><div class="theme-panel">
<h2 class="theme-heading">Grant Access</h2>
<form method="post"><input type="hidden" name="req" value="{html.escape(request_id)}"/>
<input type="hidden" name="approval" value="approve">
<button type="submit" class="dex-btn theme-btn--success">Grant Access</button></form>
<form method="post"><input type="hidden" name="req" value="{html.escape(request_id)}"/>
<input type="hidden" name="approval" value="rejected">
<button type="submit" class="dex-btn theme-btn-provider">Cancel</button></form>
</div></body></html>
""")
        if form.get("approval") != "approve":
            auth = self._auth_requests.pop(request_id)
            return _redirect(self._with_query(auth["redirect_uri"], {
                "error": "access_denied", "state": auth["state"]}), 303)
        return self._finish(request_id)

    @staticmethod
    def _with_query(uri: str, params: dict[str, str]) -> str:
        return uri + ("&" if "?" in uri else "?") + urllib.parse.urlencode(params)

    def _finish(self, request_id: str) -> Response:
        auth = self._auth_requests.pop(request_id)
        code = secrets.token_urlsafe(16)
        self._codes[code] = request_id
        return _redirect(self._with_query(auth["redirect_uri"],
                                          {"code": code, "state": auth["state"]}), 303)

    def all_recorded(self) -> list[Recorded]:
        """Requests seen by the gateway and by the KfpFake behind it."""
        return [*self.requests, *(self.kfp.requests if self.kfp is not None else [])]


__all__ = ["DexFake", "FLOWS"]
