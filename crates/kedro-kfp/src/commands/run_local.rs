//! `kedro kubeflow run-local` and `kedro vertexai run-local`: compile (or read) the
//! pipeline and run every step of the compiled output on this machine.

#![allow(
    clippy::print_stderr,
    reason = "progress and the failing step's log go to stderr"
)]

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use kfp_compile::CompileRequest;
use kfp_compile::ir::IrRequest;
use kfp_config::{KubeflowConfig, VertexConfig};
use kfp_runner::{Action, Event, Layout, LocalPlan, StepState, Values};
use serde_json::Value;

use crate::cli::RunLocalArgs;
use crate::diagnostics::{Failure, Status};
use crate::output;

/// Which command group runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Group {
    Kubeflow,
    Vertexai,
}

/// Lines of a failed step's log shown in the terminal.
const LOG_TAIL: usize = 20;
/// The image does not matter locally: the project stands in for it.
const LOCAL_IMAGE: &str = "local";

pub(crate) fn run(args: &RunLocalArgs, group: Group) -> Result<Status, Failure> {
    let config_name = match group {
        Group::Kubeflow => "kubeflow",
        Group::Vertexai => "vertexai",
    };
    let input = super::read_input(&args.input, config_name)?;
    let (manifest, platform) = match &args.workflow {
        Some(path) => read_manifest(path)?,
        None => compile(&input, args, group)?,
    };

    let project_dir = std::path::absolute(&args.project_dir)
        .map_err(|error| Failure::io("find", &args.project_dir, &error))?;
    let run_id = format!(
        "local-{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        std::process::id()
    );
    let run_dir = match &args.run_dir {
        Some(dir) => std::path::absolute(dir).map_err(|error| Failure::io("find", dir, &error))?,
        None => project_dir
            .join(".kedro-kfp")
            .join("run-local")
            .join(&run_id),
    };
    let layout = Layout::new(&project_dir, &run_dir);
    let values = Values {
        run_id: run_id.clone(),
        overrides: overrides(&args.params)?,
    };
    let plan = if manifest["kind"] == "Workflow" {
        kfp_runner::plan::from_argo(&manifest, &layout, &values)
    } else {
        kfp_runner::plan::from_ir(&manifest, platform.as_ref(), &layout, &values)
    }
    .map_err(runner_failure)?;
    check_memory_datasets(&input.snapshot, &plan)?;

    // A pipeline that creates its volume fills it itself (`data-volume-init`); otherwise
    // every step sees the image's `data/`, which a copy stands in for.
    let makes_volume = plan
        .steps
        .iter()
        .any(|step| matches!(step.action, Action::CreateVolume(_)));
    layout.prepare(!makes_volume).map_err(runner_failure)?;

    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // Only the first handler registration in a process can succeed; a failure here only
    // means Ctrl-C keeps its default behaviour.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let options = kfp_runner::RunOptions {
        jobs,
        log_dir: run_dir.join("logs"),
        interrupted,
    };
    output::status(&format!(
        "Running {} steps locally ({jobs} at once) in {}",
        plan.steps.len(),
        run_dir.display()
    ));

    let started = Instant::now();
    let mut progress = Progress::new(&plan);
    let outcome = kfp_runner::run::run(&plan, &options, &mut |event| progress.handle(event))
        .map_err(runner_failure)?;
    progress.finish();

    let count = |state: StepState| outcome.states.iter().filter(|s| **s == state).count();
    output::status(&format!(
        "{} succeeded, {} failed, {} skipped in {:.1}s (at most {} at once); logs in {}",
        count(StepState::Succeeded),
        count(StepState::Failed),
        count(StepState::Skipped),
        started.elapsed().as_secs_f64(),
        outcome.peak_parallelism,
        options.log_dir.display()
    ));
    if outcome.interrupted {
        return Err(Failure::user("interrupted: the running steps were stopped").with_hint(None));
    }
    if let Some(index) = outcome.states.iter().position(|s| *s == StepState::Failed) {
        let step = &plan.steps[index];
        let log = options.log_dir.join(format!("{}.log", step.name));
        eprint!("{}", log_tail(&log));
        return Err(Failure::user(format!(
            "step `{}` failed; the last lines of its log are above",
            step.display
        ))
        .with_hint(Some(format!("full log: {}", log.display()))));
    }
    Ok(Status::Success)
}

