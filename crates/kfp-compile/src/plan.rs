//! The target-independent part of compiling: which steps a pipeline becomes, what each step
//! runs, what it depends on and which parameters it reads.

use std::collections::{BTreeMap, BTreeSet};

use kfp_snapshot::{Node, NodeGraph, Snapshot};

use crate::CompileError;
use crate::names::{dns_label, parameter_name, unique_names};

/// First step when the project uses kedro-mlflow: one MLflow run for the pipeline run.
pub(crate) const MLFLOW_START: &str = "mlflow-start-run";
/// Directory (on the data volume, or under Vertex's `root`) where datasets kept in memory
/// are stored between steps.
pub(crate) const MEMORY_DIR: &str = ".kedro-kfp-memory";

/// Whether the project uses kedro-mlflow (docs 3.3): the snapshot then carries its config
/// files under this key.
pub(crate) fn uses_mlflow(snapshot: &Snapshot) -> bool {
    snapshot
        .config_files
        .get("mlflow")
        .is_some_and(|files| !files.is_empty())
}

/// One step of the compiled pipeline: one Kedro node, or several merged.
#[derive(Debug)]
pub(crate) struct Step<'a> {
    /// Kubernetes-safe, unique step name.
    pub name: String,
    /// What the UI shows: the Kedro node name, or the pipeline name for a merged step.
    pub display_name: String,
    /// The Kedro nodes this step runs (all of them for a merged step).
    pub nodes: Vec<&'a Node>,
    /// Whether the step runs the whole pipeline (no `--node` filter).
    pub whole_pipeline: bool,
    /// Names of the steps that must finish first, sorted.
    pub dependencies: Vec<String>,
    /// Top-level parameter keys the step reads, sorted.
    pub parameters: Vec<&'a str>,
}

/// A pipeline turned into steps.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    /// Steps sorted by name.
    pub steps: Vec<Step<'a>>,
    /// Argo-safe name of every top-level parameter, by Kedro key.
    pub parameter_names: BTreeMap<&'a str, String>,
    /// The pipeline's nodes and their dependencies.
    graph: NodeGraph<'a>,
}

impl Plan<'_> {
    /// What the compiled pipeline holds, and the in-memory datasets its steps would lose.
    pub(crate) fn summary(&self, snapshot: &Snapshot) -> crate::Summary {
        let step_of_node: BTreeMap<String, String> = self
            .steps
            .iter()
            .flat_map(|step| {
                step.nodes
                    .iter()
                    .map(|node| (node.name.clone(), step.name.clone()))
            })
            .collect();
        crate::Summary {
            steps: self.steps.len(),
            nodes: step_of_node.len(),
            memory_crossings: crate::crossings_in(snapshot, &self.graph, &step_of_node),
        }
    }
}

/// Looks a pipeline up, with the registered names in the error when it is missing.
pub(crate) fn pipeline<'a>(
    snapshot: &'a Snapshot,
    name: &str,
) -> Result<&'a kfp_snapshot::Pipeline, CompileError> {
    snapshot
        .pipelines
        .get(name)
        .ok_or_else(|| CompileError::UnknownPipeline {
            name: name.to_owned(),
            available: snapshot.pipelines.keys().cloned().collect(),
        })
}

/// How Kedro nodes are grouped into steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// One step per node.
    Identity,
    /// One step for the whole pipeline (`node_merge_strategy: full`).
    Full,
    /// Nodes tagged `<prefix><group>` share one step per group; other nodes get their own
    /// (kedro-vertexai's `TagNodeGrouper`).
    TagPrefix(String),
}

