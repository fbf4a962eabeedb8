//! The KFP REST API, both generations: v2beta1 (KFP 2.x) and v1beta1 (KFP 1.8, and 2.x).
//! Field names and paths follow the swagger files in `shared/specs/kfp/` (notes 1.2–1.4).

use serde_json::{Value, json};

use crate::transport::{ApiError, Body, Request, Transport};

/// Which API generation a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `/apis/v1beta1` (KFP 1.8 has only this one).
    V1,
    /// `/apis/v2beta1` (KFP 2.x).
    V2,
}

impl ApiVersion {
    /// The path every call of this generation starts with.
    fn prefix(self) -> &'static str {
        match self {
            Self::V1 => "/apis/v1beta1",
            Self::V2 => "/apis/v2beta1",
        }
    }
}

/// Page size asked for when listing.
const PAGE_SIZE: &str = "100";

/// A pipeline as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PipelineInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time as the server wrote it.
    pub created_at: String,
}

/// The result of an upload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Uploaded {
    /// Pipeline id.
    pub pipeline_id: String,
    /// Version id.
    pub version_id: String,
    /// Version name.
    pub version_name: String,
    /// Whether the pipeline was created (false: a new version of an existing one).
    pub created: bool,
    /// Whether this exact version was already there (same content uploaded before).
    pub unchanged: bool,
}

/// A KFP server.
#[derive(Debug, Clone)]
pub struct Kfp {
    transport: Transport,
    version: ApiVersion,
    namespace: Option<String>,
    multi_user: bool,
}

impl Kfp {
    /// Talks to the server at the transport's base URL. Without an explicit version, the
    /// server is asked: a 404 on the v2beta1 health check means a KFP 1.8 server.
    pub fn connect(
        transport: Transport,
        version: Option<ApiVersion>,
        namespace: Option<String>,
    ) -> Result<Self, ApiError> {
        let probe = |version: ApiVersion| {
            transport.send(&Request::get(format!("{}/healthz", version.prefix())))
        };
        let (version, health) = match version {
            Some(version) => (version, probe(version)?),
            None => match probe(ApiVersion::V2) {
                Ok(health) => (ApiVersion::V2, health),
                Err(error) if error.status() == Some(reqwest::StatusCode::NOT_FOUND) => {
                    (ApiVersion::V1, probe(ApiVersion::V1)?)
                }
                Err(error) => return Err(error),
            },
        };
        Ok(Self {
            transport,
            version,
            namespace: namespace.filter(|n| !n.is_empty()),
            multi_user: health["multi_user"].as_bool().unwrap_or(false),
        })
    }

    /// Whether the server runs in multi-user mode (then experiments and runs need a
    /// namespace).
    pub fn multi_user(&self) -> bool {
        self.multi_user
    }

    /// The namespace requests are made in, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The API generation in use.
    pub fn version(&self) -> ApiVersion {
        self.version
    }

    /// The KFP UI root (the API's base URL), for links.
    pub fn ui_url(&self) -> String {
        self.transport.base_url()
    }

    fn with_namespace(&self, request: Request) -> Request {
        match (&self.namespace, self.version) {
            (Some(namespace), ApiVersion::V2) => request.query("namespace", namespace.clone()),
            (Some(namespace), ApiVersion::V1) => request
                .query("resource_reference_key.type", "NAMESPACE")
                .query("resource_reference_key.id", namespace.clone()),
            (None, _) => request,
        }
    }

    /// Every pipeline, following `next_page_token`.
    pub fn list_pipelines(&self) -> Result<Vec<PipelineInfo>, ApiError> {
        let path = match self.version {
            ApiVersion::V2 => "/apis/v2beta1/pipelines",
            ApiVersion::V1 => "/apis/v1beta1/pipelines",
        };
        let pages = self.list_all(|| self.with_namespace(Request::get(path)), "pipelines")?;
        Ok(pages.iter().map(|p| self.pipeline_info(p)).collect())
    }

