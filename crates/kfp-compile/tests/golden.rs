//! Golden tests: each `tests/fixtures/<case>/` holds a snapshot, a `kubeflow.yaml` and the
//! reviewed `expected.yml`. `UPDATE_GOLDENS=1 cargo test` rewrites the expected files (never
//! in CI: review the diff like code). Besides the byte comparison, every output is checked
//! structurally against the snapshot it came from, by code independent of the compiler.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kfp_compile::CompileRequest;
use kfp_config::{ConfigFile, KubeflowConfig};
use kfp_snapshot::Snapshot;
use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("snapshot.json").exists())
        .collect();
    cases.sort();
    cases
}

fn snapshot(case: &Path) -> Snapshot {
    kfp_snapshot::from_json(&std::fs::read_to_string(case.join("snapshot.json")).expect("read"))
        .expect("fixture snapshot")
}

fn config(case: &Path, name: &str) -> Option<ConfigFile> {
    let content = std::fs::read_to_string(case.join(name)).ok()?;
    Some(ConfigFile {
        path: format!("conf/base/{name}"),
        content,
    })
}

/// The Argo Workflow of a fixture.
fn compile(case: &Path) -> (Snapshot, String) {
    let snapshot = snapshot(case);
    let config = KubeflowConfig::load(&[config(case, "kubeflow.yaml").expect("kubeflow.yaml")])
        .expect("fixture config");
    let request = CompileRequest {
        snapshot: &snapshot,
        config: &config,
        config_file: "conf/base/kubeflow.yaml",
        pipeline: "__default__",
        image: None,
    };
    let workflow = kfp_compile::argo::workflow(&request)
        .expect("compile")
        .workflow;
    let yaml = kfp_yaml::to_string(&workflow).expect("serialize");
    (snapshot, yaml)
}

/// Every output of a fixture by golden file name: the Argo Workflow, the KFP v2 IR
/// (spec and platform spec as YAML documents) and, with a `vertexai.yaml`, the Vertex spec.
fn outputs(case: &Path) -> Vec<(&'static str, String)> {
    let snapshot = snapshot(case);
    let kubeflow = KubeflowConfig::load(&[config(case, "kubeflow.yaml").expect("kubeflow.yaml")])
        .expect("config");
    let request = CompileRequest {
        snapshot: &snapshot,
        config: &kubeflow,
        config_file: "conf/base/kubeflow.yaml",
        pipeline: "__default__",
        image: None,
    };
    let ir_request = kfp_compile::ir::IrRequest::for_kubeflow(&request).expect("ir request");
    let compiled = kfp_compile::ir::pipeline_spec(&ir_request).expect("compile kfp v2");
    let mut kfp2 = kfp_yaml::to_string(&compiled.spec).expect("serialize");
    if let Some(platform) = &compiled.platform {
        kfp2.push_str("---\n");
        kfp2.push_str(&kfp_yaml::to_string(platform).expect("serialize"));
    }
    let mut outputs = vec![
        ("expected.yml", compile(case).1),
        ("expected-kfp2.yaml", kfp2),
    ];
    if let Some(file) = config(case, "vertexai.yaml") {
        let vertex = kfp_config::VertexConfig::load(&[file]).expect("vertex config");
        let request = kfp_compile::ir::IrRequest::for_vertex(
            &snapshot,
            &vertex,
            "conf/base/vertexai.yaml",
            "__default__",
            None,
        )
        .expect("vertex request");
        let compiled = kfp_compile::ir::pipeline_spec(&request).expect("compile vertex");
        assert!(
            compiled.platform.is_none(),
            "Vertex ignores platform specs; none must be written"
        );
        outputs.push((
            "expected-vertex.json",
            serde_json::to_string_pretty(&compiled.spec).expect("json") + "\n",
        ));
    }
    outputs
}

