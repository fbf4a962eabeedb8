//! One HTTP transport for every call: base URL with any path prefix, timeouts, retries with
//! backoff for idempotent calls, credentials that never reach a log or an error, and the
//! server's own message in every error.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::blocking::{Client, Response, multipart};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Connect timeout: an unreachable host fails fast instead of hanging.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Read timeout of one request.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Tries of an idempotent call (the first and the retries).
const TRIES: u32 = 4;

/// A secret string: shown as `<redacted>` by `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials (standalone KFP, port-forward).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// A Kubernetes service-account token file, re-read before every request because the
    /// kubelet rotates it (notes 2.4).
    TokenFile(PathBuf),
    /// A session cookie header (`name=value; name2=value2`) from a Dex login.
    Cookies(Secret),
    /// Google credentials: a cached access or ID token, refreshed before it expires.
    Google(crate::google::GoogleAuth),
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status.
    #[error("{method} {url} failed with {status}: {message}")]
    Status {
        /// HTTP method.
        method: Method,
        /// URL without credentials.
        url: String,
        /// HTTP status.
        status: StatusCode,
        /// The server's own message.
        message: String,
    },
    /// No answer: connection refused, DNS, TLS or timeout.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// An answer that is not the JSON expected.
    #[error("{url} answered with something that is not the expected JSON: {snippet}")]
    NotJson {
        /// URL.
        url: String,
        /// The start of the body.
        snippet: String,
    },
    /// The token file could not be read.
    #[error("cannot read the service-account token `{}`: {source}", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No Google token could be had.
    #[error(transparent)]
    Credentials(#[from] crate::google::GoogleError),
    /// A browser-style login (Dex) did not end with a session.
    #[error("login at {url} failed: {reason}")]
    Login {
        /// The gateway.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The client could not be built (TLS setup).
    #[error("cannot set up HTTP: {0}")]
    Setup(String),
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// JSON.
    Json(Value),
    /// One file in a multipart form (KFP uploads: field `uploadfile`).
    File {
        /// Form field name.
        field: &'static str,
        /// File name sent (its extension tells KFP the format).
        file_name: String,
        /// Content.
        content: Vec<u8>,
    },
}

/// A request, built by the API modules and sent by [`Transport::send`].
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path below the base URL, starting with `/apis/…`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Body.
    pub body: Body,
}

impl Request {
    /// A GET.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A POST with a JSON body.
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            body: Body::Json(body),
        }
    }

    /// A DELETE.
    pub fn delete(path: impl Into<String>) -> Self {
        Self {
            method: Method::DELETE,
            ..Self::get(path)
        }
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// GET, PUT and DELETE can be sent again safely; a POST creates something.
    fn idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        )
    }
}

/// Sends requests to one service.
#[derive(Debug, Clone)]
pub struct Transport {
    client: Client,
    base: String,
    auth: Auth,
    backoff: Duration,
    read_timeout: Duration,
}

impl Transport {
    /// A transport for `base` (scheme, host and any path prefix, e.g.
    /// `https://kubeflow.example.com/pipeline`). `backoff` is the first wait between tries.
    pub fn new(base: &str, auth: Auth, backoff: Duration) -> Result<Self, ApiError> {
        Self::with_root_certificate(base, auth, backoff, None)
    }

