//! Lowering to an Argo Workflow for KFP v1 (what kedro-kubeflow produces), accepted by KFP 1.8
//! and 2.x servers.
//!
//! Shape: a root DAG with one task per step; an optional `data-volume-create` resource
//! template (a PVC named after the workflow) and `data-volume-init` copy step in front; an
//! optional `on-exit` template. Steps read pipeline parameters straight from
//! `{{workflow.parameters.*}}`, so a run's overrides reach them without per-task plumbing.

use std::collections::{BTreeMap, BTreeSet};

use kfp_argo as argo;
use kfp_config::kubeflow::{self, ExtraVolume, NodeMergeStrategy, RunConfig, VolumeConfig};
use kfp_snapshot::Snapshot;
use serde_json::Value;

use crate::names::{dns_label, parameter_name, pipeline_label, unique_names};
use crate::plan::{
    Grouping, MEMORY_DIR, MLFLOW_START, Plan, Step, StepCommand, ValueEncoding, pipeline, plan,
};
use crate::{CompileError, CompileRequest};

use crate::image::{DATA_MOUNT, INIT_MOUNT, PROJECT_DIR};
const VOLUME_CREATE: &str = "data-volume-create";
const VOLUME_INIT: &str = "data-volume-init";
const VOLUME_NAME: &str = "data-volume";
const ON_EXIT: &str = "on-exit";
/// With both an `on_exit_pipeline` and a volume to delete, `on-exit` is a DAG of these two.
const ON_EXIT_PIPELINE: &str = "on-exit-pipeline";
const DELETE_VOLUME: &str = "delete-pipeline-volume";
/// kedro-kubeflow's default `ttl`: one week.
const DEFAULT_TTL: u64 = 604_800;
const DEFAULT_PULL_POLICY: &str = "IfNotPresent";

/// A compiled workflow and what it holds, for the summary line.
#[derive(Debug)]
pub struct Compiled {
    /// The workflow.
    pub workflow: argo::Workflow,
    /// Steps, nodes, and in-memory datasets that cross steps.
    pub summary: crate::Summary,
}

