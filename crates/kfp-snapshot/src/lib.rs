//! The snapshot: one versioned JSON document describing a Kedro project, written by the Python
//! shim (`kedro_kfp.snapshot`) and read by the compiler.
//!
//! The schema is documented in `docs/snapshot.md` and checked in as
//! `schema/snapshot.v1.schema.json`. The model here is strict (`deny_unknown_fields`): a
//! snapshot written by a different shim version fails loudly instead of compiling something
//! half-understood.

mod graph;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use graph::{GraphError, NodeGraph};

/// The snapshot version this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Kedro's reserved input name that feeds a node every parameter.
const ALL_PARAMETERS: &str = "parameters";
/// Prefix of a node input that reads one parameter (`params:model_options.test_size`).
const PARAMS_PREFIX: &str = "params:";

/// A Kedro project as the compiler needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_VERSION`] for this model.
    pub snapshot_version: u32,
    /// Versions of the tools that wrote the snapshot (for error reports only).
    pub producer: Producer,
    /// Project identity and the Kedro environment it was loaded with.
    pub project: Project,
    /// The plugin's own config files, by config name (`kubeflow`, `vertexai`), in the order
    /// Kedro merges them (base first, then the run environment).
    #[serde(default)]
    pub config_files: BTreeMap<String, Vec<ConfigFile>>,
    /// The project's parameters as Kedro resolved them (top-level keys).
    #[serde(default)]
    pub parameters: serde_json::Map<String, Value>,
    /// Every dataset a pipeline node reads or writes, parameters excluded.
    #[serde(default)]
    pub datasets: BTreeMap<String, Dataset>,
    /// The registered pipelines by name.
    pub pipelines: BTreeMap<String, Pipeline>,
}

/// Who wrote the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    /// `kedro.__version__` of the project's environment.
    pub kedro_version: String,
    /// Version of the `kedro_kfp` Python package that wrote the snapshot.
    pub kedro_kfp_version: String,
}

/// Project identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Human-readable project name (`[tool.kedro] project_name`).
    pub name: String,
    /// Python package name (`[tool.kedro] package_name`).
    pub package_name: String,
    /// The Kedro environment given with `-e/--env`, or `None` for Kedro's default.
    #[serde(default)]
    pub env: Option<String>,
}

/// One config file of the plugin, as text, so its errors can point at a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Path relative to the project root, e.g. `conf/base/kubeflow.yaml`.
    pub path: String,
    /// The file's content.
    pub content: String,
}

/// What the catalog says about one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Dataset type as written in the catalog (`pandas.CSVDataset`), or Kedro's default
    /// (`kedro.io.MemoryDataset`) for a dataset the catalog does not define.
    #[serde(rename = "type")]
    pub kind: String,
    /// `filepath` (or `path`) from the catalog entry, when it has one.
    #[serde(default)]
    pub filepath: Option<String>,
    /// Whether the catalog defines the dataset, explicitly or through a factory pattern.
    pub in_catalog: bool,
}

impl Dataset {
    /// Whether the dataset lives only in the memory of the process that wrote it.
    pub fn is_memory(&self) -> bool {
        let short = self.kind.rsplit('.').next().unwrap_or(&self.kind);
        matches!(
            short,
            "MemoryDataset" | "MemoryDataSet" | "SharedMemoryDataset"
        )
    }
}

/// A Kedro pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// The nodes, in Kedro's topological order.
    pub nodes: Vec<Node>,
}

/// A Kedro node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Full node name, namespace included (`active_modelling_pipeline.train_model_node`).
    pub name: String,
    /// The node's namespace, if any.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The node's tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Input names, including `params:…` and `parameters`.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Output dataset names.
    #[serde(default)]
    pub outputs: Vec<String>,
}

impl Node {
    /// Dataset inputs (parameter inputs left out).
    pub fn dataset_inputs(&self) -> impl Iterator<Item = &str> {
        self.inputs
            .iter()
            .map(String::as_str)
            .filter(|input| !is_parameter_input(input))
    }
}

/// Whether a node input names parameters rather than a dataset.
pub fn is_parameter_input(input: &str) -> bool {
    input == ALL_PARAMETERS || input.starts_with(PARAMS_PREFIX)
}

/// Kedro transcoding (`companies@pandas`, `companies@spark`) names one dataset several ways;
/// dependencies are computed on the part before `@`, as `Pipeline.node_dependencies` does.
pub fn strip_transcoding(dataset: &str) -> &str {
    dataset.split_once('@').map_or(dataset, |(name, _)| name)
}

