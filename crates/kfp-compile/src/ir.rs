//! Lowering to the KFP v2 pipeline IR, for KFP 2.x servers (with a kfp-kubernetes
//! `PlatformSpec`) and for Vertex AI Pipelines (the same `PipelineSpec`, no platform spec).
//!
//! Shape: one component + executor per step; Kedro parameters are typed root inputs that
//! each task receives through `componentInputParameter`; the run id reaches every step as a
//! task input whose whole value is `{{$.pipeline_job_uuid}}`, the only form the KFP driver
//! substitutes (notes 4.2). When the run needs clean-up (an `on_exit_pipeline`, or a data
//! volume to delete), the steps move into an exit-handler sub-DAG, as the KFP SDK compiles
//! `dsl.ExitHandler`, and the exit tasks run whatever its outcome.

use std::collections::{BTreeMap, BTreeSet};

use kfp_config::Quantity;
use kfp_config::kubeflow::{self, ExtraVolume, RetryPolicy, Toleration, VolumeConfig};
use kfp_ir as ir;
use kfp_snapshot::{Node, Snapshot};
use serde_json::Value;

use crate::names::pipeline_label;
use crate::plan::{
    Grouping, MEMORY_DIR, MLFLOW_START, Plan, Step, StepCommand, ValueEncoding, pipeline, plan,
};
use crate::{CompileError, resources};

use crate::image::{DATA_MOUNT, INIT_MOUNT};
const CREATE_PVC: &str = "createpvc";
const DELETE_PVC: &str = "deletepvc";
const VOLUME_INIT: &str = "data-volume-init";
const EXIT_HANDLER: &str = "exit-handler-1";
const ON_EXIT: &str = "on-exit";
/// Prefix the KFP SDK gives DAG inputs that forward a parent's value into a sub-DAG.
const CHANNEL: &str = "pipelinechannel--";
/// The task input carrying the run id; reserved so no Kedro parameter can take the name.
const RUN_ID_INPUT: &str = "kedro_kfp_run_id";
const RUN_ID_PLACEHOLDER: &str = "{{$.pipeline_job_uuid}}";

/// Where the compiled spec runs.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// A KFP 2.x server: kfp-kubernetes features go into a `PlatformSpec`.
    Kubeflow(KubeflowPlatform<'a>),
    /// Vertex AI Pipelines.
    Vertex {
        /// `gs://` root for pipeline outputs.
        pipeline_root: Option<String>,
        /// `/etc/hosts` entries for every step.
        host_aliases: &'a [kubeflow::HostAlias],
    },
}

/// What a KFP 2.x cluster offers beyond the IR.
#[derive(Debug, Clone)]
pub struct KubeflowPlatform<'a> {
    /// Shared data volume.
    pub volume: Option<&'a VolumeConfig>,
    /// Tolerations by node, tag, `__default__`.
    pub tolerations: &'a BTreeMap<String, Vec<Toleration>>,
    /// Extra volumes by node, tag, `__default__`.
    pub extra_volumes: &'a BTreeMap<String, Vec<ExtraVolume>>,
    /// `imagePullPolicy`.
    pub image_pull_policy: Option<String>,
}

/// Everything the IR lowering needs, from `kubeflow.yaml` or `vertexai.yaml`.
#[derive(Debug, Clone)]
pub struct IrRequest<'a> {
    /// The project.
    pub snapshot: &'a Snapshot,
    /// Pipeline to compile.
    pub pipeline: &'a str,
    /// Image of the steps.
    pub image: &'a str,
    /// Config file to name in errors.
    pub config_file: &'a str,
    /// `kubeflow` or `vertexai`: the command group the steps run.
    pub group: &'a str,
    /// Pipeline description.
    pub description: Option<&'a str>,
    /// Kedro pipeline run as the exit handler.
    pub on_exit_pipeline: Option<&'a str>,
    /// How nodes become steps.
    pub grouping: Grouping,
    /// Resources by node, tag, `__default__` (`None` values unset a key).
    pub resources: BTreeMap<String, Option<BTreeMap<String, Option<Quantity>>>>,
    /// Node selectors by node, tag, `__default__`.
    pub node_selectors: BTreeMap<String, Option<BTreeMap<String, String>>>,
    /// Retry policies by node, tag, `__default__`.
    pub retry_policy: &'a BTreeMap<String, Option<RetryPolicy>>,
    /// Whether KFP may reuse earlier results of a step.
    pub enable_cache: bool,
    /// The platform.
    pub target: Target<'a>,
    /// Where steps store the datasets Kedro keeps in memory (`store_memory_datasets`).
    pub memory_dir: Option<String>,
}