#[test]
fn compiled_workflows_match_the_reviewed_goldens() {
    let update = std::env::var_os("UPDATE_GOLDENS").is_some() && std::env::var_os("CI").is_none();
    let mut stale = Vec::new();
    for case in fixtures() {
        for (name, text) in outputs(&case) {
            let golden = case.join(name);
            if update {
                std::fs::write(&golden, &text).expect("write golden");
            } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(text.as_str()) {
                stale.push(golden.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "goldens differ (UPDATE_GOLDENS=1 cargo test, then review): {stale:?}"
    );
}

#[test]
fn compiling_twice_gives_the_same_bytes() {
    for case in fixtures() {
        assert_eq!(outputs(&case), outputs(&case), "{}", case.display());
    }
}

/// Node dependencies computed the simplest way, as Kedro documents them: a node depends on
/// the nodes that write one of its dataset inputs (transcoding `@…` ignored).
fn expected_dependencies(snapshot: &Snapshot) -> BTreeMap<String, BTreeSet<String>> {
    let nodes = &snapshot.pipelines["__default__"].nodes;
    let base = |name: &str| name.split('@').next().unwrap_or(name).to_owned();
    nodes
        .iter()
        .map(|child| {
            let parents = nodes
                .iter()
                .filter(|parent| {
                    parent
                        .outputs
                        .iter()
                        .any(|out| child.inputs.iter().any(|input| base(input) == base(out)))
                })
                .map(|parent| parent.name.clone())
                .collect();
            (child.name.clone(), parents)
        })
        .collect()
}

struct Parsed {
    /// Template by name.
    templates: BTreeMap<String, Value>,
    /// Root DAG tasks by name.
    tasks: BTreeMap<String, Value>,
}

fn parse(yaml: &str) -> (Value, Parsed) {
    let doc: Value = kfp_yaml::from_str(yaml).expect("output parses as YAML");
    let templates: BTreeMap<String, Value> = doc["spec"]["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| (t["name"].as_str().expect("name").to_owned(), t.clone()))
        .collect();
    let entry = doc["spec"]["entrypoint"].as_str().expect("entrypoint");
    let tasks = templates[entry]["dag"]["tasks"]
        .as_array()
        .expect("root dag")
        .iter()
        .map(|t| (t["name"].as_str().expect("task name").to_owned(), t.clone()))
        .collect();
    (doc, Parsed { templates, tasks })
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().expect("string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_dag_equals_the_kedro_node_dependencies() {
    for case in fixtures() {
        let (snapshot, yaml) = compile(&case);
        let (_, parsed) = parse(&yaml);
        // Map each task back to the Kedro node(s) it runs, from its own `--node` arguments.
        let mut node_of_task: BTreeMap<String, String> = BTreeMap::new();
        for (name, task) in &parsed.tasks {
            let template = &parsed.templates[task["template"].as_str().expect("template")];
            let args = strings(&template["container"]["args"]);
            let nodes: Vec<&String> = args
                .windows(2)
                .filter(|w| w[0] == "--node")
                .map(|w| &w[1])
                .collect();
            if let [node] = nodes.as_slice() {
                node_of_task.insert(name.clone(), (*node).clone());
            }
        }
        let expected = expected_dependencies(&snapshot);
        let merged = !expected.is_empty() && node_of_task.is_empty();
        if merged {
            continue; // one step runs everything: there are no node edges to compare
        }
        let actual: BTreeMap<String, BTreeSet<String>> = node_of_task
            .iter()
            .map(|(task, node)| {
                let parents = strings(&parsed.tasks[task]["dependencies"])
                    .iter()
                    .filter_map(|dep| node_of_task.get(dep).cloned())
                    .collect();
                (node.clone(), parents)
            })
            .collect();
        assert_eq!(actual, expected, "{}", case.display());
    }
}

#[test]
fn every_step_is_exec_form_with_valid_unique_names() {
    for case in fixtures() {
        let (_, yaml) = compile(&case);
        let (doc, parsed) = parse(&yaml);
        for (name, template) in &parsed.templates {
            assert!(name.len() <= 63, "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !name.starts_with('-')
                    && !name.ends_with('-'),
                "{name} is not a DNS-1123 label"
            );
            if let Some(container) = template.get("container") {
                let command = strings(&container["command"]);
                assert!(
                    ["kedro", "cp"].contains(&command[0].as_str()),
                    "{name}: {command:?}"
                );
                assert!(
                    !command
                        .iter()
                        .any(|c| c == "sh" || c == "bash" || c == "-c"),
                    "{name}"
                );
            }
        }
        assert_eq!(
            parsed.templates.len(),
            doc["spec"]["templates"].as_array().map_or(0, Vec::len)
        );
        // Every task's dependencies name tasks of the same DAG.
        for task in parsed.tasks.values() {
            for dep in strings(&task["dependencies"]) {
                assert!(
                    parsed.tasks.contains_key(&dep),
                    "{}: unknown dependency {dep}",
                    case.display()
                );
            }
        }
    }
}

#[test]
fn parameters_no_step_reads_are_left_out() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
    let (_, yaml) = compile(&case);
    let (doc, _) = parse(&yaml);
    let names: Vec<&str> = doc["spec"]["arguments"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["threshold"]);
}

#[test]
fn parameter_values_reach_the_arguments_verbatim() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features");
    let (snapshot, yaml) = compile(&case);
    let (doc, parsed) = parse(&yaml);
    let defaults: BTreeMap<String, String> = doc["spec"]["arguments"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("n").to_owned(),
                p["value"].as_str().expect("v").to_owned(),
            )
        })
        .collect();
    // The default is the JSON of the Kedro value, which the step runtime decodes.
    let quote: Value = serde_json::from_str(&defaults["quote"]).expect("json");
    assert_eq!(quote, snapshot.parameters["quote"]);
    assert!(
        defaults.contains_key("unused"),
        "a node reading `parameters` reads them all"
    );
    // The quote parameter travels as one argv element holding only a placeholder.
    let last = parsed
        .templates
        .values()
        .find(|t| strings(&t["container"]["args"]).contains(&"params:quote".to_owned()));
    assert!(last.is_none(), "node inputs are not passed as arguments");
    let on_exit = &parsed.templates["on-exit"];
    let args = strings(&on_exit["container"]["args"]);
    let at = args.iter().position(|a| a == "--param").expect("--param");
    assert_eq!(args[at + 1], "quote");
    assert_eq!(args[at + 2], "{{workflow.parameters.quote}}");
    assert_eq!(
        &args[..6],
        ["kubeflow", "step", "--pipeline", "notify", "--env", "prod"]
    );
}

/// The IR's tasks, flattened out of the exit handler's sub-DAG, as (task, dependencies,
/// Kedro nodes the task's executor runs).
fn ir_tasks(spec: &Value) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut dags = vec![&spec["root"]["dag"]["tasks"]];
    if let Some(handler) = spec["components"].get("comp-exit-handler-1") {
        dags.push(&handler["dag"]["tasks"]);
    }
    let mut tasks = Vec::new();
    for dag in dags {
        for (name, task) in dag.as_object().expect("tasks") {
            let component =
                &spec["components"][task["componentRef"]["name"].as_str().expect("ref")];
            let nodes = component["executorLabel"]
                .as_str()
                .map(|label| {
                    strings(&spec["deploymentSpec"]["executors"][label]["container"]["args"])
                })
                .map(|args| {
                    args.windows(2)
                        .filter(|w| w[0] == "--node")
                        .map(|w| w[1].clone())
                        .collect()
                })
                .unwrap_or_default();
            tasks.push((name.clone(), strings(&task["dependentTasks"]), nodes));
        }
    }
    tasks
}