fn runner_failure(error: kfp_runner::RunError) -> Failure {
    let hint = match &error {
        kfp_runner::RunError::UnknownParameter { available, .. } => Some(format!(
            "parameters of this pipeline: {}",
            available.join(", ")
        )),
        kfp_runner::RunError::Spawn { program, .. } if program == "kedro" => {
            Some("run it through `kedro kubeflow run-local`, or put Kedro on PATH".to_owned())
        }
        _ => None,
    };
    Failure::user(error.to_string()).with_hint(hint)
}

/// Compiles in memory, exactly as `compile` would write it.
fn compile(
    input: &super::Input,
    args: &RunLocalArgs,
    group: Group,
) -> Result<(Value, Option<Value>), Failure> {
    let to_value = |value: Result<Value, serde_json::Error>| {
        value.map_err(|error| {
            Failure::user(format!("cannot serialize the compiled pipeline: {error}"))
        })
    };
    let config_file = input.config_files.last().map(|f| f.path.clone());
    match group {
        Group::Kubeflow => {
            let config = KubeflowConfig::load(&input.config_files)?;
            let image = config.run_config.image.as_deref().unwrap_or(LOCAL_IMAGE);
            let request = CompileRequest {
                snapshot: &input.snapshot,
                config: &config,
                config_file: config_file.as_deref().unwrap_or("conf/base/kubeflow.yaml"),
                pipeline: &args.pipeline,
                image: Some(image),
            };
            let vertex = config.host.trim() == kfp_config::VERTEX_HOST;
            if vertex || args.kfp_version.or(config.run_config.kfp_version) == Some(2) {
                let compiled = kfp_compile::ir::pipeline_spec(&IrRequest::for_kubeflow(&request)?)?;
                let platform = compiled
                    .platform
                    .as_ref()
                    .map(|p| to_value(serde_json::to_value(p)))
                    .transpose()?;
                return Ok((to_value(serde_json::to_value(&compiled.spec))?, platform));
            }
            let compiled = kfp_compile::argo::workflow(&request)?;
            Ok((to_value(serde_json::to_value(&compiled.workflow))?, None))
        }
        Group::Vertexai => {
            let config = VertexConfig::load(&input.config_files)?;
            let file = config_file.as_deref().unwrap_or("conf/base/vertexai.yaml");
            let image = config.run_config.image.as_deref().unwrap_or(LOCAL_IMAGE);
            let request =
                IrRequest::for_vertex(&input.snapshot, &config, file, &args.pipeline, Some(image))?;
            let compiled = kfp_compile::ir::pipeline_spec(&request)?;
            Ok((to_value(serde_json::to_value(&compiled.spec))?, None))
        }
    }
}

/// An already compiled file: JSON, or YAML with one or two documents.
fn read_manifest(path: &Path) -> Result<(Value, Option<Value>), Failure> {
    let text = fs_err::read_to_string(path).map_err(|error| Failure::io("read", path, &error))?;
    let mut documents: Vec<Value> = if path.extension().is_some_and(|ext| ext == "json") {
        vec![
            serde_json::from_str(&text)
                .map_err(|error| Failure::user(format!("{}: not JSON: {error}", path.display())))?,
        ]
    } else {
        kfp_yaml::from_str_multiple(&text).map_err(|error| {
            Failure::user(format!(
                "{}: not YAML: {}",
                path.display(),
                error.without_snippet()
            ))
        })?
    };
    if documents.is_empty() {
        return Err(Failure::user(format!(
            "{}: the file is empty",
            path.display()
        )));
    }
    let first = documents.remove(0);
    Ok((first, documents.into_iter().next()))
}

/// `KEY=VALUE` pairs.
fn overrides(params: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    params
        .iter()
        .map(|param| {
            param
                .split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| {
                    Failure::user(format!("`--param {param}`: expected KEY=VALUE")).with_hint(Some(
                        "e.g. --param model_options='{\"test_size\": 0.3}'".to_owned(),
                    ))
                })
        })
        .collect()
}