/// `store_memory_datasets`: on the data volume (KFP) or under the root (Vertex AI).
fn memory_dir(
    store: Option<bool>,
    target: &Target<'_>,
    config_file: &str,
) -> Result<Option<String>, CompileError> {
    if store != Some(true) {
        return Ok(None);
    }
    let missing = |what: &str| CompileError::InvalidValue {
        config_file: config_file.to_owned(),
        key: "run_config.store_memory_datasets".to_owned(),
        message: format!("stores datasets {what} too"),
    };
    match target {
        Target::Kubeflow(platform) => match platform.volume {
            Some(_) => Ok(Some(format!("{DATA_MOUNT}/{MEMORY_DIR}"))),
            None => Err(missing("on the data volume: set `run_config.volume`")),
        },
        Target::Vertex { pipeline_root, .. } => match pipeline_root {
            Some(root) => Ok(Some(format!("{}/{MEMORY_DIR}", root.trim_end_matches('/')))),
            None => Err(missing("under the root: set `run_config.root`")),
        },
    }
}

/// The compiled spec, its optional platform spec and a summary.
#[derive(Debug)]
pub struct CompiledIr {
    /// The pipeline spec.
    pub spec: ir::PipelineSpec,
    /// The kfp-kubernetes platform spec (KFP only, when any executor needs one).
    pub platform: Option<ir::PlatformSpec>,
    /// Steps, nodes, and in-memory datasets that cross steps.
    pub summary: crate::Summary,
}