#[test]
fn ir_dags_equal_the_kedro_node_dependencies() {
    for case in fixtures() {
        let snapshot = snapshot(&case);
        let expected = expected_dependencies(&snapshot);
        for (name, text) in outputs(&case).into_iter().skip(1) {
            let spec: Value = if name.ends_with(".json") {
                serde_json::from_str(&text).expect("json")
            } else {
                kfp_yaml::from_str(text.split("\n---\n").next().expect("first document"))
                    .expect("yaml")
            };
            assert_eq!(spec["schemaVersion"], "2.1.0");
            let tasks = ir_tasks(&spec);
            let node_of: BTreeMap<&str, &Vec<String>> = tasks
                .iter()
                .map(|(task, _, nodes)| (task.as_str(), nodes))
                .collect();
            // Node-level edges implied by the task graph: every node of a task depends on every
            // node of the tasks it depends on. With grouping, nodes of one task share a step.
            let mut actual: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (_, dependencies, nodes) in &tasks {
                for node in nodes {
                    let parents = actual.entry(node.clone()).or_default();
                    for dependency in dependencies {
                        parents.extend(
                            node_of
                                .get(dependency.as_str())
                                .into_iter()
                                .flat_map(|n| n.iter().cloned()),
                        );
                    }
                }
            }
            if actual.is_empty() {
                continue; // one step runs the whole pipeline: no node edges to compare
            }
            for (node, parents) in &expected {
                let grouped_with: BTreeSet<String> = tasks
                    .iter()
                    .find(|(_, _, nodes)| nodes.contains(node))
                    .map(|(_, _, nodes)| nodes.iter().cloned().collect())
                    .unwrap_or_default();
                let across: BTreeSet<String> = parents.difference(&grouped_with).cloned().collect();
                assert!(
                    across.is_subset(&actual[node]),
                    "{} {name}: {node} must wait for {across:?}, waits for {:?}",
                    case.display(),
                    actual[node]
                );
            }
            if tasks.iter().all(|(_, _, nodes)| nodes.len() <= 1) {
                // One node per step: the DAG is exactly Kedro's.
                let exact: BTreeMap<String, BTreeSet<String>> = actual
                    .into_iter()
                    .filter(|(node, _)| expected.contains_key(node))
                    .collect();
                assert_eq!(exact, expected, "{} {name}", case.display());
            }
        }
    }
}