/// Compiles the request's pipeline to an Argo Workflow.
pub fn workflow(request: &CompileRequest<'_>) -> Result<Compiled, CompileError> {
    let snapshot = request.snapshot;
    let run = &request.config.run_config;
    let image = request.image()?;
    let root = root_name(snapshot);
    let reserved: BTreeSet<String> = [
        root.as_str(),
        VOLUME_CREATE,
        VOLUME_INIT,
        ON_EXIT,
        ON_EXIT_PIPELINE,
        DELETE_VOLUME,
        MLFLOW_START,
    ]
    .map(str::to_owned)
    .into();
    let grouping = if run.node_merge_strategy == Some(NodeMergeStrategy::Full) {
        Grouping::Full
    } else {
        Grouping::Identity
    };
    let plan = plan(snapshot, request.pipeline, &grouping, &reserved)?;
    let exit_pipeline = match &run.on_exit_pipeline {
        Some(name) => Some((
            name.as_str(),
            pipeline(snapshot, name).map_err(|_| CompileError::UnknownOnExitPipeline {
                config_file: request.config_file.to_owned(),
                name: name.clone(),
                available: snapshot.pipelines.keys().cloned().collect(),
            })?,
        )),
        None => None,
    };

    let mlflow = crate::plan::uses_mlflow(snapshot);
    // Datasets kept in memory go to the data volume between steps, when asked for.
    let store_memory = run.store_memory_datasets == Some(true);
    if store_memory && run.volume.is_none() {
        return Err(CompileError::InvalidValue {
            config_file: request.config_file.to_owned(),
            key: "run_config.store_memory_datasets".to_owned(),
            message: "stores datasets on the data volume: set `run_config.volume` too".to_owned(),
        });
    }
    let lowering = Lowering {
        snapshot,
        pipeline: request.pipeline,
        run,
        image,
        plan: &plan,
        mlflow,
        memory_dir: store_memory.then(|| format!("{DATA_MOUNT}/{MEMORY_DIR}")),
    };
    let volume_task = run.volume.as_ref().map(|volume| {
        if volume.skip_init {
            VOLUME_CREATE
        } else {
            VOLUME_INIT
        }
    });

    let mut templates: Vec<argo::Template> = plan
        .steps
        .iter()
        .map(|step| lowering.step_template(step))
        .collect();
    let tasks = plan
        .steps
        .iter()
        .map(|step| argo::DagTask {
            name: step.name.clone(),
            template: step.name.clone(),
            dependencies: volume_task
                .into_iter()
                .chain(mlflow.then_some(MLFLOW_START))
                .map(str::to_owned)
                .chain(step.dependencies.iter().cloned())
                .collect(),
            arguments: argo::Arguments::default(),
            continue_on: None,
        })
        .chain(run.volume.as_ref().into_iter().flat_map(volume_tasks))
        .chain(mlflow.then(|| argo::DagTask {
            name: MLFLOW_START.to_owned(),
            template: MLFLOW_START.to_owned(),
            dependencies: Vec::new(),
            arguments: argo::Arguments::default(),
            continue_on: None,
        }))
        .map(|task| (task.name.clone(), task))
        .collect::<BTreeMap<String, argo::DagTask>>();
    templates.push(argo::Template {
        name: root.clone(),
        dag: Some(argo::Dag {
            tasks: tasks.into_values().collect(),
        }),
        ..argo::Template::default()
    });
    if mlflow {
        templates.push(lowering.mlflow_start_template());
    }
    if let Some(volume) = &run.volume {
        templates.push(volume_create_template(volume));
        if !volume.skip_init {
            templates.push(lowering.volume_init_template());
        }
    }
    // `volume.keep: false`: the exit handler deletes the run's volume through the Kubernetes
    // API, after the `on_exit_pipeline` when there is one, whatever its outcome.
    let delete_volume = run.volume.as_ref().is_some_and(|volume| !volume.keep);
    let has_exit_pipeline = exit_pipeline.is_some();
    let exit_step_name = if delete_volume {
        ON_EXIT_PIPELINE
    } else {
        ON_EXIT
    };
    let mut exit_parameters = Vec::new();
    if let Some((name, exit)) = exit_pipeline {
        let nodes: Vec<&kfp_snapshot::Node> = exit.nodes.iter().collect();
        exit_parameters = snapshot.parameters_used_by(&nodes);
        let step = Step {
            name: exit_step_name.to_owned(),
            display_name: name.to_owned(),
            nodes,
            whole_pipeline: true,
            dependencies: Vec::new(),
            parameters: exit_parameters.clone(),
        };
        templates.push(lowering.step_template_for_pipeline(&step, name));
    }
    if delete_volume {
        if has_exit_pipeline {
            templates.push(lowering.delete_volume_template(DELETE_VOLUME));
            templates.push(exit_dag());
        } else {
            templates.push(lowering.delete_volume_template(ON_EXIT));
        }
    }
    templates.sort_by(|a, b| a.name.cmp(&b.name));

    let used: BTreeSet<&str> = plan
        .steps
        .iter()
        .flat_map(|step| step.parameters.iter().copied())
        .chain(exit_parameters)
        .collect();
    let parameters: Vec<argo::Parameter> = used
        .iter()
        .map(|key| argo::Parameter {
            name: plan.parameter_names[key].clone(),
            value: Some(parameter_default(&snapshot.parameters[*key])),
            value_from: None,
        })
        .collect();

    let workflow = argo::Workflow {
        api_version: "argoproj.io/v1alpha1",
        kind: "Workflow",
        metadata: argo::ObjectMeta {
            generate_name: Some(format!("{}-", generate_name(snapshot, request.pipeline))),
            annotations: BTreeMap::from([(
                "pipelines.kubeflow.org/pipeline_spec".to_owned(),
                pipeline_spec_annotation(request, &parameters),
            )]),
            labels: BTreeMap::new(),
        },
        spec: argo::WorkflowSpec {
            entrypoint: root,
            arguments: argo::Arguments { parameters },
            on_exit: (has_exit_pipeline || delete_volume).then(|| ON_EXIT.to_owned()),
            ttl_strategy: Some(argo::TtlStrategy {
                seconds_after_completion: run.ttl.unwrap_or(DEFAULT_TTL),
            }),
            templates,
        },
    };
    let mut summary = plan.summary(snapshot);
    if store_memory {
        summary.memory_crossings.clear(); // stored on the volume: nothing to warn about
    }
    Ok(Compiled { workflow, summary })
}