/// Compiles the request's pipeline to a KFP v2 `PipelineSpec`.
pub fn pipeline_spec(request: &IrRequest<'_>) -> Result<CompiledIr, CompileError> {
    let snapshot = request.snapshot;
    let reserved: BTreeSet<String> = [
        CREATE_PVC,
        DELETE_PVC,
        VOLUME_INIT,
        EXIT_HANDLER,
        ON_EXIT,
        MLFLOW_START,
    ]
    .map(str::to_owned)
    .into();
    let mlflow = crate::plan::uses_mlflow(snapshot);
    let plan = plan(snapshot, request.pipeline, &request.grouping, &reserved)?;
    let exit_nodes: Option<(&str, Vec<&Node>)> = match request.on_exit_pipeline {
        Some(name) => Some((
            name,
            pipeline(snapshot, name)
                .map_err(|_| CompileError::UnknownOnExitPipeline {
                    config_file: request.config_file.to_owned(),
                    name: name.to_owned(),
                    available: snapshot.pipelines.keys().cloned().collect(),
                })?
                .nodes
                .iter()
                .collect(),
        )),
        None => None,
    };
    let volume = match &request.target {
        Target::Kubeflow(platform) => platform.volume,
        Target::Vertex { .. } => None,
    };
    let delete_volume = volume.is_some_and(|v| !v.keep);
    let guarded = exit_nodes.is_some() || delete_volume;

    let mut lowering = Lowering {
        request,
        plan: &plan,
        components: BTreeMap::new(),
        executors: BTreeMap::new(),
        platform: BTreeMap::new(),
        mlflow,
    };

    // The steps, in the root DAG or in the exit handler's sub-DAG.
    let scope = if guarded { Scope::SubDag } else { Scope::Root };
    let mut body: BTreeMap<String, ir::PipelineTaskSpec> = BTreeMap::new();
    let first_dependency = volume.map(|v| if v.skip_init { CREATE_PVC } else { VOLUME_INIT });
    for step in &plan.steps {
        let mut task = lowering.step(step, request.pipeline, scope)?;
        // In the sub-DAG the volume is ready before the handler starts; at the root, wait.
        if scope == Scope::Root {
            task.dependent_tasks
                .extend(first_dependency.map(str::to_owned));
        } else if let Some(init) = first_dependency.filter(|first| *first == VOLUME_INIT) {
            task.dependent_tasks.push(init.to_owned());
        }
        if mlflow {
            task.dependent_tasks.push(MLFLOW_START.to_owned());
        }
        task.dependent_tasks.sort();
        body.insert(step.name.clone(), task);
    }
    if mlflow {
        body.insert(MLFLOW_START.to_owned(), lowering.mlflow_start());
    }
    if volume.is_some_and(|volume| !volume.skip_init) {
        let mut init = lowering.volume_init(scope);
        if scope == Scope::Root {
            init.dependent_tasks.push(CREATE_PVC.to_owned());
        }
        body.insert(VOLUME_INIT.to_owned(), init);
    }

    let mut root_tasks: BTreeMap<String, ir::PipelineTaskSpec> = BTreeMap::new();
    if let Some(volume) = volume {
        root_tasks.insert(CREATE_PVC.to_owned(), lowering.create_pvc(volume));
    }
    let used_parameters: BTreeSet<&str> = plan
        .steps
        .iter()
        .flat_map(|s| s.parameters.iter().copied())
        .collect();
    if guarded {
        let mut inputs = BTreeMap::new();
        let mut definitions = BTreeMap::new();
        for key in &used_parameters {
            let name = &plan.parameter_names[key];
            inputs.insert(
                format!("{CHANNEL}{name}"),
                ir::InputParameterSpec::ComponentInputParameter(name.clone()),
            );
            definitions.insert(
                format!("{CHANNEL}{name}"),
                parameter_spec(&snapshot.parameters[*key], false),
            );
        }
        if volume.is_some() {
            inputs.insert(format!("{CHANNEL}{CREATE_PVC}-name"), pvc_output());
            definitions.insert(format!("{CHANNEL}{CREATE_PVC}-name"), string_input());
        }
        lowering.components.insert(
            component_name(EXIT_HANDLER),
            ir::ComponentSpec {
                input_definitions: Some(ir::ComponentInputsSpec {
                    parameters: definitions,
                }),
                dag: Some(ir::DagSpec { tasks: body }),
                ..ir::ComponentSpec::default()
            },
        );
        root_tasks.insert(
            EXIT_HANDLER.to_owned(),
            ir::PipelineTaskSpec {
                task_info: ir::TaskInfo {
                    name: EXIT_HANDLER.to_owned(),
                },
                component_ref: ir::ComponentRef {
                    name: component_name(EXIT_HANDLER),
                },
                dependent_tasks: volume.map(|_| CREATE_PVC.to_owned()).into_iter().collect(),
                caching_options: None,
                inputs: Some(ir::TaskInputsSpec { parameters: inputs }),
                retry_policy: None,
                trigger_policy: None,
            },
        );
    } else {
        root_tasks.extend(body);
    }

    let mut exit_parameters = Vec::new();
    if let Some((name, nodes)) = &exit_nodes {
        exit_parameters = snapshot.parameters_used_by(nodes);
        let step = Step {
            name: ON_EXIT.to_owned(),
            display_name: (*name).to_owned(),
            nodes: nodes.clone(),
            whole_pipeline: true,
            dependencies: Vec::new(),
            parameters: exit_parameters.clone(),
        };
        let mut task = lowering.step(&step, name, Scope::Root)?;
        task.dependent_tasks = vec![EXIT_HANDLER.to_owned()];
        task.trigger_policy = Some(ir::TriggerPolicy {
            strategy: "ALL_UPSTREAM_TASKS_COMPLETED",
        });
        root_tasks.insert(ON_EXIT.to_owned(), task);
    }
    if delete_volume {
        let after = if exit_nodes.is_some() {
            ON_EXIT
        } else {
            EXIT_HANDLER
        };
        root_tasks.insert(
            DELETE_PVC.to_owned(),
            lowering.delete_pvc(after, exit_nodes.is_none()),
        );
    }

    let all_parameters: BTreeSet<&str> = used_parameters
        .iter()
        .copied()
        .chain(exit_parameters)
        .collect();
    let root_inputs: BTreeMap<String, ir::ParameterSpec> = all_parameters
        .iter()
        .map(|key| {
            (
                plan.parameter_names[key].clone(),
                parameter_spec(&snapshot.parameters[*key], true),
            )
        })
        .collect();

    let name = pipeline_name(snapshot, request.pipeline);
    let (default_pipeline_root, platform_spec) = match &request.target {
        Target::Vertex { pipeline_root, .. } => (pipeline_root.clone(), None),
        Target::Kubeflow(_) => (
            None,
            (!lowering.platform.is_empty()).then(|| ir::PlatformSpec {
                platforms: BTreeMap::from([(
                    "kubernetes".to_owned(),
                    ir::SinglePlatformSpec {
                        deployment_spec: ir::PlatformDeploymentConfig {
                            executors: std::mem::take(&mut lowering.platform),
                        },
                    },
                )]),
            }),
        ),
    };
    let spec = ir::PipelineSpec {
        components: lowering.components,
        deployment_spec: ir::DeploymentSpec {
            executors: lowering.executors,
        },
        pipeline_info: ir::PipelineInfo {
            name,
            display_name: None,
            description: request.description.map(str::to_owned),
        },
        root: ir::ComponentSpec {
            input_definitions: (!root_inputs.is_empty()).then_some(ir::ComponentInputsSpec {
                parameters: root_inputs,
            }),
            dag: Some(ir::DagSpec { tasks: root_tasks }),
            ..ir::ComponentSpec::default()
        },
        schema_version: ir::SCHEMA_VERSION,
        sdk_version: format!("kedro-kfp-{}", env!("CARGO_PKG_VERSION")),
        default_pipeline_root,
    };
    let mut summary = plan.summary(snapshot);
    if request.memory_dir.is_some() {
        summary.memory_crossings.clear(); // stored between steps: nothing to warn about
    }
    Ok(CompiledIr {
        spec,
        platform: platform_spec,
        summary,
    })
}

