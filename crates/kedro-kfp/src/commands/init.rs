//! `kedro kubeflow init HOST`.

use crate::cli::InitArgs;
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn run(args: &InitArgs) -> Result<Status, Failure> {
    let relative = std::path::Path::new("conf")
        .join("base")
        .join("kubeflow.yaml");
    let path = args.project_dir.join(&relative);
    if path.exists() && !args.force {
        return Err(
            Failure::user(format!("`{}` already exists", relative.display())).with_hint(Some(
                "edit it, or pass `--force` to overwrite it".to_owned(),
            )),
        );
    }
    let text = kfp_config::kubeflow_template(&kfp_config::InitValues {
        host: &args.host,
        package_name: &args.package_name,
        project_name: &args.project_name,
    });
    // The host is checked by the same code that checks it at compile time.
    kfp_config::KubeflowConfig::load(&[kfp_config::ConfigFile {
        path: "HOST argument".to_owned(),
        content: text.clone(),
    }])?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|error| Failure::io("create", dir, &error))?;
    }
    output::write_atomically(&path, &text)?;
    output::status(&format!(
        "Configuration generated in {}",
        relative.display()
    ));
    Ok(Status::Success)
}