/// The workflow's name prefix: the package, plus the pipeline unless it is the default one.
fn generate_name(snapshot: &Snapshot, pipeline: &str) -> String {
    let label = pipeline_label(&snapshot.project.package_name, pipeline);
    let label = if label.is_empty() {
        "pipeline".to_owned()
    } else {
        label
    };
    // `generateName` gets five random characters appended; keep the whole name under 63.
    label
        .chars()
        .take(crate::names::MAX_NAME - 6)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn root_name(snapshot: &Snapshot) -> String {
    let name = dns_label(&snapshot.project.package_name);
    if name.is_empty() {
        "pipeline".to_owned()
    } else {
        name
    }
}

/// Parameter values travel as JSON text; the step runtime decodes them (and takes text that
/// is not JSON as a plain string, for values typed into the KFP UI).
fn parameter_default(value: &Value) -> String {
    value.to_string()
}

/// `pipelines.kubeflow.org/pipeline_spec`: what the KFP v1 UI shows (name, description,
/// parameters with defaults). JSON with sorted keys, as the KFP SDK writes it.
fn pipeline_spec_annotation(
    request: &CompileRequest<'_>,
    parameters: &[argo::Parameter],
) -> String {
    let inputs: Vec<Value> = parameters
        .iter()
        .map(|p| serde_json::json!({"default": p.value, "name": p.name, "optional": true}))
        .collect();
    let mut spec = serde_json::Map::new();
    if let Some(description) = &request.config.run_config.description {
        spec.insert("description".into(), description.clone().into());
    }
    spec.insert("inputs".into(), inputs.into());
    spec.insert(
        "name".into(),
        generate_name(request.snapshot, request.pipeline).into(),
    );
    Value::Object(spec).to_string()
}

/// `on-exit` when it has two things to do: the exit pipeline, then the volume's deletion,
/// which runs even when the pipeline failed.
fn exit_dag() -> argo::Template {
    let tasks = vec![
        argo::DagTask {
            name: ON_EXIT_PIPELINE.to_owned(),
            template: ON_EXIT_PIPELINE.to_owned(),
            dependencies: Vec::new(),
            arguments: argo::Arguments::default(),
            continue_on: Some(argo::ContinueOn { failed: true }),
        },
        argo::DagTask {
            name: DELETE_VOLUME.to_owned(),
            template: DELETE_VOLUME.to_owned(),
            dependencies: vec![ON_EXIT_PIPELINE.to_owned()],
            arguments: argo::Arguments::default(),
            continue_on: None,
        },
    ];
    argo::Template {
        name: ON_EXIT.to_owned(),
        dag: Some(argo::Dag { tasks }),
        ..argo::Template::default()
    }
}

fn volume_tasks(volume: &VolumeConfig) -> Vec<argo::DagTask> {
    let task = |name: &str, dependencies: Vec<String>| argo::DagTask {
        name: name.to_owned(),
        template: name.to_owned(),
        dependencies,
        arguments: argo::Arguments::default(),
        continue_on: None,
    };
    let mut tasks = vec![task(VOLUME_CREATE, Vec::new())];
    if !volume.skip_init {
        tasks.push(task(VOLUME_INIT, vec![VOLUME_CREATE.to_owned()]));
    }
    tasks
}

/// The PVC, named after the workflow so concurrent runs never share one. Without `keep` the
/// exit handler deletes it when the run ends, and the workflow owns it, so Kubernetes
/// deletes it with the workflow (after `ttl`) should the exit handler not get to.
fn volume_create_template(volume: &VolumeConfig) -> argo::Template {
    let mut spec = serde_json::json!({
        "accessModes": volume.access_modes,
        "resources": {"requests": {"storage": volume.size.as_str()}},
    });
    if let Some(class) = &volume.storageclass {
        spec["storageClassName"] = class.clone().into();
    }
    let manifest = serde_json::json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": pvc_name()},
        "spec": spec,
    });
    argo::Template {
        name: VOLUME_CREATE.to_owned(),
        resource: Some(argo::ResourceTemplate {
            action: "create".to_owned(),
            // JSON is YAML: the manifest needs no second serializer.
            manifest: manifest.to_string(),
            set_owner_reference: !volume.keep,
        }),
        outputs: Some(argo::Outputs {
            parameters: vec![argo::Parameter {
                name: format!("{VOLUME_CREATE}-name"),
                value: None,
                value_from: Some(argo::ValueFrom {
                    json_path: "{.metadata.name}".to_owned(),
                }),
            }],
            artifacts: Vec::new(),
        }),
        ..argo::Template::default()
    }
}

