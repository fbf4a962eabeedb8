//! Commands that talk to Vertex AI Pipelines: `kedro vertexai list-pipelines`, `run-once`,
//! `schedule`, and `kedro kubeflow list-pipelines` / `run-once` with
//! `host: vertex-ai-pipelines` (kedro-kubeflow 0.4.7's Vertex mode). Credentials are Google's
//! Application Default Credentials (notes 5.1).

#![allow(
    clippy::print_stdout,
    reason = "tables and --json results are data on stdout"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use kfp_client::google::CREDENTIALS_HINT;
use kfp_client::vertex::{self, CreatePipelineJobRequest, JobInfo, PipelineJob, RuntimeConfig};
use kfp_client::{ApiError, Auth, GoogleAuth, GoogleCredentials, GoogleToken, Vertex};
use kfp_compile::CompileRequest;
use kfp_compile::ir::IrRequest;
use kfp_config::{KubeflowConfig, VertexConfig};
use serde_json::Value;

use crate::cli::{ListPipelinesArgs, RunOnceArgs, VertexRunOnceArgs, VertexScheduleArgs};
use crate::diagnostics::{Failure, Status};
use crate::output;

/// Time between two polls of a job's state; tests shorten it.
const DEFAULT_POLL_MS: u64 = 10_000;
/// kedro-vertexai's schedule when neither the command nor the config gives one.
const DEFAULT_CRON: &str = "0 0 * * *";

/// A Vertex AI client and what messages need to know about it.
struct Connection {
    vertex: Vertex,
    project: String,
    credentials: String,
}

/// Everything a pipeline job needs, from either config file.
struct Job<'a> {
    config_file: &'a str,
    project_name: &'a str,
    run_name: Option<String>,
    root: Option<&'a str>,
    service_account: Option<String>,
    network: Option<String>,
}

impl Job<'_> {
    fn display_name(&self) -> String {
        self.run_name
            .clone()
            .unwrap_or_else(|| self.project_name.to_owned())
    }

    /// `run_config.root` as `gs://…` (kedro-vertexai writes `bucket/prefix`).
    fn gcs_output_directory(&self) -> Result<String, Failure> {
        let root = self
            .root
            .map(str::trim)
            .filter(|root| !root.is_empty())
            .ok_or_else(|| {
                Failure::user(format!(
                    "{}: `run_config.root` is missing; Vertex AI needs a GCS directory for the pipeline's outputs",
                    self.config_file
                ))
                .with_hint(Some(
                    "set `root:` to a bucket and prefix the job's service account can write, e.g. my-bucket/kedro-pipelines"
                        .to_owned(),
                ))
            })?;
        Ok(if root.starts_with("gs://") {
            root.to_owned()
        } else {
            format!("gs://{root}")
        })
    }

    fn pipeline_job(
        &self,
        display_name: String,
        spec: Value,
        parameters: BTreeMap<String, Value>,
    ) -> Result<PipelineJob, Failure> {
        Ok(PipelineJob {
            display_name,
            pipeline_spec: spec,
            runtime_config: RuntimeConfig {
                gcs_output_directory: self.gcs_output_directory()?,
                parameter_values: parameters,
            },
            service_account: self.service_account.clone(),
            network: self.network.clone(),
            labels: BTreeMap::new(),
        })
    }
}

/// `SERVICE_ACCOUNT` wins over the config, as in kedro-vertexai and kedro-kubeflow.
fn service_account(configured: Option<&str>) -> Option<String> {
    std::env::var("SERVICE_ACCOUNT")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| configured.map(str::to_owned))
        .filter(|value| !value.trim().is_empty())
}

fn config_file<'a>(files: &'a [kfp_config::ConfigFile], default: &'a str) -> &'a str {
    files.last().map_or(default, |file| file.path.as_str())
}

fn vertex_job<'a>(input: &'a super::Input, config: &'a VertexConfig) -> Job<'a> {
    let run = &config.run_config;
    Job {
        config_file: config_file(&input.config_files, "conf/base/vertexai.yaml"),
        project_name: &input.snapshot.project.name,
        run_name: run.run_name.clone().or_else(|| run.experiment_name.clone()),
        root: run.root.as_deref(),
        service_account: service_account(run.service_account.as_deref()),
        network: run.network.as_ref().and_then(|network| network.vpc.clone()),
    }
}

