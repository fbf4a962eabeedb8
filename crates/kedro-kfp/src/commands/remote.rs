//! Commands that talk to a KFP server: `list-pipelines`, `upload-pipeline`.

#![allow(
    clippy::print_stdout,
    reason = "tables and --json results are data on stdout"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use kfp_client::{ApiError, Auth, Kfp, Secret, Transport};
use kfp_config::KubeflowConfig;
use sha2::{Digest, Sha256};

use crate::cli::{ListPipelinesArgs, UploadPipelineArgs};
use crate::diagnostics::{Failure, Status};
use crate::output;

/// Where Kubeflow PodDefaults project the KFP service-account token (notes 2.4).
const DEFAULT_TOKEN_PATH: &str = "/var/run/secrets/kubeflow/pipelines/token";
/// First wait between retries; tests shorten it.
const DEFAULT_BACKOFF_MS: u64 = 500;

pub(crate) fn list_pipelines(args: &ListPipelinesArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let kfp = connect(&config)?;
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
    let file_name = PathBuf::from("pipeline.yaml");
    let (manifest, _) = super::compile::kubeflow_manifest(
        &input,
        &config,
        &args.target.pipeline,
        args.target.image.as_deref(),
        args.kfp_version,
        &file_name,
    )?;
    let kfp = connect(&config)?;
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

/// The pipeline's name on the server: the project's, as kedro-kubeflow names it, with the
/// Kedro pipeline appended when it is not the default one.
fn pipeline_name(project: &str, pipeline: &str) -> String {
    if pipeline == "__default__" {
        project.to_owned()
    } else {
        format!("{project} ({pipeline})")
    }
}

fn connect(config: &KubeflowConfig) -> Result<Kfp, Failure> {
    if config.host.trim() == kfp_config::VERTEX_HOST {
        return Err(Failure::user(
            "`host: vertex-ai-pipelines`: talking to Vertex AI is not available in this version",
        )
        .with_hint(Some(
            "use `kedro kubeflow compile` and upload the spec, or a KFP host".to_owned(),
        )));
    }
    let backoff = std::env::var("KEDRO_KFP_RETRY_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BACKOFF_MS);
    let transport = Transport::new(&config.host, auth()?, Duration::from_millis(backoff))
        .map_err(api_failure)?;
    Kfp::connect(transport, None, None).map_err(api_failure)
}

/// Credentials from the environment, as kedro-kubeflow and the KFP SDK read them.
fn auth() -> Result<Auth, Failure> {
    for (variable, what) in [
        ("DEX_USERNAME", "Dex login"),
        ("IAP_CLIENT_ID", "IAP authentication"),
    ] {
        if std::env::var_os(variable).is_some() {
            return Err(Failure::user(format!(
                "`{variable}` is set, but {what} is not available in this version"
            ))
            .with_hint(Some(
                "unset it, or use a service-account token (KF_PIPELINES_SA_TOKEN_PATH)".to_owned(),
            )));
        }
    }
    if let Some(path) = std::env::var_os("KF_PIPELINES_SA_TOKEN_PATH") {
        return Ok(Auth::TokenFile(PathBuf::from(path)));
    }
    if Path::new(DEFAULT_TOKEN_PATH).exists() {
        return Ok(Auth::TokenFile(PathBuf::from(DEFAULT_TOKEN_PATH)));
    }
    if let Ok(token) = std::env::var("KF_PIPELINES_TOKEN") {
        return Ok(Auth::Bearer(Secret::new(token)));
    }
    Ok(Auth::None)
}

fn api_failure(error: ApiError) -> Failure {
    let hint = match error.status().map(|s| s.as_u16()) {
        Some(401 | 403) => Some(
            "the server wants credentials: set KF_PIPELINES_SA_TOKEN_PATH (service-account token file) or KF_PIPELINES_TOKEN"
                .to_owned(),
        ),
        Some(404) => Some("check `host` in kubeflow.yaml: it must be the KFP API root, e.g. https://host/pipeline".to_owned()),
        _ => match &error {
            ApiError::Unreachable { .. } => Some("check `host` in kubeflow.yaml and that the server is running".to_owned()),
            _ => None,
        },
    };
    Failure::user(error.to_string()).with_hint(hint)
}
