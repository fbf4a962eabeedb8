//! `kedro kubeflow init HOST` and `kedro vertexai init PROJECT_ID REGION`.

use std::path::Path;

use kfp_config::{ConfigError, ConfigFile};

use crate::cli::{InitArgs, ProjectArgs, VertexInitArgs};
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn kubeflow(args: &InitArgs) -> Result<Status, Failure> {
    let text = kfp_config::kubeflow_template(&kfp_config::InitValues {
        host: &args.host,
        package_name: &args.project.package_name,
        project_name: &args.project.project_name,
    });
    // The host is checked by the same code that checks it at compile time.
    write_config(&args.project, "kubeflow.yaml", &text, |file| {
        kfp_config::KubeflowConfig::load(&[file]).map(drop)
    })
}

pub(crate) fn vertexai(args: &VertexInitArgs) -> Result<Status, Failure> {
    let text = kfp_config::vertexai_template(&kfp_config::VertexInitValues {
        project_id: &args.project_id,
        region: &args.region,
        package_name: &args.project.package_name,
        project_name: &args.project.project_name,
    });
    write_config(&args.project, "vertexai.yaml", &text, |file| {
        kfp_config::VertexConfig::load(&[file]).map(drop)
    })
}

/// Writes `conf/base/<name>` after checking that the rendered file loads, refusing to
/// replace an existing file unless `--force`.
fn write_config(
    project: &ProjectArgs,
    name: &str,
    text: &str,
    check: impl FnOnce(ConfigFile) -> Result<(), ConfigError>,
) -> Result<Status, Failure> {
    let relative = Path::new("conf").join("base").join(name);
    let path = project.project_dir.join(&relative);
    if path.exists() && !project.force {
        return Err(
            Failure::user(format!("`{}` already exists", relative.display())).with_hint(Some(
                "edit it, or pass `--force` to overwrite it".to_owned(),
            )),
        );
    }
    check(ConfigFile {
        path: "the command's arguments".to_owned(),
        content: text.to_owned(),
    })?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|error| Failure::io("create", dir, &error))?;
    }
    output::write_atomically(&path, text)?;
    output::status(&format!(
        "Configuration generated in {}",
        relative.display()
    ));
    Ok(Status::Success)
}
