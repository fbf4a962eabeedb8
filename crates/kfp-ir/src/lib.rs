//! The KFP v2 pipeline IR (`ml_pipelines.PipelineSpec`, schema 2.1.0) and the kfp-kubernetes
//! `PlatformSpec`, as plain serde structs (output only).
//!
//! Field names are the proto JSON names (camelCase) of `pipeline_spec.proto` and
//! `kubernetes_executor_config.proto`; KFP parses the PipelineSpec strictly, so only fields
//! that exist there are modelled. Maps are `BTreeMap` for byte-stable output.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The only schema version KFP accepts.
pub const SCHEMA_VERSION: &str = "2.1.0";

/// `PipelineSpec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpec {
    /// Components by name (`comp-…`).
    pub components: BTreeMap<String, ComponentSpec>,
    /// Executors (a `Struct` in the proto, a `PipelineDeploymentConfig` in practice).
    pub deployment_spec: DeploymentSpec,
    /// Name, description.
    pub pipeline_info: PipelineInfo,
    /// The root DAG and the pipeline parameters.
    pub root: ComponentSpec,
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: &'static str,
    /// Who wrote the spec.
    pub sdk_version: String,
    /// Where artifacts go by default (Vertex: the `gs://` root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_pipeline_root: Option<String>,
}

/// `PipelineInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineInfo {
    /// Lowercase DNS-style name.
    pub name: String,
    /// Name shown in UIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PipelineDeploymentConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentSpec {
    /// Executors by label (`exec-…`).
    pub executors: BTreeMap<String, ExecutorSpec>,
}

/// `ExecutorSpec` (container executors only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutorSpec {
    /// The container.
    pub container: ContainerSpec,
}

/// `PipelineContainerSpec`, exec form: `command` + `args`, never a shell string.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerSpec {
    /// Image.
    pub image: String,
    /// Executable and leading arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments; may hold `{{$.inputs.parameters['…']}}` placeholders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Requests, limits, accelerator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceSpec>,
}

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `ResourceSpec`: the quantity strings read by KFP ≥ 2.4, and the deprecated doubles that
/// older KFP backends and Vertex read (the KFP SDK writes both, and so do we).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    /// vCPU limit (deprecated double).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<f64>,
    /// Memory limit in GB (deprecated double).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<f64>,
    /// vCPU request (deprecated double).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<f64>,
    /// Memory request in GB (deprecated double).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<f64>,
    /// CPU limit quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_limit: Option<String>,
    /// Memory limit quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_limit: Option<String>,
    /// CPU request quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_request: Option<String>,
    /// Memory request quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_request: Option<String>,
    /// GPUs or TPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<AcceleratorConfig>,
}

/// `AcceleratorConfig`, with the deprecated `type`/`count` twins the SDK still writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceleratorConfig {
    /// Accelerator type (deprecated name).
    #[serde(rename = "type")]
    pub kind: String,
    /// Count (deprecated, int64 as a JSON string).
    pub count: String,
    /// Accelerator type (`nvidia.com/gpu`, or a Vertex type such as `NVIDIA_TESLA_T4`).
    pub resource_type: String,
    /// Count.
    pub resource_count: String,
}

/// `ComponentSpec`: an executor or a DAG, with its inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    /// Inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_definitions: Option<ComponentInputsSpec>,
    /// Outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_definitions: Option<ComponentOutputsSpec>,
    /// A DAG of tasks…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag: Option<DagSpec>,
    /// …or the label of an executor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_label: Option<String>,
}

/// `ComponentInputsSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComponentInputsSpec {
    /// Parameters by name.
    pub parameters: BTreeMap<String, ParameterSpec>,
}

/// `ComponentOutputsSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComponentOutputsSpec {
    /// Parameters by name.
    pub parameters: BTreeMap<String, OutputParameterSpec>,
}

/// An input parameter's declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterSpec {
    /// Type.
    pub parameter_type: ParameterType,
    /// Default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
    /// Whether a value may be omitted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_optional: bool,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An output parameter's declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputParameterSpec {
    /// Type.
    pub parameter_type: ParameterType,
}

/// `ParameterType.ParameterTypeEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParameterType {
    /// Float.
    NumberDouble,
    /// Integer.
    NumberInteger,
    /// String.
    String,
    /// Boolean.
    Boolean,
    /// List.
    List,
    /// Dictionary.
    Struct,
    /// The final status of a task (exit handlers).
    TaskFinalStatus,
}

/// `DagSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DagSpec {
    /// Tasks by name.
    pub tasks: BTreeMap<String, PipelineTaskSpec>,
}

/// `PipelineTaskSpec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineTaskSpec {
    /// Display name.
    pub task_info: TaskInfo,
    /// The component it runs.
    pub component_ref: ComponentRef,
    /// Sibling tasks that must finish first, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent_tasks: Vec<String>,
    /// Caching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caching_options: Option<CachingOptions>,
    /// Input values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TaskInputsSpec>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    /// When to run (exit handlers run whatever the upstream outcome).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_policy: Option<TriggerPolicy>,
}

