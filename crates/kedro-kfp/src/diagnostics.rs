//! How failures reach the user: one `error:` line naming the file, key, node or URL, then
//! optional `hint:` lines, and an exit code. This is the only place errors are printed.

#![allow(clippy::print_stderr, reason = "the one place that prints errors")]

use std::path::Path;
use std::process::ExitCode;

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 0: done.
    Success,
    /// 1: the user's input or a remote service said no (or `--check` found a stale file).
    Failure,
    /// 2: usage error or a bug.
    #[allow(
        dead_code,
        reason = "clap reports usage errors itself; kept for internal errors"
    )]
    Internal,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        match status {
            Status::Success => ExitCode::SUCCESS,
            Status::Failure => ExitCode::from(1),
            Status::Internal => ExitCode::from(2),
        }
    }
}

/// A failure ready to print.
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    hints: Vec<String>,
    status: Status,
}

impl Failure {
    pub(crate) fn user(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hints: Vec::new(),
            status: Status::Failure,
        }
    }

    pub(crate) fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hints.extend(hint);
        self
    }

    pub(crate) fn io(action: &str, path: &Path, error: &std::io::Error) -> Self {
        Self::user(format!("cannot {action} `{}`: {error}", path.display()))
    }

    pub(crate) fn status(&self) -> Status {
        self.status
    }

    pub(crate) fn print(&self) {
        eprintln!("error: {}", single_line(&self.message));
        for hint in &self.hints {
            eprintln!("hint: {}", single_line(hint));
        }
    }
}

/// Errors are one line: a newline inside a value (a node name, say) is shown escaped.
fn single_line(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}

impl From<kfp_config::ConfigError> for Failure {
    fn from(error: kfp_config::ConfigError) -> Self {
        let hint = error.hint.clone();
        Self::user(error.to_string()).with_hint(hint)
    }
}

impl From<kfp_compile::CompileError> for Failure {
    fn from(error: kfp_compile::CompileError) -> Self {
        let mut message = error.to_string();
        if let Some(source) = std::error::Error::source(&error) {
            message = format!("{message}: {source}");
        }
        Self::user(message).with_hint(error.hint())
    }
}

impl From<kfp_snapshot::SnapshotError> for Failure {
    fn from(error: kfp_snapshot::SnapshotError) -> Self {
        Self::user(error.to_string())
    }
}
