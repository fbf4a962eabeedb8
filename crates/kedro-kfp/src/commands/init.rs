//! `kedro kubeflow init HOST` and `kedro vertexai init PROJECT_ID REGION`.

use std::path::Path;

use kfp_config::{ConfigError, ConfigFile, Workflow};

use crate::cli::{InitArgs, ProjectArgs, VertexInitArgs};
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn kubeflow(args: &InitArgs) -> Result<Status, Failure> {
    let values = kfp_config::InitValues {
        host: &args.host,
        package_name: &args.project.package_name,
        project_name: &args.project.project_name,
    };
    let text = kfp_config::kubeflow_template(&values);
    let workflows = kfp_config::kubeflow_workflows(&values);
    // The host is checked by the same code that checks it at compile time.
    write_config(&args.project, "kubeflow.yaml", &text, &workflows, |file| {
        kfp_config::KubeflowConfig::load(&[file]).map(drop)
    })
}

pub(crate) fn vertexai(args: &VertexInitArgs) -> Result<Status, Failure> {
    let values = kfp_config::VertexInitValues {
        project_id: &args.project_id,
        region: &args.region,
        package_name: &args.project.package_name,
        project_name: &args.project.project_name,
    };
    let text = kfp_config::vertexai_template(&values);
    let workflows = kfp_config::vertexai_workflows(&values);
    write_config(&args.project, "vertexai.yaml", &text, &workflows, |file| {
        kfp_config::VertexConfig::load(&[file]).map(drop)
    })
}

/// Writes `conf/base/<name>` after checking that the rendered file loads, and with
/// `--with-github-actions` the workflows under `.github/workflows/`; refuses to replace any
/// existing file unless `--force`, before writing anything.
fn write_config(
    project: &ProjectArgs,
    name: &str,
    text: &str,
    workflows: &[Workflow],
    check: impl FnOnce(ConfigFile) -> Result<(), ConfigError>,
) -> Result<Status, Failure> {
    let mut files = vec![(Path::new("conf").join("base").join(name), text)];
    if project.with_github_actions {
        let dir = Path::new(".github").join("workflows");
        files.extend(
            workflows
                .iter()
                .map(|w| (dir.join(w.name), w.content.as_str())),
        );
    }
    let existing = files
        .iter()
        .find(|(relative, _)| project.project_dir.join(relative).exists());
    if let Some((relative, _)) = existing.filter(|_| !project.force) {
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
    for (relative, content) in &files {
        let path = project.project_dir.join(relative);
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|error| Failure::io("create", dir, &error))?;
        }
        output::write_atomically(&path, content)?;
    }
    output::status(&format!(
        "Configuration generated in {}",
        files[0].0.display()
    ));
    if project.with_github_actions {
        let names: Vec<String> = files[1..]
            .iter()
            .map(|(relative, _)| relative.display().to_string())
            .collect();
        output::status(&format!(
            "GitHub Actions workflows generated in {} (set the repository secrets they list)",
            names.join(" and ")
        ));
    }
    Ok(Status::Success)
}