/// Where a task sits: the root DAG reads pipeline inputs and the PVC task directly; the
/// exit handler's sub-DAG reads them through `pipelinechannel--` inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Root,
    SubDag,
}

impl Scope {
    fn parameter(self, name: &str) -> ir::InputParameterSpec {
        match self {
            Self::Root => ir::InputParameterSpec::ComponentInputParameter(name.to_owned()),
            Self::SubDag => {
                ir::InputParameterSpec::ComponentInputParameter(format!("{CHANNEL}{name}"))
            }
        }
    }

    fn pvc(self, mount_path: &str) -> ir::PvcMount {
        let pvc_name_parameter = match self {
            Self::Root => pvc_output(),
            Self::SubDag => ir::InputParameterSpec::ComponentInputParameter(format!(
                "{CHANNEL}{CREATE_PVC}-name"
            )),
        };
        ir::PvcMount::new(mount_path, pvc_name_parameter)
    }
}

fn pvc_output() -> ir::InputParameterSpec {
    ir::InputParameterSpec::TaskOutputParameter {
        producer_task: CREATE_PVC.to_owned(),
        output_parameter_key: "name".to_owned(),
    }
}

fn string_input() -> ir::ParameterSpec {
    ir::ParameterSpec {
        parameter_type: ir::ParameterType::String,
        default_value: None,
        is_optional: false,
        description: None,
    }
}

fn component_name(step: &str) -> String {
    format!("comp-{step}")
}

fn executor_label(step: &str) -> String {
    format!("exec-{step}")
}

/// The IR type of a Kedro parameter value, and how its value reaches the step runtime.
fn parameter_type(value: &Value) -> (ir::ParameterType, ValueEncoding) {
    match value {
        Value::Bool(_) => (ir::ParameterType::Boolean, ValueEncoding::Json),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            (ir::ParameterType::NumberInteger, ValueEncoding::Json)
        }
        Value::Number(_) => (ir::ParameterType::NumberDouble, ValueEncoding::Json),
        Value::String(_) => (ir::ParameterType::String, ValueEncoding::Text),
        Value::Array(_) => (ir::ParameterType::List, ValueEncoding::Json),
        Value::Object(_) => (ir::ParameterType::Struct, ValueEncoding::Json),
        // No IR type holds null: it travels as the JSON text `null` in a string.
        Value::Null => (ir::ParameterType::String, ValueEncoding::Json),
    }
}

fn parameter_spec(value: &Value, with_default: bool) -> ir::ParameterSpec {
    let (parameter_type, _) = parameter_type(value);
    let default_value = with_default.then(|| match value {
        Value::Null => Value::String("null".to_owned()),
        other => other.clone(),
    });
    ir::ParameterSpec {
        parameter_type,
        default_value,
        is_optional: with_default,
        description: None,
    }
}

/// The pipeline name: lowercase, dashes, starting with a letter (Vertex's rule).
fn pipeline_name(snapshot: &Snapshot, pipeline: &str) -> String {
    let name = pipeline_label(&snapshot.project.package_name, pipeline);
    let name = if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name
    } else {
        format!("p-{name}")
    };
    name.chars()
        .take(128)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// `5m`, `60s`, `1h30m`, `90` (seconds) → proto `Duration` JSON (`300s`).
fn proto_duration(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(format!("{seconds}s"));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total += number.parse::<u64>().ok()? * unit;
        number.clear();
    }
    number.is_empty().then(|| format!("{total}s"))
}

struct Lowering<'r, 'a> {
    request: &'r IrRequest<'a>,
    plan: &'r Plan<'a>,
    components: BTreeMap<String, ir::ComponentSpec>,
    executors: BTreeMap<String, ir::ExecutorSpec>,
    platform: BTreeMap<String, ir::KubernetesExecutorConfig>,
    /// Steps log into the pipeline run's MLflow run.
    mlflow: bool,
}

