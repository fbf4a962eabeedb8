//! Running a [`LocalPlan`]: up to `jobs` steps at once, each its own process with its own
//! log file, in dependency order. The first failure stops new steps from starting; running
//! ones finish; exit handlers (`always` steps) still run. An interrupt stops everything.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::RunError;
use crate::plan::{Action, LocalPlan};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Steps at once.
    pub jobs: usize,
    /// Where each step's log goes (`<dir>/<step>.log`).
    pub log_dir: PathBuf,
    /// Set from a signal handler: stop the run.
    pub interrupted: Arc<AtomicBool>,
}

/// What happened to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Not started yet.
    Pending,
    /// Running.
    Running,
    /// Finished with exit code 0.
    Succeeded,
    /// Finished otherwise.
    Failed,
    /// Never started: an upstream step failed, or the run was stopped.
    Skipped,
}

/// Progress, for the printer.
#[derive(Debug, Clone)]
pub enum Event {
    /// A step started.
    Started {
        /// Step index.
        step: usize,
    },
    /// A step ended.
    Finished {
        /// Step index.
        step: usize,
        /// Succeeded or failed.
        state: StepState,
        /// Wall time.
        elapsed: Duration,
        /// Exit code, when the process exited with one.
        code: Option<i32>,
    },
    /// Time passes (about every 200 ms while steps run), for elapsed-time displays.
    Tick,
}

/// How the run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Final state of every step.
    pub states: Vec<StepState>,
    /// Most steps that ran at the same time.
    pub peak_parallelism: usize,
    /// Whether an interrupt stopped the run.
    pub interrupted: bool,
}

impl Outcome {
    /// Whether every step that had to run succeeded.
    pub fn succeeded(&self) -> bool {
        !self.interrupted
            && self
                .states
                .iter()
                .all(|state| *state == StepState::Succeeded)
    }
}

/// How long interrupted steps get to stop before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

struct Finished {
    step: usize,
    success: bool,
    code: Option<i32>,
    elapsed: Duration,
}

