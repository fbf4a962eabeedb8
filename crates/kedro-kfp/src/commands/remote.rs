//! Commands that talk to a KFP server: `list-pipelines`, `upload-pipeline`.

#![allow(
    clippy::print_stdout,
    reason = "tables and --json results are data on stdout"
)]

use std::path::PathBuf;

use kfp_client::{
    ApiError, Auth, GoogleAuth, GoogleCredentials, GoogleToken, Kfp, RecurringRunSpec, RunSpec,
    RunState, Secret, Uploaded,
};
use kfp_config::KubeflowConfig;
use sha2::{Digest, Sha256};

use crate::cli::{
    ExperimentArgs, ListPipelinesArgs, RunOnceArgs, ScheduleArgs, UploadPipelineArgs,
};
use crate::diagnostics::{Failure, Status};
use crate::output;

/// Where Kubeflow PodDefaults project the KFP service-account token (notes 2.4).
const DEFAULT_TOKEN_PATH: &str = "/var/run/secrets/kubeflow/pipelines/token";
/// Time between two polls of a run's state; tests shorten it.
const DEFAULT_POLL_MS: u64 = 5_000;

pub(crate) fn list_pipelines(args: &ListPipelinesArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    if config.host.trim() == kfp_config::VERTEX_HOST {
        return super::vertex::kubeflow_list_pipelines(args, &input, &config);
    }
    let kfp = connect(&config, None)?;
    let pipelines = kfp.list_pipelines().map_err(api_failure)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&pipelines).unwrap_or_default()
        );
    } else {
        let width = pipelines
            .iter()
            .map(|p| p.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        println!("{:<width$}  {:<36}  CREATED", "NAME", "ID");
        for pipeline in &pipelines {
            println!(
                "{:<width$}  {:<36}  {}",
                pipeline.name, pipeline.id, pipeline.created_at
            );
        }
    }
    Ok(Status::Success)
}

pub(crate) fn upload_pipeline(args: &UploadPipelineArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let kfp = connect(&config, None)?;
    let (uploaded, name, link) = upload(&kfp, args, &input, &config)?;
    if args.json {
        let mut result = serde_json::to_value(&uploaded).unwrap_or_default();
        result["name"] = name.into();
        result["link"] = link.into();
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    }
    Ok(Status::Success)
}