/// Steps do not share memory: a dataset kept in memory that crosses steps would fail in
/// the reading step with a message that does not name it. Name it up front.
fn check_memory_datasets(
    snapshot: &kfp_snapshot::Snapshot,
    plan: &LocalPlan,
) -> Result<(), Failure> {
    let mut step_of_node: BTreeMap<String, String> = BTreeMap::new();
    let mut pipelines = std::collections::BTreeSet::new();
    for step in &plan.steps {
        let Action::Process { args, .. } = &step.action else {
            continue;
        };
        // A step that stores its in-memory datasets (`--memory-dir`) shares them.
        if args.get(1).map(String::as_str) != Some("step")
            || args.iter().any(|a| a == "--memory-dir")
        {
            continue;
        }
        let value_of = |flag: &str| {
            args.windows(2)
                .filter(|w| w[0] == flag)
                .map(|w| w[1].clone())
                .collect::<Vec<_>>()
        };
        let Some(pipeline) = value_of("--pipeline").into_iter().next() else {
            continue;
        };
        let nodes = value_of("--node");
        let nodes = if nodes.is_empty() {
            snapshot
                .pipelines
                .get(&pipeline)
                .map(|p| p.nodes.iter().map(|n| n.name.clone()).collect())
                .unwrap_or_default()
        } else {
            nodes
        };
        for node in nodes {
            step_of_node.insert(node, step.name.clone());
        }
        if !step.always {
            pipelines.insert(pipeline);
        }
    }
    for pipeline in pipelines {
        let crossings = kfp_compile::memory_crossings(snapshot, &pipeline, &step_of_node)?;
        if let Some(first) = crossings.first() {
            let names: Vec<String> = crossings
                .iter()
                .map(|c| format!("`{}`", c.dataset))
                .collect();
            return Err(Failure::user(format!(
                "dataset {} is kept in memory, but node `{}` (step `{}`) writes it and node `{}` (step `{}`) reads it; steps do not share memory{}",
                names[0],
                first.writer.0,
                first.writer.1,
                first.reader.0,
                first.reader.1,
                if names.len() > 1 { format!(" (also: {})", names[1..].join(", ")) } else { String::new() }
            ))
            .with_hint(Some(format!(
                "add {} to conf/base/catalog.yml as a file dataset (e.g. pickle.PickleDataset under data/)",
                names.join(", ")
            ))));
        }
    }
    Ok(())
}

fn log_tail(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL);
    lines[start..]
        .iter()
        .map(|line| format!("  | {line}\n"))
        .collect()
}

/// A progress bar on a terminal; plain lines otherwise (CI logs, pipes).
struct Progress<'a> {
    plan: &'a LocalPlan,
    bar: Option<ProgressBar>,
    running: BTreeMap<usize, Instant>,
}

impl<'a> Progress<'a> {
    fn new(plan: &'a LocalPlan) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(plan.steps.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            plan,
            bar,
            running: BTreeMap::new(),
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn handle(&mut self, event: &Event) {
        match event {
            Event::Started { step } => {
                self.running.insert(*step, Instant::now());
                if self.bar.is_none() {
                    self.line(&format!("started  {}", self.plan.steps[*step].display));
                }
            }
            Event::Finished {
                step,
                state,
                elapsed,
                code,
            } => {
                self.running.remove(step);
                let name = &self.plan.steps[*step].display;
                let seconds = elapsed.as_secs_f64();
                let text = match state {
                    StepState::Succeeded => format!("done     {name} ({seconds:.1}s)"),
                    _ => format!(
                        "FAILED   {name} (exit {}, {seconds:.1}s)",
                        code.map_or_else(|| "by signal".to_owned(), |c| c.to_string())
                    ),
                };
                self.line(&text);
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
            Event::Tick => {}
        }
        if let Some(bar) = &self.bar {
            let names: Vec<String> = self
                .running
                .iter()
                .map(|(step, since)| {
                    format!(
                        "{} {}s",
                        self.plan.steps[*step].display,
                        since.elapsed().as_secs()
                    )
                })
                .collect();
            bar.set_message(format!("running: {}", names.join(", ")));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
