//! `conf/<env>/vertexai.yaml`: every key of kedro-vertexai 0.2.0's docs and of the file
//! kedro-vertexai 1.0.0's `init` writes. Unlike that plugin, numbers and strings are both
//! accepted for quantities and counts, and `none` means "not set".

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::kubeflow::{HostAlias, ImagePullPolicy};
use crate::{ConfigError, ConfigFile, Quantity};

/// The resolved `vertexai.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexConfig {
    /// Google Cloud project id.
    pub project_id: String,
    /// Region, e.g. `europe-west4`.
    pub region: String,
    /// How the pipeline runs.
    pub run_config: VertexRunConfig,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct VertexFile {
    /// Google Cloud project id. Required.
    project_id: Option<String>,
    /// Region, e.g. `europe-west4`. Required.
    region: Option<String>,
    /// How the pipeline runs. Required.
    run_config: Option<VertexRunConfig>,
}

/// The JSON schema of one `vertexai.yaml` file, for the generated configuration reference.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(VertexFile)
}

/// `run_config:` of `vertexai.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VertexRunConfig {
    /// Image the steps run; `compile -i` overrides it.
    pub image: Option<String>,
    /// Pull policy (kept for old files; Vertex always pulls).
    #[serde(default)]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// GCS root for pipeline outputs: `bucket/prefix` (or `gs://bucket/prefix`).
    pub root: Option<String>,
    /// Vertex AI experiment name.
    pub experiment_name: Option<String>,
    /// Vertex AI experiment description (accepted for kedro-vertexai files; not used).
    pub experiment_description: Option<String>,
    /// Run name for `run-once`.
    pub run_name: Option<String>,
    /// Schedule name prefix.
    pub scheduled_run_name: Option<String>,
    /// Service account the job runs as (`SERVICE_ACCOUNT` overrides it).
    pub service_account: Option<String>,
    /// Pipeline description.
    pub description: Option<String>,
    /// Whether `run-once` waits for the job to finish.
    pub wait_for_completion: Option<bool>,
    /// How Kedro nodes are grouped into steps.
    #[serde(default)]
    pub grouping: Option<Grouping>,
    /// Kept for old files (Vertex manages its own retention).
    pub ttl: Option<u64>,
    /// VPC and `/etc/hosts` entries.
    #[serde(default)]
    pub network: Option<Network>,
    /// Kedro pipeline run after the main one whatever its outcome.
    pub on_exit_pipeline: Option<String>,
    /// Store the datasets Kedro keeps in memory under `root` between steps (kedro-kfp).
    pub store_memory_datasets: Option<bool>,
    /// Resources by node name, tag or `__default__`: `cpu` and `memory` (requests and
    /// limits), `gpu` (or `nvidia.com/gpu`, `amd.com/gpu`, `tpu`, `google.com/tpu`: the
    /// accelerator count, typed by the node selector `cloud.google.com/gke-accelerator`);
    /// another name is a compile error; `none` unsets a key.
    #[serde(default)]
    pub resources: BTreeMap<String, Option<BTreeMap<String, OptionalQuantity>>>,
    /// Node selectors by node name, tag or `__default__` (the accelerator type on Vertex).
    #[serde(default)]
    pub node_selectors: BTreeMap<String, Option<BTreeMap<String, String>>>,
    /// Runtime config providers (kedro-vertexai 1.0): accepted so its files load, not used;
    /// `KEDRO_CONFIG_<NAME>` variables give the same `${name}` values.
    #[serde(default)]
    pub dynamic_config_providers: Vec<ClassWithParams>,
    /// MLflow request header settings (kedro-vertexai 1.0): accepted so its files load, not
    /// used; give the pods their MLflow credentials instead.
    #[serde(default)]
    pub mlflow: Option<MlflowConfig>,
    /// Named schedules for `schedule`.
    #[serde(default)]
    pub schedules: BTreeMap<String, Schedule>,
}

/// `grouping:`: `cls` names kedro-vertexai's grouper class.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grouping {
    /// `kedro_vertexai.grouping.IdentityNodeGrouper` or `…TagNodeGrouper`.
    pub cls: String,
    /// `tag_prefix` for the tag grouper.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// How nodes become steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupingStrategy {
    /// One step per node.
    Identity,
    /// Nodes sharing a tag `<prefix><group>` run in one step.
    TagPrefix(String),
}

impl Grouping {
    /// The strategy `cls` names; the last dotted component is what counts, so
    /// `kedro_vertexai.grouping.TagNodeGrouper` and `TagNodeGrouper` both work.
    pub fn strategy(&self, file: &str) -> Result<GroupingStrategy, ConfigError> {
        match self.cls.rsplit('.').next().unwrap_or(&self.cls) {
            "IdentityNodeGrouper" => Ok(GroupingStrategy::Identity),
            "TagNodeGrouper" => {
                let prefix = self.params.get("tag_prefix").and_then(Value::as_str).unwrap_or("group.");
                Ok(GroupingStrategy::TagPrefix(prefix.to_owned()))
            }
            other => Err(ConfigError::in_file(file, format!("`run_config.grouping.cls`: unknown grouper `{other}`"))
                .with_hint("use kedro_vertexai.grouping.IdentityNodeGrouper or kedro_vertexai.grouping.TagNodeGrouper")),
        }
    }
}

