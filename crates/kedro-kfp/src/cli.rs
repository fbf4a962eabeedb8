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
    /// Say more on stderr: each HTTP request and answer (-v), and more (-vv). Secrets are
    /// never shown.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Group,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Group {
    /// Kubeflow Pipelines (the `kedro kubeflow` commands).
    #[command(subcommand)]
    Kubeflow(KubeflowCommand),
    /// Vertex AI Pipelines (the `kedro vertexai` commands).
    #[command(subcommand)]
    Vertexai(VertexCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum VertexCommand {
    /// Write a commented `conf/base/vertexai.yaml` for the project.
    Init(VertexInitArgs),
    /// Compile a Kedro pipeline into a Vertex AI pipeline spec (KFP v2 IR).
    Compile(VertexCompileArgs),
    /// Run the compiled pipeline on this machine, every step as its own process.
    RunLocal(RunLocalArgs),
    /// Open the Vertex AI Pipelines console in a browser (or print its URL).
    Ui(UiArgs),
    /// List the pipeline jobs (runs) of the project and region, newest first.
    ListPipelines(ListPipelinesArgs),
    /// Compile the pipeline and start it as one Vertex AI pipeline job.
    RunOnce(VertexRunOnceArgs),
    /// Compile the pipeline and run it on a cron schedule (replacing the schedule of the same name).
    Schedule(VertexScheduleArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VertexRunOnceArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    #[command(flatten)]
    pub target: PipelineArgs,
    /// Override a pipeline parameter: KEY=VALUE, VALUE as JSON or plain text (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VertexScheduleArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    #[command(flatten)]
    pub target: PipelineArgs,
    /// 5-field cron (default: `run_config.schedules`, else `0 0 * * *`).
    #[arg(short = 'c', long, value_name = "CRON")]
    pub cron_expression: Option<String>,
    /// IANA time zone of the cron, e.g. Europe/Warsaw (default: the schedule's `timezone`).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Override a pipeline parameter: KEY=VALUE, VALUE as JSON or plain text (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunLocalArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    /// Kedro pipeline to compile and run.
    #[arg(short, long, default_value = "__default__")]
    pub pipeline: String,
    /// Run this compiled file (Argo Workflow or KFP v2 IR, YAML or JSON) instead of compiling.
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<PathBuf>,
    /// `kedro kubeflow` only: run the Argo Workflow (1) or the KFP v2 IR (2).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kfp_version: Option<u8>,
    /// Steps to run at once (default: the number of cores).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Override a pipeline parameter: KEY=VALUE, VALUE as JSON or plain text (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// The Kedro project (stands in for the image).
    #[arg(long, default_value = ".")]
    pub project_dir: PathBuf,
    /// Where the run's volume, step directory and logs go
    /// (default: `<project>/.kedro-kfp/run-local/<run id>`).
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VertexInitArgs {
    /// Google Cloud project id.
    pub project_id: String,
    /// Google Cloud region, e.g. europe-west4.
    pub region: String,
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VertexCompileArgs {
    #[command(flatten)]
    pub common: CommonCompileArgs,
    /// Where to write the spec: JSON when FILE ends in `.json`, YAML otherwise; `-` for stdout (JSON).
    #[arg(short, long, default_value = "pipeline.json", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KubeflowCommand {
    /// Write a commented `conf/base/kubeflow.yaml` for the project.
    Init(InitArgs),
    /// Compile a Kedro pipeline into an Argo Workflow that KFP runs.
    Compile(CompileArgs),
    /// Run the compiled pipeline on this machine, every step as its own process.
    RunLocal(RunLocalArgs),
    /// List the pipelines deployed on the KFP server.
    ListPipelines(ListPipelinesArgs),
    /// Compile the pipeline and upload it to the KFP server (a new version when it exists).
    UploadPipeline(UploadPipelineArgs),
    /// Open the Kubeflow Pipelines UI in a browser (or print its URL).
    Ui(UiArgs),
    /// Compile, upload and start the pipeline as a single run in the configured experiment.
    RunOnce(RunOnceArgs),
    /// Run the newest uploaded version of the pipeline on a cron schedule (replacing the
    /// recurring run of the same name).
    Schedule(ScheduleArgs),
    /// Delete a run's data volume (what the exit handler runs in the cluster).
    DeletePipelineVolume(DeleteVolumeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DeleteVolumeArgs {
    /// The PersistentVolumeClaim's name.
    pub name: String,
    /// Namespace (default: the pod's, from its service account).
    #[arg(long)]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Base URL of the Kubeflow Pipelines API, e.g. https://kubeflow.example.com/pipeline.
    pub host: String,
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProjectArgs {
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
    /// Also write GitHub Actions workflows (`.github/workflows/`): on push, build the image
    /// and run the pipeline once; on merge to main, build, upload and schedule it.
    #[arg(long)]
    pub with_github_actions: bool,
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

/// Which pipeline, run by which image.
#[derive(Debug, Args)]
pub(crate) struct PipelineArgs {
    /// Kedro pipeline to compile.
    #[arg(short, long, default_value = "__default__")]
    pub pipeline: String,
    /// Image the steps run (overrides `run_config.image`).
    #[arg(short, long)]
    pub image: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CommonCompileArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    #[command(flatten)]
    pub target: PipelineArgs,
    /// Do not write: exit 1 and show a diff when FILE is not what compile would write.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompileArgs {
    #[command(flatten)]
    pub common: CommonCompileArgs,
    /// Where to write the pipeline, `-` for stdout.
    #[arg(short, long, default_value = "pipeline.yml", value_name = "FILE")]
    pub output: PathBuf,
    /// 1: Argo Workflow (KFP 1.8 and 2.x); 2: KFP v2 IR (KFP 2.x). Default: `run_config.kfp_version`, else 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kfp_version: Option<u8>,
}

#[derive(Debug, Args)]
pub(crate) struct ListPipelinesArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    /// Print the pipelines as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UploadPipelineArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    #[command(flatten)]
    pub target: PipelineArgs,
    /// Upload the Argo Workflow (1) or the KFP v2 IR (2). Default: `run_config.kfp_version`, else 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kfp_version: Option<u8>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UiArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    /// Only print the URL.
    #[arg(long)]
    pub print: bool,
}

/// Following a run to its end.
#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    /// Wait until the run ends, and exit 1 unless it succeeded (default: `run_config.wait_for_completion`).
    #[arg(long)]
    pub wait_for_completion: bool,
    /// With waiting: give up after this many seconds (the run goes on).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// Where runs go.
#[derive(Debug, Args)]
pub(crate) struct ExperimentArgs {
    /// Experiment to run in, created when missing (default: `run_config.experiment_name`).
    #[arg(short = 'x', long)]
    pub experiment_name: Option<String>,
    /// Namespace of the experiment, on a multi-user Kubeflow (your profile's namespace).
    #[arg(long, value_name = "NAMESPACE")]
    pub experiment_namespace: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ScheduleArgs {
    #[command(flatten)]
    pub input: SnapshotArgs,
    /// Kedro pipeline whose uploaded pipeline to schedule.
    #[arg(short, long, default_value = "__default__")]
    pub pipeline: String,
    /// The uploaded kind, for typing `--param` values: Argo Workflow (1) or KFP v2 IR (2).
    /// Default: `run_config.kfp_version`, else 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kfp_version: Option<u8>,
    /// When to run: KFP cron `sec min hour day-of-month month day-of-week`; a five-field
    /// expression gets a `0` seconds field.
    #[arg(short, long, value_name = "CRON")]
    pub cron_expression: String,
    #[command(flatten)]
    pub experiment: ExperimentArgs,
    /// Override a pipeline parameter: KEY=VALUE, VALUE as JSON or plain text (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunOnceArgs {
    #[command(flatten)]
    pub upload: UploadPipelineArgs,
    #[command(flatten)]
    pub experiment: ExperimentArgs,
    /// Run name (default: `run_config.run_name`).
    #[arg(long)]
    pub run_name: Option<String>,
    /// Override a pipeline parameter: KEY=VALUE, VALUE as JSON or plain text (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}
