//! `kedro kubeflow compile` (Argo Workflow or KFP v2 IR) and `kedro vertexai compile`.

use std::path::Path;

use kfp_compile::CompileRequest;
use kfp_compile::ir::{CompiledIr, IrRequest};
use kfp_config::{KubeflowConfig, VertexConfig};

use crate::cli::{CommonCompileArgs, CompileArgs, VertexCompileArgs};
use crate::diagnostics::{Failure, Status};
use crate::output;

pub(crate) fn kubeflow(args: &CompileArgs) -> Result<Status, Failure> {
    let common = &args.common;
    let input = super::read_input(&common.input, "kubeflow")?;
    let config = KubeflowConfig::load(&input.config_files)?;
    let (text, summary) = kubeflow_manifest(
        &input,
        &config,
        &common.target.pipeline,
        common.target.image.as_deref(),
        args.kfp_version,
        &args.output,
    )?;
    finish(common, &args.output, &text, &summary)
}

/// What `kedro kubeflow compile` writes to `output`: the Argo Workflow, or the KFP v2 IR
/// (for `--kfp-version 2`, `run_config.kfp_version: 2` or a Vertex AI host).
pub(crate) fn kubeflow_manifest(
    input: &super::Input,
    config: &KubeflowConfig,
    pipeline: &str,
    image: Option<&str>,
    kfp_version: Option<u8>,
    output: &Path,
) -> Result<(String, kfp_compile::Summary), Failure> {
    let request = CompileRequest {
        snapshot: &input.snapshot,
        config,
        config_file: config_file(&input.config_files, "conf/base/kubeflow.yaml"),
        pipeline,
        image,
    };
    let vertex = config.host.trim() == kfp_config::VERTEX_HOST;
    if vertex || kfp_version.or(config.run_config.kfp_version) == Some(2) {
        let compiled = kfp_compile::ir::pipeline_spec(&IrRequest::for_kubeflow(&request)?)?;
        return Ok((render_ir(&compiled, output)?, compiled.summary));
    }
    let compiled = kfp_compile::argo::workflow(&request)?;
    let yaml = kfp_yaml::to_string(&compiled.workflow)
        .map_err(|error| Failure::user(format!("cannot serialize the workflow: {error}")))?;
    Ok((yaml, compiled.summary))
}

pub(crate) fn vertexai(args: &VertexCompileArgs) -> Result<Status, Failure> {
    let common = &args.common;
    let input = super::read_input(&common.input, "vertexai")?;
    let config = VertexConfig::load(&input.config_files)?;
    let file = config_file(&input.config_files, "conf/base/vertexai.yaml");
    let request = IrRequest::for_vertex(
        &input.snapshot,
        &config,
        file,
        &common.target.pipeline,
        common.target.image.as_deref(),
    )?;
    let compiled = kfp_compile::ir::pipeline_spec(&request)?;
    finish(
        common,
        &args.output,
        &render_ir(&compiled, &args.output)?,
        &compiled.summary,
    )
}

fn config_file<'a>(files: &'a [kfp_config::ConfigFile], default: &'a str) -> &'a str {
    files.last().map_or(default, |file| file.path.as_str())
}

/// JSON for `.json` (and stdout), YAML otherwise; the platform spec, when there is one, is
/// a second YAML document, which JSON cannot hold.
fn render_ir(compiled: &CompiledIr, output: &Path) -> Result<String, Failure> {
    let json = output::is_stdout(output) || output.extension().is_some_and(|ext| ext == "json");
    if json {
        if compiled.platform.is_some() {
            return Err(Failure::user(format!(
                "`{}`: the pipeline needs a kfp-kubernetes platform spec (volume, tolerations, node selectors…), which only YAML output can carry",
                output.display()
            ))
            .with_hint(Some("write to a `.yaml` file".to_owned())));
        }
        let mut text = serde_json::to_string_pretty(&compiled.spec).map_err(|error| {
            Failure::user(format!("cannot serialize the pipeline spec: {error}"))
        })?;
        text.push('\n');
        return Ok(text);
    }
    let serialize = |error: kfp_yaml::SerializeError| {
        Failure::user(format!("cannot serialize the pipeline spec: {error}"))
    };
    let mut text = kfp_yaml::to_string(&compiled.spec).map_err(serialize)?;
    if let Some(platform) = &compiled.platform {
        text.push_str("---\n");
        text.push_str(&kfp_yaml::to_string(platform).map_err(serialize)?);
    }
    Ok(text)
}

/// Writes (or, with `--check`, compares) the compiled text and reports.
fn finish(
    common: &CommonCompileArgs,
    path: &Path,
    text: &str,
    summary: &kfp_compile::Summary,
) -> Result<Status, Failure> {
    for crossing in &summary.memory_crossings {
        output::warning(&format!(
            "dataset `{}` is kept in memory, but node `{}` writes it and node `{}` reads it in another step; steps do not share memory, so that step will fail: add `{}` to the catalog as a file dataset",
            crossing.dataset, crossing.writer.0, crossing.reader.0, crossing.dataset
        ));
    }
    if common.check {
        return check(path, text);
    }
    output::write_atomically(path, text)?;
    if !output::is_stdout(path) {
        output::status(&format!(
            "Compiled pipeline `{}` ({} nodes in {} steps) to {}",
            common.target.pipeline,
            summary.nodes,
            summary.steps,
            path.display()
        ));
    }
    Ok(Status::Success)
}

/// `--check`: 0 when the file holds exactly what compile would write, else 1 and a diff.
fn check(path: &Path, expected: &str) -> Result<Status, Failure> {
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
