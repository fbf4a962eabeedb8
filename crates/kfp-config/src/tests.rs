use std::collections::BTreeMap;

use super::*;
use crate::kubeflow::{ImagePullPolicy, NodeMergeStrategy, lookup, merged_resources};

fn file(path: &str, content: &str) -> ConfigFile {
    ConfigFile {
        path: path.to_owned(),
        content: content.to_owned(),
    }
}

fn load(content: &str) -> Result<KubeflowConfig, ConfigError> {
    KubeflowConfig::load(&[file("conf/base/kubeflow.yaml", content)])
}

const REFERENCE: &str =
    include_str!("../../../../shared/reference/kedro-kubeflow-0.11.0-init-kubeflow.yaml");

#[test]
fn the_file_kedro_kubeflow_0_11_writes_loads_unchanged() {
    let config = load(REFERENCE).expect("reference file must load");
    let run = &config.run_config;
    assert_eq!(config.host, "https://kubeflow.example.com/pipeline");
    assert_eq!(run.image.as_deref(), Some("my-project"));
    assert_eq!(run.image_pull_policy, Some(ImagePullPolicy::IfNotPresent));
    assert_eq!(run.ttl, Some(604_800));
    let volume = run.volume.as_ref().expect("volume");
    assert_eq!(
        (volume.size.as_str(), volume.owner, volume.keep),
        ("1Gi", 0, false)
    );
    assert_eq!(volume.access_modes, vec!["ReadWriteOnce"]);
    // `cpu: 8` is a YAML integer; it must become the quantity "8".
    let training = merged_resources(&run.resources, "model_training", &[]);
    assert_eq!(training["cpu"].as_str(), "8");
    assert_eq!(training["memory"].as_str(), "1Gi");
    let gpu = merged_resources(&run.resources, "tensorflow_step", &[]);
    assert_eq!(gpu["nvidia.com/gpu"].as_str(), "1");
    assert_eq!(
        gpu["cpu"].as_str(),
        "1",
        "__default__ fills the keys a node leaves out"
    );
    let shm = &run.extra_volumes["tensorflow_step"][0];
    assert_eq!(shm.mount_path, "/dev/shm");
    assert_eq!(shm.volume.sources["empty_dir"].params["medium"], "Memory");
    let retry = run.retry_policy["__default__"].as_ref().expect("retry");
    assert_eq!(
        (retry.num_retries, retry.backoff_duration.as_deref()),
        (4, Some("60s"))
    );
    assert_eq!(
        run.tolerations["node_a"][0].value.as_deref(),
        Some("voltaire")
    );
}

#[test]
fn the_0_4_7_documentation_example_loads() {
    let config = load(
        "host: https://kubeflow.example.com/pipelines\nrun_config:\n  image: kubeflow-plugin-demo\n  \
         image_pull_policy: IfNotPresent\n  root: bucket_name/gcs_suffix\n  experiment_name: Kubeflow Plugin Demo\n  \
         run_name: Kubeflow Plugin Demo Run\n  description: Very Important Pipeline\n  wait_for_completion: False\n  \
         ttl: 604800\n  volume:\n    storageclass: # default\n    size: 1Gi\n    skip_init: False\n    owner: 0\n    \
         keep: False\n  resources:\n    __default__:\n      cpu: 200m\n      memory: 64Mi\n  node_merge_strategy: full\n",
    )
    .expect("docs example must load");
    assert_eq!(
        config.run_config.node_merge_strategy,
        Some(NodeMergeStrategy::Full)
    );
    assert_eq!(config.run_config.volume.expect("volume").storageclass, None);
}

#[test]
fn init_template_renders_and_loads_with_awkward_names() {
    let text = kubeflow_template(&InitValues {
        host: "https://kfp.example.com/pipeline",
        package_name: "my_pkg",
        project_name: "My: \"Project\" #1",
    });
    let config = load(&text).expect("rendered template must load");
    assert_eq!(
        config.run_config.experiment_name.as_deref(),
        Some("My: \"Project\" #1")
    );
    assert_eq!(config.run_config.image.as_deref(), Some("my_pkg"));
    assert!(text.contains("# Name of the image to run as the pipeline steps"));
}

