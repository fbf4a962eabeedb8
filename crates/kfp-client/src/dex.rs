//! Logging in to a Kubeflow platform with a Dex static password, the way a browser does,
//! to get the session cookie the gateway wants (notes section 2, item 2). Both gateways are
//! handled: oidc-authservice (Kubeflow ≤ 1.8, cookie `authservice_session`) and
//! oauth2-proxy (Kubeflow ≥ 1.9, cookie `oauth2_proxy_kubeflow`, which answers 403 to
//! non-browser requests until the login is started at `/oauth2/start`).

use std::sync::Arc;

use reqwest::blocking::Client;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use url::Url;

use crate::transport::{ApiError, Auth, CONNECT_TIMEOUT, READ_TIMEOUT, Secret};

/// Cookies that prove a finished login, per gateway.
const SESSION_COOKIES: [&str; 2] = ["authservice_session", "oauth2_proxy_kubeflow"];

/// Where a request ended up after its redirects.
struct Page {
    url: Url,
    status: reqwest::StatusCode,
}

/// Logs in at the Kubeflow gateway in front of `base` (the KFP API root, e.g.
/// `https://kubeflow.example.com/pipeline`) and returns the session cookies to send.
pub fn login(base: &str, username: &str, password: &Secret) -> Result<Auth, ApiError> {
    let start = Url::parse(base).map_err(|error| failed(base, &format!("bad URL: {error}")))?;
    let jar = Arc::new(Jar::default());
    let client = Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(Policy::limited(20))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(READ_TIMEOUT)
        .user_agent(concat!("kedro-kfp/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ApiError::Setup(error.to_string()))?;
    let get = |url: Url| -> Result<Page, ApiError> { visit(client.get(url.clone()), &url) };
    let post = |url: Url, form: &[(&str, &str)]| -> Result<Page, ApiError> {
        visit(client.post(url.clone()).form(form), &url)
    };

    let mut page = get(start.clone())?;
    if matches!(page.status.as_u16(), 401 | 403) {
        // oauth2-proxy only redirects browsers; a client starts the login itself.
        let mut oauth = start
            .join("/oauth2/start")
            .map_err(|e| failed(base, &e.to_string()))?;
        oauth.query_pairs_mut().append_pair("rd", start.path());
        page = get(oauth)?;
    }
    if page.url.path().ends_with("/auth") {
        // Dex's connector chooser: take the static-password ("local") connector.
        let mut local = page.url.clone();
        local.set_path(&format!("{}/local", page.url.path()));
        page = get(local)?;
    }
    if !page.url.path().contains("/auth/local") {
        return Err(failed(
            base,
            &format!(
                "expected Dex's login form, got {} at {}; is this Kubeflow behind Dex?",
                page.status,
                page.url.path()
            ),
        ));
    }
    let form = page.url;
    let mut page = post(
        form.clone(),
        &[("login", username), ("password", password.expose())],
    )?;
    if page.url == form {
        return Err(failed(
            base,
            "Dex did not accept DEX_USERNAME and DEX_PASSWORD",
        ));
    }
    if page.url.path().ends_with("/approval") {
        page = post(page.url, &[("approval", "approve")])?;
    }
    let cookies = jar
        .cookies(&start)
        .and_then(|value| value.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    let has_session = cookies.split(';').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default().trim();
        SESSION_COOKIES.contains(&name)
    });
    if !has_session {
        return Err(failed(
            base,
            &format!(
                "the login ended at {} ({}) without a session cookie ({})",
                page.url.path(),
                page.status,
                SESSION_COOKIES.join(" or ")
            ),
        ));
    }
    Ok(Auth::Cookies(Secret::new(cookies)))
}

fn visit(request: reqwest::blocking::RequestBuilder, url: &Url) -> Result<Page, ApiError> {
    let response = request.send().map_err(|error| ApiError::Unreachable {
        // Only scheme, host and path: login URLs carry one-time codes and states.
        url: format!("{}{}", url.origin().ascii_serialization(), url.path()),
        reason: if error.is_timeout() {
            "timed out".to_owned()
        } else {
            "connection failed".to_owned()
        },
    })?;
    // Paths only: the query strings of a login carry one-time codes and states.
    tracing::debug!(
        "Dex login: {} → {} at {}",
        url.path(),
        response.status(),
        response.url().path()
    );
    Ok(Page {
        url: response.url().clone(),
        status: response.status(),
    })
}

fn failed(base: &str, reason: &str) -> ApiError {
    ApiError::Login {
        url: crate::transport::redact_url(base),
        reason: reason.to_owned(),
    }
}
