//! The `kedro-kfp` binary as users and the Python shim run it: exit codes, what goes to
//! stdout and stderr, and the files it leaves behind.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{assert_clean_failure, fixture, kedro_kfp, text, workdir};

const COMPILE: [&str; 6] = [
    "kubeflow",
    "compile",
    "--snapshot",
    "snapshot.json",
    "--config",
    "kubeflow.yaml",
];

fn compile(dir: &Path, extra: &[&str]) -> Output {
    let args: Vec<&str> = COMPILE.iter().chain(extra).copied().collect();
    kedro_kfp(dir, &args, None)
}

#[test]
fn compile_writes_the_golden_workflow() {
    let dir = workdir("minimal");
    let output = compile(dir.path(), &["-o", "out.yml"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(dir.path().join("out.yml")).expect("output written");
    let golden = std::fs::read_to_string(fixture("minimal").join("expected.yml")).expect("golden");
    assert_eq!(written, golden);
    assert!(output.stdout.is_empty(), "stdout is for data only");
    assert!(text(&output.stderr).contains("out.yml"));
}

#[test]
fn snapshot_on_stdin_and_workflow_on_stdout() {
    let dir = workdir("minimal");
    let snapshot = std::fs::read_to_string(dir.path().join("snapshot.json")).expect("read");
    let output = kedro_kfp(
        dir.path(),
        &[
            "kubeflow",
            "compile",
            "--snapshot",
            "-",
            "--config",
            "kubeflow.yaml",
            "-o",
            "-",
        ],
        Some(&snapshot),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let golden = std::fs::read_to_string(fixture("minimal").join("expected.yml")).expect("golden");
    assert_eq!(text(&output.stdout), golden);
}

#[test]
fn check_passes_on_a_current_file_and_fails_with_a_diff_on_a_stale_one() {
    let dir = workdir("minimal");
    assert!(compile(dir.path(), &["-o", "out.yml"]).status.success());
    let current = compile(dir.path(), &["-o", "out.yml", "--check"]);
    assert_eq!(current.status.code(), Some(0), "{}", text(&current.stderr));

    let path = dir.path().join("out.yml");
    let edited = std::fs::read_to_string(&path)
        .expect("read")
        .replace("demo:1.0", "demo:0.9");
    std::fs::write(&path, &edited).expect("write");
    let stale = compile(dir.path(), &["-o", "out.yml", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    let diff = text(&stale.stdout);
    assert!(
        diff.contains("-      image: demo:0.9") && diff.contains("+      image: demo:1.0"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        edited,
        "--check never writes"
    );

    let missing = compile(dir.path(), &["-o", "nope.yml", "--check"]);
    assert_clean_failure(&missing);
}

#[test]
fn a_failed_compile_leaves_the_previous_output_untouched() {
    let dir = workdir("minimal");
    assert!(compile(dir.path(), &["-o", "out.yml"]).status.success());
    let good = std::fs::read_to_string(dir.path().join("out.yml")).expect("read");
    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        "host: https://h\nrun_config:\n  imagee: x\n",
    )
    .expect("write");
    let output = compile(dir.path(), &["-o", "out.yml"]);
    assert_clean_failure(&output);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.yml")).expect("read"),
        good
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".kedro-kfp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn config_errors_name_file_line_key_and_fix() {
    let dir = workdir("minimal");
    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        "host: https://h\nrun_config:\n  imagee: x\n",
    )
    .expect("write");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-o", "out.yml"]));
    assert_eq!(
        stderr,
        "error: kubeflow.yaml:3:3: unknown key `run_config.imagee`\nhint: did you mean `image`?\n"
    );

    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        "host: https://h\nrun_config: [\n",
    )
    .expect("write");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-o", "out.yml"]));
    assert!(stderr.starts_with("error: kubeflow.yaml:"), "{stderr}");

    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        "host: https://h\nrun_config: {}\n",
    )
    .expect("write");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-o", "out.yml"]));
    assert!(
        stderr.contains("run_config.image") && stderr.contains("--image"),
        "{stderr}"
    );
    assert!(
        compile(dir.path(), &["-o", "out.yml", "-i", "img:1"])
            .status
            .success()
    );
    assert!(!dir.path().join("nope").exists());
}

#[test]
fn unknown_pipeline_lists_the_registered_ones() {
    let dir = workdir("features");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-p", "notfy", "-o", "out.yml"]));
    assert_eq!(
        stderr,
        "error: pipeline `notfy` is not registered in the project\n\
         hint: did you mean `notify`? registered pipelines: __default__, notify\n"
    );
    assert!(
        compile(dir.path(), &["-p", "notify", "-o", "out.yml"])
            .status
            .success()
    );
}

#[test]
fn snapshots_of_another_version_or_shape_are_refused() {
    let dir = workdir("minimal");
    std::fs::write(
        dir.path().join("snapshot.json"),
        r#"{"snapshot_version": 2}"#,
    )
    .expect("write");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-o", "out.yml"]));
    assert!(
        stderr.contains("snapshot version 2 is not supported"),
        "{stderr}"
    );
    std::fs::write(dir.path().join("snapshot.json"), "not json").expect("write");
    let stderr = assert_clean_failure(&compile(dir.path(), &["-o", "out.yml"]));
    assert!(
        stderr.starts_with("error: snapshot.json: the snapshot is not valid"),
        "{stderr}"
    );
    let missing = kedro_kfp(
        dir.path(),
        &["kubeflow", "compile", "--snapshot", "absent.json"],
        None,
    );
    let stderr = assert_clean_failure(&missing);
    assert!(stderr.contains("absent.json"), "{stderr}");
}

#[test]
fn init_writes_a_config_that_compiles_and_refuses_to_overwrite() {
    let dir = workdir("minimal");
    let init = [
        "kubeflow",
        "init",
        "https://kfp.example.com/pipeline",
        "--project-name",
        "Demo",
        "--package-name",
        "demo",
    ];
    let output = kedro_kfp(dir.path(), &init, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let config = dir.path().join("conf/base/kubeflow.yaml");
    assert!(
        std::fs::read_to_string(&config)
            .expect("written")
            .contains("host: \"https://kfp.example.com/pipeline\"")
    );
    let compiled = kedro_kfp(
        dir.path(),
        &[
            "kubeflow",
            "compile",
            "--snapshot",
            "snapshot.json",
            "--config",
            "conf/base/kubeflow.yaml",
            "-o",
            "-",
        ],
        None,
    );
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    assert!(text(&compiled.stdout).contains("image: demo\n"));

    let again = kedro_kfp(dir.path(), &init, None);
    let stderr = assert_clean_failure(&again);
    assert!(stderr.contains("--force"), "{stderr}");
    let bad_host = [
        "kubeflow",
        "init",
        "kfp.example.com",
        "--project-name",
        "D",
        "--package-name",
        "d",
        "--force",
    ];
    let stderr = assert_clean_failure(&kedro_kfp(dir.path(), &bad_host, None));
    assert!(stderr.contains("http://"), "{stderr}");
}

/// A fresh directory with a fixture's snapshot and both config files.
fn workdir_with_vertex(case: &str) -> tempfile::TempDir {
    let dir = workdir(case);
    std::fs::copy(
        fixture(case).join("vertexai.yaml"),
        dir.path().join("vertexai.yaml"),
    )
    .expect("copy");
    dir
}

fn vertex_compile(dir: &Path, extra: &[&str]) -> Output {
    let base = [
        "vertexai",
        "compile",
        "--snapshot",
        "snapshot.json",
        "--config",
        "vertexai.yaml",
    ];
    let args: Vec<&str> = base.iter().chain(extra).copied().collect();
    kedro_kfp(dir, &args, None)
}

#[test]
fn kfp_version_2_writes_the_ir_golden_and_config_can_choose_it() {
    let dir = workdir("features");
    let output = compile(dir.path(), &["--kfp-version", "2", "-o", "out.yaml"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let golden =
        std::fs::read_to_string(fixture("features").join("expected-kfp2.yaml")).expect("golden");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.yaml")).expect("written"),
        golden
    );

    let config = std::fs::read_to_string(dir.path().join("kubeflow.yaml")).expect("read");
    std::fs::write(
        dir.path().join("kubeflow.yaml"),
        config.replace("run_config:\n", "run_config:\n  kfp_version: 2\n"),
    )
    .expect("write");
    assert!(
        compile(dir.path(), &["-o", "out.yaml", "--check"])
            .status
            .success(),
        "kfp_version: 2 in config"
    );
    let argo = compile(dir.path(), &["--kfp-version", "1", "-o", "-"]);
    assert!(
        text(&argo.stdout).starts_with("apiVersion: argoproj.io/v1alpha1"),
        "the option wins"
    );

    let stderr = assert_clean_failure(&compile(
        dir.path(),
        &["--kfp-version", "2", "-o", "out.json"],
    ));
    assert!(stderr.contains("only YAML output"), "{stderr}");
    let usage = compile(dir.path(), &["--kfp-version", "3"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a bad option value is a usage error"
    );
}

#[test]
fn vertex_compile_writes_json_or_yaml_and_checks() {
    let dir = workdir_with_vertex("features");
    let output = vertex_compile(dir.path(), &["-o", "pipeline.json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let golden =
        std::fs::read_to_string(fixture("features").join("expected-vertex.json")).expect("golden");
    let written = std::fs::read_to_string(dir.path().join("pipeline.json")).expect("written");
    assert_eq!(written, golden);
    assert!(
        vertex_compile(dir.path(), &["-o", "pipeline.json", "--check"])
            .status
            .success()
    );

    let yaml = vertex_compile(dir.path(), &["-o", "pipeline.yaml"]);
    assert!(yaml.status.success());
    let from_yaml: serde_json::Value =
        kfp_yaml_value(&std::fs::read_to_string(dir.path().join("pipeline.yaml")).expect("yaml"));
    let from_json: serde_json::Value = serde_json::from_str(&written).expect("json");
    assert_eq!(from_yaml, from_json, "YAML and JSON hold the same spec");
}

fn kfp_yaml_value(yaml: &str) -> serde_json::Value {
    kfp_yaml::from_str(yaml).expect("the YAML output parses")
}

#[test]
fn vertex_errors_are_one_line_with_hints() {
    let dir = workdir_with_vertex("features");
    let config = std::fs::read_to_string(dir.path().join("vertexai.yaml")).expect("read");
    std::fs::write(
        dir.path().join("vertexai.yaml"),
        config.replace(
            "      cloud.google.com/gke-accelerator: NVIDIA_TESLA_T4\n",
            "      disk: ssd\n",
        ),
    )
    .expect("write");
    let stderr = assert_clean_failure(&vertex_compile(dir.path(), &["-o", "pipeline.json"]));
    assert!(
        stderr.contains("requests a GPU but no accelerator type"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: set `run_config.node_selectors."),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("vertexai.yaml"),
        "project_id: p\nregion: r\nrun_config:\n  root: b/p\n",
    )
    .expect("write");
    let stderr = assert_clean_failure(&vertex_compile(dir.path(), &["-o", "pipeline.json"]));
    assert!(
        stderr.contains("run_config.image") && stderr.contains("--image"),
        "{stderr}"
    );
    assert!(!dir.path().join("pipeline.json").exists());
}

#[test]
fn vertex_init_writes_a_config_that_compiles() {
    let dir = workdir("minimal");
    let init = [
        "vertexai",
        "init",
        "my-project",
        "europe-west4",
        "--project-name",
        "Demo",
        "--package-name",
        "demo",
    ];
    let output = kedro_kfp(dir.path(), &init, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let compiled = kedro_kfp(
        dir.path(),
        &[
            "vertexai",
            "compile",
            "--snapshot",
            "snapshot.json",
            "--config",
            "conf/base/vertexai.yaml",
            "-o",
            "-",
        ],
        None,
    );
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    let spec: serde_json::Value = serde_json::from_slice(&compiled.stdout).expect("json on stdout");
    assert_eq!(
        spec["defaultPipelineRoot"],
        "gs://my-project-kedro-vertexai/demo"
    );
    assert_eq!(spec["schemaVersion"], "2.1.0");
    assert_clean_failure(&kedro_kfp(dir.path(), &init, None));
}

#[test]
fn run_local_stops_its_steps_on_ctrl_c() {
    let dir = workdir("minimal");
    let workflow = r#"{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [{"name": "wait", "template": "wait"}]}},
            {"name": "wait", "container": {"image": "x", "command": ["sleep"], "args": ["30"]}}]}}"#;
    std::fs::write(dir.path().join("wf.json"), workflow).expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .args([
            "kubeflow",
            "run-local",
            "--snapshot",
            "snapshot.json",
            "--config",
            "kubeflow.yaml",
        ])
        .args(["--workflow", "wf.json", "--run-dir", "run"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let output = child.wait_with_output().expect("wait");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "the 30 s step was stopped"
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: interrupted: the running steps were stopped"),
        "{stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("run/logs/wait.log")).expect("log");
    assert!(log.starts_with(r#"{"argv":["sleep","30"]"#), "{log}");
}

#[test]
fn compile_warns_about_in_memory_datasets_that_cross_steps() {
    let dir = workdir("features");
    let output = compile(dir.path(), &["-o", "out.yml"]);
    assert!(
        output.status.success(),
        "a warning does not fail the compile"
    );
    let stderr = text(&output.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].starts_with("warning: dataset `memory_thing` is kept in memory, but node `data volume init` writes it"), "{stderr}");
    let merged = workdir("merged");
    let quiet = compile(merged.path(), &["-o", "out.yml"]);
    assert!(
        !text(&quiet.stderr).contains("warning:"),
        "one step shares memory: nothing crosses"
    );
}

#[test]
fn ui_prints_the_url_where_no_browser_can_open() {
    let dir = workdir_with_vertex("minimal");
    let kubeflow = Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .args([
            "kubeflow",
            "ui",
            "--snapshot",
            "snapshot.json",
            "--config",
            "kubeflow.yaml",
        ])
        .current_dir(dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run");
    assert_eq!(
        text(&kubeflow.stdout),
        "https://kfp.example.com/pipeline/#/pipelines\n"
    );
    let vertex = kedro_kfp(
        dir.path(),
        &[
            "vertexai",
            "ui",
            "--snapshot",
            "snapshot.json",
            "--config",
            "vertexai.yaml",
            "--print",
        ],
        None,
    );
    assert_eq!(
        text(&vertex.stdout),
        "https://console.cloud.google.com/vertex-ai/locations/europe-west4/pipelines/runs?project=demo-project\n"
    );
}
