//! Property tests (bounded, run in CI): random pipelines with awkward names and random
//! configs compile for every target without panicking, deterministically, to valid names
//! and to a DAG equal to the node dependencies; and no input text makes the config or
//! snapshot parsers panic.

use std::collections::{BTreeMap, BTreeSet};

use kfp_compile::CompileRequest;
use kfp_compile::ir::IrRequest;
use kfp_config::{ConfigFile, KubeflowConfig, VertexConfig};
use kfp_snapshot::{Dataset, Node, Pipeline, Producer, Project, Snapshot};
use proptest::prelude::*;
use serde_json::Value;

/// Names people actually give nodes and datasets, plus hostile ones.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "[a-z]{1,6}\\.[a-zA-Z_]{1,8}",
        "[a-zA-Z0-9 ()\\[\\],>.-]{1,40}",
        "[\\PC]{1,20}",
        Just("data volume init".to_owned()),
        Just("x'; $(rm -rf /) `id`\n".to_owned()),
        "[a-z]{70,90}",
    ]
}

prop_compose! {
    fn snapshot()(
        names in proptest::collection::btree_set(name(), 1..25),
        edges in proptest::collection::vec((0usize..25, 0usize..25), 0..40),
        params in proptest::collection::btree_map("[a-z.]{1,8}", any::<i32>(), 0..4),
        tags in proptest::collection::vec(prop_oneof![Just("train"), Just("group.g"), Just("io")], 0..25),
    ) -> Snapshot {
        let names: Vec<String> = names.into_iter().collect();
        let mut inputs: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        for (a, b) in edges {
            let (a, b) = (a % names.len(), b % names.len());
            if a < b {
                inputs[b].push(format!("out {a}"));
            }
        }
        let keys: Vec<&String> = params.keys().collect();
        let nodes = names.iter().enumerate().map(|(i, n)| {
            let mut ins = inputs[i].clone();
            if let Some(key) = keys.get(i % keys.len().max(1)) {
                ins.push(format!("params:{key}"));
            }
            if ins.is_empty() { ins.push("raw".to_owned()); }
            Node {
                name: n.clone(),
                namespace: None,
                tags: tags.get(i).map(|t| vec![(*t).to_owned()]).unwrap_or_default(),
                inputs: ins,
                outputs: vec![format!("out {i}")],
            }
        }).collect();
        let datasets = (0..names.len())
            .map(|i| (format!("out {i}"), Dataset { kind: "pickle.PickleDataset".into(), filepath: Some(format!("data/{i}.pkl")), in_catalog: true }))
            .collect();
        Snapshot {
            snapshot_version: 1,
            producer: Producer { kedro_version: "1.7.0".into(), kedro_kfp_version: "0".into() },
            project: Project { name: "P".into(), package_name: "pkg".into(), env: None },
            config_files: BTreeMap::new(),
            parameters: params.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
            datasets,
            pipelines: BTreeMap::from([("__default__".to_owned(), Pipeline { nodes })]),
        }
    }
}

fn kubeflow_config() -> impl Strategy<Value = String> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(volume, keep, merge, exit)| {
        let mut text = "host: https://kfp.example.com\nrun_config:\n  image: img\n".to_owned();
        if volume {
            text += &format!("  volume:\n    keep: {keep}\n");
        }
        if merge {
            text += "  node_merge_strategy: full\n";
        }
        if exit {
            text += "  on_exit_pipeline: __default__\n";
        }
        text += "  resources:\n    train:\n      cpu: 2\n      nvidia.com/gpu: 1\n  retry_policy:\n    __default__:\n      num_retries: 2\n      backoff_duration: 1m\n";
        text
    })
}

fn expected_dependencies(snapshot: &Snapshot) -> BTreeMap<String, BTreeSet<String>> {
    let nodes = &snapshot.pipelines["__default__"].nodes;
    nodes
        .iter()
        .map(|child| {
            let parents = nodes
                .iter()
                .filter(|parent| parent.outputs.iter().any(|o| child.inputs.contains(o)))
                .map(|parent| parent.name.clone())
                .collect();
            (child.name.clone(), parents)
        })
        .collect()
}