/// The `features` fixture (an `on_exit_pipeline`, `volume.keep: true`) with `keep` set.
fn compile_features_with_keep(keep: bool) -> Parsed {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features");
    let snapshot = snapshot(&case);
    let mut file = config(&case, "kubeflow.yaml").expect("kubeflow.yaml");
    assert!(file.content.contains("    keep: true\n"));
    file.content = file
        .content
        .replace("    keep: true\n", &format!("    keep: {keep}\n"));
    let config = KubeflowConfig::load(&[file]).expect("config");
    let request = CompileRequest {
        snapshot: &snapshot,
        config: &config,
        config_file: "conf/base/kubeflow.yaml",
        pipeline: "__default__",
        image: None,
    };
    let workflow = kfp_compile::argo::workflow(&request).expect("compile");
    let (doc, parsed) = parse(&kfp_yaml::to_string(&workflow.workflow).expect("yaml"));
    assert_eq!(doc["spec"]["onExit"], "on-exit");
    parsed
}

#[test]
fn volume_without_keep_is_deleted_after_the_exit_pipeline_whatever_its_outcome() {
    let parsed = compile_features_with_keep(false);
    let exit = &parsed.templates["on-exit"]["dag"]["tasks"];
    assert_eq!(exit[0]["name"], "on-exit-pipeline");
    assert_eq!(exit[0]["continueOn"]["failed"], true);
    assert_eq!(exit[1]["name"], "delete-pipeline-volume");
    assert_eq!(strings(&exit[1]["dependencies"]), ["on-exit-pipeline"]);
    let pipeline_args = strings(&parsed.templates["on-exit-pipeline"]["container"]["args"]);
    assert_eq!(
        &pipeline_args[..4],
        ["kubeflow", "step", "--pipeline", "notify"]
    );
    let delete = &parsed.templates["delete-pipeline-volume"]["container"];
    assert_eq!(strings(&delete["command"]), ["kedro"]);
    assert_eq!(
        strings(&delete["args"]),
        [
            "kubeflow",
            "delete-pipeline-volume",
            "{{workflow.name}}-data-volume"
        ]
    );
    // It talks to the API; it does not mount the volume it deletes.
    assert!(delete["volumeMounts"].is_null());

    // `keep: true`: the exit handler is the exit pipeline alone, nothing deletes the volume.
    let kept = compile_features_with_keep(true);
    assert!(kept.templates["on-exit"]["container"].is_object());
    assert!(!kept.templates.contains_key("delete-pipeline-volume"));
    assert!(
        kept.templates
            .values()
            .all(|t| !strings(&t["container"]["args"])
                .contains(&"delete-pipeline-volume".to_owned()))
    );
}