/// Runs the plan, reporting progress through `report`.
pub fn run(
    plan: &LocalPlan,
    options: &RunOptions,
    report: &mut dyn FnMut(&Event),
) -> Result<Outcome, RunError> {
    let steps = &plan.steps;
    let jobs = options.jobs.max(1);
    std::fs::create_dir_all(&options.log_dir).map_err(|source| RunError::Io {
        path: options.log_dir.clone(),
        source,
    })?;
    let mut states = vec![StepState::Pending; steps.len()];
    let mut running: BTreeSet<usize> = BTreeSet::new();
    let mut groups: Vec<(usize, Pid)> = Vec::new();
    let mut failed = false;
    let mut peak = 0;
    let mut stop_requested: Option<Instant> = None;
    let (sender, receiver) = mpsc::channel::<Finished>();

    loop {
        let interrupted = options.interrupted.load(Ordering::SeqCst);
        if interrupted {
            // Children run in their own process groups: a terminal's Ctrl-C reaches only us,
            // and we pass it on once so each step can stop cleanly; a step still running
            // after the grace period is killed.
            let signal = match stop_requested {
                None => Some(Signal::SIGINT),
                Some(since) if since.elapsed() > STOP_GRACE => Some(Signal::SIGKILL),
                Some(_) => None,
            };
            stop_requested.get_or_insert_with(Instant::now);
            for (_, group) in signal.map(|_| &groups).into_iter().flatten() {
                let _ = killpg(*group, signal.unwrap_or(Signal::SIGINT));
            }
        }
        // Start what is ready.
        if !interrupted {
            for index in 0..steps.len() {
                if running.len() >= jobs {
                    break;
                }
                if states[index] != StepState::Pending {
                    continue;
                }
                let step = &steps[index];
                let deps_done = step
                    .dependencies
                    .iter()
                    .all(|&d| !matches!(states[d], StepState::Pending | StepState::Running));
                if !deps_done {
                    continue;
                }
                let deps_ok = step
                    .dependencies
                    .iter()
                    .all(|&d| states[d] == StepState::Succeeded);
                if !step.always && (failed || !deps_ok) {
                    states[index] = StepState::Skipped;
                    continue;
                }
                states[index] = StepState::Running;
                report(&Event::Started { step: index });
                match start(index, &step.action, &step.name, options, &sender)? {
                    Some(group) => {
                        running.insert(index);
                        groups.push((index, group));
                        peak = peak.max(running.len());
                    }
                    None => {
                        states[index] = StepState::Succeeded;
                        report(&Event::Finished {
                            step: index,
                            state: StepState::Succeeded,
                            elapsed: Duration::ZERO,
                            code: Some(0),
                        });
                    }
                }
            }
        }
        if running.is_empty() {
            let startable = !interrupted
                && states.iter().enumerate().any(|(i, s)| {
                    *s == StepState::Pending
                        && steps[i]
                            .dependencies
                            .iter()
                            .all(|&d| !matches!(states[d], StepState::Pending | StepState::Running))
                });
            if !startable {
                break;
            }
            continue;
        }
        match receiver.recv_timeout(Duration::from_millis(200)) {
            Ok(done) => {
                running.remove(&done.step);
                groups.retain(|(step, _)| *step != done.step);
                let state = if done.success {
                    StepState::Succeeded
                } else {
                    StepState::Failed
                };
                failed |= !done.success;
                states[done.step] = state;
                report(&Event::Finished {
                    step: done.step,
                    state,
                    elapsed: done.elapsed,
                    code: done.code,
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => report(&Event::Tick),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for state in &mut states {
        if *state == StepState::Pending {
            *state = StepState::Skipped;
        }
    }
    Ok(Outcome {
        states,
        peak_parallelism: peak,
        interrupted: options.interrupted.load(Ordering::SeqCst),
    })
}

/// Starts a step; `None` when it finished at once (no process needed).
fn start(
    index: usize,
    action: &Action,
    name: &str,
    options: &RunOptions,
    sender: &mpsc::Sender<Finished>,
) -> Result<Option<Pid>, RunError> {
    let log_path = options.log_dir.join(format!("{name}.log"));
    match action {
        Action::Skip => Ok(None),
        Action::CreateVolume(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| RunError::Io {
                path: dir.clone(),
                source,
            })?;
            Ok(None)
        }
        Action::Process {
            program,
            args,
            env,
            cwd,
        } => {
            let io = |source| RunError::Io {
                path: log_path.clone(),
                source,
            };
            let mut log = File::create(&log_path).map_err(io)?;
            // The exact argv first, as JSON (unambiguous whatever the arguments hold), so a
            // log says what ran.
            let argv: Vec<&str> = std::iter::once(program.as_str())
                .chain(args.iter().map(String::as_str))
                .collect();
            let header = serde_json::json!({"argv": argv, "cwd": cwd.display().to_string()});
            writeln!(log, "{header}").map_err(io)?;
            let log_err = log.try_clone().map_err(|source| RunError::Io {
                path: log_path.clone(),
                source,
            })?;
            let mut command = Command::new(program);
            command
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .current_dir(cwd);
            command.stdin(Stdio::null()).stdout(log).stderr(log_err);
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let started = Instant::now();
            let mut child = command.spawn().map_err(|source| RunError::Spawn {
                program: program.clone(),
                step: name.to_owned(),
                source,
            })?;
            let group = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
            let sender = sender.clone();
            std::thread::spawn(move || {
                let status = child.wait();
                let (success, code) = match status {
                    Ok(status) => (status.success(), status.code()),
                    Err(_) => (false, None),
                };
                let _ = sender.send(Finished {
                    step: index,
                    success,
                    code,
                    elapsed: started.elapsed(),
                });
            });
            Ok(Some(group))
        }
    }
}
