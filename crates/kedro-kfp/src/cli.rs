//! Command-line arguments (clap derive types only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Take a Kedro project to Kubeflow Pipelines and Vertex AI Pipelines.
///
/// Usually run through Kedro (`kedro kubeflow compile`), which loads the project and passes
/// its snapshot on stdin. Without Python, give a snapshot file written by
/// `kedro kubeflow snapshot -o FILE`.
#[derive(Debug, Parser)]
#[command(name = "kedro-kfp", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Group,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Group {
    /// Kubeflow Pipelines (the `kedro kubeflow` commands).
    #[command(subcommand)]
    Kubeflow(KubeflowCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KubeflowCommand {
    /// Write a commented `conf/base/kubeflow.yaml` for the project.
    Init(InitArgs),
    /// Compile a Kedro pipeline into an Argo Workflow that KFP runs.
    Compile(CompileArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Base URL of the Kubeflow Pipelines API, e.g. https://kubeflow.example.com/pipeline.
    pub host: String,
    /// Root directory of the Kedro project.
    #[arg(long, default_value = ".")]
    pub project_dir: PathBuf,
    /// Project name (`[tool.kedro] project_name`), used for the experiment and run names.
    #[arg(long)]
    pub project_name: String,
    /// Python package name (`[tool.kedro] package_name`), used as the image name.
    #[arg(long)]
    pub package_name: String,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// Project snapshot (JSON) to read, `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Use this config file instead of the one in the snapshot.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CompileArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    /// Kedro pipeline to compile.
    #[arg(short, long, default_value = "__default__")]
    pub pipeline: String,
    /// Image the steps run (overrides `run_config.image`).
    #[arg(short, long)]
    pub image: Option<String>,
    /// Where to write the workflow, `-` for stdout.
    #[arg(short, long, default_value = "pipeline.yml", value_name = "FILE")]
    pub output: PathBuf,
    /// Do not write: exit 1 and show a diff when FILE is not what compile would write.
    #[arg(long)]
    pub check: bool,
}
