//! The catalogue of bad inputs: each one provoked for real (the binary on a fixture snapshot,
//! against a scripted HTTP server on 127.0.0.1 for the network ones), checked for the shape
//! every failure must have (exit 1, one `error:` line, `hint:` lines, no panic) and for the
//! words that tell the user what is wrong and how to fix it.
//!
//! The same run writes `docs/errors.md`, the reference of what each error looks like: this
//! test fails when that page is not what the binary prints (`UPDATE_DOCS=1` rewrites it;
//! review the diff like code).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use support::{assert_clean_failure, workdir};

/// A scripted server's answer to `(method, path)`: status and JSON (or other) body.
type Answer = fn(&str, &str) -> (u16, &'static str);

/// What is at the config's `host` (`{url}` in the case's config).
#[derive(Clone, Copy)]
enum Server {
    /// Nothing is needed.
    None,
    /// A port nobody listens on.
    Closed,
    /// A server that accepts and never answers.
    Silent,
    /// A scripted server.
    Answers(Answer),
}

/// One bad input.
struct Case {
    /// What went wrong, as the docs' heading.
    situation: &'static str,
    /// `kubeflow.yaml`, `{url}` standing for the server; `None`: the fixture's.
    config: Option<&'static str>,
    /// Changes the fixture's snapshot (JSON) before the run.
    snapshot: Option<fn(&mut serde_json::Value)>,
    /// The arguments after `kedro-kfp kubeflow <command>`.
    command: &'static [&'static str],
    server: Server,
    env: &'static [(&'static str, &'static str)],
    /// Words the `error:` line must have.
    error: &'static [&'static str],
    /// Words a `hint:` line must have (empty: no hint needed).
    hint: &'static [&'static str],
}

const HOST_CONFIG: &str = "host: {url}\nrun_config:\n  image: registry.example.com/app:1\n";

fn healthy_then(status: u16, body: &'static str) -> impl Fn(&str, &str) -> (u16, &'static str) {
    move |_, path: &str| {
        if path.ends_with("/healthz") {
            (200, "{}")
        } else {
            (status, body)
        }
    }
}

