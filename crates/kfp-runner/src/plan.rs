//! A compiled pipeline read back as local steps: what each container would run, with the
//! cluster's placeholders filled in and the image's paths mapped onto this machine.
//!
//! Two readers: the Argo Workflow (KFP v1) and the KFP v2 IR (KFP 2.x and Vertex AI). Both
//! read the manifest itself, not the compiler's internals, so what runs here is what the
//! cluster would run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kfp_compile::image::{DATA_MOUNT, PROJECT_DIR};
use serde_json::Value;

use crate::RunError;

/// What a step does on this machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start a process: exec form, never through a shell.
    Process {
        /// Executable (looked up on `PATH` when not a path).
        program: String,
        /// Arguments.
        args: Vec<String>,
        /// Extra environment variables of the container.
        env: Vec<(String, String)>,
        /// Working directory: the run's stand-in for the image.
        cwd: PathBuf,
    },
    /// Create the data volume (an empty directory).
    CreateVolume(PathBuf),
    /// Nothing to do here (deleting the volume: the run keeps it for inspection).
    Skip,
}

/// One step of the local run.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalStep {
    /// Task name in the manifest.
    pub name: String,
    /// What people call it: the Kedro node name where there is one.
    pub display: String,
    /// What it does.
    pub action: Action,
    /// Indices of the steps that must finish first.
    pub dependencies: Vec<usize>,
    /// Runs once its dependencies are done, whatever their outcome (exit handlers).
    pub always: bool,
}

/// The steps of a run, in manifest order (dependencies point backwards or forwards).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPlan {
    /// The steps.
    pub steps: Vec<LocalStep>,
}

/// Where the run lives on this machine.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The Kedro project: stands in for the image's `/home/kedro`.
    pub project_dir: PathBuf,
    /// The project as each step sees it: the project's files, with `data/` → the volume.
    pub step_dir: PathBuf,
    /// The data volume (or the stand-in for `run_config.root`).
    pub volume_dir: PathBuf,
}

impl Layout {
    /// Maps a path inside a container onto this machine: paths under a mount go to the
    /// mounted directory, other paths under the image's project go to the project.
    fn map_path(&self, arg: &str, mounts: &[(String, PathBuf)]) -> String {
        let mut rules: Vec<(&str, &Path)> = mounts
            .iter()
            .map(|(path, dir)| (path.as_str(), dir.as_path()))
            .collect();
        rules.push((PROJECT_DIR, self.project_dir.as_path()));
        rules.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        for (prefix, dir) in rules {
            if let Some(rest) = arg.strip_prefix(prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return format!("{}{rest}", dir.display());
            }
        }
        arg.to_owned()
    }
}

/// Values for the run's placeholders.
#[derive(Debug, Clone)]
pub struct Values {
    /// The run id (`{{workflow.uid}}`, `{{$.pipeline_job_uuid}}`).
    pub run_id: String,
    /// Parameter overrides by Kedro key or manifest parameter name, as text.
    pub overrides: BTreeMap<String, String>,
}

