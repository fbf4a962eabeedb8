//! Pure compilation: a project snapshot and the plugin's config in, typed manifests out.
//!
//! Nothing here reads files, talks to a network or prints: the same inputs always give the
//! same value, and therefore (through `kfp-yaml`) the same bytes.

pub mod argo;
pub mod ir;
mod names;
mod plan;
mod resources;

pub use plan::Grouping;

use kfp_config::KubeflowConfig;
use kfp_snapshot::{GraphError, Snapshot};

/// What to compile.
#[derive(Debug, Clone, Copy)]
pub struct CompileRequest<'a> {
    /// The project.
    pub snapshot: &'a Snapshot,
    /// The resolved `kubeflow.yaml`.
    pub config: &'a KubeflowConfig,
    /// The config file to name in errors about config values.
    pub config_file: &'a str,
    /// The Kedro pipeline to compile.
    pub pipeline: &'a str,
    /// `--image`, which wins over `run_config.image`.
    pub image: Option<&'a str>,
}

impl<'a> CompileRequest<'a> {
    pub(crate) fn image(&self) -> Result<&'a str, CompileError> {
        self.image
            .or(self.config.run_config.image.as_deref())
            .filter(|image| !image.trim().is_empty())
            .ok_or_else(|| CompileError::MissingImage {
                config_file: self.config_file.to_owned(),
            })
    }
}

/// Why a pipeline could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// `--pipeline` names no registered pipeline.
    #[error("pipeline `{name}` is not registered in the project")]
    UnknownPipeline {
        /// The requested name.
        name: String,
        /// The registered names.
        available: Vec<String>,
    },
    /// `run_config.on_exit_pipeline` names no registered pipeline.
    #[error(
        "{config_file}: `run_config.on_exit_pipeline`: pipeline `{name}` is not registered in the project"
    )]
    UnknownOnExitPipeline {
        /// The config file that names it.
        config_file: String,
        /// The configured name.
        name: String,
        /// The registered names.
        available: Vec<String>,
    },
    /// The pipeline has no nodes.
    #[error("pipeline `{name}` has no nodes, so there is nothing to compile")]
    EmptyPipeline {
        /// The pipeline.
        name: String,
    },
    /// Neither `--image` nor `run_config.image`.
    #[error("no image to run the steps: `run_config.image` is not set in {config_file}")]
    MissingImage {
        /// The config file that should set it.
        config_file: String,
    },
    /// A config value the target cannot express.
    #[error("{config_file}: `{key}`: {message}")]
    InvalidValue {
        /// The config file.
        config_file: String,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A GPU request on Vertex without an accelerator type.
    #[error("step `{step}` requests a GPU but no accelerator type is set")]
    MissingAccelerator {
        /// The step.
        step: String,
    },
    /// A resource the KFP v2 IR has no field for.
    #[error("step `{step}`: resource `{resource}` cannot be set in a KFP v2 or Vertex AI pipeline")]
    UnsupportedResource {
        /// The step.
        step: String,
        /// The resource key.
        resource: String,
    },
    /// Grouping nodes into steps would make steps depend on each other in a circle.
    #[error(
        "grouping nodes into step `{group}` makes it depend on itself through nodes outside the group"
    )]
    GroupingCycle {
        /// The group.
        group: String,
    },
    /// The pipeline's nodes are inconsistent (hand-written snapshots only).
    #[error("pipeline `{pipeline}`: {source}")]
    Graph {
        /// The pipeline.
        pipeline: String,
        /// What is wrong.
        #[source]
        source: GraphError,
    },
}

impl CompileError {
    /// A line telling the user how to fix the problem.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownPipeline { name, available }
            | Self::UnknownOnExitPipeline {
                name, available, ..
            } => {
                let closest = available
                    .iter()
                    .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                Some(match closest {
                    Some((_, best)) => format!(
                        "did you mean `{best}`? registered pipelines: {}",
                        available.join(", ")
                    ),
                    None => format!("registered pipelines: {}", available.join(", ")),
                })
            }
            Self::EmptyPipeline { .. } => {
                Some("check the pipeline registry (`kedro registry describe <name>`)".to_owned())
            }
            Self::MissingImage { .. } => {
                Some("set `run_config.image`, or pass `--image <image>`".to_owned())
            }
            Self::GroupingCycle { .. } => Some(
                "give the nodes in between the same grouping tag, or split the group".to_owned(),
            ),
            Self::MissingAccelerator { step } => Some(format!(
                "set `run_config.node_selectors.{step}.cloud.google.com/gke-accelerator` (e.g. NVIDIA_TESLA_T4)"
            )),
            Self::UnsupportedResource { .. } => Some(
                "use cpu, memory and gpu (or nvidia.com/gpu) in `run_config.resources`".to_owned(),
            ),
            Self::Graph { .. } | Self::InvalidValue { .. } => None,
        }
    }
}