impl Lowering<'_, '_> {
    /// A step's task, component, executor and platform config.
    fn step(
        &mut self,
        step: &Step<'_>,
        pipeline: &str,
        scope: Scope,
    ) -> Result<ir::PipelineTaskSpec, CompileError> {
        let request = self.request;
        let snapshot = request.snapshot;
        let mut definitions = BTreeMap::from([(RUN_ID_INPUT.to_owned(), string_input())]);
        let mut inputs = BTreeMap::from([(
            RUN_ID_INPUT.to_owned(),
            ir::InputParameterSpec::RuntimeValue {
                constant: Value::String(RUN_ID_PLACEHOLDER.to_owned()),
            },
        )]);
        let mut parameters = Vec::new();
        for key in &step.parameters {
            let name = &self.plan.parameter_names[key];
            let value = &snapshot.parameters[*key];
            definitions.insert(name.clone(), parameter_spec(value, false));
            inputs.insert(name.clone(), scope.parameter(name));
            parameters.push((
                (*key).to_owned(),
                input_placeholder(name),
                parameter_type(value).1,
            ));
        }
        let host_aliases = match &request.target {
            Target::Vertex { host_aliases, .. } => host_aliases
                .iter()
                .map(|alias| (alias.ip.clone(), alias.hostnames.clone()))
                .collect(),
            Target::Kubeflow(_) => Vec::new(),
        };
        let command = StepCommand {
            group: request.group,
            env: snapshot.project.env.as_deref(),
            pipeline,
            nodes: (!step.whole_pipeline).then_some(step.nodes.as_slice()),
            run_id: input_placeholder(RUN_ID_INPUT),
            parameters,
            host_aliases,
            mlflow: self.mlflow,
            memory_dir: request.memory_dir.clone(),
        };

        // A group has no single node to look up: it gets the `__default__` entries.
        let (node_name, tags): (&str, Vec<String>) = match step.nodes.as_slice() {
            [node] if !step.whole_pipeline => (node.name.as_str(), node.tags.clone()),
            _ => (kubeflow::DEFAULT_KEY, Vec::new()),
        };
        let selectors = kubeflow::lookup(&request.node_selectors, node_name, &tags)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let resources = kubeflow::merged_resources(&request.resources, node_name, &tags);
        let resources =
            resources::ir_resources(&resources, &selectors, &request.target, &step.display_name)?;
        self.executors.insert(
            executor_label(&step.name),
            ir::ExecutorSpec {
                container: ir::ContainerSpec {
                    image: request.image.to_owned(),
                    command: vec!["kedro".to_owned()],
                    args: command.arguments(),
                    env: Vec::new(),
                    resources,
                },
            },
        );
        self.components.insert(
            component_name(&step.name),
            ir::ComponentSpec {
                input_definitions: Some(ir::ComponentInputsSpec {
                    parameters: definitions,
                }),
                executor_label: Some(executor_label(&step.name)),
                ..ir::ComponentSpec::default()
            },
        );
        if let Target::Kubeflow(platform) = &request.target {
            let mut config =
                self.platform_config(platform, node_name, &tags, &step.display_name)?;
            if !selectors.is_empty() {
                config.node_selector = Some(ir::NodeSelector { labels: selectors });
            }
            if let Some(volume) = platform.volume {
                config.pvc_mount.insert(0, scope.pvc(DATA_MOUNT));
                config.security_context = Some(ir::SecurityContext {
                    run_as_user: volume.owner.to_string(),
                });
            }
            if config != ir::KubernetesExecutorConfig::default() {
                self.platform.insert(executor_label(&step.name), config);
            }
        }
        let retry_policy = kubeflow::lookup(request.retry_policy, node_name, &tags)
            .and_then(Option::as_ref)
            .map(|policy| retry_policy(policy, request.config_file))
            .transpose()?;
        Ok(ir::PipelineTaskSpec {
            task_info: ir::TaskInfo {
                name: step.display_name.clone(),
            },
            component_ref: ir::ComponentRef {
                name: component_name(&step.name),
            },
            dependent_tasks: step.dependencies.clone(),
            caching_options: Some(ir::CachingOptions {
                enable_cache: request.enable_cache,
            }),
            inputs: Some(ir::TaskInputsSpec { parameters: inputs }),
            retry_policy,
            trigger_policy: None,
        })
    }

    fn platform_config(
        &self,
        platform: &KubeflowPlatform<'_>,
        node_name: &str,
        tags: &[String],
        display: &str,
    ) -> Result<ir::KubernetesExecutorConfig, CompileError> {
        let mut config = ir::KubernetesExecutorConfig {
            image_pull_policy: platform.image_pull_policy.clone(),
            ..ir::KubernetesExecutorConfig::default()
        };
        if let Some(tolerations) = kubeflow::lookup(platform.tolerations, node_name, tags) {
            config.tolerations = tolerations
                .iter()
                .map(|t| ir::Toleration {
                    key: t.key.clone(),
                    operator: t.operator.clone(),
                    value: t.value.clone(),
                    effect: t.effect.clone(),
                    toleration_seconds: t.toleration_seconds.map(|s| s.to_string()),
                })
                .collect();
        }
        if let Some(extra) = kubeflow::lookup(platform.extra_volumes, node_name, tags) {
            for volume in extra {
                resources::add_extra_volume(
                    &mut config,
                    volume,
                    display,
                    self.request.config_file,
                )?;
            }
        }
        Ok(config)
    }