fn catalogue() -> Vec<Case> {
    let compile: &[&str] = &["compile", "-o", "out.yml"];
    let offline = |situation, config, command, error, hint| Case {
        situation,
        config: Some(config),
        snapshot: None,
        command,
        server: Server::None,
        env: &[],
        error,
        hint,
    };
    let online = |situation, command, server, error, hint| Case {
        situation,
        config: Some(HOST_CONFIG),
        snapshot: None,
        command,
        server,
        env: &[
            ("KEDRO_KFP_RETRY_BACKOFF_MS", "1"),
            ("KEDRO_KFP_HTTP_TIMEOUT", "1"),
        ],
        error,
        hint,
    };
    vec![
        offline(
            "Config file: YAML syntax error",
            "host: https://h\nrun_config: [\n  image: x\n",
            compile,
            &["kubeflow.yaml:", ":"],
            &[],
        ),
        offline(
            "Config file: unknown key",
            "host: https://h\nrun_config:\n  imagee: x\n",
            compile,
            &["kubeflow.yaml:3:3", "unknown key `run_config.imagee`"],
            &["did you mean `image`?"],
        ),
        offline(
            "Config file: wrong type",
            "host: https://h\nrun_config:\n  image: x\n  ttl: a week\n",
            compile,
            &["kubeflow.yaml:4:", "run_config.ttl"],
            &[],
        ),
        offline(
            "Config file: invalid quantity",
            "host: https://h\nrun_config:\n  image: x\n  resources:\n    __default__:\n      cpu: lots\n",
            compile,
            &["kubeflow.yaml:6:", "cpu", "lots"],
            &[],
        ),
        offline(
            "No image",
            "host: https://h\nrun_config: {}\n",
            compile,
            &["run_config.image"],
            &["--image"],
        ),
        Case {
            situation: "Unknown pipeline",
            config: None,
            snapshot: None,
            command: &["compile", "-p", "data_sciense", "-o", "out.yml"],
            server: Server::None,
            env: &[],
            error: &["pipeline `data_sciense` is not registered"],
            hint: &["registered pipelines: __default__"],
        },
        Case {
            situation: "Empty pipeline",
            config: None,
            snapshot: Some(|snapshot| {
                snapshot["pipelines"]["empty"] = serde_json::json!({"nodes": []});
            }),
            command: &["compile", "-p", "empty", "-o", "out.yml"],
            server: Server::None,
            env: &[],
            error: &["pipeline `empty` has no nodes"],
            hint: &[],
        },
        Case {
            situation: "Snapshot of an unsupported version",
            config: None,
            snapshot: Some(|snapshot| snapshot["snapshot_version"] = 2.into()),
            command: compile,
            server: Server::None,
            env: &[],
            error: &[
                "snapshot version 2 is not supported",
                "install the same kedro-kfp version",
            ],
            hint: &[],
        },
        Case {
            situation: "Unknown parameter in `--param`",
            config: None,
            snapshot: None,
            command: &["run-once", "--param", "learning_rat=0.1"],
            server: Server::None,
            env: &[],
            error: &["`--param learning_rat`", "no such parameter"],
            hint: &["parameters: "],
        },
        offline(
            "Cron: a field out of range",
            HOST_CONFIG,
            &["schedule", "-c", "0 0 25 * * *"],
            &["--cron-expression", "hours 25 is outside 0-23"],
            &["0 0 4 * * *"],
        ),
        offline(
            "Cron: the Vertex AI dialect (time zone) given to KFP",
            HOST_CONFIG,
            &["schedule", "-c", "TZ=Europe/Warsaw 0 2 * * *"],
            &["KFP cron has no time zone"],
            &[],
        ),
        offline(
            "Cron: wrong number of fields",
            HOST_CONFIG,
            &["schedule", "-c", "0 2 *"],
            &["has 3 fields", "KFP cron has 6"],
            &[],
        ),
        online(
            "Host: nothing listens there",
            &["list-pipelines"],
            Server::Closed,
            &[
                "cannot reach http://127.0.0.1:",
                "/apis/v2beta1/healthz",
                "connection",
            ],
            &["check `host` in kubeflow.yaml"],
        ),
        online(
            "Host: accepts connections but never answers",
            &["list-pipelines"],
            Server::Silent,
            &["cannot reach", "timed out"],
            &["check `host`"],
        ),
        online(
            "Server: 401, credentials missing",
            &["list-pipelines"],
            Server::Answers(|_, _| (401, r#"{"code":16,"message":"Unauthenticated: no token"}"#)),
            &["401", "Unauthenticated: no token"],
            &["KF_PIPELINES_SA_TOKEN_PATH", "DEX_USERNAME"],
        ),
        online(
            "Server: 403, not allowed",
            &["list-pipelines"],
            Server::Answers(|_, path| {
                healthy_then(
                    403,
                    r#"{"code":7,"message":"PermissionDenied: no access to namespace"}"#,
                )("GET", path)
            }),
            &["403", "PermissionDenied: no access to namespace"],
            &["KF_PIPELINES_SA_TOKEN_PATH"],
        ),
        online(
            "Server: 404, host is not the KFP API",
            &["list-pipelines"],
            Server::Answers(|_, _| (404, "404 page not found")),
            &["404", "404 page not found"],
            &["https://host/pipeline"],
        ),
        online(
            "Server: 409, the pipeline appeared meanwhile",
            &["upload-pipeline"],
            Server::Answers(|method, path| match (method, path) {
                (_, p) if p.ends_with("/healthz") => (200, "{}"),
                ("GET", _) => (200, r#"{"pipelines":[]}"#),
                _ => (
                    409,
                    r#"{"error_message":"Failed to create a pipeline: already exists","error_details":""}"#,
                ),
            }),
            &["409", "already exists"],
            &["run the command again"],
        ),
        online(
            "Server: 5xx after the retries",
            &["list-pipelines"],
            Server::Answers(|_, path| {
                healthy_then(503, r#"{"code":14,"message":"database is down"}"#)("GET", path)
            }),
            &["503", "database is down"],
            &["try again later"],
        ),
        online(
            "Server: an answer that is not JSON",
            &["list-pipelines"],
            Server::Answers(|_, _| (200, "<html><title>Log in</title></html>")),
            &["not the expected JSON", "<html>"],
            &["login page"],
        ),
    ]
}

/// Serves `answer` on 127.0.0.1 for as long as the test runs; returns the base URL.
fn serve(server: Server) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    match server {
        Server::None => {}
        Server::Closed => drop(listener),
        Server::Silent => {
            std::thread::spawn(move || {
                let mut open = Vec::new();
                for stream in listener.incoming().flatten() {
                    open.push(stream);
                }
            });
        }
        Server::Answers(answer) => {
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    respond(stream, answer);
                }
            });
        }
    }
    url
}

