//! Vertex AI Pipelines (aiplatform v1, notes 5): pipeline jobs and schedules. Bodies carry
//! only fields of the discovery document (Google rejects unknown ones) and int64 values as
//! JSON strings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::transport::{ApiError, Request, Transport};

/// Overrides the whole API base URL (tests, private endpoints).
pub const API_ENDPOINT_VAR: &str = "KEDRO_VERTEXAI_API_ENDPOINT";
/// Pages followed at most when listing (100 items each).
const MAX_PAGES: usize = 50;

/// The regional API base, or `$KEDRO_VERTEXAI_API_ENDPOINT`.
pub fn api_base(region: &str) -> String {
    match std::env::var(API_ENDPOINT_VAR) {
        Ok(base) if !base.trim().is_empty() => base.trim().trim_end_matches('/').to_owned(),
        _ => format!("https://{region}-aiplatform.googleapis.com"),
    }
}

/// A pipeline job to create (`GoogleCloudAiplatformV1PipelineJob`, the fields a run sets).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineJob {
    /// Display name.
    pub display_name: String,
    /// The compiled KFP v2 IR (`PipelineSpec`) as JSON.
    pub pipeline_spec: Value,
    /// Output directory and parameter values.
    pub runtime_config: RuntimeConfig,
    /// Service account the job runs as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// VPC to peer with: `projects/{number}/global/networks/{name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `runtimeConfig`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeConfig {
    /// `gs://bucket/prefix`: required.
    pub gcs_output_directory: String,
    /// Typed parameter values (schema 2.1.0).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parameter_values: BTreeMap<String, Value>,
}

/// A schedule to create (`GoogleCloudAiplatformV1Schedule`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Display name (existing schedules with it are replaced by the commands).
    pub display_name: String,
    /// 5-field cron, optionally prefixed with `TZ=<zone> `.
    pub cron: String,
    /// int64 as a string; required.
    pub max_concurrent_run_count: String,
    /// Queue runs over the concurrency limit.
    pub allow_queueing: bool,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// int64 as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_run_count: Option<String>,
    /// What each run creates.
    pub create_pipeline_job_request: CreatePipelineJobRequest,
}

/// `createPipelineJobRequest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePipelineJobRequest {
    /// `projects/{p}/locations/{r}`.
    pub parent: String,
    /// The job.
    pub pipeline_job: PipelineJob,
}