/// `network:`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// VPC to peer the job with.
    #[serde(default)]
    pub vpc: Option<String>,
    /// `/etc/hosts` entries for the steps.
    #[serde(default)]
    pub host_aliases: Vec<HostAlias>,
}

/// A class name with constructor parameters.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassWithParams {
    /// Dotted class path.
    pub cls: String,
    /// Parameters.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// `mlflow:`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MlflowConfig {
    /// Parameters of the request header provider.
    #[serde(default)]
    pub request_header_provider_params: BTreeMap<String, Value>,
}

/// One entry of `schedules:`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// 5-field cron.
    pub cron_expression: String,
    /// IANA time zone.
    #[serde(default, deserialize_with = "none_as_null")]
    #[schemars(with = "Option<String>", extend("x-type" = "string or `none`"))]
    pub timezone: Option<String>,
    /// RFC 3339 start.
    #[serde(default, deserialize_with = "none_as_null")]
    #[schemars(with = "Option<String>", extend("x-type" = "string or `none`"))]
    pub start_time: Option<String>,
    /// RFC 3339 end.
    #[serde(default, deserialize_with = "none_as_null")]
    #[schemars(with = "Option<String>", extend("x-type" = "string or `none`"))]
    pub end_time: Option<String>,
    /// Queue runs when the concurrency limit is reached.
    #[serde(default)]
    pub allow_queueing: Option<bool>,
    /// Stop after this many runs.
    #[serde(default, deserialize_with = "none_as_null_count")]
    #[schemars(with = "Option<u64>", extend("x-type" = "integer or `none`"))]
    pub max_run_count: Option<u64>,
    /// Runs at once.
    #[serde(default, deserialize_with = "none_as_null_count")]
    #[schemars(with = "Option<u64>", extend("x-type" = "integer or `none`"))]
    pub max_concurrent_run_count: Option<u64>,
}

/// A quantity, or `none` / `None` / null for "leave unset".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalQuantity(pub Option<Quantity>);

impl<'de> Deserialize<'de> for OptionalQuantity {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(Value),
        }
        match Option::<Raw>::deserialize(de)? {
            None => Ok(Self(None)),
            Some(Raw::Text(text)) if is_none_word(&text) => Ok(Self(None)),
            Some(Raw::Text(text)) => Quantity::parse(&text)
                .map(|q| Self(Some(q)))
                .map_err(serde::de::Error::custom),
            Some(Raw::Number(number)) => Quantity::parse(&number.to_string())
                .map(|q| Self(Some(q)))
                .map_err(serde::de::Error::custom),
        }
    }
}

impl schemars::JsonSchema for OptionalQuantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OptionalQuantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "number", "null"],
            "x-type": "quantity or `none`",
        })
    }
}

fn is_none_word(text: &str) -> bool {
    matches!(text.trim(), "none" | "None" | "null" | "~" | "")
}

/// kedro-vertexai's own template writes `start_time: none`.
fn none_as_null<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(de)?.filter(|text| !is_none_word(text)))
}

/// `max_run_count: none` (string) or a number, or a number written as a string.
fn none_as_null_count<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    match Option::<Raw>::deserialize(de)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(text)) if is_none_word(&text) => Ok(None),
        Some(Raw::Text(text)) => text.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("expected a whole number or none, got `{text}`"))
        }),
    }
}

impl VertexConfig {
    /// Reads the config from its files, base environment first; a top-level key of a later
    /// file replaces the same key of an earlier one.
    pub fn load(files: &[ConfigFile]) -> Result<Self, ConfigError> {
        let Some(last) = files.last() else {
            return Err(
                ConfigError::in_file("conf/base/vertexai.yaml", "file not found")
                    .with_hint("create it with `kedro vertexai init <PROJECT_ID> <REGION>`"),
            );
        };
        let mut merged = VertexFile::default();
        for file in files {
            let layer: VertexFile = crate::parse_file(file)?;
            merged.project_id = layer.project_id.or(merged.project_id);
            merged.region = layer.region.or(merged.region);
            merged.run_config = layer.run_config.or(merged.run_config);
        }
        let missing = |key: &str, hint: &str| {
            ConfigError::in_file(&last.path, format!("`{key}` is missing")).with_hint(hint)
        };
        let config = Self {
            project_id: merged.project_id.ok_or_else(|| {
                missing(
                    "project_id",
                    "set `project_id:` to your Google Cloud project id",
                )
            })?,
            region: merged
                .region
                .ok_or_else(|| missing("region", "set `region:`, e.g. europe-west4"))?,
            run_config: merged.run_config.ok_or_else(|| {
                missing(
                    "run_config",
                    "add a `run_config:` section with at least `image:` and `root:`",
                )
            })?,
        };
        if let Some(grouping) = &config.run_config.grouping {
            grouping.strategy(&last.path)?;
        }
        Ok(config)
    }
}