fn pvc_name() -> String {
    format!("{{{{workflow.name}}}}-{VOLUME_NAME}")
}

fn data_volume() -> argo::Volume {
    argo::Volume {
        name: VOLUME_NAME.to_owned(),
        source: BTreeMap::from([(
            "persistentVolumeClaim".to_owned(),
            serde_json::json!({"claimName": pvc_name()}),
        )]),
    }
}

fn mount(name: &str, path: &str) -> argo::VolumeMount {
    argo::VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: None,
        sub_path: None,
    }
}

struct Lowering<'a> {
    snapshot: &'a Snapshot,
    pipeline: &'a str,
    run: &'a RunConfig,
    image: &'a str,
    plan: &'a Plan<'a>,
    /// Steps log into the pipeline run's MLflow run.
    mlflow: bool,
    /// `--memory-dir` of every step.
    memory_dir: Option<String>,
}

impl Lowering<'_> {
    fn container(&self, command: Vec<String>, args: Vec<String>) -> argo::Container {
        argo::Container {
            image: self.image.to_owned(),
            command,
            args,
            env: Vec::new(),
            image_pull_policy: Some(
                self.run
                    .image_pull_policy
                    .map_or(DEFAULT_PULL_POLICY.to_owned(), |policy| {
                        format!("{policy:?}")
                    }),
            ),
            resources: None,
            security_context: self.run.volume.as_ref().map(|v| argo::SecurityContext {
                run_as_user: v.owner,
            }),
            volume_mounts: Vec::new(),
        }
    }

    /// Copies the image's `data/` into the fresh volume: `cp -r data/. volume`, exec form.
    fn volume_init_template(&self) -> argo::Template {
        let mut container = self.container(
            vec!["cp".to_owned()],
            vec![
                "-r".to_owned(),
                format!("{DATA_MOUNT}/."),
                INIT_MOUNT.to_owned(),
            ],
        );
        container.volume_mounts.push(mount(VOLUME_NAME, INIT_MOUNT));
        argo::Template {
            name: VOLUME_INIT.to_owned(),
            container: Some(container),
            volumes: vec![data_volume()],
            ..argo::Template::default()
        }
    }

    /// `kedro kubeflow mlflow-start {{workflow.uid}}`: the MLflow run every step logs into,
    /// found again by its `kubeflow_run_id` tag.
    fn mlflow_start_template(&self) -> argo::Template {
        let mut args = vec![
            "kubeflow".to_owned(),
            "mlflow-start".to_owned(),
            "{{workflow.uid}}".to_owned(),
        ];
        if let Some(env) = self.snapshot.project.env.as_deref() {
            args.extend(["--env".to_owned(), env.to_owned()]);
        }
        let mut metadata = argo::Metadata::default();
        metadata.annotations.insert(
            "pipelines.kubeflow.org/task_display_name".to_owned(),
            MLFLOW_START.to_owned(),
        );
        argo::Template {
            name: MLFLOW_START.to_owned(),
            metadata,
            container: Some(self.container(vec!["kedro".to_owned()], args)),
            ..argo::Template::default()
        }
    }

    /// `kedro kubeflow delete-pipeline-volume <pvc>`: deletes the run's volume through the
    /// Kubernetes API with the pod's service-account token (kedro-kubeflow's exit handler).
    fn delete_volume_template(&self, name: &str) -> argo::Template {
        let container = self.container(
            vec!["kedro".to_owned()],
            vec!["kubeflow".to_owned(), DELETE_VOLUME.to_owned(), pvc_name()],
        );
        let mut metadata = argo::Metadata::default();
        metadata.annotations.insert(
            "pipelines.kubeflow.org/task_display_name".to_owned(),
            DELETE_VOLUME.to_owned(),
        );
        argo::Template {
            name: name.to_owned(),
            metadata,
            container: Some(container),
            ..argo::Template::default()
        }
    }

    fn step_template(&self, step: &Step<'_>) -> argo::Template {
        self.step_template_for_pipeline(step, self.pipeline)
    }

    /// A step's container: `kedro <group> step …` for its nodes, with the per-node config
    /// (resources, tolerations, retries, extra volumes) looked up by node name and tags.
    fn step_template_for_pipeline(&self, step: &Step<'_>, pipeline: &str) -> argo::Template {
        let run = self.run;
        let parameters = step
            .parameters
            .iter()
            .map(|key| {
                let name = &self.plan.parameter_names[key];
                (
                    (*key).to_owned(),
                    format!("{{{{workflow.parameters.{name}}}}}"),
                    ValueEncoding::Json,
                )
            })
            .collect();
        let command = StepCommand {
            group: "kubeflow",
            env: self.snapshot.project.env.as_deref(),
            pipeline,
            nodes: (!step.whole_pipeline).then_some(step.nodes.as_slice()),
            run_id: "{{workflow.uid}}".to_owned(),
            parameters,
            host_aliases: Vec::new(),
            mlflow: self.mlflow,
            memory_dir: self.memory_dir.clone(),
        };
        let args = command.arguments();
        let mut container = self.container(vec!["kedro".to_owned()], args);

        // A merged step has no single node to look up: it gets the `__default__` entries.
        let (node_name, tags): (&str, Vec<String>) = match step.nodes.as_slice() {
            [node] if !step.whole_pipeline => (node.name.as_str(), node.tags.clone()),
            _ => (kubeflow::DEFAULT_KEY, Vec::new()),
        };
        let resources = kubeflow::merged_resources(&run.resources, node_name, &tags);
        if !resources.is_empty() {
            let quantities: BTreeMap<String, String> = resources
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
            container.resources = Some(argo::ResourceRequirements {
                requests: quantities.clone(),
                limits: quantities,
            });
        }

        let mut volumes = Vec::new();
        if run.volume.is_some() {
            container.volume_mounts.push(mount(VOLUME_NAME, DATA_MOUNT));
            volumes.push(data_volume());
        }
        if let Some(extra) = kubeflow::lookup(&run.extra_volumes, node_name, &tags) {
            let (extra_volumes, mounts) = extra_volumes(extra);
            volumes.extend(extra_volumes);
            container.volume_mounts.extend(mounts);
        }

        let node_selector = kubeflow::lookup(&run.node_selectors, node_name, &tags)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let tolerations = kubeflow::lookup(&run.tolerations, node_name, &tags)
            .map(|list| list.iter().map(toleration).collect())
            .unwrap_or_default();
        let retry_strategy = kubeflow::lookup(&run.retry_policy, node_name, &tags)
            .and_then(Option::as_ref)
            .map(retry_strategy);

        let mut metadata = argo::Metadata::default();
        metadata.annotations.insert(
            "pipelines.kubeflow.org/task_display_name".to_owned(),
            step.display_name.clone(),
        );
        if let Some(staleness) = &run.max_cache_staleness {
            metadata.annotations.insert(
                "pipelines.kubeflow.org/max_cache_staleness".to_owned(),
                staleness.clone(),
            );
        }

        let artifacts = if run.store_kedro_outputs_as_kfp_artifacts.unwrap_or(true) {
            self.output_artifacts(step)
        } else {
            Vec::new()
        };
        argo::Template {
            name: step.name.clone(),
            metadata,
            outputs: (!artifacts.is_empty()).then(|| argo::Outputs {
                parameters: Vec::new(),
                artifacts,
            }),
            container: Some(container),
            volumes,
            tolerations,
            node_selector,
            retry_strategy,
            ..argo::Template::default()
        }
    }

    /// Every output the step writes to a local file becomes a KFP artifact, so the UI can
    /// show it. Remote paths (`s3://…`) are left alone; names are made Argo-safe, which is
    /// what kedro-kubeflow gets wrong for namespaced datasets.
    fn output_artifacts(&self, step: &Step<'_>) -> Vec<argo::Artifact> {
        let files: BTreeMap<&str, &str> = step
            .nodes
            .iter()
            .flat_map(|node| node.outputs.iter())
            .filter_map(|output| {
                let dataset = self.snapshot.datasets.get(output)?;
                let path = dataset.filepath.as_deref()?;
                is_local_relative(path).then_some((output.as_str(), path))
            })
            .collect();
        let names = unique_names(files.keys().copied(), parameter_name, &BTreeSet::new());
        files
            .iter()
            .map(|(dataset, path)| argo::Artifact {
                name: names[dataset].clone(),
                path: format!("{PROJECT_DIR}/{}", path.trim_start_matches("./")),
                // A dataset type may write elsewhere than its `filepath`; that must not fail
                // a step whose node succeeded.
                optional: true,
            })
            .collect()
    }
}