/// Reads an Argo Workflow compiled by kedro-kfp (or shaped like one).
pub fn from_argo(
    workflow: &Value,
    layout: &Layout,
    values: &Values,
) -> Result<LocalPlan, RunError> {
    let spec = &workflow["spec"];
    let templates: BTreeMap<&str, &Value> = spec["templates"]
        .as_array()
        .ok_or_else(|| RunError::Manifest("`spec.templates` is missing".to_owned()))?
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t)))
        .collect();
    let entry = spec["entrypoint"]
        .as_str()
        .ok_or_else(|| RunError::Manifest("`spec.entrypoint` is missing".to_owned()))?;
    let tasks = templates
        .get(entry)
        .and_then(|t| t["dag"]["tasks"].as_array())
        .ok_or_else(|| RunError::Manifest(format!("entrypoint `{entry}` is not a DAG template")))?;

    let parameters = argo_parameters(spec, &templates, values)?;
    let substitute = |text: &str| -> Result<String, RunError> {
        let mut out = text
            .replace("{{workflow.uid}}", &values.run_id)
            .replace("{{workflow.name}}", &values.run_id);
        for (name, value) in &parameters {
            out = out.replace(&format!("{{{{workflow.parameters.{name}}}}}"), value);
        }
        match out.find("{{") {
            Some(_) if out.contains("}}") => Err(RunError::Manifest(format!(
                "unsupported placeholder in `{text}`"
            ))),
            _ => Ok(out),
        }
    };

    let index: BTreeMap<&str, usize> = tasks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t["name"].as_str()?, i)))
        .collect();
    let mut steps = Vec::new();
    for task in tasks {
        let name = task["name"].as_str().unwrap_or_default().to_owned();
        let template = task["template"]
            .as_str()
            .and_then(|t| templates.get(t))
            .ok_or_else(|| {
                RunError::Manifest(format!(
                    "task `{name}` names a template that does not exist"
                ))
            })?;
        let dependencies = strings(&task["dependencies"])
            .iter()
            .map(|dep| {
                index.get(dep.as_str()).copied().ok_or_else(|| {
                    RunError::Manifest(format!("task `{name}` depends on unknown `{dep}`"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        steps.push(LocalStep {
            display: display_name(template, &name),
            action: argo_action(template, layout, &substitute)?,
            name,
            dependencies,
            always: false,
        });
    }
    if let Some(exit) = spec["onExit"].as_str() {
        let template = templates.get(exit).ok_or_else(|| {
            RunError::Manifest(format!("`onExit` names unknown template `{exit}`"))
        })?;
        steps.push(LocalStep {
            name: exit.to_owned(),
            display: display_name(template, exit),
            action: argo_action(template, layout, &substitute)?,
            dependencies: (0..steps.len()).collect(),
            always: true,
        });
    }
    Ok(LocalPlan { steps })
}

fn display_name(template: &Value, fallback: &str) -> String {
    template["metadata"]["annotations"]["pipelines.kubeflow.org/task_display_name"]
        .as_str()
        .unwrap_or(fallback)
        .to_owned()
}

/// Workflow parameter values: the defaults, then the overrides (by parameter name or by the
/// Kedro key the step arguments pair with it).
fn argo_parameters(
    spec: &Value,
    templates: &BTreeMap<&str, &Value>,
    values: &Values,
) -> Result<BTreeMap<String, String>, RunError> {
    let mut parameters: BTreeMap<String, String> =
        name_values(&spec["arguments"]["parameters"]).collect();
    let mut kedro_keys: BTreeMap<String, String> = BTreeMap::new();
    for template in templates.values() {
        let args = strings(&template["container"]["args"]);
        for window in args.windows(3).filter(|w| w[0] == "--param") {
            if let Some(name) = window[2]
                .strip_prefix("{{workflow.parameters.")
                .and_then(|rest| rest.strip_suffix("}}"))
            {
                kedro_keys.insert(window[1].clone(), name.to_owned());
            }
        }
    }
    apply_overrides(&mut parameters, &kedro_keys, &BTreeSet::new(), values)?;
    Ok(parameters)
}

/// Puts the overrides in. A string parameter (`--string-param`, passed to Kedro as is)
/// given a JSON string takes the string inside, so that `--param K='"text"'` means the same
/// for every target: the Argo runtime decodes JSON itself.
fn apply_overrides(
    parameters: &mut BTreeMap<String, String>,
    kedro_keys: &BTreeMap<String, String>,
    string_parameters: &BTreeSet<String>,
    values: &Values,
) -> Result<(), RunError> {
    for (key, value) in &values.overrides {
        let name = if parameters.contains_key(key) {
            Some(key)
        } else {
            kedro_keys.get(key)
        };
        match name {
            Some(name) => {
                let value = match serde_json::from_str::<String>(value) {
                    Ok(inner) if string_parameters.contains(name) => inner,
                    _ => value.clone(),
                };
                parameters.insert(name.clone(), value);
            }
            None => {
                return Err(RunError::UnknownParameter {
                    key: key.clone(),
                    available: kedro_keys.keys().cloned().collect(),
                });
            }
        }
    }
    Ok(())
}

fn argo_action(
    template: &Value,
    layout: &Layout,
    substitute: &dyn Fn(&str) -> Result<String, RunError>,
) -> Result<Action, RunError> {
    if template.get("resource").is_some() {
        return Ok(Action::CreateVolume(layout.volume_dir.clone()));
    }
    let container = &template["container"];
    if container.is_null() {
        return Err(RunError::Manifest(format!(
            "template `{}` is neither a container nor a volume: not supported here",
            template["name"].as_str().unwrap_or_default()
        )));
    }
    // Every volume this template mounts from a PVC is the run's volume.
    let mounts: Vec<(String, PathBuf)> = container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|mount| is_data_volume(template, mount["name"].as_str().unwrap_or_default()))
        .filter_map(|mount| {
            Some((
                mount["mountPath"].as_str()?.to_owned(),
                layout.volume_dir.clone(),
            ))
        })
        .collect();
    let env = name_values(&container["env"])
        .map(|(name, value)| substitute(&value).map(|value| (name, value)))
        .collect::<Result<Vec<_>, _>>()?;
    process(
        strings(&container["command"]),
        strings(&container["args"]),
        env,
        layout,
        &mounts,
        substitute,
    )
}

fn is_data_volume(template: &Value, name: &str) -> bool {
    template["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|volume| volume["name"] == name && volume.get("persistentVolumeClaim").is_some())
}

/// A container as a local process. A step that mounts the volume at the project's `data/`
/// runs in the step directory, whose `data/` is the volume; paths in arguments are mapped.
fn process(
    command: Vec<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    layout: &Layout,
    mounts: &[(String, PathBuf)],
    substitute: &dyn Fn(&str) -> Result<String, RunError>,
) -> Result<Action, RunError> {
    let mut argv = command.into_iter().chain(args);
    let program = argv
        .next()
        .ok_or_else(|| RunError::Manifest("a container has no command".to_owned()))?;
    let args = argv
        .map(|arg| substitute(&arg).map(|arg| layout.map_path(&arg, mounts)))
        .collect::<Result<Vec<_>, _>>()?;
    let cwd = if mounts.iter().any(|(path, _)| path == DATA_MOUNT) || mounts.is_empty() {
        layout.step_dir.clone()
    } else {
        layout.project_dir.clone()
    };
    Ok(Action::Process {
        program,
        args,
        env,
        cwd,
    })
}

/// `[{name, value}, …]` (Argo parameters, container env) as pairs.
fn name_values(list: &Value) -> impl Iterator<Item = (String, String)> + '_ {
    list.as_array().into_iter().flatten().filter_map(|item| {
        Some((
            item["name"].as_str()?.to_owned(),
            item["value"].as_str().unwrap_or_default().to_owned(),
        ))
    })
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Reads a KFP v2 pipeline spec compiled by kedro-kfp, with its optional platform spec.
pub fn from_ir(
    spec: &Value,
    platform: Option<&Value>,
    layout: &Layout,
    values: &Values,
) -> Result<LocalPlan, RunError> {
    let components = &spec["components"];
    let executors = &spec["deploymentSpec"]["executors"];
    let platform_executors =
        platform.map(|p| &p["platforms"]["kubernetes"]["deploymentSpec"]["executors"]);

    // Pipeline parameters: defaults, then overrides by name or by Kedro key.
    let mut parameters: BTreeMap<String, String> = spec["root"]["inputDefinitions"]["parameters"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, definition)| (name.clone(), render(&definition["defaultValue"])))
        .collect();
    let mut kedro_keys = BTreeMap::new();
    let mut string_parameters = BTreeSet::new();
    for executor in executors.as_object().into_iter().flatten().map(|(_, e)| e) {
        let args = strings(&executor["container"]["args"]);
        for window in args
            .windows(3)
            .filter(|w| w[0] == "--param" || w[0] == "--string-param")
        {
            if let Some(name) = window[2]
                .strip_prefix("{{$.inputs.parameters['")
                .and_then(|rest| rest.strip_suffix("']}}"))
            {
                kedro_keys.insert(window[1].clone(), name.to_owned());
                if window[0] == "--string-param" {
                    string_parameters.insert(name.to_owned());
                }
            }
        }
    }
    apply_overrides(&mut parameters, &kedro_keys, &string_parameters, values)?;

    let mut reader = IrReader {
        components,
        executors,
        platform_executors,
        layout,
        values,
        steps: Vec::new(),
    };
    let root_inputs: BTreeMap<String, String> = parameters;
    reader.dag(&spec["root"]["dag"]["tasks"], &root_inputs, &[], false)?;
    Ok(LocalPlan {
        steps: reader.steps,
    })
}

/// A parameter value as the KFP driver renders it into an argument: strings raw, anything
/// else as JSON.
fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct IrReader<'a> {
    components: &'a Value,
    executors: &'a Value,
    platform_executors: Option<&'a Value>,
    layout: &'a Layout,
    values: &'a Values,
    steps: Vec<LocalStep>,
}

impl IrReader<'_> {
    /// Adds a DAG's tasks; returns the step indices of its tasks by name. Tasks of a sub-DAG
    /// depend on what the sub-DAG's task depended on (`outer`).
    fn dag(
        &mut self,
        tasks: &Value,
        inputs: &BTreeMap<String, String>,
        outer: &[usize],
        always: bool,
    ) -> Result<BTreeMap<String, Vec<usize>>, RunError> {
        let tasks = tasks
            .as_object()
            .ok_or_else(|| RunError::Manifest("a DAG has no `tasks`".to_owned()))?;
        // Sub-DAGs first need their dependencies placed, so walk in dependency order.
        let mut placed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut remaining: Vec<&String> = tasks.keys().collect();
        while !remaining.is_empty() {
            let before = remaining.len();
            let mut still = Vec::new();
            for name in remaining {
                let task = &tasks[name.as_str()];
                let deps = strings(&task["dependentTasks"]);
                if !deps.iter().all(|dep| placed.contains_key(dep)) {
                    still.push(name);
                    continue;
                }
                let mut dependencies: Vec<usize> = outer.to_vec();
                for dep in &deps {
                    dependencies.extend(placed[dep].iter().copied());
                }
                let task_always =
                    always || task["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED";
                let indices = self.task(name, task, inputs, dependencies, task_always)?;
                placed.insert(name.clone(), indices);
            }
            if still.len() == before {
                return Err(RunError::Manifest(
                    "the DAG's `dependentTasks` form a cycle or name unknown tasks".to_owned(),
                ));
            }
            remaining = still;
        }
        Ok(placed)
    }

    fn task(
        &mut self,
        name: &str,
        task: &Value,
        inputs: &BTreeMap<String, String>,
        dependencies: Vec<usize>,
        always: bool,
    ) -> Result<Vec<usize>, RunError> {
        let component_name = task["componentRef"]["name"].as_str().unwrap_or_default();
        let component = &self.components[component_name];
        // The task's own input values.
        let mut values = BTreeMap::new();
        for (input, source) in task["inputs"]["parameters"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let value = if let Some(parent) = source["componentInputParameter"].as_str() {
                inputs.get(parent).cloned().unwrap_or_default()
            } else if let Some(constant) = source["runtimeValue"].get("constant") {
                render(constant).replace("{{$.pipeline_job_uuid}}", &self.values.run_id)
            } else if source.get("taskOutputParameter").is_some() {
                // The only task output kedro-kfp wires is the PVC name.
                self.layout.volume_dir.display().to_string()
            } else {
                return Err(RunError::Manifest(format!(
                    "task `{name}`: unsupported input `{input}`"
                )));
            };
            values.insert(input.clone(), value);
        }
        if component.get("dag").is_some() {
            let start = self.steps.len();
            let placed = self.dag(&component["dag"]["tasks"], &values, &dependencies, always)?;
            let mut indices: Vec<usize> = placed.into_values().flatten().collect();
            indices.retain(|&i| i >= start);
            return Ok(indices);
        }
        let label = component["executorLabel"].as_str().unwrap_or_default();
        let container = &self.executors[label]["container"];
        let image = container["image"].as_str().unwrap_or_default();
        let action = match image {
            "argostub/createpvc" => Action::CreateVolume(self.layout.volume_dir.clone()),
            "argostub/deletepvc" => Action::Skip,
            _ => {
                let mounts: Vec<(String, PathBuf)> = self
                    .platform_executors
                    .map(|p| &p[label]["pvcMount"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|m| {
                        Some((
                            m["mountPath"].as_str()?.to_owned(),
                            self.layout.volume_dir.clone(),
                        ))
                    })
                    .collect();
                let substitute = |text: &str| -> Result<String, RunError> {
                    let mut out = text.to_owned();
                    for (input, value) in &values {
                        out =
                            out.replace(&format!("{{{{$.inputs.parameters['{input}']}}}}"), value);
                    }
                    if out.contains("{{$.") {
                        return Err(RunError::Manifest(format!(
                            "task `{name}`: unsupported placeholder in `{text}`"
                        )));
                    }
                    Ok(out)
                };
                let env = name_values(&container["env"]).collect();
                process(
                    strings(&container["command"]),
                    strings(&container["args"]),
                    env,
                    self.layout,
                    &mounts,
                    &substitute,
                )?
            }
        };
        let display = task["taskInfo"]["name"].as_str().unwrap_or(name).to_owned();
        self.steps.push(LocalStep {
            name: name.to_owned(),
            display,
            action,
            dependencies,
            always,
        });
        Ok(vec![self.steps.len() - 1])
    }
}