    /// `createpvc`: the KFP backend recognises the stub image and creates the PVC itself.
    fn create_pvc(&mut self, volume: &VolumeConfig) -> ir::PipelineTaskSpec {
        let mut definitions = BTreeMap::from([
            (
                "access_modes".to_owned(),
                ir::ParameterSpec {
                    parameter_type: ir::ParameterType::List,
                    default_value: None,
                    is_optional: false,
                    description: None,
                },
            ),
            ("pvc_name_suffix".to_owned(), string_input()),
            ("size".to_owned(), string_input()),
        ]);
        let constant = |value: Value| ir::InputParameterSpec::RuntimeValue { constant: value };
        let mut inputs = BTreeMap::from([
            (
                "access_modes".to_owned(),
                constant(Value::from(volume.access_modes.clone())),
            ),
            (
                "pvc_name_suffix".to_owned(),
                constant(Value::from("-data-volume")),
            ),
            (
                "size".to_owned(),
                constant(Value::from(volume.size.as_str())),
            ),
        ]);
        if let Some(class) = &volume.storageclass {
            definitions.insert("storage_class_name".to_owned(), string_input());
            inputs.insert(
                "storage_class_name".to_owned(),
                constant(Value::from(class.as_str())),
            );
        }
        self.stub(CREATE_PVC, "argostub/createpvc", definitions, true);
        self.fixed_task(CREATE_PVC, inputs, Vec::new())
    }

    fn delete_pvc(&mut self, after: &str, always: bool) -> ir::PipelineTaskSpec {
        self.stub(
            DELETE_PVC,
            "argostub/deletepvc",
            BTreeMap::from([("pvc_name".to_owned(), string_input())]),
            false,
        );
        let mut task = self.fixed_task(
            DELETE_PVC,
            BTreeMap::from([("pvc_name".to_owned(), pvc_output())]),
            vec![after.to_owned(), CREATE_PVC.to_owned()],
        );
        task.dependent_tasks.sort();
        if always {
            task.trigger_policy = Some(ir::TriggerPolicy {
                strategy: "ALL_UPSTREAM_TASKS_COMPLETED",
            });
        }
        task
    }

    /// `kedro <group> mlflow-start <pipeline job uuid>`: the MLflow run every step logs
    /// into, found again by its `kubeflow_run_id` tag.
    fn mlflow_start(&mut self) -> ir::PipelineTaskSpec {
        let request = self.request;
        let mut args = vec![
            request.group.to_owned(),
            "mlflow-start".to_owned(),
            input_placeholder(RUN_ID_INPUT),
        ];
        if let Some(env) = request.snapshot.project.env.as_deref() {
            args.extend(["--env".to_owned(), env.to_owned()]);
        }
        let label = executor_label(MLFLOW_START);
        self.executors.insert(
            label.clone(),
            ir::ExecutorSpec {
                container: ir::ContainerSpec {
                    image: request.image.to_owned(),
                    command: vec!["kedro".to_owned()],
                    args,
                    env: Vec::new(),
                    resources: None,
                },
            },
        );
        self.components.insert(
            component_name(MLFLOW_START),
            ir::ComponentSpec {
                input_definitions: Some(ir::ComponentInputsSpec {
                    parameters: BTreeMap::from([(RUN_ID_INPUT.to_owned(), string_input())]),
                }),
                executor_label: Some(label.clone()),
                ..ir::ComponentSpec::default()
            },
        );
        if let Target::Kubeflow(platform) = &request.target
            && platform.image_pull_policy.is_some()
        {
            self.platform.insert(
                label,
                ir::KubernetesExecutorConfig {
                    image_pull_policy: platform.image_pull_policy.clone(),
                    ..ir::KubernetesExecutorConfig::default()
                },
            );
        }
        let inputs = BTreeMap::from([(
            RUN_ID_INPUT.to_owned(),
            ir::InputParameterSpec::RuntimeValue {
                constant: Value::String(RUN_ID_PLACEHOLDER.to_owned()),
            },
        )]);
        self.fixed_task(MLFLOW_START, inputs, Vec::new())
    }

    /// Copies the image's `data/` into the fresh volume: `cp -r data/. volume`, exec form.
    fn volume_init(&mut self, scope: Scope) -> ir::PipelineTaskSpec {
        let label = executor_label(VOLUME_INIT);
        self.executors.insert(
            label.clone(),
            ir::ExecutorSpec {
                container: ir::ContainerSpec {
                    image: self.request.image.to_owned(),
                    command: vec!["cp".to_owned()],
                    args: vec![
                        "-r".to_owned(),
                        format!("{DATA_MOUNT}/."),
                        INIT_MOUNT.to_owned(),
                    ],
                    env: Vec::new(),
                    resources: None,
                },
            },
        );
        self.components.insert(
            component_name(VOLUME_INIT),
            ir::ComponentSpec {
                executor_label: Some(label.clone()),
                ..ir::ComponentSpec::default()
            },
        );
        if let Target::Kubeflow(platform) = &self.request.target {
            self.platform.insert(
                label,
                ir::KubernetesExecutorConfig {
                    pvc_mount: vec![scope.pvc(INIT_MOUNT)],
                    image_pull_policy: platform.image_pull_policy.clone(),
                    security_context: platform.volume.map(|v| ir::SecurityContext {
                        run_as_user: v.owner.to_string(),
                    }),
                    ..ir::KubernetesExecutorConfig::default()
                },
            );
        }
        self.fixed_task(VOLUME_INIT, BTreeMap::new(), Vec::new())
    }

