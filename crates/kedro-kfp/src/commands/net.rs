//! What the commands that talk to a service share: the HTTP transport with the tuning knobs
//! from the environment, and waiting for a remote run that Ctrl-C and a timeout can stop
//! (the run goes on).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kfp_client::{Auth, Transport};

use crate::diagnostics::Failure;

/// First wait between retries (`KEDRO_KFP_RETRY_BACKOFF_MS`); tests shorten it.
const DEFAULT_BACKOFF_MS: u64 = 500;
/// Seconds a request may take to be answered (`KEDRO_KFP_HTTP_TIMEOUT`).
const DEFAULT_HTTP_TIMEOUT_S: u64 = 60;

/// A number from the environment (tuning knobs and tests), else the default.
fn env_number(variable: &str, default: u64) -> u64 {
    std::env::var(variable)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// A transport to `base` with the retry backoff and read timeout from the environment.
pub(crate) fn transport(base: &str, auth: Auth) -> Result<Transport, kfp_client::ApiError> {
    let backoff = env_number("KEDRO_KFP_RETRY_BACKOFF_MS", DEFAULT_BACKOFF_MS);
    let timeout = env_number("KEDRO_KFP_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT_S);
    Ok(Transport::new(base, auth, Duration::from_millis(backoff))?
        .with_read_timeout(Duration::from_secs(timeout)))
}

/// Waiting for a remote run: polls `KEDRO_KFP_POLL_MS` apart, stopped by Ctrl-C or a
/// timeout.
pub(crate) struct Waiter {
    /// What goes on when the waiting stops: "run", "pipeline job".
    noun: &'static str,
    interrupted: Arc<AtomicBool>,
    poll: Duration,
    started: Instant,
    timeout: Option<u64>,
}

impl Waiter {
    /// Starts the clock and takes over Ctrl-C.
    pub(crate) fn new(noun: &'static str, default_poll_ms: u64, timeout: Option<u64>) -> Self {
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&interrupted);
        // Only the first registration in a process succeeds; without it Ctrl-C just exits.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
        Self {
            noun,
            interrupted,
            poll: Duration::from_millis(env_number("KEDRO_KFP_POLL_MS", default_poll_ms)),
            started: Instant::now(),
            timeout,
        }
    }

    /// Seconds since the waiting began.
    pub(crate) fn elapsed(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Why to stop waiting, if it is time: Ctrl-C, or the timeout. `what` names the run
    /// (`run x is still RUNNING`), `link` where it can be followed.
    pub(crate) fn stop(&self, what: &str, link: &str) -> Option<Failure> {
        if self.interrupted.load(Ordering::SeqCst) {
            return Some(Failure::user(format!(
                "stopped waiting; the {} goes on: {link}",
                self.noun
            )));
        }
        self.timeout
            .filter(|seconds| self.elapsed() >= *seconds)
            .map(|_| {
                Failure::user(format!(
                    "{what} after {}s; stopped waiting, the {} goes on: {link}",
                    self.elapsed(),
                    self.noun
                ))
            })
    }

    /// Sleeps until the next poll, in slices so that Ctrl-C is answered at once.
    pub(crate) fn pause(&self) {
        let until = Instant::now() + self.poll;
        while Instant::now() < until && !self.interrupted.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(self.poll));
        }
    }
}