#[test]
fn kedro_mlflow_adds_a_first_step_that_every_step_logs_through() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
    let mut snapshot = snapshot(&case);
    snapshot.config_files.insert(
        "mlflow".to_owned(),
        vec![kfp_snapshot::ConfigFile {
            path: "conf/base/mlflow.yml".to_owned(),
            content: "server:\n  mlflow_tracking_uri: http://mlflow:5000\n".to_owned(),
        }],
    );
    let config = KubeflowConfig::load(&[config(&case, "kubeflow.yaml").expect("kubeflow.yaml")])
        .expect("config");
    let request = CompileRequest {
        snapshot: &snapshot,
        config: &config,
        config_file: "conf/base/kubeflow.yaml",
        pipeline: "__default__",
        image: None,
    };
    let workflow = kfp_compile::argo::workflow(&request).expect("compile");
    let (_, parsed) = parse(&kfp_yaml::to_string(&workflow.workflow).expect("yaml"));
    let start = &parsed.templates["mlflow-start-run"]["container"];
    assert_eq!(strings(&start["command"]), ["kedro"]);
    assert_eq!(
        &strings(&start["args"])[..3],
        ["kubeflow", "mlflow-start", "{{workflow.uid}}"]
    );
    assert!(parsed.tasks["mlflow-start-run"]["dependencies"].is_null());
    let steps: Vec<&Value> = parsed
        .tasks
        .values()
        .filter(|task| task["name"] != "mlflow-start-run")
        .collect();
    assert!(!steps.is_empty());
    for task in steps {
        let dependencies = strings(&task["dependencies"]);
        assert!(
            dependencies.contains(&"mlflow-start-run".to_owned()),
            "{task}"
        );
        let template = task["template"].as_str().expect("template");
        let args = strings(&parsed.templates[template]["container"]["args"]);
        if args.get(1).map(String::as_str) == Some("step") {
            assert!(args.contains(&"--mlflow".to_owned()), "{args:?}");
        }
    }

    // The same in the KFP v2 IR and for Vertex AI: a first task every step depends on, and
    // the pipeline job's uuid as the run id.
    let vertex_file = ConfigFile {
        path: "conf/base/vertexai.yaml".to_owned(),
        content: std::fs::read_to_string(case.join("vertexai.yaml")).expect("vertexai.yaml"),
    };
    let vertex = kfp_config::VertexConfig::load(&[vertex_file]).expect("vertex config");
    let ir_requests = [
        kfp_compile::ir::IrRequest::for_kubeflow(&request).expect("kfp v2 request"),
        kfp_compile::ir::IrRequest::for_vertex(
            &snapshot,
            &vertex,
            "conf/base/vertexai.yaml",
            "__default__",
            None,
        )
        .expect("vertex request"),
    ];
    for (ir_request, group) in ir_requests.iter().zip(["kubeflow", "vertexai"]) {
        let spec = serde_json::to_value(
            kfp_compile::ir::pipeline_spec(ir_request)
                .expect("compile ir")
                .spec,
        )
        .expect("json");
        let tasks = spec["root"]["dag"]["tasks"].as_object().expect("tasks");
        let start = &tasks["mlflow-start-run"];
        assert!(start.get("dependentTasks").is_none(), "{start}");
        assert_eq!(
            start["inputs"]["parameters"]["kedro_kfp_run_id"]["runtimeValue"]["constant"],
            "{{$.pipeline_job_uuid}}"
        );
        let executor = &spec["deploymentSpec"]["executors"]["exec-mlflow-start-run"]["container"];
        assert_eq!(
            strings(&executor["args"]),
            [
                group,
                "mlflow-start",
                "{{$.inputs.parameters['kedro_kfp_run_id']}}"
            ]
        );
        for (name, task) in tasks.iter().filter(|(name, _)| *name != "mlflow-start-run") {
            assert!(
                strings(&task["dependentTasks"]).contains(&"mlflow-start-run".to_owned()),
                "{name}: {task}"
            );
            let label = format!(
                "exec-{}",
                &task["componentRef"]["name"].as_str().expect("ref")[5..]
            );
            let args = strings(&spec["deploymentSpec"]["executors"][&label]["container"]["args"]);
            assert!(args.contains(&"--mlflow".to_owned()), "{name}: {args:?}");
        }
    }

    // Without kedro-mlflow config, no such step and no flag.
    let (_, plain) = compile(&case);
    assert!(!plain.contains("mlflow"));
}

