//! The configuration reference pages in docs/reference/ are generated from the config model;
//! this test fails when they are stale. `UPDATE_DOCS=1 cargo test -p kfp-config --test
//! reference` rewrites them.

use std::path::PathBuf;

fn check(file: &str, page: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/reference")
        .join(page);
    let Some(expected) = kfp_config::reference::config_reference(file) else {
        panic!("no reference for {file}");
    };
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs_err::create_dir_all(path.parent().unwrap_or(&path)).unwrap_or_else(|e| panic!("{e}"));
        fs_err::write(&path, &expected).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let actual = fs_err::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/reference/{page} is stale: run `UPDATE_DOCS=1 cargo test -p kfp-config --test reference` and commit it"
    );
}

#[test]
fn kubeflow_yaml_reference_is_current() {
    check("kubeflow.yaml", "kubeflow-yaml.md");
}

#[test]
fn vertexai_yaml_reference_is_current() {
    check("vertexai.yaml", "vertexai-yaml.md");
}
