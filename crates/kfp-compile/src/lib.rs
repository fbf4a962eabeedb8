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

/// Where things are inside the step image, as kedro-docker lays it out (and kedro-kubeflow
/// assumes): the local runner maps these paths back to the project and its working copy.
pub mod image {
    /// The project directory (the image's working directory).
    pub const PROJECT_DIR: &str = "/home/kedro";
    /// The shared data volume replaces the project's `data/` in every step.
    pub const DATA_MOUNT: &str = "/home/kedro/data";
    /// Where `data-volume-init` sees the fresh volume while it copies `data/` into it.
    pub const INIT_MOUNT: &str = "/home/kedro/datavolume";
}

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

/// What a compiled pipeline holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Steps (Kedro node groups), fixed templates left out.
    pub steps: usize,
    /// Kedro nodes in those steps.
    pub nodes: usize,
    /// In-memory datasets that cross steps: the reading step would fail.
    pub memory_crossings: Vec<MemoryCrossing>,
}

/// A dataset that lives only in memory but is written by one step and read by another:
/// steps do not share memory, so the reading step would fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryCrossing {
    /// The dataset.
    pub dataset: String,
    /// The node that writes it, and its step.
    pub writer: (String, String),
    /// A node that reads it in another step, and that step.
    pub reader: (String, String),
}

/// Every in-memory dataset (a `MemoryDataset`, or a name the catalog does not define) that
/// crosses from one step to another. `step_of_node` maps Kedro node names to step names.
pub fn memory_crossings(
    snapshot: &Snapshot,
    pipeline: &str,
    step_of_node: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<MemoryCrossing>, CompileError> {
    let pipeline_nodes = plan::pipeline(snapshot, pipeline)?;
    let graph =
        kfp_snapshot::NodeGraph::new(pipeline_nodes).map_err(|source| CompileError::Graph {
            pipeline: pipeline.to_owned(),
            source,
        })?;
    Ok(crossings_in(snapshot, &graph, step_of_node))
}

/// [`memory_crossings`] on a graph already built.
pub(crate) fn crossings_in(
    snapshot: &Snapshot,
    graph: &kfp_snapshot::NodeGraph<'_>,
    step_of_node: &std::collections::BTreeMap<String, String>,
) -> Vec<MemoryCrossing> {
    let nodes = graph.nodes();
    let step = |index: usize| {
        step_of_node
            .get(&nodes[index].name)
            .cloned()
            .unwrap_or_default()
    };
    // Transcoded names (`x@pandas`, `x@spark`) are one dataset: it is in memory only if none
    // of its names is a catalogued file.
    let mut entries_of: std::collections::BTreeMap<&str, Vec<&kfp_snapshot::Dataset>> =
        std::collections::BTreeMap::new();
    for (name, dataset) in &snapshot.datasets {
        entries_of
            .entry(kfp_snapshot::strip_transcoding(name))
            .or_default()
            .push(dataset);
    }
    let mut crossings = Vec::new();
    for (dataset, (writer, readers)) in graph.crossing_datasets() {
        let in_memory = entries_of
            .get(dataset)
            .is_none_or(|entries| entries.iter().all(|d| d.is_memory() || !d.in_catalog));
        if !in_memory {
            continue;
        }
        if let Some(&reader) = readers.iter().find(|&&reader| step(reader) != step(writer)) {
            crossings.push(MemoryCrossing {
                dataset: dataset.to_owned(),
                writer: (nodes[writer].name.clone(), step(writer)),
                reader: (nodes[reader].name.clone(), step(reader)),
            });
        }
    }
    crossings
}

/// The name every top-level Kedro parameter has in compiled pipelines (Argo-safe, unique),
/// by Kedro key: what a run's parameter overrides must be sent as.
pub fn parameter_names(snapshot: &Snapshot) -> std::collections::BTreeMap<String, String> {
    names::unique_names(
        snapshot.parameters.keys().map(String::as_str),
        names::parameter_name,
        &std::collections::BTreeSet::new(),
    )
    .into_iter()
    .map(|(key, name)| (key.to_owned(), name))
    .collect()
}