fn valid_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_pipelines_compile_for_every_target(snapshot in snapshot(), config in kubeflow_config()) {
        let config = KubeflowConfig::load(&[ConfigFile { path: "k.yaml".into(), content: config }]).expect("config");
        let request = CompileRequest { snapshot: &snapshot, config: &config, config_file: "k.yaml", pipeline: "__default__", image: None };

        let first = kfp_compile::argo::workflow(&request).expect("argo compiles");
        let again = kfp_compile::argo::workflow(&request).expect("argo compiles");
        let yaml = kfp_yaml::to_string(&first.workflow).expect("yaml");
        prop_assert_eq!(&yaml, &kfp_yaml::to_string(&again.workflow).expect("yaml"));
        let names: Vec<&String> = first.workflow.spec.templates.iter().map(|t| &t.name).collect();
        prop_assert!(names.iter().all(|n| valid_label(n)), "{:?}", names);
        prop_assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());

        if config.run_config.node_merge_strategy.is_none() {
            let templates: BTreeMap<&str, &kfp_argo::Template> = first.workflow.spec.templates.iter().map(|t| (t.name.as_str(), t)).collect();
            let root = templates[first.workflow.spec.entrypoint.as_str()].dag.as_ref().expect("dag");
            let node_of: BTreeMap<&str, String> = root.tasks.iter().filter_map(|task| {
                let args = &templates[task.template.as_str()].container.as_ref()?.args;
                let at = args.iter().position(|a| a == "--node")?;
                Some((task.name.as_str(), args[at + 1].clone()))
            }).collect();
            let actual: BTreeMap<String, BTreeSet<String>> = root.tasks.iter().filter_map(|task| {
                let node = node_of.get(task.name.as_str())?;
                Some((node.clone(), task.dependencies.iter().filter_map(|d| node_of.get(d.as_str()).cloned()).collect()))
            }).collect();
            prop_assert_eq!(actual, expected_dependencies(&snapshot));
        }

        let ir = kfp_compile::ir::pipeline_spec(&IrRequest::for_kubeflow(&request).expect("request")).expect("ir compiles");
        let ir_again = kfp_compile::ir::pipeline_spec(&IrRequest::for_kubeflow(&request).expect("request")).expect("ir compiles");
        prop_assert_eq!(serde_json::to_string(&ir.spec).expect("json"), serde_json::to_string(&ir_again.spec).expect("json"));
        prop_assert!(ir.spec.deployment_spec.executors.keys().all(|label| valid_label(label.trim_start_matches("exec-"))));
    }

    #[test]
    fn random_vertex_configs_compile_or_fail_cleanly(snapshot in snapshot(), tag_grouping in any::<bool>()) {
        let mut text = "project_id: p\nregion: r\nrun_config:\n  image: i\n  root: b/r\n".to_owned();
        if tag_grouping {
            text += "  grouping:\n    cls: kedro_vertexai.grouping.TagNodeGrouper\n    params:\n      tag_prefix: group.\n";
        }
        let config = VertexConfig::load(&[ConfigFile { path: "v.yaml".into(), content: text }]).expect("config");
        let request = IrRequest::for_vertex(&snapshot, &config, "v.yaml", "__default__", None).expect("request");
        // Grouping may close a cycle: that is an error with a message, never a panic.
        match kfp_compile::ir::pipeline_spec(&request) {
            Ok(compiled) => prop_assert!(compiled.platform.is_none()),
            Err(error) => prop_assert!(matches!(error, kfp_compile::CompileError::GroupingCycle { .. }), "{error}"),
        }
    }

    #[test]
    fn no_config_text_makes_the_parsers_panic(text in "[\\PC\\n:\\-\\[\\]{}#&*!|>'\"%@` ]{0,200}") {
        let file = ConfigFile { path: "f.yaml".into(), content: text.clone() };
        let _ = KubeflowConfig::load(std::slice::from_ref(&file));
        let _ = VertexConfig::load(&[file]);
        let _ = kfp_snapshot::from_json(&text);
    }

    #[test]
    fn config_shaped_text_with_random_values_never_panics(
        key in "[a-z_]{1,20}", value in "[\\PC]{0,20}", nested in "[a-z_]{1,12}"
    ) {
        let content = format!("host: https://h\nrun_config:\n  {key}: {value:?}\n  volume:\n    {nested}: {value:?}\n  resources:\n    __default__:\n      cpu: {value:?}\n");
        let _ = KubeflowConfig::load(&[ConfigFile { path: "f.yaml".into(), content }]);
    }
}