fn is_local_relative(path: &str) -> bool {
    !path.contains("://") && !path.starts_with('/') && !path.split('/').any(|part| part == "..")
}

/// kedro-kubeflow's extra volume format (`empty_dir: {cls, params}`) in Kubernetes' camelCase.
fn extra_volumes(extra: &[ExtraVolume]) -> (Vec<argo::Volume>, Vec<argo::VolumeMount>) {
    extra
        .iter()
        .map(|entry| {
            let name = dns_label(&entry.volume.name);
            let source = entry
                .volume
                .sources
                .iter()
                .map(|(kind, source)| {
                    let params: serde_json::Map<String, Value> = source
                        .params
                        .iter()
                        .map(|(k, v)| (camel_case(k), camel_case_keys(v)))
                        .collect();
                    (camel_case(kind), Value::Object(params))
                })
                .collect();
            let volume_mount = argo::VolumeMount {
                name: name.clone(),
                mount_path: entry.mount_path.clone(),
                read_only: entry.read_only,
                sub_path: entry.sub_path.clone(),
            };
            (argo::Volume { name, source }, volume_mount)
        })
        .unzip()
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn camel_case_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (camel_case(k), camel_case_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case_keys).collect()),
        other => other.clone(),
    }
}

fn toleration(t: &kubeflow::Toleration) -> argo::Toleration {
    argo::Toleration {
        key: t.key.clone(),
        operator: t.operator.clone(),
        value: t.value.clone(),
        effect: t.effect.clone(),
        toleration_seconds: t.toleration_seconds,
    }
}

