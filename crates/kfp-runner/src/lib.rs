//! Runs a compiled pipeline on this machine: every step of the Argo Workflow or KFP v2 IR
//! as its own process, with the command, arguments and environment its container would
//! get, the project standing in for the image and a working copy of `data/` standing in for
//! the data volume (or Vertex AI's `run_config.root`).
//!
//! This crate prints nothing: progress is reported through [`run::Event`]s.

pub mod plan;
pub mod run;

use std::path::{Path, PathBuf};

pub use plan::{Action, Layout, LocalPlan, LocalStep, Values};
pub use run::{Event, Outcome, RunOptions, StepState};

/// Why a local run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The manifest is not one this runner understands.
    #[error("the compiled pipeline cannot run here: {0}")]
    Manifest(String),
    /// `--param` names no parameter of the pipeline.
    #[error("`--param {key}`: the pipeline has no such parameter")]
    UnknownParameter {
        /// The key given.
        key: String,
        /// The Kedro parameters the pipeline reads.
        available: Vec<String>,
    },
    /// A file or directory operation failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A step's program could not be started.
    #[error("step `{step}`: cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The step.
        step: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Layout {
    /// The run's directories under `run_dir` (nothing is created yet).
    pub fn new(project_dir: &Path, run_dir: &Path) -> Self {
        Self {
            project_dir: project_dir.to_path_buf(),
            step_dir: run_dir.join("project"),
            volume_dir: run_dir.join("volume"),
        }
    }

    /// Creates the directories: `volume/` (a copy of the project's `data/` when the
    /// pipeline does not make its own volume) and `project/`, the stand-in for the image:
    /// the project's files, `src/` and `conf/` copied (Kedro resolves the source directory
    /// and refuses one outside the project root, so a link will not do), other directories
    /// linked, hidden directories (`.git`, `.venv`) left out, and `data` → the volume.
    pub fn prepare(&self, copy_data: bool) -> Result<(), RunError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RunError::Io { path, source }
        };
        std::fs::create_dir_all(&self.step_dir).map_err(io(&self.step_dir))?;
        if copy_data {
            copy_dir(&self.project_dir.join("data"), &self.volume_dir)?;
        }
        let entries = std::fs::read_dir(&self.project_dir).map_err(io(&self.project_dir))?;
        for entry in entries {
            let entry = entry.map_err(io(&self.project_dir))?;
            let name = entry.file_name();
            let target = self.step_dir.join(&name);
            let is_dir = entry.path().is_dir();
            if name == "data" || (is_dir && name.to_string_lossy().starts_with('.')) {
                continue;
            }
            if !is_dir {
                std::fs::copy(entry.path(), &target).map_err(io(&target))?;
            } else if name == "src" || name == "conf" {
                copy_dir(&entry.path(), &target)?;
            } else {
                symlink(&entry.path(), &target).map_err(io(&target))?;
            }
        }
        let data_link = self.step_dir.join("data");
        symlink(&self.volume_dir, &data_link).map_err(io(&data_link))
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Copies a directory tree (files and directories; links are followed).
fn copy_dir(from: &Path, to: &Path) -> Result<(), RunError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Io { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    if !from.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}
