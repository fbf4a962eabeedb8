//! `conf/<env>/kubeflow.yaml`: every key of kedro-kubeflow 0.4.7's docs and of the file
//! kedro-kubeflow 0.11.0's `init` writes, so existing users keep their files.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::{ConfigError, ConfigFile, Quantity};

/// The key in a per-node section that applies to every node without its own entry.
pub const DEFAULT_KEY: &str = "__default__";

/// The resolved `kubeflow.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeflowConfig {
    /// Base URL of the KFP API (`https://host/pipeline`), or `vertex-ai-pipelines`.
    pub host: String,
    /// Google Cloud project, for `host: vertex-ai-pipelines`.
    pub project_id: Option<String>,
    /// Google Cloud region, for `host: vertex-ai-pipelines`.
    pub region: Option<String>,
    /// How the pipeline runs.
    pub run_config: RunConfig,
}

/// One file's worth of top-level keys; files are merged key by key (see [`KubeflowConfig::load`]).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct KubeflowFile {
    /// Base URL of the KFP API (`https://host/pipeline`), or `vertex-ai-pipelines` to send
    /// the kubeflow commands to Vertex AI. Required.
    host: Option<String>,
    /// Google Cloud project, for `host: vertex-ai-pipelines`.
    project_id: Option<String>,
    /// Google Cloud region, for `host: vertex-ai-pipelines`.
    region: Option<String>,
    /// How the pipeline runs. Required.
    run_config: Option<RunConfig>,
}

/// The JSON schema of one `kubeflow.yaml` file, for the generated configuration reference.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(KubeflowFile)
}

/// `run_config:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Image the steps run; `compile -i` overrides it.
    pub image: Option<String>,
    /// `imagePullPolicy` of every step.
    #[serde(default)]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// GCS root for Vertex AI (`bucket/prefix`).
    pub root: Option<String>,
    /// KFP experiment for `run-once` and `schedule`.
    pub experiment_name: Option<String>,
    /// Run name for `run-once`.
    pub run_name: Option<String>,
    /// Recurring-run name for `schedule`.
    pub scheduled_run_name: Option<String>,
    /// Pipeline description shown in the KFP UI.
    pub description: Option<String>,
    /// Whether `run-once` waits for the run to finish.
    pub wait_for_completion: Option<bool>,
    /// Seconds to keep the finished workflow (pods and volume) before Argo deletes it.
    pub ttl: Option<u64>,
    /// Kedro pipeline run after the main one whatever its outcome.
    pub on_exit_pipeline: Option<String>,
    /// ISO 8601 duration for KFP v1 step caching (`P0D` turns caching off).
    pub max_cache_staleness: Option<String>,
    /// Expose each step's file outputs as KFP artifacts (default true).
    pub store_kedro_outputs_as_kfp_artifacts: Option<bool>,
    /// Store the datasets Kedro keeps in memory on the data volume between steps (a
    /// kedro-kfp extension; needs `volume`).
    pub store_memory_datasets: Option<bool>,
    /// `none` (a step per node, default) or `full` (one step for the whole pipeline).
    #[serde(default)]
    pub node_merge_strategy: Option<NodeMergeStrategy>,
    /// Data volume shared by the steps; no volume when absent.
    pub volume: Option<VolumeConfig>,
    /// Requests/limits by node name, tag or `__default__`.
    #[serde(default)]
    pub resources: BTreeMap<String, Option<BTreeMap<String, Quantity>>>,
    /// Extra volumes by node name, tag or `__default__`.
    #[serde(default)]
    pub extra_volumes: BTreeMap<String, Vec<ExtraVolume>>,
    /// Retry policy by node name, tag or `__default__`.
    #[serde(default)]
    pub retry_policy: BTreeMap<String, Option<RetryPolicy>>,
    /// Tolerations by node name, tag or `__default__`.
    #[serde(default)]
    pub tolerations: BTreeMap<String, Vec<Toleration>>,
    /// Vertex AI networking (0.4.7 docs 3.2.3).
    pub vertex_ai_networking: Option<VertexNetworking>,
    /// Node selectors by node name, tag or `__default__` (a kedro-kfp extension).
    #[serde(default)]
    pub node_selectors: BTreeMap<String, Option<BTreeMap<String, String>>>,
    /// What `compile` emits by default: 1 (Argo Workflow) or 2 (KFP v2 IR).
    pub kfp_version: Option<u8>,
}

