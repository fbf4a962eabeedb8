//! Google credentials without the Google SDK: Application Default Credentials (notes 5.1)
//! and the tokens they make. Access tokens (scope cloud-platform) call Google APIs such as
//! Vertex AI; ID tokens for an audience pass Identity-Aware Proxy (notes 2.3).
//!
//! The order is google-auth's: the file named by `$GOOGLE_APPLICATION_CREDENTIALS`, then
//! gcloud's ADC file (`$CLOUDSDK_CONFIG`, else `~/.config/gcloud`), then the metadata server
//! (`$GCE_METADATA_HOST`, else `metadata.google.internal`). Tokens are cached and fetched
//! again a little before they expire. Private keys, refresh tokens, client secrets and tokens
//! are held as [`Secret`]s: no error or `Debug` print shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::transport::{Secret, describe, snippet};

/// The scope of the access tokens: all Google Cloud APIs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Where a key file without `token_uri` sends its grants.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The metadata server's name on GCE, GKE and Cloud Run.
pub const METADATA_HOST: &str = "metadata.google.internal";
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime of the JWT assertion, and of a token whose answer does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// A token is fetched again this long before it expires (at most half its lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The metadata server answers at once or is not there.
const METADATA_TIMEOUT: Duration = Duration::from_secs(5);

/// The hint for every credentials problem.
pub const CREDENTIALS_HINT: &str = "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run `gcloud auth application-default login`";

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The credentials file is missing, unreadable or not what it should be.
    #[error("Google credentials file `{}`: {problem}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the file's content).
        problem: String,
    },
    /// The token endpoint or the metadata server said no.
    #[error("{url} refused the credentials of {source_name} ({status}): {message}")]
    Refused {
        /// Where the grant went.
        url: String,
        /// Which credentials.
        source_name: String,
        /// HTTP status.
        status: u16,
        /// Google's `error` and `error_description`.
        message: String,
    },
    /// No answer.
    #[error("cannot reach {url} to get a Google token for {source_name}: {reason}")]
    Unreachable {
        /// Where the request went.
        url: String,
        /// Which credentials.
        source_name: String,
        /// What happened.
        reason: String,
    },
    /// An answer without the token.
    #[error("{url} answered without {what}")]
    BadAnswer {
        /// Where the request went.
        url: String,
        /// What was missing.
        what: String,
    },
    /// Nothing found: no variable, no gcloud file, no metadata server.
    #[error(
        "no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, {gcloud} does not exist, and the metadata server {url} did not answer ({reason})"
    )]
    NotFound {
        /// The gcloud ADC file looked for.
        gcloud: String,
        /// The metadata server tried.
        url: String,
        /// Why it did not answer.
        reason: String,
    },
    /// User credentials cannot make an ID token for an arbitrary audience.
    #[error(
        "{source_name} are user credentials (`authorized_user`), which cannot make an ID token for audience `{audience}`"
    )]
    NoIdToken {
        /// Which credentials.
        source_name: String,
        /// The audience asked for.
        audience: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up HTTP for Google credentials: {0}")]
    Setup(String),
}

impl GoogleError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            Self::NoIdToken { .. } => "for IAP, set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run on GCE/GKE with a service account".to_owned(),
            Self::Refused { status: 400 | 401, .. } => format!("the credentials are revoked, expired or wrong: {CREDENTIALS_HINT}"),
            _ => CREDENTIALS_HINT.to_owned(),
        }
    }
}

/// Where the credentials come from.
enum Kind {
    ServiceAccount {
        file: PathBuf,
        client_email: String,
        private_key: Secret,
        private_key_id: Option<String>,
        token_uri: String,
    },
    AuthorizedUser {
        file: PathBuf,
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        token_uri: String,
    },
    Metadata {
        /// `http://host[:port]`.
        base: String,
        /// Set when the metadata server is the last resort: the gcloud file looked for.
        fallback_from: Option<PathBuf>,
    },
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are redacted by their own Debug; spelled out so no field is forgotten.
        match self {
            Self::ServiceAccount {
                file,
                client_email,
                private_key,
                ..
            } => f
                .debug_struct("ServiceAccount")
                .field("file", file)
                .field("client_email", client_email)
                .field("private_key", private_key)
                .finish_non_exhaustive(),
            Self::AuthorizedUser {
                file, client_id, ..
            } => f
                .debug_struct("AuthorizedUser")
                .field("file", file)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::Metadata { base, .. } => f
                .debug_struct("Metadata")
                .field("base", base)
                .finish_non_exhaustive(),
        }
    }
}

