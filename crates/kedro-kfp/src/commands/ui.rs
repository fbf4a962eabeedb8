//! `kedro kubeflow ui` and `kedro vertexai ui`: open the pipelines UI, or print its URL where
//! no browser can be opened (a server, CI, an SSH session).

#![allow(clippy::print_stdout, reason = "the URL is the command's output")]

use std::process::{Command, Stdio};

use kfp_config::{KubeflowConfig, VertexConfig};

use crate::cli::UiArgs;
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn kubeflow(args: &UiArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let url = if config.host.trim() == kfp_config::VERTEX_HOST {
        let project = config.project_id.as_deref().unwrap_or_default();
        let region = config.region.as_deref().unwrap_or("us-central1");
        vertex_console(project, region)
    } else {
        format!(
            "{}/#/pipelines",
            kfp_client::transport::redact_url(config.host.trim_end_matches('/'))
        )
    };
    show(&url, args.print)
}

pub(crate) fn vertexai(args: &UiArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "vertexai")?;
    let config = VertexConfig::load(&input.config_files)?;
    show(
        &vertex_console(&config.project_id, &config.region),
        args.print,
    )
}

fn vertex_console(project: &str, region: &str) -> String {
    format!(
        "https://console.cloud.google.com/vertex-ai/locations/{region}/pipelines/runs?project={project}"
    )
}

fn show(url: &str, print_only: bool) -> Result<Status, Failure> {
    if !print_only && open_browser(url) {
        output::status(&format!("Opened {url}"));
    } else {
        println!("{url}");
    }
    Ok(Status::Success)
}

/// Starts the desktop's URL opener, without a shell, when there is a desktop to open it on.
fn open_browser(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        "xdg-open"
    } else {
        return false;
    };
    Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