/// Kubernetes `imagePullPolicy`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum ImagePullPolicy {
    /// Pull on every start.
    Always,
    /// Pull when the node lacks the image.
    IfNotPresent,
    /// Never pull.
    Never,
}

/// `run_config.node_merge_strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeMergeStrategy {
    /// One step per Kedro node.
    #[default]
    None,
    /// One step for the whole pipeline.
    Full,
}

/// `run_config.volume`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeConfig {
    /// Storage class; the cluster default when absent.
    #[serde(default)]
    pub storageclass: Option<String>,
    /// Requested size.
    #[serde(default = "default_volume_size")]
    pub size: Quantity,
    /// PVC access modes.
    #[serde(default = "default_access_modes")]
    pub access_modes: Vec<String>,
    /// Skip copying the image's `data/` into the fresh volume.
    #[serde(default)]
    pub skip_init: bool,
    /// User id the steps run as.
    #[serde(default)]
    pub owner: u32,
    /// Keep the volume after the workflow is deleted.
    #[serde(default)]
    pub keep: bool,
}

fn default_volume_size() -> Quantity {
    Quantity::parse("1Gi").unwrap_or_else(|_| unreachable!("1Gi is a valid quantity"))
}

fn default_access_modes() -> Vec<String> {
    vec!["ReadWriteOnce".to_owned()]
}

/// One entry of `run_config.extra_volumes.<node>`, in kedro-kubeflow's format: the
/// Kubernetes Python client's class name and constructor parameters.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraVolume {
    /// Where the volume is mounted in the step's container.
    pub mount_path: String,
    /// Mount read-only.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// Sub-path of the volume to mount.
    #[serde(default)]
    pub sub_path: Option<String>,
    /// The volume: a `name` and exactly one source such as `empty_dir`.
    pub volume: ExtraVolumeSpec,
}

/// `volume:` of an extra volume. (No `deny_unknown_fields`: serde cannot combine it with
/// `flatten`, and every other key is a source anyway.)
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct ExtraVolumeSpec {
    /// Volume name (made a valid Kubernetes name when compiled).
    pub name: String,
    /// The source, keyed by its snake_case Kubernetes name (`empty_dir`, `config_map`…).
    #[serde(flatten)]
    pub sources: BTreeMap<String, VolumeSource>,
}

/// A volume source as `cls` + `params`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeSource {
    /// The Kubernetes Python client class (`V1EmptyDirVolumeSource`); informational.
    #[serde(default)]
    pub cls: Option<String>,
    /// The source's fields, snake_case as in the Python client.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// `run_config.retry_policy.<node>`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// How many times to retry a failed step.
    pub num_retries: u32,
    /// First wait between tries (`60s`, `5m`).
    #[serde(default, deserialize_with = "duration_text")]
    #[schemars(with = "Option<String>", extend("x-type" = "duration (`60s`, `5m`, or seconds)"))]
    pub backoff_duration: Option<String>,
    /// Multiplier of the wait after each try.
    #[serde(default)]
    pub backoff_factor: Option<f64>,
    /// Upper bound of the total backoff.
    #[serde(default, deserialize_with = "duration_text")]
    #[schemars(with = "Option<String>", extend("x-type" = "duration (`60s`, `5m`, or seconds)"))]
    pub backoff_max_duration: Option<String>,
}

/// A Kubernetes toleration, snake_case as in kedro-kubeflow's file.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// Taint key.
    #[serde(default)]
    pub key: Option<String>,
    /// `Equal` or `Exists`.
    #[serde(default)]
    pub operator: Option<String>,
    /// Taint value.
    #[serde(default)]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    #[serde(default)]
    pub effect: Option<String>,
    /// How long a `NoExecute` taint is tolerated.
    #[serde(default)]
    pub toleration_seconds: Option<i64>,
}

/// `run_config.vertex_ai_networking`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VertexNetworking {
    /// Peered VPC (`projects/123/global/networks/name`).
    #[serde(default)]
    pub vpc: Option<String>,
    /// `/etc/hosts` entries for the steps.
    #[serde(default)]
    pub host_aliases: Vec<HostAlias>,
}