pub(crate) fn list_pipelines(args: &ListPipelinesArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "vertexai")?;
    let config = VertexConfig::load(&input.config_files)?;
    let connection = connect(&config.project_id, &config.region)?;
    show_jobs(&connection, args.json)
}

/// `kedro kubeflow list-pipelines` with `host: vertex-ai-pipelines`.
pub(crate) fn kubeflow_list_pipelines(
    args: &ListPipelinesArgs,
    input: &super::Input,
    config: &KubeflowConfig,
) -> Result<Status, Failure> {
    let (project, region) = kubeflow_location(input, config)?;
    let connection = connect(project, region)?;
    show_jobs(&connection, args.json)
}

fn show_jobs(connection: &Connection, json: bool) -> Result<Status, Failure> {
    let jobs = connection
        .vertex
        .list_pipeline_jobs()
        .map_err(|error| api_failure(error, connection))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&jobs).unwrap_or_default()
        );
        return Ok(Status::Success);
    }
    let width = |column: fn(&JobInfo) -> &str, title: &str| {
        jobs.iter()
            .map(|job| column(job).chars().count())
            .chain([title.len()])
            .max()
            .unwrap_or(4)
    };
    let name_width = width(|job| &job.display_name, "NAME");
    let id_width = width(|job| &job.id, "ID");
    println!(
        "{:<name_width$}  {:<id_width$}  {:<10}  CREATED",
        "NAME", "ID", "STATE"
    );
    for job in &jobs {
        println!(
            "{:<name_width$}  {:<id_width$}  {:<10}  {}",
            job.display_name,
            job.id,
            job.short_state(),
            job.create_time
        );
    }
    Ok(Status::Success)
}

pub(crate) fn run_once(args: &VertexRunOnceArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "vertexai")?;
    let config = VertexConfig::load(&input.config_files)?;
    let job = vertex_job(&input, &config);
    let spec = vertex_spec(
        &input,
        &config,
        &args.target.pipeline,
        args.target.image.as_deref(),
    )?;
    let wait =
        args.wait.wait_for_completion || config.run_config.wait_for_completion.unwrap_or(false);
    let parameters = parameters(&input, &args.params)?;
    let request = job.pipeline_job(job.display_name(), spec, parameters)?;
    let connection = connect(&config.project_id, &config.region)?;
    start(&connection, &request, wait, args.wait.timeout, args.json)
}

/// `kedro kubeflow run-once` with `host: vertex-ai-pipelines`.
pub(crate) fn kubeflow_run_once(
    args: &RunOnceArgs,
    input: &super::Input,
    config: &KubeflowConfig,
) -> Result<Status, Failure> {
    let (project, region) = kubeflow_location(input, config)?;
    let run = &config.run_config;
    let job = Job {
        config_file: config_file(&input.config_files, "conf/base/kubeflow.yaml"),
        project_name: &input.snapshot.project.name,
        run_name: args
            .run_name
            .clone()
            .or_else(|| run.run_name.clone())
            .or_else(|| args.experiment.experiment_name.clone())
            .or_else(|| run.experiment_name.clone()),
        root: run.root.as_deref(),
        service_account: service_account(None),
        network: run
            .vertex_ai_networking
            .as_ref()
            .and_then(|network| network.vpc.clone()),
    };
    let target = &args.upload.target;
    let request = CompileRequest {
        snapshot: &input.snapshot,
        config,
        config_file: job.config_file,
        pipeline: &target.pipeline,
        image: target.image.as_deref(),
    };
    let compiled = kfp_compile::ir::pipeline_spec(&IrRequest::for_kubeflow(&request)?)?;
    if compiled.platform.is_some() {
        output::warning(
            "Vertex AI ignores the kfp-kubernetes settings (volume, extra volumes, tolerations): they are left out of the job",
        );
    }
    let spec = spec_json(serde_json::to_value(&compiled.spec))?;
    let parameters = parameters(input, &args.params)?;
    let request = job.pipeline_job(job.display_name(), spec, parameters)?;
    let wait = args.wait.wait_for_completion || run.wait_for_completion.unwrap_or(false);
    let connection = connect(project, region)?;
    start(
        &connection,
        &request,
        wait,
        args.wait.timeout,
        args.upload.json,
    )
}

