//! The Argo Workflow objects KFP v1 runs, as plain serde structs (output only).
//!
//! Only the fields kedro-kfp emits are modelled; names follow the Argo JSON schema
//! (`io.argoproj.workflow.v1alpha1.*`). Maps are `BTreeMap` and empty collections are
//! skipped, so serialising the same value always gives the same bytes.
//! Quantities and `IntOrString` fields are strings, as the schema types them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// `argoproj.io/v1alpha1` `Workflow`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Always `argoproj.io/v1alpha1` (KFP rejects anything else).
    pub api_version: &'static str,
    /// Always `Workflow`.
    pub kind: &'static str,
    /// Name prefix, labels, annotations.
    pub metadata: ObjectMeta,
    /// The workflow itself.
    pub spec: WorkflowSpec,
}

/// Kubernetes object metadata (the subset used here).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Prefix the cluster completes into a unique name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    /// Annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `WorkflowSpec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSpec {
    /// Name of the template that starts the workflow.
    pub entrypoint: String,
    /// Workflow parameters (the pipeline parameters a run may override).
    #[serde(skip_serializing_if = "Arguments::is_empty")]
    pub arguments: Arguments,
    /// Template run when the workflow ends, whatever its outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_exit: Option<String>,
    /// When to delete the finished workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,
    /// All templates, sorted by name.
    pub templates: Vec<Template>,
}

/// `TTLStrategy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TtlStrategy {
    /// Seconds after completion.
    pub seconds_after_completion: u64,
}

/// `Arguments` of a workflow or a DAG task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Arguments {
    /// Parameter values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
}

impl Arguments {
    fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }
}

/// A named parameter, with a value where one is given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Literal value or `{{…}}` reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where an output parameter's value comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
}

/// `ValueFrom` of an output parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueFrom {
    /// JSON path into the resource a resource template created.
    pub json_path: String,
}

/// `Inputs` of a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Inputs {
    /// Declared input parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
}

/// `Outputs` of a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outputs {
    /// Output parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Output artifacts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

/// An output artifact: a file the step leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Artifact name.
    pub name: String,
    /// Path in the container.
    pub path: String,
    /// Do not fail the step when the file is missing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// A template: a DAG, a container or a resource action.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Unique name (DNS-1123 style, at most 63 characters).
    pub name: String,
    /// Labels and annotations of the step's pod.
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// Inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
    /// Outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
    /// DAG of tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag: Option<Dag>,
    /// Container to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// Kubernetes resource to act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceTemplate>,
    /// Pod volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Pod tolerations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Node selector of the step's pod.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
}

/// Pod metadata of a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    /// Annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Metadata {
    fn is_empty(&self) -> bool {
        self.annotations.is_empty() && self.labels.is_empty()
    }
}

/// `DAGTemplate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dag {
    /// Tasks, sorted by name.
    pub tasks: Vec<DagTask>,
}

/// `DAGTask`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DagTask {
    /// Task name.
    pub name: String,
    /// Template it runs.
    pub template: String,
    /// Tasks that must succeed first, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Parameter values for the template's inputs.
    #[serde(skip_serializing_if = "Arguments::is_empty")]
    pub arguments: Arguments,
    /// Let the tasks that depend on this one run even when it fails.
    #[serde(rename = "continueOn", skip_serializing_if = "Option::is_none")]
    pub continue_on: Option<ContinueOn>,
}

/// `ContinueOn`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContinueOn {
    /// Dependants run after this task failed.
    pub failed: bool,
}

/// A container in exec form: `command` and `args` are argv, never a shell string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Image reference.
    pub image: String,
    /// Executable and leading arguments (always given: the emissary executor needs it).
    pub command: Vec<String>,
    /// Remaining arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Pull policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Requests and limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Security context (the user the step runs as).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    /// Mounted volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
}

/// An environment variable with a literal value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `ResourceRequirements`; quantities as strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceRequirements {
    /// Requests.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, String>,
    /// Limits.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
}

/// Container `SecurityContext`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// User id.
    pub run_as_user: u32,
}

/// `VolumeMount`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    /// Volume name.
    pub name: String,
    /// Mount path.
    pub mount_path: String,
    /// Read-only mount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// Sub-path of the volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
}

/// A pod `Volume`: a name and one source (`persistentVolumeClaim`, `emptyDir`…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// The source, keyed by its camelCase Kubernetes name.
    #[serde(flatten)]
    pub source: BTreeMap<String, Value>,
}

/// `Toleration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Equal` or `Exists`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Taint value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Taint effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Seconds a `NoExecute` taint is tolerated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// `ResourceTemplate`: create a Kubernetes object from a manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTemplate {
    /// `create`, `apply`, `delete`…
    pub action: String,
    /// The object, as YAML text.
    pub manifest: String,
    /// Make the workflow the object's owner, so deleting the workflow deletes the object.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub set_owner_reference: bool,
}

/// `RetryStrategy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Maximum number of retries (IntOrString, written as a string).
    pub limit: String,
    /// Which failures to retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<String>,
    /// Wait between tries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

/// `Backoff`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// First wait (`60s`, `5m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Multiplier (IntOrString, written as a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
}
