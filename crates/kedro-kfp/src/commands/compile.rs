//! `kedro kubeflow compile`: snapshot + `kubeflow.yaml` → Argo Workflow YAML.

use kfp_compile::CompileRequest;
use kfp_config::KubeflowConfig;

use crate::cli::CompileArgs;
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn run(args: &CompileArgs) -> Result<Status, Failure> {
    let input = super::read_input(&args.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let config_file = input
        .config_files
        .last()
        .map_or("conf/base/kubeflow.yaml", |file| file.path.as_str());
    let request = CompileRequest {
        snapshot: &input.snapshot,
        config: &config,
        config_file,
        pipeline: &args.pipeline,
        image: args.image.as_deref(),
    };
    let compiled = kfp_compile::argo::workflow(&request)?;
    let yaml = kfp_yaml::to_string(&compiled.workflow)
        .map_err(|error| Failure::user(format!("cannot serialize the workflow: {error}")))?;

    if args.check {
        return check(&args.output, &yaml);
    }
    output::write_atomically(&args.output, &yaml)?;
    if !output::is_stdout(&args.output) {
        output::status(&format!(
            "Compiled pipeline `{}` ({} nodes in {} steps) to {}",
            args.pipeline,
            compiled.nodes,
            compiled.steps,
            args.output.display()
        ));
    }
    Ok(Status::Success)
}

/// `--check`: 0 when the file holds exactly what compile would write, else 1 and a diff.
fn check(path: &std::path::Path, expected: &str) -> Result<Status, Failure> {
    let current = match fs_err::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                Failure::user(format!("`{}` does not exist", path.display()))
                    .with_hint(Some("run compile without `--check` to write it".to_owned())),
            );
        }
        Err(error) => return Err(Failure::io("read", path, &error)),
    };
    if current == expected {
        output::status(&format!("{} is up to date", path.display()));
        return Ok(Status::Success);
    }
    let name = path.display().to_string();
    let diff = similar::TextDiff::from_lines(current.as_str(), expected)
        .unified_diff()
        .header(&name, &format!("{name} (compiled)"))
        .to_string();
    output::data(&diff);
    output::status(&format!(
        "{name} is stale; run compile without `--check` to update it"
    ));
    Ok(Status::Failure)
}