fn respond(stream: std::net::TcpStream, answer: Answer) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("request line");
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("header");
        let header = header.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default();
    let (status, body) = answer(method, path);
    let kind = if body.starts_with('<') {
        "text/html"
    } else {
        "application/json"
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// Runs one case; returns its stderr with the server's port replaced by `PORT`.
fn provoke(case: &Case) -> String {
    let dir = workdir("features");
    let url = serve(case.server);
    if let Some(config) = case.config {
        std::fs::write(
            dir.path().join("kubeflow.yaml"),
            config.replace("{url}", &url),
        )
        .expect("config");
    }
    if let Some(edit) = case.snapshot {
        let path = dir.path().join("snapshot.json");
        let mut snapshot: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        edit(&mut snapshot);
        std::fs::write(&path, snapshot.to_string()).expect("write");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .arg("kubeflow")
        .arg(case.command[0])
        .args(["--snapshot", "snapshot.json", "--config", "kubeflow.yaml"])
        .args(&case.command[1..])
        .envs(case.env.iter().copied())
        .env_remove("KF_PIPELINES_SA_TOKEN_PATH")
        .env_remove("KF_PIPELINES_TOKEN")
        .env_remove("DEX_USERNAME")
        .env_remove("IAP_CLIENT_ID")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run kedro-kfp");
    let stderr = assert_clean_failure(&output);
    assert!(
        !dir.path().join("out.yml").exists(),
        "{}: a failed compile wrote its output",
        case.situation
    );
    let port = url.rsplit(':').next().unwrap_or_default();
    stderr.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT")
}

fn check(case: &Case, stderr: &str) {
    let mut lines = stderr.lines();
    let error = lines.next().unwrap_or_default();
    for word in case.error {
        assert!(
            error.contains(word),
            "{}: `{word}` not in {error}",
            case.situation
        );
    }
    let hints: Vec<&str> = lines.collect();
    for word in case.hint {
        assert!(
            hints.iter().any(|hint| hint.contains(word)),
            "{}: no hint with `{word}` in {stderr}",
            case.situation
        );
    }
}

/// Arguments as they would be typed in a shell.
fn shell_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| {
            if word.contains([' ', '*']) {
                format!("'{word}'")
            } else {
                (*word).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_bad_input_gets_a_one_line_error_with_a_fix_and_the_reference_is_current() {
    let mut page = String::from(
        "# Errors\n\n\
         <!-- Written by `UPDATE_DOCS=1 cargo test -p kedro-kfp --test errors`; the test fails when it is stale. -->\n\n\
         Every failure exits with code 1 and prints one `error:` line that names the file, key, \
         node or URL, then `hint:` lines saying how to fix it; usage errors (an unknown option, \
         a missing argument) exit with code 2. No traceback, no half-written file. Each entry \
         below is what `kedro kubeflow …` prints, produced by the test suite.\n",
    );
    for case in catalogue() {
        let stderr = provoke(&case);
        check(&case, &stderr);
        page.push_str(&format!(
            "\n## {}\n\n`kedro kubeflow {}`\n\n```text\n{}```\n",
            case.situation,
            shell_words(case.command),
            stderr
        ));
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&docs, &page).expect("write docs/errors.md");
    } else {
        let current = std::fs::read_to_string(&docs).unwrap_or_default();
        assert!(
            current == page,
            "docs/errors.md is stale: run `UPDATE_DOCS=1 cargo test -p kedro-kfp --test errors` and review the diff"
        );
    }
}

#[test]
fn ctrl_c_while_waiting_for_a_run_says_the_run_goes_on() {
    let dir = workdir("features");
    let url = serve(Server::Answers(|method, path| match (method, path) {
        (_, p) if p.ends_with("/healthz") => (200, "{}"),
        ("GET", p) if p.contains("/runs/") => (200, r#"{"run_id":"r1","state":"RUNNING"}"#),
        ("GET", p) if p.ends_with("/versions") => (
            200,
            r#"{"pipeline_versions":[{"pipeline_version_id":"v1"}]}"#,
        ),
        ("GET", _) => (200, "{}"),
        ("POST", p) if p.ends_with("/experiments") => (200, r#"{"experiment_id":"e1"}"#),
        ("POST", p) if p.ends_with("/runs") => (200, r#"{"run_id":"r1"}"#),
        _ => (200, r#"{"pipeline_id":"p1"}"#),
    }));
    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        HOST_CONFIG.replace("{url}", &url),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .args(["kubeflow", "run-once", "--snapshot", "snapshot.json"])
        .args(["--config", "kubeflow.yaml", "--wait-for-completion"])
        .env("KEDRO_KFP_POLL_MS", "60000")
        .env_remove("KF_PIPELINES_TOKEN")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the run is being watched, then press Ctrl-C.
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    while !seen.contains("RUNNING") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).expect("read") > 0, "{seen}");
        seen.push_str(&line);
    }
    let pressed = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("read");
    assert!(
        pressed.elapsed() < std::time::Duration::from_secs(10),
        "Ctrl-C is answered before the next poll (60 s away)"
    );
    let error = rest
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_default();
    assert_eq!(
        error,
        format!("error: stopped waiting; the run goes on: {url}/#/runs/details/r1"),
        "{seen}{rest}"
    );
    assert_eq!(child.wait().expect("wait").code(), Some(1));
}