#[test]
fn unknown_keys_name_the_file_position_path_and_closest_key() {
    let err = load("host: http://h\nrun_config:\n  image: i\n  volume:\n    sise: 2Gi\n")
        .expect_err("unknown key");
    assert_eq!(
        err.to_string(),
        "conf/base/kubeflow.yaml:5:5: unknown key `run_config.volume.sise`"
    );
    assert_eq!(err.hint.as_deref(), Some("did you mean `size`?"));

    let err = load("host: http://h\nrun_config:\n  imagee: i\n").expect_err("unknown key");
    assert_eq!(err.message, "unknown key `run_config.imagee`");
    assert_eq!(err.hint.as_deref(), Some("did you mean `image`?"));

    let err = load("hots: http://h\n").expect_err("unknown key");
    assert_eq!(err.message, "unknown key `hots`");
    assert_eq!(err.hint.as_deref(), Some("did you mean `host`?"));
}

#[test]
fn wrong_types_and_bad_quantities_name_the_key() {
    let err = load("host: http://h\nrun_config:\n  ttl: a week\n").expect_err("type");
    assert!(
        err.to_string().starts_with("conf/base/kubeflow.yaml:3:"),
        "{err}"
    );
    assert!(err.message.contains("run_config.ttl"), "{err}");

    let err =
        load("host: http://h\nrun_config:\n  resources:\n    __default__:\n      memory: 1GB\n")
            .expect_err("quantity");
    assert!(
        err.message
            .contains("run_config.resources.__default__.memory"),
        "{err}"
    );
    assert!(
        err.message.contains("`1GB` is not a Kubernetes quantity"),
        "{err}"
    );

    let err =
        load("host: http://h\nrun_config:\n  image_pull_policy: Sometimes\n").expect_err("enum");
    assert!(err.message.contains("Sometimes"), "{err}");
}

#[test]
fn yaml_syntax_errors_carry_line_and_column() {
    let err = load("host: http://h\nrun_config:\n  image: [unclosed\n").expect_err("syntax");
    let (line, _) = err.location.position.expect("position");
    assert!(line >= 3, "{err}");
    assert_eq!(err.message.lines().count(), 1, "{err}");
}

#[test]
fn missing_host_and_bad_host_are_explained() {
    let err = load("run_config:\n  image: i\n").expect_err("host");
    assert_eq!(err.message, "`host` is missing");
    let err = load("host: kubeflow.example.com\nrun_config: {}\n").expect_err("scheme");
    assert!(err.message.contains("http://"), "{err}");
    assert!(load("host: vertex-ai-pipelines\nrun_config: {}\n").is_ok());
    let err = KubeflowConfig::load(&[]).expect_err("no file");
    assert!(
        err.hint
            .as_deref()
            .unwrap_or_default()
            .contains("kedro kubeflow init")
    );
}

#[test]
fn environment_files_replace_top_level_keys_of_base() {
    let base = file(
        "conf/base/kubeflow.yaml",
        "host: http://base\nrun_config:\n  image: a\n  ttl: 5\n",
    );
    let prod = file("conf/prod/kubeflow.yaml", "run_config:\n  image: b\n");
    let config = KubeflowConfig::load(&[base, prod]).expect("merge");
    assert_eq!(config.host, "http://base");
    assert_eq!(config.run_config.image.as_deref(), Some("b"));
    assert_eq!(
        config.run_config.ttl, None,
        "run_config is replaced as a whole"
    );
    let empty = file("conf/local/kubeflow.yml", "# nothing yet\n");
    let base = file(
        "conf/base/kubeflow.yaml",
        "host: http://base\nrun_config: {}\n",
    );
    assert!(KubeflowConfig::load(&[base, empty]).is_ok());
}

#[test]
fn per_node_lookup_prefers_name_then_tag_then_default() {
    let section: BTreeMap<String, u8> = [
        ("__default__".into(), 0),
        ("train".into(), 1),
        ("n".into(), 2),
    ]
    .into();
    assert_eq!(lookup(&section, "n", &["train".into()]), Some(&2));
    assert_eq!(
        lookup(&section, "m", &["x".into(), "train".into()]),
        Some(&1)
    );
    assert_eq!(lookup(&section, "m", &[]), Some(&0));
}

const VERTEX_REFERENCE: &str =
    include_str!("../../../../shared/reference/kedro-vertexai-1.0.0-init-vertexai.yml");

fn load_vertex(content: &str) -> Result<VertexConfig, ConfigError> {
    VertexConfig::load(&[file("conf/base/vertexai.yaml", content)])
}