/// `project_id` and `region` of a kubeflow.yaml with `host: vertex-ai-pipelines`.
fn kubeflow_location<'a>(
    input: &super::Input,
    config: &'a KubeflowConfig,
) -> Result<(&'a str, &'a str), Failure> {
    let file = config_file(&input.config_files, "conf/base/kubeflow.yaml");
    let missing = |key: &str, example: &str| {
        Failure::user(format!(
            "{file}: `{key}` is missing; `host: vertex-ai-pipelines` needs it"
        ))
        .with_hint(Some(format!("add `{key}: {example}` next to `host:`")))
    };
    let project = config
        .project_id
        .as_deref()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| missing("project_id", "my-gcp-project"))?;
    let region = config
        .region
        .as_deref()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| missing("region", "europe-west4"))?;
    Ok((project, region))
}

/// The pipeline's IR as JSON, compiled as `kedro vertexai compile` does.
fn vertex_spec(
    input: &super::Input,
    config: &VertexConfig,
    pipeline: &str,
    image: Option<&str>,
) -> Result<Value, Failure> {
    let file = config_file(&input.config_files, "conf/base/vertexai.yaml");
    let request = IrRequest::for_vertex(&input.snapshot, config, file, pipeline, image)?;
    spec_json(serde_json::to_value(
        &kfp_compile::ir::pipeline_spec(&request)?.spec,
    ))
}

fn spec_json(spec: Result<Value, serde_json::Error>) -> Result<Value, Failure> {
    spec.map_err(|error| Failure::user(format!("cannot serialize the pipeline spec: {error}")))
}

fn parameters(input: &super::Input, params: &[String]) -> Result<BTreeMap<String, Value>, Failure> {
    Ok(
        super::remote::run_parameters(&input.snapshot, params, true)?
            .into_iter()
            .collect(),
    )
}

