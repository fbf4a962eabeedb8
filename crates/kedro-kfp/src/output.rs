//! Writing results: manifests go to a temporary file next to the target and are renamed over
//! it, so a failed or interrupted compile never leaves a partial file behind. Status lines
//! go to stderr; stdout carries data only.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one place that prints results"
)]

use std::io::Write;
use std::path::Path;

use crate::diagnostics::Failure;

/// `-` as a path means stdout.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `content` to `path` atomically (or to stdout for `-`).
pub(crate) fn write_atomically(path: &Path, content: &str) -> Result<(), Failure> {
    if is_stdout(path) {
        let mut stdout = std::io::stdout().lock();
        return match stdout
            .write_all(content.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // A closed pipe (`| head`) is not an error.
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Failure::user(format!("cannot write to stdout: {error}")))
            }
            _ => Ok(()),
        };
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".kedro-kfp-")
        .tempfile_in(dir)
        .map_err(|error| Failure::io("write into", dir, &error))?;
    temp.write_all(content.as_bytes())
        .map_err(|error| Failure::io("write", temp.path(), &error))?;
    // Temporary files are private (0600); the manifest is an ordinary file: keep the mode of
    // the file it replaces, or use the usual 0644.
    let permissions = fs_err::metadata(path)
        .map(|meta| meta.permissions())
        .unwrap_or_else(|_| default_permissions());
    temp.as_file()
        .set_permissions(permissions)
        .map_err(|error| Failure::io("write", temp.path(), &error))?;
    temp.persist(path)
        .map_err(|error| Failure::io("write", path, &error.error))?;
    Ok(())
}

/// A status line for people, on stderr.
pub(crate) fn status(message: &str) {
    eprintln!("{message}");
}

/// A warning for people, on stderr: one line.
pub(crate) fn warning(message: &str) {
    eprintln!("warning: {}", message.replace('\n', "\\n"));
}

/// Data on stdout (a `--check` diff).
pub(crate) fn data(text: &str) {
    print!("{text}");
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    // Elsewhere the temporary file's permissions are already the ordinary ones.
    std::fs::metadata(".")
        .map(|meta| meta.permissions())
        .unwrap_or_else(|_| unreachable!("cwd exists"))
}

/// With `-v`, the debug events of kedro-kfp's own crates (requests, answers, retries, login
/// steps) go to stderr; `-vv` adds their trace events. Other crates' events stay off: an HTTP
/// library's trace output could show headers, and with them credentials.
pub(crate) fn verbosity(level: u8) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let max = match level {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let ours = tracing_subscriber::filter::Targets::new()
        .with_target("kedro_kfp", max)
        .with_target("kfp_client", max);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_ansi(false);
    tracing_subscriber::registry()
        .with(tracing_subscriber::Layer::with_filter(layer, ours))
        .init();
}