    /// Like [`Transport::new`], also trusting the CA certificate `ca_pem` (PEM), e.g. the
    /// cluster CA a pod gets with its service-account token.
    pub fn with_root_certificate(
        base: &str,
        auth: Auth,
        backoff: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, ApiError> {
        let mut builder = Client::builder();
        if let Some(pem) = ca_pem {
            let certificate = reqwest::Certificate::from_pem(pem)
                .map_err(|error| ApiError::Setup(format!("bad CA certificate: {error}")))?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("kedro-kfp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::Setup(error.to_string()))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            auth,
            backoff,
            read_timeout: READ_TIMEOUT,
        })
    }

    /// Gives each request `timeout` to be answered instead of 60 s (slow links, big
    /// uploads; tests).
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The base URL without credentials, for links and messages.
    pub fn base_url(&self) -> String {
        redact_url(&self.base)
    }

    /// Sends `request`; idempotent calls are retried with exponential backoff on connection
    /// errors, 429 and 5xx. A 4xx is never retried.
    pub fn send(&self, request: &Request) -> Result<Value, ApiError> {
        let tries = if request.idempotent() { TRIES } else { 1 };
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            match self.send_once(request) {
                Err(error) if attempt < tries && retryable(&error) => {
                    tracing::debug!(
                        "try {attempt} of {tries} failed, retrying in {wait:?}: {error}"
                    );
                    std::thread::sleep(wait);
                    wait *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn send_once(&self, request: &Request) -> Result<Value, ApiError> {
        let url = format!("{}{}", self.base, request.path);
        let shown = redact_url(&url);
        let mut builder = self
            .client
            .request(request.method.clone(), &url)
            .timeout(self.read_timeout)
            .query(&request.query);
        builder = match &self.auth {
            Auth::None => builder,
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
            Auth::TokenFile(path) => {
                let token =
                    std::fs::read_to_string(path).map_err(|source| ApiError::TokenFile {
                        path: path.clone(),
                        source,
                    })?;
                builder.bearer_auth(token.trim())
            }
            Auth::Cookies(cookies) => builder.header(reqwest::header::COOKIE, cookies.expose()),
            Auth::Google(google) => {
                let builder = builder.bearer_auth(google.bearer()?.expose());
                match google.quota_project() {
                    Some(project) => builder.header("x-goog-user-project", project),
                    None => builder,
                }
            }
        };
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(value) => builder.json(value),
            Body::File {
                field,
                file_name,
                content,
            } => {
                let part = multipart::Part::bytes(content.clone())
                    .file_name(file_name.clone())
                    .mime_str("application/octet-stream")
                    .map_err(|error| ApiError::Setup(error.to_string()))?;
                builder.multipart(multipart::Form::new().part(*field, part))
            }
        };
        tracing::debug!("{} {shown}", request.method);
        let started = std::time::Instant::now();
        let response = builder.send().map_err(|error| ApiError::Unreachable {
            url: shown.clone(),
            reason: describe(&error),
        })?;
        tracing::debug!(
            "{} from {} {shown} in {} ms",
            response.status(),
            request.method,
            started.elapsed().as_millis()
        );
        read(response, &request.method, &shown)
    }
}

fn read(response: Response, method: &Method, url: &str) -> Result<Value, ApiError> {
    let status = response.status();
    let text = response.text().map_err(|error| ApiError::Unreachable {
        url: url.to_owned(),
        reason: describe(&error),
    })?;
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if !status.is_success() {
        return Err(ApiError::Status {
            method: method.clone(),
            url: url.to_owned(),
            status,
            message: json
                .as_ref()
                .and_then(server_message)
                .unwrap_or_else(|| snippet(&text)),
        });
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    json.ok_or_else(|| ApiError::NotJson {
        url: url.to_owned(),
        snippet: snippet(&text),
    })
}

/// The message in KFP's error shapes: `googleRpcStatus` (`message`), the upload endpoints'
/// `error_message`, and KFP 1.8's `apiStatus` (`error`); and Google APIs' `{"error":
/// {"message"}}`.
fn server_message(body: &Value) -> Option<String> {
    ["message", "error_message", "error"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .or_else(|| body.get("error")?.get("message")?.as_str())
        .map(|message| message.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The start of a body, on one line, for messages.
pub(crate) fn snippet(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        cut.push('…');
    }
    if cut.is_empty() {
        "(empty body)".to_owned()
    } else {
        cut
    }
}

fn retryable(error: &ApiError) -> bool {
    match error {
        ApiError::Unreachable { .. } => true,
        ApiError::Status { status, .. } => {
            status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
        }
        _ => false,
    }
}

/// reqwest's error text names the URL; ours already does, so keep only the cause.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut reason = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    reason
}

/// Drops user info (`user:password@`) from a URL: credentials never reach a message.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_owned()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "<redacted> <redacted>");
        let auth = Auth::Cookies(Secret::new("authservice_session=abc"));
        assert!(!format!("{auth:?}").contains("abc"));
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("https://user:pw@host/pipeline"),
            "https://host/pipeline"
        );
        assert_eq!(redact_url("https://host/pipeline"), "https://host/pipeline");
    }

    #[test]
    fn server_messages_are_found_in_every_kfp_error_shape() {
        let v2 = serde_json::json!({"code": 5, "message": "pipeline not\nfound"});
        let upload = serde_json::json!({"error_message": "name exists", "error_details": "x"});
        let v18 = serde_json::json!({"error": "bad filter", "code": 3});
        assert_eq!(server_message(&v2).as_deref(), Some("pipeline not found"));
        assert_eq!(server_message(&upload).as_deref(), Some("name exists"));
        assert_eq!(server_message(&v18).as_deref(), Some("bad filter"));
        let google = serde_json::json!({"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}});
        assert_eq!(
            server_message(&google).as_deref(),
            Some("Permission denied")
        );
    }
}