fn compile_with(case: &str, extra: &str) -> Result<kfp_compile::argo::Compiled, String> {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case);
    let snapshot = snapshot(&case);
    let mut file = config(&case, "kubeflow.yaml").expect("kubeflow.yaml");
    file.content = file
        .content
        .replace("run_config:\n", &format!("run_config:\n{extra}"));
    let config = KubeflowConfig::load(&[file]).expect("config");
    let request = CompileRequest {
        snapshot: &snapshot,
        config: &config,
        config_file: "conf/base/kubeflow.yaml",
        pipeline: "__default__",
        image: None,
    };
    kfp_compile::argo::workflow(&request).map_err(|error| error.to_string())
}

#[test]
fn stored_memory_datasets_go_to_the_volume_and_are_not_reported() {
    let plain = compile_with("features", "").expect("compile");
    assert!(
        !plain.summary.memory_crossings.is_empty(),
        "the fixture has crossings"
    );

    let stored = compile_with("features", "  store_memory_datasets: true\n").expect("compile");
    assert!(stored.summary.memory_crossings.is_empty());
    let (_, parsed) = parse(&kfp_yaml::to_string(&stored.workflow).expect("yaml"));
    let steps: Vec<Vec<String>> = parsed
        .templates
        .values()
        .map(|t| strings(&t["container"]["args"]))
        .filter(|args| args.get(1).map(String::as_str) == Some("step"))
        .collect();
    assert!(!steps.is_empty());
    for args in steps {
        let at = args
            .iter()
            .position(|a| a == "--memory-dir")
            .expect("--memory-dir");
        assert_eq!(args[at + 1], "/home/kedro/data/.kedro-kfp-memory");
    }

    let error = compile_with("minimal", "  store_memory_datasets: true\n").expect_err("no volume");
    assert_eq!(
        error,
        "conf/base/kubeflow.yaml: `run_config.store_memory_datasets`: stores datasets on the data volume: set `run_config.volume` too"
    );
}

#[test]
fn stored_memory_datasets_in_the_ir_go_under_the_volume_or_the_vertex_root() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
    let snapshot = snapshot(&case);
    let mut file = config(&case, "vertexai.yaml").expect("vertexai.yaml");
    file.content = file.content.replace(
        "run_config:\n",
        "run_config:\n  store_memory_datasets: true\n",
    );
    let vertex = kfp_config::VertexConfig::load(&[file.clone()]).expect("vertex config");
    let request = kfp_compile::ir::IrRequest::for_vertex(
        &snapshot,
        &vertex,
        "conf/base/vertexai.yaml",
        "__default__",
        None,
    )
    .expect("request");
    assert_eq!(
        request.memory_dir.as_deref(),
        Some("gs://demo-bucket/pipelines/.kedro-kfp-memory")
    );
    let compiled = kfp_compile::ir::pipeline_spec(&request).expect("compile");
    let json = serde_json::to_value(&compiled.spec).expect("json");
    let executors = json["deploymentSpec"]["executors"]
        .as_object()
        .expect("executors");
    assert!(!executors.is_empty());
    for executor in executors.values() {
        let args = strings(&executor["container"]["args"]);
        let at = args
            .iter()
            .position(|a| a == "--memory-dir")
            .expect("--memory-dir");
        assert_eq!(args[at + 1], "gs://demo-bucket/pipelines/.kedro-kfp-memory");
    }

    // Without a root there is nowhere to store them: one error naming the key.
    file.content = file.content.replace("  root: demo-bucket/pipelines\n", "");
    let vertex = kfp_config::VertexConfig::load(&[file]).expect("vertex config");
    let error = kfp_compile::ir::IrRequest::for_vertex(
        &snapshot,
        &vertex,
        "conf/base/vertexai.yaml",
        "__default__",
        None,
    )
    .expect_err("no root");
    assert!(
        error
            .to_string()
            .contains("`run_config.store_memory_datasets`: stores datasets under the root"),
        "{error}"
    );
}
