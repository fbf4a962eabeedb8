//! Network manners, against a scripted HTTP server on 127.0.0.1: retries with backoff on
//! 5xx for idempotent calls only, no retry on 4xx, the server's message in errors, non-JSON
//! answers, unreachable hosts, the token file re-read before every request, and no secret
//! in any error.

use std::time::Duration;

mod support;

use std::net::TcpListener;

use kfp_client::transport::Request;
use kfp_client::{ApiError, Auth, Secret, Transport};
use support::server;

fn transport(url: &str, auth: Auth) -> Transport {
    Transport::new(url, auth, Duration::from_millis(1)).expect("transport")
}

#[test]
fn idempotent_calls_retry_5xx_then_succeed() {
    let (url, seen) = server(vec![
        (500, r#"{"message":"busy"}"#),
        (503, "{}"),
        (200, r#"{"ok":true}"#),
    ]);
    let answer = transport(&url, Auth::None)
        .send(&Request::get("/apis/v2beta1/healthz"))
        .expect("third try works");
    assert_eq!(answer["ok"], true);
    assert_eq!(seen.lock().expect("lock").len(), 3);
}

#[test]
fn creating_calls_are_not_retried_and_4xx_never_is() {
    let (url, seen) = server(vec![(500, r#"{"message":"boom"}"#), (200, "{}")]);
    let error = transport(&url, Auth::None)
        .send(&Request::post("/apis/v2beta1/runs", serde_json::json!({})))
        .expect_err("a POST is tried once");
    assert!(
        error.to_string().contains("500") && error.to_string().contains("boom"),
        "{error}"
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);

    let (url, seen) = server(vec![
        (404, r#"{"code":5,"message":"pipeline xyz not found"}"#),
        (200, "{}"),
    ]);
    let error = transport(&url, Auth::None)
        .send(&Request::get("/apis/v2beta1/pipelines/xyz"))
        .expect_err("404");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(
        error.to_string().ends_with("pipeline xyz not found"),
        "{error}"
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[test]
fn answers_that_are_not_json_are_named() {
    let (url, _) = server(vec![(200, "<html>login page</html>")]);
    let error = transport(&url, Auth::None)
        .send(&Request::get("/apis/v2beta1/pipelines"))
        .expect_err("html");
    assert!(matches!(error, ApiError::NotJson { .. }), "{error}");
    assert!(error.to_string().contains("<html>login page</html>"));
}

#[test]
fn an_unreachable_host_fails_after_retries_without_hanging() {
    // Bind and drop: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let started = std::time::Instant::now();
    let error = transport(&format!("http://127.0.0.1:{port}"), Auth::None)
        .send(&Request::get("/apis/v2beta1/healthz"))
        .expect_err("refused");
    assert!(matches!(error, ApiError::Unreachable { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_token_file_is_read_for_every_request_and_no_secret_reaches_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "first-token\n").expect("write");
    let (url, seen) = server(vec![(200, "{}"), (401, r#"{"message":"token expired"}"#)]);
    let transport = transport(&url, Auth::TokenFile(token.clone()));
    transport
        .send(&Request::get("/apis/v2beta1/pipelines"))
        .expect("first");
    std::fs::write(&token, "rotated-token").expect("rotate");
    let error = transport
        .send(&Request::get("/apis/v2beta1/pipelines"))
        .expect_err("401");
    let seen = seen.lock().expect("lock");
    let auth: Vec<&str> = seen
        .iter()
        .flat_map(|s| {
            s.headers
                .iter()
                .filter(|(n, _)| n == "authorization")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert_eq!(auth, ["Bearer first-token", "Bearer rotated-token"]);
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{transport:?}"),
    ] {
        assert!(
            !text.contains("rotated-token") && !text.contains("first-token"),
            "{text}"
        );
    }
    let cookies = Transport::new(
        &url,
        Auth::Cookies(Secret::new("authservice_session=s3cret")),
        Duration::ZERO,
    )
    .expect("t");
    assert!(!format!("{cookies:?}").contains("s3cret"));
}

#[test]
fn a_base_url_with_a_path_prefix_and_credentials_is_used_and_redacted() {
    let (url, seen) = server(vec![(200, r#"{"pipelines":[]}"#)]);
    let with_user = url.replacen("http://", "http://user:pa55@", 1);
    let transport = transport(&format!("{with_user}/pipeline/"), Auth::None);
    transport
        .send(&Request::get("/apis/v2beta1/pipelines").query("page_size", "10"))
        .expect("ok");
    assert_eq!(
        seen.lock().expect("lock")[0].line,
        "GET /pipeline/apis/v2beta1/pipelines?page_size=10 HTTP/1.1"
    );
    assert!(!transport.base_url().contains("pa55"));
}

#[test]
fn a_page_token_handed_out_twice_ends_the_listing() {
    let (url, seen) = server(vec![
        (200, r#"{"multi_user":false}"#),
        (
            200,
            r#"{"pipelines":[{"pipeline_id":"a","display_name":"a"}],"next_page_token":"t"}"#,
        ),
        (
            200,
            r#"{"pipelines":[{"pipeline_id":"b","display_name":"b"}],"next_page_token":"t"}"#,
        ),
    ]);
    let kfp = kfp_client::Kfp::connect(transport(&url, Auth::None), None, None).expect("connect");
    let names: Vec<String> = kfp
        .list_pipelines()
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    let lines: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|s| s.line.clone())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[2].contains("page_token=t"), "{lines:?}");
}