fn retry_strategy(policy: &kubeflow::RetryPolicy) -> argo::RetryStrategy {
    let backoff = (policy.backoff_duration.is_some()
        || policy.backoff_factor.is_some()
        || policy.backoff_max_duration.is_some())
    .then(|| argo::Backoff {
        duration: policy.backoff_duration.clone(),
        factor: policy.backoff_factor.map(|factor| factor.to_string()),
        max_duration: policy.backoff_max_duration.clone(),
    });
    argo::RetryStrategy {
        limit: policy.num_retries.to_string(),
        retry_policy: None,
        backoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_camel_case() {
        assert_eq!(camel_case("empty_dir"), "emptyDir");
        assert_eq!(
            camel_case("persistent_volume_claim"),
            "persistentVolumeClaim"
        );
        assert_eq!(camel_case("medium"), "medium");
        let nested = camel_case_keys(&serde_json::json!({"items": [{"key_name": 1}]}));
        assert_eq!(nested, serde_json::json!({"items": [{"keyName": 1}]}));
    }

    #[test]
    fn only_local_relative_paths_are_artifacts() {
        assert!(is_local_relative("data/01_raw/x.csv"));
        assert!(!is_local_relative("s3://bucket/x.csv"));
        assert!(!is_local_relative("/abs/x.csv"));
        assert!(!is_local_relative("../x.csv"));
    }
}
