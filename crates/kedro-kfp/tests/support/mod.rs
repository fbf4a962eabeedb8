//! Helpers the binary's test files share.

#![allow(dead_code, reason = "each test file uses its own subset")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kfp-compile/tests/fixtures")
        .join(case)
}

pub(crate) fn kedro_kfp(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kedro-kfp"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kedro-kfp");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory holding `snapshot.json` and `kubeflow.yaml` of a fixture.
pub(crate) fn workdir(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["snapshot.json", "kubeflow.yaml"] {
        std::fs::copy(fixture(case).join(file), dir.path().join(file)).expect("copy fixture");
    }
    dir
}

/// The shape every failure must have: exit 1, an `error:` line, no panic or backtrace.
pub(crate) fn assert_clean_failure(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .skip(1)
            .all(|line| line.starts_with("hint: ")),
        "{stderr}"
    );
    stderr
}