#[test]
fn the_file_kedro_vertexai_1_0_writes_loads_although_that_plugin_rejects_it() {
    use crate::vertexai::GroupingStrategy;
    let config = load_vertex(VERTEX_REFERENCE).expect("reference vertexai file must load");
    assert_eq!(
        (config.project_id.as_str(), config.region.as_str()),
        ("my-gcp-project", "europe-west4")
    );
    let run = &config.run_config;
    assert_eq!(run.root.as_deref(), Some("my-bucket/kedro-vertexai"));
    let training = run.resources["model_training"].as_ref().expect("resources");
    assert_eq!(training["cpu"].0.as_ref().map(Quantity::as_str), Some("8"));
    assert_eq!(training["gpu"].0.as_ref().map(Quantity::as_str), Some("1"));
    let schedule = &run.schedules["default_schedule"];
    assert_eq!(
        (schedule.start_time.as_deref(), schedule.max_run_count),
        (None, None)
    );
    assert_eq!(schedule.max_concurrent_run_count, Some(1));
    let grouping = run.grouping.as_ref().expect("grouping");
    assert_eq!(
        grouping.strategy("f").expect("known"),
        GroupingStrategy::Identity
    );
}

#[test]
fn vertex_init_template_renders_and_loads() {
    let text = vertexai_template(&VertexInitValues {
        project_id: "my-project",
        region: "europe-west4",
        package_name: "spaceflights",
        project_name: "Space Flights!",
    });
    let config = load_vertex(&text).expect("rendered template must load");
    assert_eq!(
        config.run_config.experiment_name.as_deref(),
        Some("space-flights")
    );
    assert_eq!(
        config.run_config.image.as_deref(),
        Some("gcr.io/my-project/spaceflights:latest")
    );
    assert!(text.contains("# Optional config for node execution grouping"));
}

#[test]
fn vertex_errors_are_specific() {
    let err = load_vertex("project_id: p\nregion: r\nrun_config:\n  grouping:\n    cls: Nope\n")
        .expect_err("grouper");
    assert!(err.message.contains("unknown grouper `Nope`"), "{err}");
    let err = load_vertex("project_id: p\nrun_config: {}\n").expect_err("region");
    assert_eq!(err.message, "`region` is missing");
    let err = load_vertex("project_id: p\nregion: r\nrun_config:\n  servce_account: x\n")
        .expect_err("typo");
    assert_eq!(err.hint.as_deref(), Some("did you mean `service_account`?"));
    let tag = load_vertex(
        "project_id: p\nregion: r\nrun_config:\n  grouping:\n    cls: kedro_vertexai.grouping.TagNodeGrouper\n    params:\n      tag_prefix: 'g:'\n",
    )
    .expect("tag grouper");
    let strategy = tag
        .run_config
        .grouping
        .expect("grouping")
        .strategy("f")
        .expect("known");
    assert_eq!(
        strategy,
        crate::vertexai::GroupingStrategy::TagPrefix("g:".into())
    );
}

#[test]
fn github_workflows_fill_every_placeholder() {
    let kubeflow = crate::kubeflow_workflows(&crate::InitValues {
        host: "https://kfp.example.com",
        package_name: "demo_pkg",
        project_name: "Demo",
    });
    let vertex = crate::vertexai_workflows(&crate::VertexInitValues {
        project_id: "proj\"\n#x",
        region: "europe-west4",
        package_name: "demo_pkg",
        project_name: "Demo",
    });
    for workflow in kubeflow.iter().chain(&vertex) {
        let text = &workflow.content;
        assert!(
            !text.contains("{image}") && !text.contains("{project_id}"),
            "{text}"
        );
        assert!(text.contains("/demo_pkg:${{ github.sha }}\"\n"), "{text}");
    }
    assert!(
        kubeflow[0]
            .content
            .contains("IMAGE: \"gcr.io/${{ secrets.GKE_PROJECT }}/")
    );
    // A hostile project id stays inside one quoted scalar.
    assert!(
        vertex[0]
            .content
            .contains("IMAGE: \"gcr.io/proj\\\"\\n#x/demo_pkg:")
    );
    assert_eq!(
        [kubeflow[0].name, kubeflow[1].name],
        ["on-push.yml", "on-merge-to-main.yml"]
    );
}