/// Turns a pipeline into steps.
///
/// `reserved` are the names of the target's fixed templates; a step whose name sanitizes to
/// one of them gets a suffixed name instead.
pub(crate) fn plan<'a>(
    snapshot: &'a Snapshot,
    pipeline_name: &str,
    grouping: &Grouping,
    reserved: &BTreeSet<String>,
) -> Result<Plan<'a>, CompileError> {
    let pipeline = pipeline(snapshot, pipeline_name)?;
    if pipeline.nodes.is_empty() {
        return Err(CompileError::EmptyPipeline {
            name: pipeline_name.to_owned(),
        });
    }
    let graph = NodeGraph::new(pipeline).map_err(|source| CompileError::Graph {
        pipeline: pipeline_name.to_owned(),
        source,
    })?;
    let parameter_names = unique_names(
        snapshot.parameters.keys().map(String::as_str),
        parameter_name,
        &BTreeSet::new(),
    );

    // The group (its display name) of every node, in node order.
    let group_of: Vec<String> = graph
        .nodes()
        .iter()
        .map(|node| match grouping {
            Grouping::Identity => node.name.clone(),
            Grouping::Full => pipeline_name.to_owned(),
            Grouping::TagPrefix(prefix) => {
                let mut tags: Vec<&String> = node
                    .tags
                    .iter()
                    .filter(|tag| tag.starts_with(prefix.as_str()))
                    .collect();
                tags.sort();
                tags.first()
                    .map_or_else(|| node.name.clone(), |tag| tag[prefix.len()..].to_owned())
            }
        })
        .collect();
    let names = unique_names(group_of.iter().map(String::as_str), dns_label, reserved);

    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, group) in group_of.iter().enumerate() {
        members.entry(group.as_str()).or_default().push(index);
    }
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (index, group) in group_of.iter().enumerate() {
        let parents = edges.entry(group.as_str()).or_default();
        for &parent in graph.parents(index) {
            if group_of[parent] != *group {
                parents.insert(group_of[parent].as_str());
            }
        }
    }
    if *grouping != Grouping::Identity {
        // One step per node is the node graph, already known to be acyclic.
        check_acyclic(&edges)?;
    }

    let mut steps: Vec<Step<'a>> = members
        .iter()
        .map(|(group, indices)| {
            let nodes: Vec<&Node> = indices.iter().map(|&index| graph.nodes()[index]).collect();
            Step {
                name: names[group].clone(),
                display_name: (*group).to_owned(),
                parameters: snapshot.parameters_used_by(&nodes),
                nodes,
                whole_pipeline: *grouping == Grouping::Full,
                dependencies: edges[group]
                    .iter()
                    .map(|parent| names[parent].clone())
                    .collect(),
            }
        })
        .collect();
    steps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Plan {
        steps,
        parameter_names,
        graph,
    })
}

/// Grouping nodes can close a cycle (a → b → c with a and c in one group, b outside it).
fn check_acyclic(edges: &BTreeMap<&str, BTreeSet<&str>>) -> Result<(), CompileError> {
    let mut graph = petgraph::graphmap::DiGraphMap::<&str, ()>::new();
    for (child, parents) in edges {
        graph.add_node(child);
        for parent in parents {
            graph.add_edge(parent, child, ());
        }
    }
    petgraph::algo::toposort(&graph, None)
        .map(|_| ())
        .map_err(|cycle| CompileError::GroupingCycle {
            group: cycle.node_id().to_owned(),
        })
}

/// How a parameter value travels to the step runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueEncoding {
    /// JSON text, decoded by the runtime (`--param`).
    Json,
    /// Raw text, used as a string (`--string-param`): KFP v2 renders STRING parameters raw.
    Text,
}

/// Everything the in-image step command needs (see `kedro_kfp`'s `step` command).
pub(crate) struct StepCommand<'a> {
    /// `kubeflow` or `vertexai`.
    pub group: &'a str,
    /// `--env`, when the project was loaded with one.
    pub env: Option<&'a str>,
    /// The Kedro pipeline.
    pub pipeline: &'a str,
    /// The nodes to run; `None` runs the whole pipeline.
    pub nodes: Option<&'a [&'a Node]>,
    /// The run id placeholder of the target (`{{workflow.uid}}`…).
    pub run_id: String,
    /// (Kedro key, placeholder, encoding) of each parameter.
    pub parameters: Vec<(String, String, ValueEncoding)>,
    /// `/etc/hosts` entries (ip, hostnames).
    pub host_aliases: Vec<(String, Vec<String>)>,
    /// Log into the MLflow run that the `mlflow-start-run` step created for the run id.
    pub mlflow: bool,
    /// Where datasets kept in memory are stored between steps (`--memory-dir`).
    pub memory_dir: Option<String>,
}

impl StepCommand<'_> {
    /// The argv after `kedro`. Values are separate argv elements: nothing is ever parsed by
    /// a shell, so quotes, `$()` or newlines in names and values are inert.
    pub(crate) fn arguments(&self) -> Vec<String> {
        let mut args = vec![
            self.group.to_owned(),
            "step".to_owned(),
            "--pipeline".to_owned(),
            self.pipeline.to_owned(),
        ];
        if let Some(env) = self.env {
            args.extend(["--env".to_owned(), env.to_owned()]);
        }
        for node in self.nodes.unwrap_or_default() {
            args.extend(["--node".to_owned(), node.name.clone()]);
        }
        args.extend(["--run-id".to_owned(), self.run_id.clone()]);
        if self.mlflow {
            args.push("--mlflow".to_owned());
        }
        if let Some(dir) = &self.memory_dir {
            args.extend(["--memory-dir".to_owned(), dir.clone()]);
        }
        for (key, value, encoding) in &self.parameters {
            let flag = match encoding {
                ValueEncoding::Json => "--param",
                ValueEncoding::Text => "--string-param",
            };
            args.extend([flag.to_owned(), key.clone(), value.clone()]);
        }
        for (ip, hostnames) in &self.host_aliases {
            args.extend(["--host-alias".to_owned(), ip.clone(), hostnames.join(",")]);
        }
        args
    }
}
