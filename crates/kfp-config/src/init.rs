//! The commented config file `kedro kubeflow init` writes: the file kedro-kubeflow 0.11.0
//! writes, with the project's values filled in, so users see every key they can set.

/// What `init` fills into the template.
#[derive(Debug, Clone)]
pub struct InitValues<'a> {
    /// KFP URL given on the command line.
    pub host: &'a str,
    /// Python package name, used as the image name.
    pub package_name: &'a str,
    /// Human-readable project name, used for the experiment and run names.
    pub project_name: &'a str,
}

const KUBEFLOW_TEMPLATE: &str = include_str!("../templates/kubeflow.yaml");

/// Renders `conf/base/kubeflow.yaml`.
///
/// Values are written as JSON strings, which YAML reads as double-quoted scalars: a project
/// name with a colon or a quote cannot change the file's structure.
pub fn kubeflow_template(values: &InitValues<'_>) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    KUBEFLOW_TEMPLATE
        .replace("{host}", &quoted(values.host))
        .replace("{image}", &quoted(values.package_name))
        .replace("{experiment_name}", &quoted(values.project_name))
        .replace("{run_name}", &quoted(values.project_name))
}