    fn pipeline_info(&self, pipeline: &Value) -> PipelineInfo {
        let text = |key: &str| pipeline[key].as_str().unwrap_or_default().to_owned();
        match self.version {
            ApiVersion::V2 => PipelineInfo {
                id: text("pipeline_id"),
                name: if text("display_name").is_empty() {
                    text("name")
                } else {
                    text("display_name")
                },
                created_at: text("created_at"),
            },
            ApiVersion::V1 => PipelineInfo {
                id: text("id"),
                name: text("name"),
                created_at: text("created_at"),
            },
        }
    }

    fn list_all(&self, request: impl Fn() -> Request, items: &str) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        let mut token = String::new();
        // A server that hands out a token twice would make this loop forever.
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let mut page_request = request().query("page_size", PAGE_SIZE);
            if !token.is_empty() {
                page_request = page_request.query("page_token", token.clone());
            }
            let page = self.transport.send(&page_request)?;
            all.extend(page[items].as_array().cloned().unwrap_or_default());
            token = page["next_page_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if token.is_empty() || !seen.insert(token.clone()) {
                return Ok(all);
            }
        }
    }

    /// The pipeline called `name`, if any (a filtered list: works on every server version).
    pub fn find_pipeline(&self, name: &str) -> Result<Option<PipelineInfo>, ApiError> {
        let (path, filter) = match self.version {
            ApiVersion::V2 => (
                "/apis/v2beta1/pipelines",
                json!({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": name}]}),
            ),
            ApiVersion::V1 => (
                "/apis/v1beta1/pipelines",
                json!({"predicates": [{"key": "name", "op": "EQUALS", "string_value": name}]}),
            ),
        };
        let found = self.list_all(
            || {
                self.with_namespace(Request::get(path))
                    .query("filter", filter.to_string())
            },
            "pipelines",
        )?;
        Ok(found
            .iter()
            .map(|p| self.pipeline_info(p))
            .find(|p| p.name == name))
    }

    /// Uploads `content` as pipeline `name`, or as a new version `version_name` of it when
    /// it exists. Uploading the same version again is not an error: it is reported as
    /// unchanged.
    pub fn upload(
        &self,
        name: &str,
        description: Option<&str>,
        version_name: &str,
        file_name: &str,
        content: &[u8],
    ) -> Result<Uploaded, ApiError> {
        let file = || Body::File {
            field: "uploadfile",
            file_name: file_name.to_owned(),
            content: content.to_vec(),
        };
        let prefix = self.version.prefix();
        let existing = self.find_pipeline(name)?;
        let Some(pipeline) = existing else {
            let mut request = Request {
                method: reqwest::Method::POST,
                path: format!("{prefix}/pipelines/upload"),
                query: Vec::new(),
                body: file(),
            }
            .query("name", name);
            if let Some(description) = description {
                request = request.query("description", description);
            }
            if let (Some(namespace), ApiVersion::V2) = (&self.namespace, self.version) {
                request = request.query("namespace", namespace.clone());
            }
            let created = self.transport.send(&request)?;
            let (pipeline_id, version_id) = match self.version {
                ApiVersion::V2 => {
                    let id = created["pipeline_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    // v2beta1 upload returns no version id: the only version is the newest.
                    let version = self.latest_version(&id)?;
                    (id, version)
                }
                ApiVersion::V1 => (
                    created["id"].as_str().unwrap_or_default().to_owned(),
                    created["default_version"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            };
            return Ok(Uploaded {
                pipeline_id,
                version_id,
                version_name: name.to_owned(),
                created: true,
                unchanged: false,
            });
        };
        let request = Request {
            method: reqwest::Method::POST,
            path: format!("{prefix}/pipelines/upload_version"),
            query: Vec::new(),
            body: file(),
        }
        .query("name", version_name)
        .query("pipelineid", pipeline.id.clone());
        match self.transport.send(&request) {
            Ok(version) => {
                let key = match self.version {
                    ApiVersion::V2 => "pipeline_version_id",
                    ApiVersion::V1 => "id",
                };
                Ok(Uploaded {
                    pipeline_id: pipeline.id,
                    version_id: version[key].as_str().unwrap_or_default().to_owned(),
                    version_name: version_name.to_owned(),
                    created: false,
                    unchanged: false,
                })
            }
            // The version name is the content's hash: a conflict means this exact pipeline
            // is already uploaded.
            Err(error) if error.status() == Some(reqwest::StatusCode::CONFLICT) => {
                let version_id = self
                    .version_named(&pipeline.id, version_name)?
                    .unwrap_or_default();
                Ok(Uploaded {
                    pipeline_id: pipeline.id,
                    version_id,
                    version_name: version_name.to_owned(),
                    created: false,
                    unchanged: true,
                })
            }
            Err(error) => Err(error),
        }
    }

    fn versions(&self, pipeline_id: &str) -> Result<Vec<Value>, ApiError> {
        match self.version {
            ApiVersion::V2 => self.list_all(
                || {
                    Request::get(format!("/apis/v2beta1/pipelines/{pipeline_id}/versions"))
                        .query("sort_by", "created_at desc")
                },
                "pipeline_versions",
            ),
            ApiVersion::V1 => self.list_all(
                || {
                    Request::get("/apis/v1beta1/pipeline_versions")
                        .query("resource_key.type", "PIPELINE")
                        .query("resource_key.id", pipeline_id)
                        .query("sort_by", "created_at desc")
                },
                "versions",
            ),
        }
    }

    fn version_id(&self, version: &Value) -> String {
        let key = match self.version {
            ApiVersion::V2 => "pipeline_version_id",
            ApiVersion::V1 => "id",
        };
        version[key].as_str().unwrap_or_default().to_owned()
    }

    fn latest_version(&self, pipeline_id: &str) -> Result<String, ApiError> {
        Ok(self
            .versions(pipeline_id)?
            .first()
            .map(|v| self.version_id(v))
            .unwrap_or_default())
    }

    fn version_named(&self, pipeline_id: &str, name: &str) -> Result<Option<String>, ApiError> {
        let name_key = match self.version {
            ApiVersion::V2 => "display_name",
            ApiVersion::V1 => "name",
        };
        Ok(self
            .versions(pipeline_id)?
            .iter()
            .find(|v| v[name_key].as_str() == Some(name) || v["name"].as_str() == Some(name))
            .map(|v| self.version_id(v)))
    }

    /// The UI link of a pipeline version (the hash router of the KFP UI).
    pub fn pipeline_link(&self, uploaded: &Uploaded) -> String {
        format!(
            "{}/#/pipelines/details/{}/version/{}",
            self.ui_url(),
            uploaded.pipeline_id,
            uploaded.version_id
        )
    }
}

/// A run to start.
#[derive(Debug, Clone)]
pub struct RunSpec<'a> {
    /// Run name.
    pub name: &'a str,
    /// Experiment id.
    pub experiment_id: &'a str,
    /// The uploaded pipeline version.
    pub uploaded: &'a Uploaded,
    /// Parameter values by the pipeline's parameter name.
    pub parameters: &'a serde_json::Map<String, Value>,
}

/// A recurring run to create.
#[derive(Debug, Clone)]
pub struct RecurringRunSpec<'a> {
    /// Name (unique within the experiment by convention: an existing one is replaced).
    pub name: &'a str,
    /// Experiment id.
    pub experiment_id: &'a str,
    /// Pipeline id.
    pub pipeline_id: &'a str,
    /// The version to run.
    pub version_id: &'a str,
    /// KFP (six-field) cron expression.
    pub cron: &'a str,
    /// Parameter values by the pipeline's parameter name.
    pub parameters: &'a serde_json::Map<String, Value>,
}

/// A run's state, normalised across API generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunState {
    /// Not started or starting.
    Pending,
    /// Running.
    Running,
    /// Finished successfully (or skipped).
    Succeeded,
    /// Failed or errored.
    Failed,
    /// Cancelled (or being cancelled).
    Canceled,
}

impl RunState {
    /// Whether the run is over.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// v2beta1 `Run.state` (terminal: SUCCEEDED, SKIPPED, FAILED, CANCELED — notes 1.6) or
    /// v1beta1 `run.status` (the Argo phase on 1.8).
    fn parse(text: &str) -> Self {
        match text {
            "SUCCEEDED" | "SKIPPED" | "Succeeded" | "Skipped" => Self::Succeeded,
            "FAILED" | "Failed" | "Error" => Self::Failed,
            "CANCELED" | "CANCELING" | "Terminating" => Self::Canceled,
            "RUNNING" | "Running" | "PAUSED" => Self::Running,
            _ => Self::Pending,
        }
    }
}

impl Kfp {
    /// The id of experiment `name`, created when it does not exist.
    pub fn experiment(&self, name: &str) -> Result<String, ApiError> {
        let (path, filter, id_key) = match self.version {
            ApiVersion::V2 => (
                "/apis/v2beta1/experiments",
                json!({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": name}]}),
                "experiment_id",
            ),
            ApiVersion::V1 => (
                "/apis/v1beta1/experiments",
                json!({"predicates": [{"key": "name", "op": "EQUALS", "string_value": name}]}),
                "id",
            ),
        };
        let found = self.list_all(
            || {
                self.with_namespace(Request::get(path))
                    .query("filter", filter.to_string())
            },
            "experiments",
        )?;
        if let Some(id) = found.iter().find_map(|e| e[id_key].as_str()) {
            return Ok(id.to_owned());
        }
        let body = match (self.version, &self.namespace) {
            (ApiVersion::V2, Some(namespace)) => {
                json!({"display_name": name, "namespace": namespace})
            }
            (ApiVersion::V2, None) => json!({"display_name": name}),
            (ApiVersion::V1, Some(namespace)) => json!({"name": name, "resource_references": [
                {"key": {"type": "NAMESPACE", "id": namespace}, "relationship": "OWNER"}]}),
            (ApiVersion::V1, None) => json!({"name": name}),
        };
        let created = self.transport.send(&Request::post(path, body))?;
        Ok(created[id_key].as_str().unwrap_or_default().to_owned())
    }

    /// Starts a run of an uploaded version; returns the run id.
    pub fn create_run(&self, run: &RunSpec<'_>) -> Result<String, ApiError> {
        match self.version {
            ApiVersion::V2 => {
                let body = json!({
                    "display_name": run.name,
                    "experiment_id": run.experiment_id,
                    "pipeline_version_reference": {
                        "pipeline_id": run.uploaded.pipeline_id,
                        "pipeline_version_id": run.uploaded.version_id,
                    },
                    "runtime_config": {"parameters": run.parameters},
                });
                let created = self
                    .transport
                    .send(&Request::post("/apis/v2beta1/runs", body))?;
                Ok(created["run_id"].as_str().unwrap_or_default().to_owned())
            }
            ApiVersion::V1 => {
                let body = json!({
                    "name": run.name,
                    "pipeline_spec": {"parameters": v1_parameters(run.parameters)},
                    "resource_references": [
                        {"key": {"type": "EXPERIMENT", "id": run.experiment_id}, "relationship": "OWNER"},
                        {"key": {"type": "PIPELINE_VERSION", "id": run.uploaded.version_id}, "relationship": "CREATOR"},
                    ],
                });
                let created = self
                    .transport
                    .send(&Request::post("/apis/v1beta1/runs", body))?;
                Ok(created["run"]["id"].as_str().unwrap_or_default().to_owned())
            }
        }
    }

    /// The run's current state.
    pub fn run_state(&self, run_id: &str) -> Result<RunState, ApiError> {
        match self.version {
            ApiVersion::V2 => {
                let run = self
                    .transport
                    .send(&Request::get(format!("/apis/v2beta1/runs/{run_id}")))?;
                Ok(RunState::parse(run["state"].as_str().unwrap_or_default()))
            }
            ApiVersion::V1 => {
                let run = self
                    .transport
                    .send(&Request::get(format!("/apis/v1beta1/runs/{run_id}")))?;
                Ok(RunState::parse(
                    run["run"]["status"].as_str().unwrap_or_default(),
                ))
            }
        }
    }

    /// The UI link of a run.
    pub fn run_link(&self, run_id: &str) -> String {
        format!("{}/#/runs/details/{run_id}", self.ui_url())
    }

    /// The UI link of an experiment.
    pub fn experiment_link(&self, experiment_id: &str) -> String {
        format!("{}/#/experiments/details/{experiment_id}", self.ui_url())
    }
}

impl Kfp {
    /// The ids of the recurring runs called `name` in an experiment.
    pub fn recurring_runs_named(
        &self,
        experiment_id: &str,
        name: &str,
    ) -> Result<Vec<String>, ApiError> {
        let (listed, name_key, id_key) = match self.version {
            ApiVersion::V2 => (
                self.list_all(
                    || {
                        self.with_namespace(Request::get("/apis/v2beta1/recurringruns"))
                            .query("experiment_id", experiment_id)
                    },
                    "recurringRuns",
                )?,
                "display_name",
                "recurring_run_id",
            ),
            ApiVersion::V1 => (
                self.list_all(
                    || {
                        Request::get("/apis/v1beta1/jobs")
                            .query("resource_reference_key.type", "EXPERIMENT")
                            .query("resource_reference_key.id", experiment_id)
                    },
                    "jobs",
                )?,
                "name",
                "id",
            ),
        };
        Ok(listed
            .iter()
            .filter(|run| run[name_key].as_str() == Some(name))
            .filter_map(|run| run[id_key].as_str().map(str::to_owned))
            .collect())
    }

    /// Deletes a recurring run (its past runs stay).
    pub fn delete_recurring_run(&self, id: &str) -> Result<(), ApiError> {
        let path = match self.version {
            ApiVersion::V2 => format!("/apis/v2beta1/recurringruns/{id}"),
            ApiVersion::V1 => format!("/apis/v1beta1/jobs/{id}"),
        };
        self.transport.send(&Request::delete(path)).map(drop)
    }

    /// Creates an enabled recurring run (one run at a time, no backfill of missed runs);
    /// returns its id.
    pub fn create_recurring_run(&self, spec: &RecurringRunSpec<'_>) -> Result<String, ApiError> {
        let trigger = json!({"cron_schedule": {"cron": spec.cron}});
        match self.version {
            ApiVersion::V2 => {
                let mut body = json!({
                    "display_name": spec.name,
                    "experiment_id": spec.experiment_id,
                    "mode": "ENABLE",
                    "pipeline_version_reference": {
                        "pipeline_id": spec.pipeline_id,
                        "pipeline_version_id": spec.version_id,
                    },
                    "runtime_config": {"parameters": spec.parameters},
                    "trigger": trigger,
                    "max_concurrency": "1",
                    "no_catchup": true,
                });
                if let Some(namespace) = &self.namespace {
                    body["namespace"] = namespace.clone().into();
                }
                let created = self
                    .transport
                    .send(&Request::post("/apis/v2beta1/recurringruns", body))?;
                Ok(created["recurring_run_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned())
            }
            ApiVersion::V1 => {
                let body = json!({
                    "name": spec.name,
                    "enabled": true,
                    "max_concurrency": "1",
                    "no_catchup": true,
                    "trigger": trigger,
                    "pipeline_spec": {"parameters": v1_parameters(spec.parameters)},
                    "resource_references": [
                        {"key": {"type": "EXPERIMENT", "id": spec.experiment_id}, "relationship": "OWNER"},
                        {"key": {"type": "PIPELINE_VERSION", "id": spec.version_id}, "relationship": "CREATOR"},
                    ],
                });
                let created = self
                    .transport
                    .send(&Request::post("/apis/v1beta1/jobs", body))?;
                Ok(created["id"].as_str().unwrap_or_default().to_owned())
            }
        }
    }

    /// The newest version of a pipeline, if it has one.
    pub fn newest_version(&self, pipeline_id: &str) -> Result<Option<String>, ApiError> {
        let newest = self.latest_version(pipeline_id)?;
        Ok(Some(newest).filter(|id| !id.is_empty()))
    }

    /// The UI link of a recurring run.
    pub fn recurring_run_link(&self, id: &str) -> String {
        format!("{}/#/recurringrun/details/{id}", self.ui_url())
    }
}

/// v1beta1 parameter values are strings; anything else is sent as JSON text.
fn v1_parameters(parameters: &serde_json::Map<String, Value>) -> Vec<Value> {
    parameters
        .iter()
        .map(|(name, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            json!({"name": name, "value": text})
        })
        .collect()
}
