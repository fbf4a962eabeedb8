//! The commented config file `kedro kubeflow init` writes: the file kedro-kubeflow 0.11.0
//! writes, with the project's values filled in, so users see every key they can set.

/// What `init` fills into the template.
#[derive(Debug, Clone)]
pub struct InitValues<'a> {
    /// KFP URL given on the command line.
    pub host: &'a str,
    /// Python package name, used as the image name.
    pub package_name: &'a str,
    /// Human-readable project name, used for the experiment and run names.
    pub project_name: &'a str,
}

const KUBEFLOW_TEMPLATE: &str = include_str!("../templates/kubeflow.yaml");
const VERTEXAI_TEMPLATE: &str = include_str!("../templates/vertexai.yaml");

/// What `kedro vertexai init` fills in besides the project's names.
#[derive(Debug, Clone)]
pub struct VertexInitValues<'a> {
    /// `PROJECT_ID` argument.
    pub project_id: &'a str,
    /// `REGION` argument.
    pub region: &'a str,
    /// Python package name, used for the image and the root prefix.
    pub package_name: &'a str,
    /// Human-readable project name, used for the experiment and run names.
    pub project_name: &'a str,
}

/// Renders `conf/base/vertexai.yaml` (kedro-vertexai 1.0.0's file, values filled in).
pub fn vertexai_template(values: &VertexInitValues<'_>) -> String {
    let experiment = experiment_name(values.project_name);
    VERTEXAI_TEMPLATE
        .replace("{project_id}", &quoted(values.project_id))
        .replace("{region}", &quoted(values.region))
        .replace(
            "{image}",
            &quoted(&format!(
                "gcr.io/{}/{}:latest",
                values.project_id, values.package_name
            )),
        )
        .replace(
            "{root}",
            &quoted(&format!(
                "{}-kedro-vertexai/{}",
                values.project_id, values.package_name
            )),
        )
        .replace("{experiment_name}", &quoted(&experiment))
        .replace("{run_name}", &quoted(&experiment))
}

/// Values are written as JSON strings, which YAML reads as double-quoted scalars: a name
/// with a colon or a quote cannot change the file's structure.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Renders `conf/base/kubeflow.yaml`.
pub fn kubeflow_template(values: &InitValues<'_>) -> String {
    KUBEFLOW_TEMPLATE
        .replace("{host}", &quoted(values.host))
        .replace("{image}", &quoted(values.package_name))
        .replace("{experiment_name}", &quoted(values.project_name))
        .replace("{run_name}", &quoted(values.project_name))
}

/// Vertex AI experiment names are `[a-z0-9][a-z0-9-]*`.
fn experiment_name(project_name: &str) -> String {
    let mut name = String::new();
    for c in project_name.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "kedro".to_owned()
    } else {
        name.to_owned()
    }
}

/// A file `init --with-github-actions` writes under `.github/workflows/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// File name, e.g. `on-push.yml`.
    pub name: &'static str,
    /// The YAML text.
    pub content: String,
}

const KUBEFLOW_ON_PUSH: &str = include_str!("../templates/github/kubeflow-on-push.yml");
const KUBEFLOW_ON_MERGE: &str = include_str!("../templates/github/kubeflow-on-merge.yml");
const VERTEXAI_ON_PUSH: &str = include_str!("../templates/github/vertexai-on-push.yml");
const VERTEXAI_ON_MERGE: &str = include_str!("../templates/github/vertexai-on-merge.yml");
/// The image tag the workflows build: the commit's.
const COMMIT_TAG: &str = "${{ github.sha }}";

/// The GitHub Actions workflows of `kedro kubeflow init --with-github-actions` (docs 3.4):
/// on push, build the image and `run-once`; on merge to main, build, `upload-pipeline` and
/// `schedule`. The image goes to `gcr.io/<GKE_PROJECT secret>/<package>`.
pub fn kubeflow_workflows(values: &InitValues<'_>) -> [Workflow; 2] {
    let image = format!(
        "gcr.io/${{{{ secrets.GKE_PROJECT }}}}/{}:{COMMIT_TAG}",
        values.package_name
    );
    let render = |template: &str| template.replace("{image}", &quoted(&image));
    workflows(render(KUBEFLOW_ON_PUSH), render(KUBEFLOW_ON_MERGE))
}

/// The GitHub Actions workflows of `kedro vertexai init --with-github-actions`: on push,
/// build the image and `run-once`; on merge to main, build and `schedule`. The image is the
/// one `kedro vertexai init` configures, tagged with the commit.
pub fn vertexai_workflows(values: &VertexInitValues<'_>) -> [Workflow; 2] {
    let image = format!(
        "gcr.io/{}/{}:{COMMIT_TAG}",
        values.project_id, values.package_name
    );
    let render = |template: &str| {
        template
            .replace("{image}", &quoted(&image))
            .replace("{project_id}", &quoted(values.project_id))
    };
    workflows(render(VERTEXAI_ON_PUSH), render(VERTEXAI_ON_MERGE))
}

fn workflows(on_push: String, on_merge: String) -> [Workflow; 2] {
    [
        Workflow {
            name: "on-push.yml",
            content: on_push,
        },
        Workflow {
            name: "on-merge-to-main.yml",
            content: on_merge,
        },
    ]
}