/// `PipelineTaskInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskInfo {
    /// Display name.
    pub name: String,
}

/// `ComponentRef`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentRef {
    /// Component name.
    pub name: String,
}

/// `CachingOptions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CachingOptions {
    /// Reuse earlier results.
    pub enable_cache: bool,
}

/// `TriggerPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerPolicy {
    /// `ALL_UPSTREAM_TASKS_COMPLETED` for exit tasks.
    pub strategy: &'static str,
}

/// `RetryPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub max_retry_count: u32,
    /// First wait (proto `Duration` JSON, e.g. `60s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_duration: Option<String>,
    /// Multiplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// Upper bound of the wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_max_duration: Option<String>,
}

/// `TaskInputsSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskInputsSpec {
    /// Parameter values by input name.
    pub parameters: BTreeMap<String, InputParameterSpec>,
}

/// Where a task input's value comes from (`oneof kind`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InputParameterSpec {
    /// An input of the enclosing DAG (a pipeline parameter).
    ComponentInputParameter(String),
    /// A constant, or a whole-string pipeline placeholder such as `{{$.pipeline_job_uuid}}`.
    RuntimeValue {
        /// The value.
        constant: Value,
    },
    /// An output of a sibling task.
    TaskOutputParameter {
        /// The producing task.
        #[serde(rename = "producerTask")]
        producer_task: String,
        /// Its output.
        #[serde(rename = "outputParameterKey")]
        output_parameter_key: String,
    },
}

/// `PlatformSpec` with the kfp-kubernetes executor configs (second YAML document).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformSpec {
    /// `kubernetes` → its deployment spec.
    pub platforms: BTreeMap<String, SinglePlatformSpec>,
}

/// `SinglePlatformSpec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SinglePlatformSpec {
    /// Executor configs by executor label.
    pub deployment_spec: PlatformDeploymentConfig,
}

/// `PlatformDeploymentConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformDeploymentConfig {
    /// `KubernetesExecutorConfig` by executor label.
    pub executors: BTreeMap<String, KubernetesExecutorConfig>,
}

/// `kfp_kubernetes.KubernetesExecutorConfig` (the fields used here).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesExecutorConfig {
    /// PVC mounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pvc_mount: Vec<PvcMount>,
    /// Node selector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<NodeSelector>,
    /// Tolerations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// `IfNotPresent`, `Always`, `Never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// emptyDir volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_dir_mounts: Vec<EmptyDirMount>,
    /// Secrets mounted as volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_as_volume: Vec<Value>,
    /// Config maps mounted as volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_map_as_volume: Vec<Value>,
    /// Security context of the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
}

/// `PvcMount`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PvcMount {
    /// Where to mount.
    pub mount_path: String,
    /// Which PVC.
    pub pvc_name_parameter: InputParameterSpec,
    /// The same reference in the deprecated `pvc_reference` oneof, which KFP backends older
    /// than `pvc_name_parameter` read (the SDK writes both).
    #[serde(flatten)]
    pub deprecated_reference: PvcReference,
}

impl PvcMount {
    /// A mount of the PVC named by `parameter`, with the deprecated twin filled in.
    pub fn new(mount_path: &str, parameter: InputParameterSpec) -> Self {
        let deprecated_reference = match &parameter {
            InputParameterSpec::ComponentInputParameter(name) => {
                PvcReference::ComponentInputParameter(name.clone())
            }
            InputParameterSpec::RuntimeValue { constant } => {
                PvcReference::Constant(constant.as_str().unwrap_or_default().to_owned())
            }
            InputParameterSpec::TaskOutputParameter {
                producer_task,
                output_parameter_key,
            } => PvcReference::TaskOutputParameter {
                producer_task: producer_task.clone(),
                output_parameter_key: output_parameter_key.clone(),
            },
        };
        Self {
            mount_path: mount_path.to_owned(),
            pvc_name_parameter: parameter,
            deprecated_reference,
        }
    }
}

/// The deprecated `PvcMount.pvc_reference` oneof.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PvcReference {
    /// An upstream task's output.
    TaskOutputParameter {
        /// The producing task.
        #[serde(rename = "producerTask")]
        producer_task: String,
        /// Its output.
        #[serde(rename = "outputParameterKey")]
        output_parameter_key: String,
    },
    /// A fixed PVC name.
    Constant(String),
    /// An input of the enclosing DAG.
    ComponentInputParameter(String),
}

/// `NodeSelector`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeSelector {
    /// Labels.
    pub labels: BTreeMap<String, String>,
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
    /// Effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Seconds (int64, a JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<String>,
}

/// `EmptyDirMount`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDirMount {
    /// Volume name.
    pub volume_name: String,
    /// Where to mount.
    pub mount_path: String,
    /// `Memory` or empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// Size limit quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

/// `SecurityContext` of kfp-kubernetes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// User id (int64, a JSON string).
    pub run_as_user: String,
}