/// Compiles and uploads; reports what happened on stderr.
fn upload(
    kfp: &Kfp,
    args: &UploadPipelineArgs,
    input: &super::Input,
    config: &KubeflowConfig,
) -> Result<(Uploaded, String, String), Failure> {
    let file_name = PathBuf::from("pipeline.yaml");
    let (manifest, _) = super::compile::kubeflow_manifest(
        input,
        config,
        &args.target.pipeline,
        args.target.image.as_deref(),
        args.kfp_version,
        &file_name,
    )?;
    let name = pipeline_name(&input.snapshot.project.name, &args.target.pipeline);
    // Named after the content: uploading the same pipeline twice is recognised, not an error.
    let digest = Sha256::digest(manifest.as_bytes());
    let version_name = format!(
        "sha-{}",
        digest
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let uploaded = kfp
        .upload(
            &name,
            config.run_config.description.as_deref(),
            &version_name,
            &file_name.display().to_string(),
            manifest.as_bytes(),
        )
        .map_err(api_failure)?;
    let link = kfp.pipeline_link(&uploaded);
    if uploaded.created {
        output::status(&format!("Pipeline created: {name}"));
    } else if uploaded.unchanged {
        output::status(&format!(
            "Pipeline {name} already has this version ({version_name}): nothing to upload"
        ));
    } else {
        output::status(&format!(
            "New version of pipeline {name} created: {version_name}"
        ));
    }
    output::status(&format!("Pipeline link: {link}"));
    Ok((uploaded, name, link))
}

pub(crate) fn run_once(args: &RunOnceArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.upload.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    if config.host.trim() == kfp_config::VERTEX_HOST {
        return super::vertex::kubeflow_run_once(args, &input, &config);
    }
    let ir = args.upload.kfp_version.or(config.run_config.kfp_version) == Some(2);
    let parameters = run_parameters(&input.snapshot, &args.params, ir)?;
    let kfp = connect(&config, args.experiment.experiment_namespace.as_deref())?;
    require_namespace(&kfp)?;
    let (uploaded, name, _) = upload(&kfp, &args.upload, &input, &config)?;
    let run = &config.run_config;
    let (_, experiment_id) = experiment(&kfp, &args.experiment, &config, &name)?;
    let run_name = template_name(
        args.run_name
            .as_deref()
            .or(run.run_name.as_deref())
            .unwrap_or(&name),
        &args.params,
    );
    let run_id = kfp
        .create_run(&RunSpec {
            name: &run_name,
            experiment_id: &experiment_id,
            uploaded: &uploaded,
            parameters: &parameters,
        })
        .map_err(api_failure)?;
    let link = kfp.run_link(&run_id);
    output::status(&format!("Run {run_name} started: {link}"));
    let wait = args.wait.wait_for_completion || run.wait_for_completion.unwrap_or(false);
    let state = if wait {
        Some(wait_for(
            &kfp,
            &run_id,
            &run_name,
            &link,
            args.wait.timeout,
        )?)
    } else {
        None
    };
    if args.upload.json {
        let result = serde_json::json!({
            "pipeline_id": uploaded.pipeline_id, "version_id": uploaded.version_id,
            "experiment_id": experiment_id, "run_id": run_id, "link": link, "state": state,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    }
    match state {
        None | Some(RunState::Succeeded) => Ok(Status::Success),
        Some(state) => Err(Failure::user(format!(
            "run {run_name} ended {}: {link}",
            state_name(state)
        ))
        .with_hint(Some("the run's logs are in the KFP UI".to_owned()))),
    }
}

pub(crate) fn schedule(args: &ScheduleArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let cron = kfp_config::cron::kfp_cron(&args.cron_expression).map_err(|reason| {
        Failure::user(format!("--cron-expression {reason}")).with_hint(Some(
            "example: `0 0 4 * * *` runs every day at 04:00:00".to_owned(),
        ))
    })?;
    if let Some(five) = &cron.converted_from {
        output::warning(&format!(
            "`{five}` is a five-field cron; KFP reads six fields (seconds first), so it is sent as `{}`",
            cron.expression
        ));
    }
    let ir = args.kfp_version.or(config.run_config.kfp_version) == Some(2);
    let parameters = run_parameters(&input.snapshot, &args.params, ir)?;
    let kfp = connect(&config, args.experiment.experiment_namespace.as_deref())?;
    require_namespace(&kfp)?;
    let name = pipeline_name(&input.snapshot.project.name, &args.pipeline);
    let not_uploaded = || {
        Failure::user(format!("pipeline {name} is not on the server")).with_hint(Some(format!(
            "upload it first: `kedro kubeflow upload-pipeline -p {}`",
            args.pipeline
        )))
    };
    let pipeline = kfp
        .find_pipeline(&name)
        .map_err(api_failure)?
        .ok_or_else(not_uploaded)?;
    let version_id = kfp
        .newest_version(&pipeline.id)
        .map_err(api_failure)?
        .ok_or_else(not_uploaded)?;
    let (_, experiment_id) = experiment(&kfp, &args.experiment, &config, &name)?;
    let run_name = template_name(
        config
            .run_config
            .scheduled_run_name
            .as_deref()
            .unwrap_or(&name),
        &args.params,
    );
    for old in kfp
        .recurring_runs_named(&experiment_id, &run_name)
        .map_err(api_failure)?
    {
        kfp.delete_recurring_run(&old).map_err(api_failure)?;
        output::status(&format!("Previous schedule {run_name} deleted ({old})"));
    }
    let id = kfp
        .create_recurring_run(&RecurringRunSpec {
            name: &run_name,
            experiment_id: &experiment_id,
            pipeline_id: &pipeline.id,
            version_id: &version_id,
            cron: &cron.expression,
            parameters: &parameters,
        })
        .map_err(api_failure)?;
    let link = kfp.recurring_run_link(&id);
    output::status(&format!(
        "Pipeline {name} scheduled to `{}` as {run_name}: {link}",
        cron.expression
    ));
    if args.json {
        let result = serde_json::json!({
            "recurring_run_id": id, "name": run_name, "cron": cron.expression,
            "pipeline_id": pipeline.id, "version_id": version_id,
            "experiment_id": experiment_id, "link": link,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    }
    Ok(Status::Success)
}

/// A multi-user server keeps experiments and runs in namespaces: one must be given.
fn require_namespace(kfp: &Kfp) -> Result<(), Failure> {
    if kfp.multi_user() && kfp.namespace().is_none() {
        return Err(Failure::user(
            "this Kubeflow Pipelines is multi-user: experiments and runs live in a namespace",
        )
        .with_hint(Some(
            "pass `--experiment-namespace <your profile namespace>`".to_owned(),
        )));
    }
    Ok(())
}

/// The experiment runs go to (created when missing): its name and id.
fn experiment(
    kfp: &Kfp,
    args: &ExperimentArgs,
    config: &KubeflowConfig,
    pipeline_name: &str,
) -> Result<(String, String), Failure> {
    let name = args
        .experiment_name
        .clone()
        .or_else(|| config.run_config.experiment_name.clone())
        .unwrap_or_else(|| pipeline_name.to_owned());
    let id = kfp.experiment(&name).map_err(api_failure)?;
    output::status(&format!("Experiment {name}: {}", kfp.experiment_link(&id)));
    Ok((name, id))
}

/// `run_name` and `scheduled_run_name` may name parameters in braces, as in
/// kedro-kubeflow: `training-{learning_rate}` with `--param learning_rate=0.1`.
fn template_name(template: &str, params: &[String]) -> String {
    params
        .iter()
        .filter_map(|param| param.split_once('='))
        .fold(template.to_owned(), |name, (key, value)| {
            name.replace(&format!("{{{}}}", key.trim()), value)
        })
}

fn state_name(state: RunState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `--param KEY=VALUE` as the values a run takes: for an Argo pipeline, parameter values are
/// JSON text (what the step runtime decodes); for the KFP v2 IR they are typed, so a value is
/// read as JSON unless the Kedro parameter is a string.
pub(super) fn run_parameters(
    snapshot: &kfp_snapshot::Snapshot,
    params: &[String],
    ir: bool,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let names = kfp_compile::parameter_names(snapshot);
    let mut values = serde_json::Map::new();
    for param in params {
        let Some((key, text)) = param.split_once('=') else {
            return Err(Failure::user(format!(
                "`--param {param}`: expected KEY=VALUE"
            )));
        };
        let key = key.trim();
        let Some(name) = names.get(key) else {
            return Err(Failure::user(format!(
                "`--param {key}`: the project has no such parameter"
            ))
            .with_hint(Some(format!(
                "parameters: {}",
                names.keys().cloned().collect::<Vec<_>>().join(", ")
            ))));
        };
        let value = if !ir {
            // The step runtime decodes JSON itself.
            serde_json::Value::String(text.to_owned())
        } else if snapshot.parameters[key].is_string() {
            // Typed as a string: as typed, or the string inside a JSON string.
            serde_json::Value::String(
                serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned()),
            )
        } else {
            serde_json::from_str(text).map_err(|_| {
                Failure::user(format!(
                    "`--param {key}`: `{text}` is not JSON, and this parameter is not a string"
                ))
            })?
        };
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// Polls until the run ends, with a live status line; Ctrl-C or the timeout stop waiting,
/// not the run.
fn wait_for(
    kfp: &Kfp,
    run_id: &str,
    run_name: &str,
    link: &str,
    timeout: Option<u64>,
) -> Result<RunState, Failure> {
    let waiter = super::net::Waiter::new("run", DEFAULT_POLL_MS, timeout);
    let mut last = None;
    loop {
        let state = kfp.run_state(run_id).map_err(api_failure)?;
        if last != Some(state) {
            output::status(&format!(
                "Run {run_name}: {} ({}s)",
                state_name(state),
                waiter.elapsed()
            ));
            last = Some(state);
        }
        if state.is_terminal() {
            return Ok(state);
        }
        let what = format!("run {run_name} is still {}", state_name(state));
        if let Some(stop) = waiter.stop(&what, link) {
            return Err(stop);
        }
        waiter.pause();
    }
}

/// The pipeline's name on the server: the project's, as kedro-kubeflow names it, with the
/// Kedro pipeline appended when it is not the default one.
fn pipeline_name(project: &str, pipeline: &str) -> String {
    if pipeline == "__default__" {
        project.to_owned()
    } else {
        format!("{project} ({pipeline})")
    }
}

fn connect(config: &KubeflowConfig, namespace: Option<&str>) -> Result<Kfp, Failure> {
    if config.host.trim() == kfp_config::VERTEX_HOST {
        return Err(Failure::user(
            "`host: vertex-ai-pipelines`: this command needs a KFP server; with Vertex AI (which has no pipeline registry) `kedro kubeflow` runs `list-pipelines` and `run-once`",
        )
        .with_hint(Some(
            "use `kedro kubeflow run-once`, or `kedro vertexai schedule` for a schedule on Vertex AI".to_owned(),
        )));
    }
    let transport =
        super::net::transport(&config.host, auth(&config.host)?).map_err(api_failure)?;
    Kfp::connect(transport, None, namespace.map(str::to_owned)).map_err(api_failure)
}

/// Credentials from the environment, as kedro-kubeflow and the KFP SDK read them.
fn auth(host: &str) -> Result<Auth, Failure> {
    // IAP wants a Google-signed ID token whose audience is the proxy's OAuth client id
    // (kedro-kubeflow 0.4.7 docs 3.2, notes 2.3).
    if let Some(client_id) = std::env::var("IAP_CLIENT_ID")
        .ok()
        .filter(|id| !id.trim().is_empty())
    {
        let credentials = GoogleCredentials::application_default()
            .map_err(|error| Failure::user(error.to_string()).with_hint(Some(error.hint())))?;
        tracing::debug!(
            "credentials: an IAP ID token for {} (IAP_CLIENT_ID) from {}",
            client_id.trim(),
            credentials.describe()
        );
        return Ok(Auth::Google(GoogleAuth {
            credentials: std::sync::Arc::new(credentials),
            token: GoogleToken::Id(client_id.trim().to_owned()),
        }));
    }
    if let Ok(username) = std::env::var("DEX_USERNAME") {
        let password = std::env::var("DEX_PASSWORD").map_err(|_| {
            Failure::user("`DEX_USERNAME` is set but `DEX_PASSWORD` is not").with_hint(Some(
                "set DEX_PASSWORD to the Dex user's static password".to_owned(),
            ))
        })?;
        tracing::debug!("credentials: a Dex login as {username} (DEX_USERNAME)");
        return kfp_client::dex::login(host, &username, &Secret::new(password))
            .map_err(api_failure);
    }
    let token_file = std::env::var_os("KF_PIPELINES_SA_TOKEN_PATH")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(DEFAULT_TOKEN_PATH)).filter(|path| path.exists()));
    if let Some(path) = token_file {
        tracing::debug!("credentials: the token in {}", path.display());
        return Ok(Auth::TokenFile(path));
    }
    if let Ok(token) = std::env::var("KF_PIPELINES_TOKEN") {
        tracing::debug!("credentials: the token in KF_PIPELINES_TOKEN");
        return Ok(Auth::Bearer(Secret::new(token)));
    }
    tracing::debug!("credentials: none");
    Ok(Auth::None)
}

fn api_failure(error: ApiError) -> Failure {
    if let ApiError::Credentials(google) = &error {
        return Failure::user(error.to_string()).with_hint(Some(google.hint()));
    }
    let hint = match error.status().map(|s| s.as_u16()) {
        Some(401 | 403) => Some(
            "the server wants credentials: set KF_PIPELINES_SA_TOKEN_PATH (service-account token file), KF_PIPELINES_TOKEN, DEX_USERNAME and DEX_PASSWORD (Dex login) or IAP_CLIENT_ID (IAP)"
                .to_owned(),
        ),
        Some(409) => Some(
            "the name is taken: run the command again (something created it at the same time)"
                .to_owned(),
        ),
        Some(500..=599) => Some(
            "the server failed (reads were retried); try again later, or look at the KFP API server's logs"
                .to_owned(),
        ),
        Some(404) => Some("check `host` in kubeflow.yaml: it must be the KFP API root, e.g. https://host/pipeline".to_owned()),
        _ => match &error {
            ApiError::Login { .. } => Some(
                "check DEX_USERNAME and DEX_PASSWORD (a Dex static-password user) and `host` in kubeflow.yaml".to_owned(),
            ),
            ApiError::NotJson { .. } => Some(
                "`host` in kubeflow.yaml must be the KFP API root (e.g. https://host/pipeline); a login page here means the gateway wants DEX_USERNAME and DEX_PASSWORD or IAP_CLIENT_ID".to_owned(),
            ),
            ApiError::Unreachable { .. } => Some("check `host` in kubeflow.yaml and that the server is running".to_owned()),
            _ => None,
        },
    };
    Failure::user(error.to_string()).with_hint(hint)
}
