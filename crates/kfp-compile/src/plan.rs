//! The target-independent part of compiling: which steps a pipeline becomes, what each step
//! runs, what it depends on and which parameters it reads.

use std::collections::{BTreeMap, BTreeSet};

use kfp_snapshot::{Node, NodeGraph, Snapshot};

use crate::CompileError;
use crate::names::{dns_label, parameter_name, unique_names};

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

/// One step per node (`merge = false`) or one step for the whole pipeline.
///
/// `reserved` are the names of the target's fixed templates; a node whose name sanitizes to
/// one of them gets a suffixed name instead.
pub(crate) fn plan<'a>(
    snapshot: &'a Snapshot,
    pipeline_name: &str,
    merge: bool,
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

    let mut steps = if merge {
        let nodes: Vec<&Node> = graph.nodes().to_vec();
        let name = unique_names([pipeline_name], dns_label, reserved)
            .remove(pipeline_name)
            .unwrap_or_else(|| unreachable!("unique_names maps every original"));
        vec![Step {
            name,
            display_name: pipeline_name.to_owned(),
            parameters: snapshot.parameters_used_by(&nodes),
            nodes,
            whole_pipeline: true,
            dependencies: Vec::new(),
        }]
    } else {
        let names = unique_names(
            graph.nodes().iter().map(|node| node.name.as_str()),
            dns_label,
            reserved,
        );
        let name_of = |node: &Node| names[node.name.as_str()].clone();
        graph
            .nodes()
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let dependencies: BTreeSet<String> = graph
                    .parents(index)
                    .iter()
                    .map(|&parent| name_of(graph.nodes()[parent]))
                    .collect();
                Step {
                    name: name_of(node),
                    display_name: node.name.clone(),
                    nodes: vec![*node],
                    whole_pipeline: false,
                    dependencies: dependencies.into_iter().collect(),
                    parameters: snapshot.parameters_used_by(&[*node]),
                }
            })
            .collect()
    };
    steps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Plan {
        steps,
        parameter_names,
    })
}

/// The argv after `kedro` that runs a step inside the image (see `kedro_kfp.plugin`'s `step`
/// command). Values are separate argv elements: nothing is ever parsed by a shell.
pub(crate) fn step_arguments(
    group: &str,
    env: Option<&str>,
    pipeline: &str,
    nodes: Option<&[&Node]>,
    parameters: impl IntoIterator<Item = (String, String)>,
) -> Vec<String> {
    let mut args = vec![
        group.to_owned(),
        "step".to_owned(),
        "--pipeline".to_owned(),
        pipeline.to_owned(),
    ];
    if let Some(env) = env {
        args.extend(["--env".to_owned(), env.to_owned()]);
    }
    for node in nodes.unwrap_or_default() {
        args.extend(["--node".to_owned(), node.name.clone()]);
    }
    for (key, value) in parameters {
        args.extend(["--param".to_owned(), key, value]);
    }
    args
}