impl Snapshot {
    /// The top-level parameter keys that the given nodes read, sorted.
    ///
    /// `params:a.b.c` reads top-level `a` (Kedro walks nested dictionaries on dots); a
    /// top-level key that itself contains dots is matched first. `parameters` reads all.
    pub fn parameters_used_by<'a>(&'a self, nodes: &[&'a Node]) -> Vec<&'a str> {
        let mut used = std::collections::BTreeSet::new();
        for input in nodes.iter().flat_map(|node| node.inputs.iter()) {
            if input == ALL_PARAMETERS {
                return self.parameters.keys().map(String::as_str).collect();
            }
            if let Some(path) = input.strip_prefix(PARAMS_PREFIX)
                && let Some(key) = self.top_level_parameter(path)
            {
                used.insert(key);
            }
        }
        used.into_iter().collect()
    }

    fn top_level_parameter(&self, path: &str) -> Option<&str> {
        self.parameters
            .keys()
            .filter(|key| {
                path == key.as_str()
                    || path
                        .strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|key| key.len())
            .map(String::as_str)
    }
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("the snapshot is not valid: {0}")]
    Invalid(#[source] serde_json::Error),
    /// Written by a shim of another snapshot version.
    #[error(
        "snapshot version {found} is not supported (this kedro-kfp reads version {SNAPSHOT_VERSION}); \
         install the same kedro-kfp version in the project and where the binary runs"
    )]
    UnsupportedVersion {
        /// The version the snapshot declares.
        found: u64,
    },
    /// No `snapshot_version` key at all.
    #[error("the snapshot has no `snapshot_version`; write it with `kedro kubeflow snapshot`")]
    MissingVersion,
}

/// Parses a snapshot, checking its version before its shape so that a snapshot from another
/// version is reported as such rather than as a confusing field error.
pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
    #[derive(Deserialize)]
    struct VersionProbe {
        snapshot_version: Option<Value>,
    }
    let probe: VersionProbe = serde_json::from_str(text).map_err(SnapshotError::Invalid)?;
    match probe.snapshot_version {
        None => return Err(SnapshotError::MissingVersion),
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(SNAPSHOT_VERSION)) => {}
        Some(Value::Number(n)) => {
            return Err(SnapshotError::UnsupportedVersion {
                found: n.as_u64().unwrap_or(0),
            });
        }
        Some(_) => return Err(SnapshotError::MissingVersion),
    }
    serde_json::from_str(text).map_err(SnapshotError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_with_params(params: Value) -> Snapshot {
        let text = serde_json::json!({
            "snapshot_version": 1,
            "producer": {"kedro_version": "1.7.0", "kedro_kfp_version": "0.1.0"},
            "project": {"name": "P", "package_name": "p"},
            "parameters": params,
            "pipelines": {},
        });
        from_json(&text.to_string()).expect("valid snapshot")
    }

    fn node(inputs: &[&str]) -> Node {
        Node {
            name: "n".into(),
            namespace: None,
            tags: vec![],
            inputs: inputs.iter().map(ToString::to_string).collect(),
            outputs: vec![],
        }
    }

    #[test]
    fn parameters_used_by_maps_dotted_inputs_to_top_level_keys() {
        let snapshot = snapshot_with_params(serde_json::json!({
            "ns": {"model_options": {"test_size": 0.2}},
            "ns.flat": 1,
            "other": 2,
        }));
        let n = node(&[
            "params:ns.model_options.test_size",
            "params:ns.flat",
            "companies",
        ]);
        assert_eq!(snapshot.parameters_used_by(&[&n]), vec!["ns", "ns.flat"]);
        let all = node(&["parameters"]);
        assert_eq!(
            snapshot.parameters_used_by(&[&all]),
            vec!["ns", "ns.flat", "other"]
        );
        let unknown = node(&["params:missing"]);
        assert!(snapshot.parameters_used_by(&[&unknown]).is_empty());
    }

    #[test]
    fn other_versions_are_named_in_the_error() {
        let err = from_json(r#"{"snapshot_version": 7}"#).expect_err("must fail");
        assert!(
            err.to_string()
                .contains("snapshot version 7 is not supported"),
            "{err}"
        );
        let err = from_json(r#"{"pipelines": {}}"#).expect_err("must fail");
        assert!(matches!(err, SnapshotError::MissingVersion));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let text = r#"{"snapshot_version": 1, "producer": {"kedro_version": "1", "kedro_kfp_version": "1"},
            "project": {"name": "P", "package_name": "p"}, "pipelines": {}, "surprise": 1}"#;
        let err = from_json(text).expect_err("must fail");
        assert!(err.to_string().contains("surprise"), "{err}");
    }

    #[test]
    fn transcoding_is_stripped() {
        assert_eq!(strip_transcoding("companies@pandas"), "companies");
        assert_eq!(strip_transcoding("companies"), "companies");
    }
}