/// Creates the job, prints its console link, and waits when asked.
fn start(
    connection: &Connection,
    request: &PipelineJob,
    wait: bool,
    timeout: Option<u64>,
    json: bool,
) -> Result<Status, Failure> {
    let job_id = job_id(&request.display_name, std::time::SystemTime::now());
    let created = connection
        .vertex
        .create_pipeline_job(&job_id, request)
        .map_err(|error| api_failure(error, connection))?;
    let job_id = if created.id.is_empty() {
        job_id
    } else {
        created.id.clone()
    };
    let link = connection.vertex.run_link(&job_id);
    output::status(&format!(
        "Pipeline job {job_id} ({}) started: {link}",
        request.display_name
    ));
    let state = if wait {
        Some(wait_for(connection, &job_id, &link, timeout)?)
    } else {
        None
    };
    if json {
        let result = serde_json::json!({
            "job_id": job_id,
            "name": created.name,
            "display_name": request.display_name,
            "link": link,
            "state": state.as_ref().map_or(created.state.as_str(), |job| job.state.as_str()),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    }
    match state {
        None => Ok(Status::Success),
        Some(job) if job.short_state() == "SUCCEEDED" => Ok(Status::Success),
        Some(job) => {
            let reason = job
                .error
                .as_deref()
                .map(|message| format!(" ({message})"))
                .unwrap_or_default();
            Err(Failure::user(format!(
                "pipeline job {job_id} ended {}{reason}: {link}",
                job.short_state()
            ))
            .with_hint(Some(
                "the steps' logs are on the job's console page".to_owned(),
            )))
        }
    }
}

/// Polls until the job ends, printing state changes; Ctrl-C or the timeout stop waiting,
/// not the job.
fn wait_for(
    connection: &Connection,
    job_id: &str,
    link: &str,
    timeout: Option<u64>,
) -> Result<JobInfo, Failure> {
    let waiter = super::net::Waiter::new("pipeline job", DEFAULT_POLL_MS, timeout);
    let mut last = String::new();
    loop {
        let job = connection
            .vertex
            .pipeline_job(job_id)
            .map_err(|error| api_failure(error, connection))?;
        if job.state != last {
            output::status(&format!(
                "Pipeline job {job_id}: {} ({}s)",
                job.short_state(),
                waiter.elapsed()
            ));
            last.clone_from(&job.state);
        }
        if job.is_terminal() {
            return Ok(job);
        }
        let what = format!("pipeline job {job_id} is still {}", job.short_state());
        if let Some(stop) = waiter.stop(&what, link) {
            return Err(stop);
        }
        waiter.pause();
    }
}

pub(crate) fn schedule(args: &VertexScheduleArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "vertexai")?;
    let config = VertexConfig::load(&input.config_files)?;
    let run = &config.run_config;
    let pipeline = &args.target.pipeline;
    // kedro-vertexai 1.0: `schedules` are keyed by pipeline, `default_schedule` otherwise.
    let configured = run
        .schedules
        .get(pipeline)
        .or_else(|| run.schedules.get("default_schedule"));
    let cron = vertex_cron(
        args.cron_expression
            .as_deref()
            .or(configured.map(|s| s.cron_expression.as_str()))
            .unwrap_or(DEFAULT_CRON),
        args.timezone
            .as_deref()
            .or(configured.and_then(|s| s.timezone.as_deref())),
    )?;
    let job = vertex_job(&input, &config);
    let base_name = run
        .scheduled_run_name
        .clone()
        .or_else(|| run.run_name.clone())
        .unwrap_or_else(|| input.snapshot.project.name.clone());
    // Schedules of other pipelines keep their own names, so replacing one leaves the others.
    let display_name = if pipeline == "__default__" {
        base_name
    } else {
        format!("{base_name}-{pipeline}")
    };
    let spec = vertex_spec(&input, &config, pipeline, args.target.image.as_deref())?;
    let parameters = parameters(&input, &args.params)?;
    let pipeline_job = job.pipeline_job(display_name.clone(), spec, parameters)?;
    let connection = connect(&config.project_id, &config.region)?;
    let failure = |error| api_failure(error, &connection);
    let request = vertex::Schedule {
        display_name: display_name.clone(),
        cron,
        max_concurrent_run_count: configured
            .and_then(|s| s.max_concurrent_run_count)
            .unwrap_or(1)
            .to_string(),
        allow_queueing: configured.and_then(|s| s.allow_queueing).unwrap_or(false),
        start_time: configured.and_then(|s| s.start_time.clone()),
        end_time: configured.and_then(|s| s.end_time.clone()),
        max_run_count: configured
            .and_then(|s| s.max_run_count)
            .map(|n| n.to_string()),
        create_pipeline_job_request: CreatePipelineJobRequest {
            parent: connection.vertex.parent(),
            pipeline_job,
        },
    };
    let existing = connection
        .vertex
        .schedules_named(&display_name)
        .map_err(failure)?;
    let mut replaced = Vec::new();
    for old in existing {
        connection
            .vertex
            .delete_schedule(&old.name)
            .map_err(failure)?;
        output::status(&format!(
            "Deleted schedule {} ({}, `{}`)",
            old.id, old.display_name, old.cron
        ));
        replaced.push(old.name);
    }
    let created = connection
        .vertex
        .create_schedule(&request)
        .map_err(failure)?;
    let link = connection.vertex.schedule_link(&created.id);
    output::status(&format!(
        "Schedule {display_name} created (`{}`): {link}",
        request.cron
    ));
    if args.json {
        let result = serde_json::json!({
            "name": created.name, "id": created.id, "display_name": display_name,
            "cron": request.cron, "link": link, "replaced": replaced,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    }
    Ok(Status::Success)
}

/// A Vertex cron: 5 fields, with `TZ=<zone> ` in front when a time zone is given.
fn vertex_cron(expression: &str, timezone: Option<&str>) -> Result<String, Failure> {
    let expression = expression.trim();
    let (prefix, fields) = match expression.split_once(' ') {
        Some((first, rest)) if first.starts_with("TZ=") || first.starts_with("CRON_TZ=") => {
            (Some(first), rest.trim())
        }
        _ => (None, expression),
    };
    let count = fields.split_whitespace().count();
    if count == 6 {
        let without_seconds = fields
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ");
        return Err(Failure::user(format!(
            "cron `{fields}` has 6 fields: that is a Kubeflow Pipelines cron (seconds first); Vertex AI takes 5 fields (minute hour day-of-month month day-of-week)"
        ))
        .with_hint(Some(format!("drop the seconds: `{without_seconds}`"))));
    }
    if count != 5 && !(count == 1 && fields.starts_with('@')) {
        return Err(Failure::user(format!(
            "cron `{fields}` has {count} fields; Vertex AI takes 5 (minute hour day-of-month month day-of-week)"
        ))
        .with_hint(Some("e.g. `0 2 * * *` for every day at 02:00".to_owned())));
    }
    let timezone = timezone.map(str::trim).filter(|zone| !zone.is_empty());
    match (prefix, timezone) {
        (Some(prefix), Some(zone)) => Err(Failure::user(format!(
            "cron `{expression}` names its time zone (`{prefix}`) and a time zone `{zone}` is given too"
        ))
        .with_hint(Some("give the time zone once".to_owned()))),
        (Some(prefix), None) => Ok(format!("{prefix} {fields}")),
        (None, Some(zone)) => Ok(format!("TZ={zone} {fields}")),
        (None, None) => Ok(fields.to_owned()),
    }
}

/// kedro-vertexai's job id, `<name>-YYYYMMDDHHMMSS`, in the form Vertex accepts
/// (`^[a-z][-a-z0-9]{0,127}$`).
fn job_id(display_name: &str, now: std::time::SystemTime) -> String {
    let mut slug = String::new();
    for c in display_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_matches('-').to_owned();
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug.insert_str(0, "run-");
    }
    slug.truncate(100);
    let at = time::OffsetDateTime::from(now);
    format!(
        "{}-{:04}{:02}{:02}{:02}{:02}{:02}",
        slug.trim_end_matches('-'),
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn connect(project: &str, region: &str) -> Result<Connection, Failure> {
    let credentials = GoogleCredentials::application_default()
        .map_err(|error| Failure::user(error.to_string()).with_hint(Some(error.hint())))?;
    let described = credentials.describe();
    let auth = Auth::Google(GoogleAuth {
        credentials: Arc::new(credentials),
        token: GoogleToken::Access,
    });
    let base = vertex::api_base(region);
    tracing::debug!("Vertex AI: {base}, project {project}, region {region}");
    let transport =
        super::net::transport(&base, auth).map_err(|error| Failure::user(error.to_string()))?;
    Ok(Connection {
        vertex: Vertex::new(transport, project, region),
        project: project.to_owned(),
        credentials: described,
    })
}

fn api_failure(error: ApiError, connection: &Connection) -> Failure {
    if let ApiError::Credentials(google) = &error {
        return Failure::user(error.to_string()).with_hint(Some(google.hint()));
    }
    let hint = match error.status().map(|s| s.as_u16()) {
        Some(401 | 403) => Some(format!(
            "Vertex AI refused {} in project {}: grant it the Vertex AI User role (roles/aiplatform.user), or use other credentials: {CREDENTIALS_HINT}",
            connection.credentials, connection.project
        )),
        Some(404) => Some("check `project_id` and `region` in the config".to_owned()),
        _ => match &error {
            ApiError::Unreachable { .. } => Some(format!(
                "check `region` in the config and the network (or {} when it is set)",
                vertex::API_ENDPOINT_VAR
            )),
            _ => None,
        },
    };
    Failure::user(error.to_string()).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_what_vertex_accepts() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_323_045); // 2026-01-02 03:04:05
        assert_eq!(job_id("Spaceflights", at), "spaceflights-20260102030405");
        assert_eq!(job_id("My Run_1 (x)", at), "my-run-1-x-20260102030405");
        assert_eq!(job_id("42", at), "run-42-20260102030405");
        assert_eq!(job_id("", at), "run-20260102030405");
        assert!(job_id(&"a".repeat(300), at).len() < 128);
    }

    #[test]
    fn crons_are_five_fields_with_an_optional_time_zone() {
        let cron = |e: &str, tz: Option<&str>| vertex_cron(e, tz).map_err(|f| format!("{f:?}"));
        assert_eq!(cron("0 2 * * *", None).as_deref(), Ok("0 2 * * *"));
        assert_eq!(
            cron("0 2 * * *", Some("Europe/Warsaw")).as_deref(),
            Ok("TZ=Europe/Warsaw 0 2 * * *")
        );
        assert_eq!(
            cron("CRON_TZ=Etc/UTC 0 2 * * *", None).as_deref(),
            Ok("CRON_TZ=Etc/UTC 0 2 * * *")
        );
        let six = cron("0 0 2 * * *", None).expect_err("six fields");
        assert!(
            six.contains("6 fields") && six.contains("`0 2 * * *`"),
            "{six}"
        );
        assert!(cron("0 2 * *", None).is_err());
        assert!(cron("TZ=Etc/UTC 0 2 * * *", Some("Europe/Warsaw")).is_err());
    }
}