    fn stub(
        &mut self,
        name: &str,
        image: &str,
        definitions: BTreeMap<String, ir::ParameterSpec>,
        outputs_name: bool,
    ) {
        self.executors.insert(
            executor_label(name),
            ir::ExecutorSpec {
                container: ir::ContainerSpec {
                    image: image.to_owned(),
                    command: Vec::new(),
                    args: Vec::new(),
                    env: Vec::new(),
                    resources: None,
                },
            },
        );
        self.components.insert(
            component_name(name),
            ir::ComponentSpec {
                input_definitions: Some(ir::ComponentInputsSpec {
                    parameters: definitions,
                }),
                output_definitions: outputs_name.then(|| ir::ComponentOutputsSpec {
                    parameters: BTreeMap::from([(
                        "name".to_owned(),
                        ir::OutputParameterSpec {
                            parameter_type: ir::ParameterType::String,
                        },
                    )]),
                }),
                executor_label: Some(executor_label(name)),
                dag: None,
            },
        );
    }

    fn fixed_task(
        &self,
        name: &str,
        inputs: BTreeMap<String, ir::InputParameterSpec>,
        dependent_tasks: Vec<String>,
    ) -> ir::PipelineTaskSpec {
        ir::PipelineTaskSpec {
            task_info: ir::TaskInfo {
                name: name.to_owned(),
            },
            component_ref: ir::ComponentRef {
                name: component_name(name),
            },
            dependent_tasks,
            caching_options: Some(ir::CachingOptions {
                enable_cache: false,
            }),
            inputs: (!inputs.is_empty()).then_some(ir::TaskInputsSpec { parameters: inputs }),
            retry_policy: None,
            trigger_policy: None,
        }
    }
}

fn input_placeholder(name: &str) -> String {
    format!("{{{{$.inputs.parameters['{name}']}}}}")
}

fn retry_policy(policy: &RetryPolicy, config_file: &str) -> Result<ir::RetryPolicy, CompileError> {
    let duration = |text: &Option<String>, key: &str| -> Result<Option<String>, CompileError> {
        text.as_deref()
            .map(|text| {
                proto_duration(text).ok_or_else(|| CompileError::InvalidValue {
                    config_file: config_file.to_owned(),
                    key: format!("run_config.retry_policy.*.{key}"),
                    message: format!("`{text}` is not a duration; write e.g. `30s`, `5m` or `1h`"),
                })
            })
            .transpose()
    };
    Ok(ir::RetryPolicy {
        max_retry_count: policy.num_retries,
        backoff_duration: duration(&policy.backoff_duration, "backoff_duration")?,
        backoff_factor: policy.backoff_factor,
        backoff_max_duration: duration(&policy.backoff_max_duration, "backoff_max_duration")?,
    })
}