/// One `/etc/hosts` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAlias {
    /// The address.
    pub ip: String,
    /// Names for it.
    pub hostnames: Vec<String>,
}

/// Durations such as `5m` arrive as strings, but `60` (seconds) arrives as a number.
fn duration_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Number(u64),
        Text(String),
    }
    Ok(Option::<Text>::deserialize(de)?.map(|text| match text {
        Text::Number(seconds) => format!("{seconds}s"),
        Text::Text(text) => text,
    }))
}

impl KubeflowConfig {
    /// Reads the config from its files, base environment first. A top-level key of a later
    /// file replaces the same key of an earlier one, as Kedro's `OmegaConfigLoader` does.
    pub fn load(files: &[ConfigFile]) -> Result<Self, ConfigError> {
        let Some(last) = files.last() else {
            return Err(
                ConfigError::in_file("conf/base/kubeflow.yaml", "file not found")
                    .with_hint("create it with `kedro kubeflow init <KFP host URL>`"),
            );
        };
        let mut merged = KubeflowFile::default();
        let mut host_file = last.path.as_str();
        for file in files {
            let layer: KubeflowFile = crate::parse_file(file)?;
            if layer.host.is_some() {
                host_file = &file.path;
                merged.host = layer.host;
            }
            merged.project_id = layer.project_id.or(merged.project_id);
            merged.region = layer.region.or(merged.region);
            merged.run_config = layer.run_config.or(merged.run_config);
        }
        let host = merged.host.ok_or_else(|| {
            ConfigError::in_file(&last.path, "`host` is missing")
                .with_hint("set `host:` to the KFP URL, e.g. https://kubeflow.example.com/pipeline")
        })?;
        let run_config = merged.run_config.ok_or_else(|| {
            ConfigError::in_file(&last.path, "`run_config` is missing")
                .with_hint("add a `run_config:` section with at least `image:`")
        })?;
        let config = Self {
            host,
            project_id: merged.project_id,
            region: merged.region,
            run_config,
        };
        config.validate(host_file)?;
        Ok(config)
    }

    fn validate(&self, host_file: &str) -> Result<(), ConfigError> {
        if let Some(version) = self.run_config.kfp_version
            && !matches!(version, 1 | 2)
        {
            return Err(ConfigError::in_file(
                host_file,
                format!("`run_config.kfp_version` must be 1 or 2 (got {version})"),
            )
            .with_hint(
                "1 compiles an Argo Workflow (KFP 1.8 and 2.x), 2 the KFP v2 IR (KFP 2.x)",
            ));
        }
        let host = self.host.trim();
        if host != crate::VERTEX_HOST
            && !(host.starts_with("http://") || host.starts_with("https://"))
        {
            return Err(ConfigError::in_file(
                host_file,
                format!("`host` must start with http:// or https:// (got `{host}`)"),
            )
            .with_hint(
                "write the full URL of the KFP API, e.g. https://kubeflow.example.com/pipeline",
            ));
        }
        Ok(())
    }
}

/// Looks a node up in a per-node section: its name first, then its tags (sorted), then
/// `__default__`.
pub fn lookup<'a, T>(
    section: &'a BTreeMap<String, T>,
    node: &str,
    tags: &[String],
) -> Option<&'a T> {
    section
        .get(node)
        .or_else(|| sorted(tags).into_iter().find_map(|tag| section.get(tag)))
        .or_else(|| section.get(DEFAULT_KEY))
}

/// Requests and limits of a node: `__default__`, overridden by each matching tag (sorted),
/// overridden by the node's own entry, key by key — kedro-kubeflow's `get_for`.
pub fn merged_resources<V: Clone>(
    resources: &BTreeMap<String, Option<BTreeMap<String, V>>>,
    node: &str,
    tags: &[String],
) -> BTreeMap<String, V> {
    let mut merged = BTreeMap::new();
    let keys = std::iter::once(DEFAULT_KEY)
        .chain(sorted(tags))
        .chain(std::iter::once(node));
    for key in keys {
        if let Some(Some(values)) = resources.get(key) {
            merged.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    merged
}

fn sorted(tags: &[String]) -> Vec<&str> {
    let mut tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags
}