#[derive(Debug, Clone)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// Google credentials and their token caches. Share one behind an [`Arc`].
#[derive(Debug)]
pub struct GoogleCredentials {
    kind: Kind,
    quota_project: Option<String>,
    http: Client,
    access: Mutex<Option<Cached>>,
    ids: Mutex<BTreeMap<String, Cached>>,
}

/// Which token a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoogleToken {
    /// An OAuth2 access token with the cloud-platform scope (Google APIs).
    Access,
    /// An OIDC ID token for this audience (IAP: the OAuth client id).
    Id(String),
}

/// What [`crate::Auth::Google`] holds.
#[derive(Debug, Clone)]
pub struct GoogleAuth {
    /// The credentials.
    pub credentials: Arc<GoogleCredentials>,
    /// The token each request carries.
    pub token: GoogleToken,
}

impl GoogleAuth {
    /// The bearer token, fresh enough for one request.
    pub fn bearer(&self) -> Result<Secret, GoogleError> {
        match &self.token {
            GoogleToken::Access => self.credentials.access_token(),
            GoogleToken::Id(audience) => self.credentials.id_token(audience),
        }
    }

    /// `x-goog-user-project`, sent with access tokens of credentials that name one.
    pub fn quota_project(&self) -> Option<&str> {
        match self.token {
            GoogleToken::Access => self.credentials.quota_project.as_deref(),
            GoogleToken::Id(_) => None,
        }
    }
}

impl GoogleCredentials {
    /// Application Default Credentials, from the environment.
    pub fn application_default() -> Result<Self, GoogleError> {
        if let Some(path) = non_empty_var("GOOGLE_APPLICATION_CREDENTIALS") {
            let credentials = Self::from_file(Path::new(&path))?;
            tracing::debug!(
                "Google credentials: {} (GOOGLE_APPLICATION_CREDENTIALS)",
                credentials.describe()
            );
            return Ok(credentials);
        }
        let gcloud = gcloud_adc_file();
        if let Some(file) = gcloud.as_ref().filter(|file| file.is_file()) {
            let credentials = Self::from_file(file)?;
            tracing::debug!(
                "Google credentials: {} (gcloud's application default credentials)",
                credentials.describe()
            );
            return Ok(credentials);
        }
        tracing::debug!("Google credentials: the metadata server (no key file, no gcloud file)");
        match non_empty_var("GCE_METADATA_HOST") {
            Some(host) => Self::metadata(&format!("http://{host}")),
            // The last resort: when it does not answer, the error lists what was looked for.
            None => Self::new(
                Kind::Metadata {
                    base: format!("http://{METADATA_HOST}"),
                    fallback_from: Some(gcloud.unwrap_or_else(|| {
                        PathBuf::from("~/.config/gcloud/application_default_credentials.json")
                    })),
                },
                None,
            ),
        }
    }