/// A pipeline job as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobInfo {
    /// Resource name `projects/…/pipelineJobs/{id}`.
    pub name: String,
    /// The job id (last part of the name).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// `PIPELINE_STATE_…`.
    pub state: String,
    /// RFC 3339.
    pub create_time: String,
    /// `error.message`, when the job failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobInfo {
    fn from_json(job: &Value) -> Self {
        let text = |key: &str| {
            job.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let name = text("name");
        Self {
            id: name.rsplit('/').next().unwrap_or_default().to_owned(),
            name,
            display_name: text("displayName"),
            state: job
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("PIPELINE_STATE_UNSPECIFIED")
                .to_owned(),
            create_time: text("createTime"),
            error: job
                .get("error")
                .and_then(|error| error.get("message"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The state without its `PIPELINE_STATE_` prefix.
    pub fn short_state(&self) -> &str {
        self.state
            .strip_prefix("PIPELINE_STATE_")
            .unwrap_or(&self.state)
    }

    /// SUCCEEDED, FAILED, CANCELLED and PAUSED end a wait, as in the aiplatform SDK.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.short_state(),
            "SUCCEEDED" | "FAILED" | "CANCELLED" | "PAUSED"
        )
    }
}

/// A schedule as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleInfo {
    /// Resource name `projects/…/schedules/{id}`.
    pub name: String,
    /// The schedule id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Cron.
    pub cron: String,
    /// `ACTIVE`, `PAUSED` or `COMPLETED`.
    pub state: String,
}

impl ScheduleInfo {
    fn from_json(schedule: &Value) -> Self {
        let text = |key: &str| {
            schedule
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let name = text("name");
        Self {
            id: name.rsplit('/').next().unwrap_or_default().to_owned(),
            name,
            display_name: text("displayName"),
            cron: text("cron"),
            state: text("state"),
        }
    }
}

/// A Vertex AI client for one project and region.
#[derive(Debug, Clone)]
pub struct Vertex {
    transport: Transport,
    project: String,
    region: String,
}

impl Vertex {
    /// A client sending through `transport` (based at [`api_base`]).
    pub fn new(transport: Transport, project: &str, region: &str) -> Self {
        Self {
            transport,
            project: project.to_owned(),
            region: region.to_owned(),
        }
    }

    /// `projects/{p}/locations/{r}`.
    pub fn parent(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.region)
    }

    /// Creates a pipeline job with this id.
    pub fn create_pipeline_job(
        &self,
        job_id: &str,
        job: &PipelineJob,
    ) -> Result<JobInfo, ApiError> {
        let body = serde_json::to_value(job).map_err(|error| ApiError::Setup(error.to_string()))?;
        let request = Request::post(format!("/v1/{}/pipelineJobs", self.parent()), body)
            .query("pipelineJobId", job_id);
        Ok(JobInfo::from_json(&self.transport.send(&request)?))
    }

    /// One pipeline job.
    pub fn pipeline_job(&self, job_id: &str) -> Result<JobInfo, ApiError> {
        let request = Request::get(format!("/v1/{}/pipelineJobs/{job_id}", self.parent()));
        Ok(JobInfo::from_json(&self.transport.send(&request)?))
    }

    /// Pipeline jobs, newest first.
    pub fn list_pipeline_jobs(&self) -> Result<Vec<JobInfo>, ApiError> {
        let path = format!("/v1/{}/pipelineJobs", self.parent());
        let pages = self.pages(&path, "pipelineJobs", &[("orderBy", "create_time desc")])?;
        Ok(pages.iter().map(JobInfo::from_json).collect())
    }

    /// Schedules with this display name.
    pub fn schedules_named(&self, display_name: &str) -> Result<Vec<ScheduleInfo>, ApiError> {
        let path = format!("/v1/{}/schedules", self.parent());
        let filter = format!("display_name=\"{}\"", display_name.replace('"', "\\\""));
        let pages = self.pages(&path, "schedules", &[("filter", &filter)])?;
        Ok(pages.iter().map(ScheduleInfo::from_json).collect())
    }

    /// Deletes a schedule by resource name (the server finishes it in the background).
    pub fn delete_schedule(&self, name: &str) -> Result<(), ApiError> {
        self.transport
            .send(&Request::delete(format!("/v1/{name}")))?;
        Ok(())
    }

    /// Creates a schedule.
    pub fn create_schedule(&self, schedule: &Schedule) -> Result<ScheduleInfo, ApiError> {
        let body =
            serde_json::to_value(schedule).map_err(|error| ApiError::Setup(error.to_string()))?;
        let request = Request::post(format!("/v1/{}/schedules", self.parent()), body);
        Ok(ScheduleInfo::from_json(&self.transport.send(&request)?))
    }

    /// The console page of a run.
    pub fn run_link(&self, job_id: &str) -> String {
        format!(
            "https://console.cloud.google.com/vertex-ai/locations/{}/pipelines/runs/{job_id}?project={}",
            self.region, self.project
        )
    }

    /// The console page of a schedule.
    pub fn schedule_link(&self, schedule_id: &str) -> String {
        format!(
            "https://console.cloud.google.com/vertex-ai/locations/{}/pipelines/schedules/{schedule_id}?project={}",
            self.region, self.project
        )
    }

    fn pages(&self, path: &str, key: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, ApiError> {
        let mut items = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let mut request = Request::get(path).query("pageSize", "100");
            for (name, value) in query {
                request = request.query(name, *value);
            }
            if !token.is_empty() {
                request = request.query("pageToken", token.clone());
            }
            let page = self.transport.send(&request)?;
            if let Some(Value::Array(found)) = page.get(key) {
                items.extend(found.iter().cloned());
            }
            match page.get("nextPageToken").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => token = next.to_owned(),
                _ => break,
            }
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_use_the_discovery_names_and_int64_strings() {
        let job = PipelineJob {
            display_name: "run".to_owned(),
            pipeline_spec: serde_json::json!({"schemaVersion": "2.1.0"}),
            runtime_config: RuntimeConfig {
                gcs_output_directory: "gs://b/p".to_owned(),
                parameter_values: BTreeMap::new(),
            },
            service_account: None,
            network: Some("projects/1/global/networks/v".to_owned()),
            labels: BTreeMap::new(),
        };
        let schedule = Schedule {
            display_name: "nightly".to_owned(),
            cron: "TZ=Etc/UTC 0 2 * * *".to_owned(),
            max_concurrent_run_count: "1".to_owned(),
            allow_queueing: false,
            start_time: None,
            end_time: None,
            max_run_count: Some("3".to_owned()),
            create_pipeline_job_request: CreatePipelineJobRequest {
                parent: "projects/p/locations/r".to_owned(),
                pipeline_job: job,
            },
        };
        let json = serde_json::to_value(&schedule).unwrap_or_default();
        assert_eq!(json["maxConcurrentRunCount"], "1");
        assert_eq!(json["maxRunCount"], "3");
        assert!(json.get("startTime").is_none());
        let job = &json["createPipelineJobRequest"]["pipelineJob"];
        assert_eq!(job["runtimeConfig"]["gcsOutputDirectory"], "gs://b/p");
        assert!(job["runtimeConfig"].get("parameterValues").is_none());
        assert!(job.get("serviceAccount").is_none() && job.get("labels").is_none());
        assert_eq!(job["network"], "projects/1/global/networks/v");
    }

    #[test]
    fn job_states_end_a_wait_like_the_sdk() {
        let job = |state: &str| {
            JobInfo::from_json(
                &serde_json::json!({"name": "projects/p/locations/r/pipelineJobs/j-1", "state": state}),
            )
        };
        assert_eq!(job("PIPELINE_STATE_RUNNING").id, "j-1");
        assert!(!job("PIPELINE_STATE_RUNNING").is_terminal());
        for state in ["SUCCEEDED", "FAILED", "CANCELLED", "PAUSED"] {
            assert!(job(&format!("PIPELINE_STATE_{state}")).is_terminal());
        }
    }
}
