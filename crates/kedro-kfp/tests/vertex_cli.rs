//! `kedro-kfp vertexai run-once / schedule` and `kubeflow` on the Vertex host: the mistakes
//! caught before any network call, each one `error:` line naming the file or value, with a
//! hint. (The calls themselves are tested end to end in tests/e2e/test_vertex_remote.py.)

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn snapshot() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kfp-compile/tests/fixtures/minimal/snapshot.json")
        .display()
        .to_string()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let snapshot = snapshot();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--snapshot", &snapshot, "--config", "config.yaml"]);
    Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .args(&all)
        .current_dir(dir)
        // Nothing may be fetched: point every credential and endpoint at nowhere.
        .env("GOOGLE_APPLICATION_CREDENTIALS", dir.join("none.json"))
        .env("KEDRO_VERTEXAI_API_ENDPOINT", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("run kedro-kfp")
}

fn failure(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let mut lines = stderr.lines();
    assert!(
        lines.next().is_some_and(|l| l.starts_with("error: ")),
        "{stderr}"
    );
    assert!(lines.all(|l| l.starts_with("hint: ")), "{stderr}");
    assert!(output.stdout.is_empty());
    stderr
}

fn config(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.yaml"), text).expect("write config");
    dir
}

const VERTEX: &str = "project_id: p\nregion: europe-west4\nrun_config:\n  image: img:1\n";

#[test]
fn run_once_without_a_root_names_the_key() {
    let dir = config(VERTEX);
    let stderr = failure(&run(dir.path(), &["vertexai", "run-once"]));
    assert!(
        stderr.contains("error: config.yaml: `run_config.root` is missing"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: set `root:`"), "{stderr}");
}

#[test]
fn schedule_refuses_kfp_and_malformed_crons() {
    let dir = config(&format!("{VERTEX}  root: bucket/x\n"));
    let six = failure(&run(
        dir.path(),
        &["vertexai", "schedule", "-c", "0 30 2 * * *"],
    ));
    assert!(
        six.contains("error: cron `0 30 2 * * *` has 6 fields: that is a Kubeflow Pipelines cron"),
        "{six}"
    );
    assert!(
        six.contains("hint: drop the seconds: `30 2 * * *`"),
        "{six}"
    );
    let four = failure(&run(dir.path(), &["vertexai", "schedule", "-c", "0 2 * *"]));
    assert!(four.contains("has 4 fields; Vertex AI takes 5"), "{four}");
    let twice = failure(&run(
        dir.path(),
        &[
            "vertexai",
            "schedule",
            "-c",
            "TZ=Etc/UTC 0 2 * * *",
            "--timezone",
            "Europe/Warsaw",
        ],
    ));
    assert!(twice.contains("give the time zone once"), "{twice}");
}

#[test]
fn a_missing_credentials_file_is_named() {
    let dir = config(&format!("{VERTEX}  root: bucket/x\n"));
    let stderr = failure(&run(dir.path(), &["vertexai", "list-pipelines"]));
    let file = dir.path().join("none.json");
    assert!(
        stderr.contains(&format!(
            "error: Google credentials file `{}`",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: set GOOGLE_APPLICATION_CREDENTIALS"),
        "{stderr}"
    );
}

#[test]
fn the_kubeflow_vertex_host_needs_project_and_region() {
    let dir = config(
        "host: vertex-ai-pipelines\nproject_id: p\nrun_config:\n  image: img:1\n  root: bucket/x\n",
    );
    let stderr = failure(&run(dir.path(), &["kubeflow", "list-pipelines"]));
    assert!(
        stderr.contains(
            "error: config.yaml: `region` is missing; `host: vertex-ai-pipelines` needs it"
        ),
        "{stderr}"
    );
    let upload = failure(&run(dir.path(), &["kubeflow", "upload-pipeline"]));
    assert!(upload.contains("no pipeline registry"), "{upload}");
}