    /// A `service_account` or `authorized_user` JSON file.
    pub fn from_file(path: &Path) -> Result<Self, GoogleError> {
        let problem = |problem: String| GoogleError::File {
            path: path.to_owned(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|error| problem(error.to_string()))?;
        // serde_json's messages name a line and column, never the content.
        let json: Value =
            serde_json::from_str(&text).map_err(|error| problem(format!("not JSON: {error}")))?;
        let field = |key: &str| -> Result<String, GoogleError> {
            json.get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| problem(format!("`{key}` is missing")))
        };
        let optional = |key: &str| {
            json.get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.trim().is_empty())
                .map(str::to_owned)
        };
        let kind = match json.get("type").and_then(Value::as_str) {
            Some("service_account") => {
                let private_key = Secret::new(field("private_key")?);
                // Checked now, so a bad key is reported before anything is sent.
                jsonwebtoken::EncodingKey::from_rsa_pem(private_key.expose().as_bytes()).map_err(
                    |_| problem("`private_key` is not an RSA private key in PEM form".to_owned()),
                )?;
                Kind::ServiceAccount {
                    file: path.to_owned(),
                    client_email: field("client_email")?,
                    private_key,
                    private_key_id: optional("private_key_id"),
                    token_uri: optional("token_uri")
                        .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
                }
            }
            Some("authorized_user") => Kind::AuthorizedUser {
                file: path.to_owned(),
                client_id: field("client_id")?,
                client_secret: Secret::new(field("client_secret")?),
                refresh_token: Secret::new(field("refresh_token")?),
                token_uri: optional("token_uri").unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
            },
            Some(other) => {
                return Err(problem(format!(
                    "credentials of type `{other}` are not supported (only `service_account` and `authorized_user`)"
                )));
            }
            None => return Err(problem("`type` is missing".to_owned())),
        };
        Self::new(kind, optional("quota_project_id"))
    }

    /// The metadata server at `base` (`http://host[:port]`).
    pub fn metadata(base: &str) -> Result<Self, GoogleError> {
        Self::new(
            Kind::Metadata {
                base: base.trim_end_matches('/').to_owned(),
                fallback_from: None,
            },
            None,
        )
    }

    fn new(kind: Kind, quota_project: Option<String>) -> Result<Self, GoogleError> {
        let http = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(READ_TIMEOUT)
            .user_agent(concat!("kedro-kfp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| GoogleError::Setup(error.to_string()))?;
        Ok(Self {
            kind,
            quota_project,
            http,
            access: Mutex::new(None),
            ids: Mutex::new(BTreeMap::new()),
        })
    }

    /// Which credentials these are, for messages: the kind, the account and the file.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::ServiceAccount {
                file, client_email, ..
            } => format!("service account {client_email} (`{}`)", file.display()),
            Kind::AuthorizedUser { file, .. } => format!("user credentials (`{}`)", file.display()),
            Kind::Metadata { base, .. } => {
                format!("the metadata server's service account ({base})")
            }
        }
    }

    /// The quota project the credentials file names.
    pub fn quota_project(&self) -> Option<&str> {
        self.quota_project.as_deref()
    }

    /// An access token with the cloud-platform scope, from the cache while it is fresh.
    pub fn access_token(&self) -> Result<Secret, GoogleError> {
        let mut cache = self
            .access
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = cache.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            tracing::trace!("Google access token: cached");
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch_access_token()?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// An ID token whose `aud` is `audience`, from the cache while it is fresh.
    pub fn id_token(&self, audience: &str) -> Result<Secret, GoogleError> {
        let mut cache = self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = cache
            .get(audience)
            .filter(|c| Instant::now() < c.refresh_at)
        {
            tracing::trace!("Google ID token for {audience}: cached");
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch_id_token(audience)?;
        let token = fresh.token.clone();
        cache.insert(audience.to_owned(), fresh);
        Ok(token)
    }

    fn fetch_access_token(&self) -> Result<Cached, GoogleError> {
        match &self.kind {
            Kind::ServiceAccount { token_uri, .. } => {
                let assertion = self.assertion(Some(CLOUD_PLATFORM_SCOPE), None)?;
                let answer = self.post_form(
                    token_uri,
                    &[
                        ("grant_type", JWT_BEARER_GRANT),
                        ("assertion", assertion.expose()),
                    ],
                )?;
                access_from(&answer, token_uri)
            }
            Kind::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
                ..
            } => {
                let answer = self.post_form(
                    token_uri,
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", client_id),
                        ("client_secret", client_secret.expose()),
                        ("refresh_token", refresh_token.expose()),
                    ],
                )?;
                access_from(&answer, token_uri)
            }
            Kind::Metadata { base, .. } => {
                let url =
                    format!("{base}/computeMetadata/v1/instance/service-accounts/default/token");
                let text = self.metadata_get(&url, &[("scopes", CLOUD_PLATFORM_SCOPE)])?;
                let answer: Value =
                    serde_json::from_str(&text).map_err(|_| GoogleError::BadAnswer {
                        url: url.clone(),
                        what: "a JSON access token".to_owned(),
                    })?;
                access_from(&answer, &url)
            }
        }
    }

    fn fetch_id_token(&self, audience: &str) -> Result<Cached, GoogleError> {
        let token = match &self.kind {
            Kind::ServiceAccount { token_uri, .. } => {
                let assertion = self.assertion(None, Some(audience))?;
                let answer = self.post_form(
                    token_uri,
                    &[
                        ("grant_type", JWT_BEARER_GRANT),
                        ("assertion", assertion.expose()),
                    ],
                )?;
                answer
                    .get("id_token")
                    .and_then(Value::as_str)
                    .filter(|token| !token.is_empty())
                    .map(Secret::new)
                    .ok_or_else(|| GoogleError::BadAnswer {
                        url: token_uri.clone(),
                        what: "`id_token`".to_owned(),
                    })?
            }
            Kind::AuthorizedUser { .. } => {
                return Err(GoogleError::NoIdToken {
                    source_name: self.describe(),
                    audience: audience.to_owned(),
                });
            }
            Kind::Metadata { base, .. } => {
                let url =
                    format!("{base}/computeMetadata/v1/instance/service-accounts/default/identity");
                let text =
                    self.metadata_get(&url, &[("audience", audience), ("format", "full")])?;
                let text = text.trim();
                if text.split('.').count() != 3 {
                    return Err(GoogleError::BadAnswer {
                        url,
                        what: "an ID token (a JWT)".to_owned(),
                    });
                }
                Secret::new(text)
            }
        };
        // The token's own `exp` says how long it lasts; Google's last an hour.
        let lifetime = jwt_expiry(token.expose())
            .and_then(|exp| exp.checked_sub(unix_now()))
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok(Cached {
            token,
            refresh_at: refresh_at(lifetime),
        })
    }

    /// The RS256 JWT a service account trades for a token: `scope` for an access token,
    /// `target_audience` for an ID token.
    fn assertion(
        &self,
        scope: Option<&str>,
        target_audience: Option<&str>,
    ) -> Result<Secret, GoogleError> {
        let Kind::ServiceAccount {
            file,
            client_email,
            private_key,
            private_key_id,
            token_uri,
        } = &self.kind
        else {
            return Err(GoogleError::Setup(
                "only a service account signs assertions".to_owned(),
            ));
        };
        let iat = unix_now();
        let mut claims = serde_json::json!({
            "iss": client_email,
            "aud": token_uri,
            "iat": iat,
            "exp": iat + DEFAULT_LIFETIME.as_secs(),
        });
        if let Some(scope) = scope {
            claims["scope"] = scope.into();
        }
        if let Some(audience) = target_audience {
            claims["target_audience"] = audience.into();
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid.clone_from(private_key_id);
        let problem = |problem: &str| GoogleError::File {
            path: file.clone(),
            problem: problem.to_owned(),
        };
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key.expose().as_bytes())
            .map_err(|_| problem("`private_key` is not an RSA private key in PEM form"))?;
        jsonwebtoken::encode(&header, &claims, &key)
            .map(Secret::new)
            .map_err(|_| problem("`private_key` cannot sign an RS256 token"))
    }

    fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Value, GoogleError> {
        // The grant type only: the rest of the form is secret.
        let grant = form
            .iter()
            .find(|(name, _)| *name == "grant_type")
            .map_or("", |(_, value)| value);
        tracing::debug!("Google token: POST {url} ({grant} grant)");
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .map_err(|error| self.unreachable(url, &error))?;
        let status = response.status();
        tracing::debug!("Google token: {status} from {url}");
        let text = response
            .text()
            .map_err(|error| self.unreachable(url, &error))?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            return Err(GoogleError::Refused {
                url: url.to_owned(),
                source_name: self.describe(),
                status: status.as_u16(),
                message: json
                    .as_ref()
                    .and_then(oauth_error)
                    .unwrap_or_else(|| snippet(&text)),
            });
        }
        // The body of a success holds the token: never shown, not even in part.
        json.ok_or_else(|| GoogleError::BadAnswer {
            url: url.to_owned(),
            what: "a JSON token answer".to_owned(),
        })
    }

    fn metadata_get(&self, url: &str, query: &[(&str, &str)]) -> Result<String, GoogleError> {
        tracing::debug!("Google token: GET {url} (metadata server)");
        let result = self
            .http
            .get(url)
            .query(query)
            .header("Metadata-Flavor", "Google")
            .timeout(METADATA_TIMEOUT)
            .send();
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                if let Kind::Metadata {
                    fallback_from: Some(gcloud),
                    base,
                } = &self.kind
                {
                    return Err(GoogleError::NotFound {
                        gcloud: gcloud.display().to_string(),
                        url: base.clone(),
                        reason: describe(&error),
                    });
                }
                return Err(self.unreachable(url, &error));
            }
        };
        let status = response.status();
        tracing::debug!("Google token: {status} from {url}");
        let text = response
            .text()
            .map_err(|error| self.unreachable(url, &error))?;
        if !status.is_success() {
            return Err(GoogleError::Refused {
                url: url.to_owned(),
                source_name: self.describe(),
                status: status.as_u16(),
                message: snippet(&text),
            });
        }
        Ok(text)
    }

    fn unreachable(&self, url: &str, error: &reqwest::Error) -> GoogleError {
        GoogleError::Unreachable {
            url: url.to_owned(),
            source_name: self.describe(),
            reason: describe(error),
        }
    }
}

