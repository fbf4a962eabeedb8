//! One module per command; each returns a [`Status`] or a [`Failure`] and prints through
//! `output` / `diagnostics` only.

mod compile;
mod init;
mod net;
mod remote;
mod run_local;
mod ui;
mod vertex;
mod volume;

use std::io::Read;
use std::path::Path;

use kfp_config::ConfigFile;
use kfp_snapshot::Snapshot;

use crate::cli::{Cli, Group, KubeflowCommand, SnapshotArgs, VertexCommand};
use crate::diagnostics::{Failure, Status};

pub(crate) fn run(cli: Cli) -> Result<Status, Failure> {
    match cli.command {
        Group::Kubeflow(KubeflowCommand::Init(args)) => init::kubeflow(&args),
        Group::Kubeflow(KubeflowCommand::Compile(args)) => compile::kubeflow(&args),
        Group::Kubeflow(KubeflowCommand::Ui(args)) => ui::kubeflow(&args),
        Group::Vertexai(VertexCommand::Ui(args)) => ui::vertexai(&args),
        Group::Vertexai(VertexCommand::ListPipelines(args)) => vertex::list_pipelines(&args),
        Group::Vertexai(VertexCommand::RunOnce(args)) => vertex::run_once(&args),
        Group::Vertexai(VertexCommand::Schedule(args)) => vertex::schedule(&args),
        Group::Kubeflow(KubeflowCommand::RunOnce(args)) => remote::run_once(&args),
        Group::Kubeflow(KubeflowCommand::Schedule(args)) => remote::schedule(&args),
        Group::Kubeflow(KubeflowCommand::DeletePipelineVolume(args)) => volume::delete(&args),
        Group::Kubeflow(KubeflowCommand::ListPipelines(args)) => remote::list_pipelines(&args),
        Group::Kubeflow(KubeflowCommand::UploadPipeline(args)) => remote::upload_pipeline(&args),
        Group::Kubeflow(KubeflowCommand::RunLocal(args)) => {
            run_local::run(&args, run_local::Group::Kubeflow)
        }
        Group::Vertexai(VertexCommand::Init(args)) => init::vertexai(&args),
        Group::Vertexai(VertexCommand::Compile(args)) => compile::vertexai(&args),
        Group::Vertexai(VertexCommand::RunLocal(args)) => {
            run_local::run(&args, run_local::Group::Vertexai)
        }
    }
}

/// The snapshot and the plugin's config files (`--config` replaces the snapshot's).
pub(crate) struct Input {
    pub snapshot: Snapshot,
    pub config_files: Vec<ConfigFile>,
}

pub(crate) fn read_input(args: &SnapshotArgs, config_name: &str) -> Result<Input, Failure> {
    let text = read_text(&args.snapshot)?;
    let snapshot = kfp_snapshot::from_json(&text)
        .map_err(|error| Failure::user(format!("{}: {error}", display_source(&args.snapshot))))?;
    let config_files = match &args.config {
        Some(path) => vec![ConfigFile {
            path: path.display().to_string(),
            content: read_text(path)?,
        }],
        None => snapshot
            .config_files
            .get(config_name)
            .into_iter()
            .flatten()
            .map(|file| ConfigFile {
                path: file.path.clone(),
                content: file.content.clone(),
            })
            .collect(),
    };
    Ok(Input {
        snapshot,
        config_files,
    })
}

fn read_text(path: &Path) -> Result<String, Failure> {
    if crate::output::is_stdout(path) {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| {
                Failure::user(format!("cannot read the snapshot from stdin: {error}"))
            })?;
        return Ok(text);
    }
    fs_err::read_to_string(path).map_err(|error| Failure::io("read", path, &error))
}

fn display_source(path: &Path) -> String {
    if crate::output::is_stdout(path) {
        "snapshot on stdin".to_owned()
    } else {
        path.display().to_string()
    }
}
