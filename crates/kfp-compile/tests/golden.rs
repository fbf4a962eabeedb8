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

fn compile(case: &Path) -> (Snapshot, String) {
    let snapshot = kfp_snapshot::from_json(
        &std::fs::read_to_string(case.join("snapshot.json")).expect("read"),
    )
    .expect("fixture snapshot");
    let config_file = ConfigFile {
        path: "conf/base/kubeflow.yaml".to_owned(),
        content: std::fs::read_to_string(case.join("kubeflow.yaml")).expect("read config"),
    };
    let config = KubeflowConfig::load(&[config_file]).expect("fixture config");
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
    (
        snapshot.clone(),
        kfp_yaml::to_string(&workflow).expect("serialize"),
    )
}

#[test]
fn compiled_workflows_match_the_reviewed_goldens() {
    let update = std::env::var_os("UPDATE_GOLDENS").is_some() && std::env::var_os("CI").is_none();
    let mut stale = Vec::new();
    for case in fixtures() {
        let (_, yaml) = compile(&case);
        let golden = case.join("expected.yml");
        if update {
            std::fs::write(&golden, &yaml).expect("write golden");
        } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(yaml.as_str()) {
            stale.push(golden.display().to_string());
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
        assert_eq!(compile(&case).1, compile(&case).1, "{}", case.display());
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