fn access_from(answer: &Value, url: &str) -> Result<Cached, GoogleError> {
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .map(Secret::new)
        .ok_or_else(|| GoogleError::BadAnswer {
            url: url.to_owned(),
            what: "`access_token`".to_owned(),
        })?;
    let lifetime = answer
        .get("expires_in")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Ok(Cached {
        token,
        refresh_at: refresh_at(lifetime),
    })
}

/// When a token that lasts `lifetime` from now should be fetched again.
fn refresh_at(lifetime: Duration) -> Instant {
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    Instant::now() + lifetime.saturating_sub(margin)
}

/// Google's OAuth2 error shape: `{"error": "invalid_grant", "error_description": "…"}`.
fn oauth_error(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    // Some endpoints nest a googleRpcStatus under `error`.
    let code = error
        .as_str()
        .or_else(|| error.get("message").and_then(Value::as_str))?;
    Some(
        match body.get("error_description").and_then(Value::as_str) {
            Some(description) => format!("{code}: {description}"),
            None => code.to_owned(),
        },
    )
}

/// The `exp` claim of a JWT, read without checking the signature (only to cache it).
fn jwt_expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()?
        .get("exp")?
        .as_u64()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// gcloud's ADC file: `$CLOUDSDK_CONFIG/application_default_credentials.json`, else the