impl<'a> IrRequest<'a> {
    /// From `kubeflow.yaml`: a KFP 2.x server, or Vertex AI when `host` is
    /// `vertex-ai-pipelines` (0.4.7 docs, 3.2.3).
    pub fn for_kubeflow(request: &crate::CompileRequest<'a>) -> Result<Self, CompileError> {
        let config = request.config;
        let run = &config.run_config;
        let target = if config.host.trim() == kfp_config::VERTEX_HOST {
            Target::Vertex {
                pipeline_root: run.root.as_deref().map(gcs_root),
                host_aliases: run
                    .vertex_ai_networking
                    .as_ref()
                    .map_or(&[], |n| n.host_aliases.as_slice()),
            }
        } else {
            Target::Kubeflow(KubeflowPlatform {
                volume: run.volume.as_ref(),
                tolerations: &run.tolerations,
                extra_volumes: &run.extra_volumes,
                image_pull_policy: run.image_pull_policy.map(|policy| format!("{policy:?}")),
            })
        };
        let resources = run
            .resources
            .iter()
            .map(|(key, values)| {
                let values = values.as_ref().map(|values| {
                    values
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.clone())))
                        .collect()
                });
                (key.clone(), values)
            })
            .collect();
        let memory_dir = memory_dir(run.store_memory_datasets, &target, request.config_file)?;
        Ok(Self {
            memory_dir,
            snapshot: request.snapshot,
            pipeline: request.pipeline,
            image: request.image()?,
            config_file: request.config_file,
            group: "kubeflow",
            description: run.description.as_deref(),
            on_exit_pipeline: run.on_exit_pipeline.as_deref(),
            grouping: if run.node_merge_strategy == Some(kubeflow::NodeMergeStrategy::Full) {
                Grouping::Full
            } else {
                Grouping::Identity
            },
            resources,
            node_selectors: run.node_selectors.clone(),
            retry_policy: &run.retry_policy,
            // KFP v1's switch: any staleness but zero lets KFP reuse results.
            enable_cache: run
                .max_cache_staleness
                .as_deref()
                .is_some_and(|staleness| staleness != "P0D"),
            target,
        })
    }

    /// From `vertexai.yaml`.
    pub fn for_vertex(
        snapshot: &'a Snapshot,
        config: &'a kfp_config::VertexConfig,
        config_file: &'a str,
        pipeline: &'a str,
        image: Option<&'a str>,
    ) -> Result<Self, CompileError> {
        let run = &config.run_config;
        let image = image
            .or(run.image.as_deref())
            .filter(|image| !image.trim().is_empty())
            .ok_or_else(|| CompileError::MissingImage {
                config_file: config_file.to_owned(),
            })?;
        let grouping = match &run.grouping {
            Some(grouping) => match grouping.strategy(config_file).map_err(|error| {
                CompileError::InvalidValue {
                    config_file: config_file.to_owned(),
                    key: "run_config.grouping.cls".to_owned(),
                    message: error.message,
                }
            })? {
                kfp_config::vertexai::GroupingStrategy::Identity => Grouping::Identity,
                kfp_config::vertexai::GroupingStrategy::TagPrefix(prefix) => {
                    Grouping::TagPrefix(prefix)
                }
            },
            None => Grouping::Identity,
        };
        let mut resources: BTreeMap<String, Option<BTreeMap<String, Option<Quantity>>>> = run
            .resources
            .iter()
            .map(|(key, values)| {
                (
                    key.clone(),
                    values.as_ref().map(|values| {
                        values
                            .iter()
                            .map(|(k, v)| (k.clone(), v.0.clone()))
                            .collect()
                    }),
                )
            })
            .collect();
        // kedro-vertexai's documented default when `__default__` is not configured.
        resources
            .entry(kubeflow::DEFAULT_KEY.to_owned())
            .or_insert_with(|| {
                let quantity = |text: &str| Quantity::parse(text).ok();
                Some(BTreeMap::from([
                    ("cpu".to_owned(), quantity("500m")),
                    ("memory".to_owned(), quantity("1024Mi")),
                ]))
            });
        let target = Target::Vertex {
            pipeline_root: run.root.as_deref().map(gcs_root),
            host_aliases: run
                .network
                .as_ref()
                .map_or(&[], |n| n.host_aliases.as_slice()),
        };
        Ok(Self {
            memory_dir: memory_dir(run.store_memory_datasets, &target, config_file)?,
            snapshot,
            pipeline,
            image,
            config_file,
            group: "vertexai",
            description: run.description.as_deref(),
            on_exit_pipeline: run.on_exit_pipeline.as_deref(),
            grouping,
            resources,
            node_selectors: run.node_selectors.clone(),
            retry_policy: &NO_RETRIES,
            enable_cache: false,
            target,
        })
    }
}

static NO_RETRIES: BTreeMap<String, Option<RetryPolicy>> = BTreeMap::new();

/// `bucket/prefix` → `gs://bucket/prefix` (kedro-vertexai's `root` omits the scheme).
fn gcs_root(root: &str) -> String {
    if root.starts_with("gs://") {
        root.to_owned()
    } else {
        format!("gs://{}", root.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_become_proto_durations() {
        assert_eq!(proto_duration("5m").as_deref(), Some("300s"));
        assert_eq!(proto_duration("60s").as_deref(), Some("60s"));
        assert_eq!(proto_duration("1h30m").as_deref(), Some("5400s"));
        assert_eq!(proto_duration("90").as_deref(), Some("90s"));
        assert_eq!(proto_duration("5 minutes"), None);
        assert_eq!(proto_duration("5"), Some("5s".to_owned()));
        assert_eq!(proto_duration("m"), None);
    }

    #[test]
    fn kedro_values_get_ir_types() {
        use ir::ParameterType as T;
        let cases = [
            (serde_json::json!(1), T::NumberInteger, ValueEncoding::Json),
            (serde_json::json!(0.5), T::NumberDouble, ValueEncoding::Json),
            (serde_json::json!("x"), T::String, ValueEncoding::Text),
            (serde_json::json!(true), T::Boolean, ValueEncoding::Json),
            (serde_json::json!([1]), T::List, ValueEncoding::Json),
            (serde_json::json!({"a": 1}), T::Struct, ValueEncoding::Json),
            (Value::Null, T::String, ValueEncoding::Json),
        ];
        for (value, kind, encoding) in cases {
            assert_eq!(parameter_type(&value), (kind, encoding), "{value}");
        }
    }
}
