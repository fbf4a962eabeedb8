//! The plugin's config files: `conf/<env>/kubeflow.yaml` (and, later, `vertexai.yaml`).
//!
//! Parsing is strict — an unknown key is an error naming the file, the position, the key and
//! the closest valid key — and tolerant where users' files differ: quantities may be numbers
//! or strings, sections may be empty.

pub mod cron;
mod error;
mod init;
pub mod kubeflow;
mod quantity;
pub mod reference;
pub mod vertexai;

use serde::de::DeserializeOwned;

pub use error::{ConfigError, Location};
pub use init::{
    InitValues, VertexInitValues, Workflow, kubeflow_template, kubeflow_workflows,
    vertexai_template, vertexai_workflows,
};
pub use kubeflow::KubeflowConfig;
pub use quantity::Quantity;
pub use vertexai::VertexConfig;

/// `host` value that sends the kubeflow commands to Vertex AI (0.4.7 docs, 3.2.3).
pub const VERTEX_HOST: &str = "vertex-ai-pipelines";

/// A config file's path (relative to the project) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// e.g. `conf/base/kubeflow.yaml`.
    pub path: String,
    /// The YAML text.
    pub content: String,
}

/// Parses one file; an empty file (or one holding only comments) is an empty layer.
fn parse_file<T: DeserializeOwned + Default>(file: &ConfigFile) -> Result<T, ConfigError> {
    let has_content = file
        .content
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line != "---");
    if !has_content {
        return Ok(T::default());
    }
    kfp_yaml::from_str(&file.content).map_err(|error| ConfigError::from_yaml(&file.path, &error))
}

#[cfg(test)]
mod tests;