/// gcloud config directory of this user.
fn gcloud_adc_file() -> Option<PathBuf> {
    const FILE: &str = "application_default_credentials.json";
    if let Some(dir) = non_empty_var("CLOUDSDK_CONFIG") {
        return Some(PathBuf::from(dir).join(FILE));
    }
    if cfg!(windows) {
        return non_empty_var("APPDATA").map(|dir| PathBuf::from(dir).join("gcloud").join(FILE));
    }
    non_empty_var("HOME").map(|home| {
        PathBuf::from(home)
            .join(".config")
            .join("gcloud")
            .join(FILE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_comes_before_expiry() {
        let now = Instant::now();
        let hour = refresh_at(Duration::from_secs(3600));
        assert!(hour > now + Duration::from_secs(3200) && hour < now + Duration::from_secs(3400));
        let short = refresh_at(Duration::from_secs(10));
        assert!(short <= Instant::now() + Duration::from_secs(5));
    }

    #[test]
    fn oauth_errors_show_googles_description() {
        let body = serde_json::json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."});
        assert_eq!(
            oauth_error(&body).as_deref(),
            Some("invalid_grant: Invalid JWT Signature.")
        );
        let nested = serde_json::json!({"error": {"code": 403, "message": "denied"}});
        assert_eq!(oauth_error(&nested).as_deref(), Some("denied"));
    }

    #[test]
    fn no_credentials_at_all_lists_what_was_looked_for() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .map(|addr| addr.port())
            .unwrap_or(9);
        let credentials = GoogleCredentials::new(
            Kind::Metadata {
                base: format!("http://127.0.0.1:{port}"),
                fallback_from: Some(PathBuf::from("/home/u/.config/gcloud/adc.json")),
            },
            None,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let error = credentials
            .access_token()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, /home/u/.config/gcloud/adc.json does not exist, and the metadata server http://127.0.0.1:"),
            "{error}"
        );
    }

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1900000000}"#);
        assert_eq!(jwt_expiry(&format!("a.{payload}.c")), Some(1_900_000_000));
        assert_eq!(jwt_expiry("not-a-jwt"), None);
    }
}
