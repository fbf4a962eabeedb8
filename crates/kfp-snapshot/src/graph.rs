//! Node dependencies of a pipeline, computed the way Kedro's `Pipeline.node_dependencies`
//! does: a node depends on every node that writes one of its dataset inputs (transcoding
//! stripped).

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::DiGraph;

use crate::{Node, Pipeline, strip_transcoding};

/// A pipeline's nodes with their direct parents.
#[derive(Debug)]
pub struct NodeGraph<'a> {
    nodes: Vec<&'a Node>,
    parents: Vec<BTreeSet<usize>>,
}

/// A pipeline that Kedro would not have produced: snapshots can be written by hand.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    /// Two nodes share a name.
    #[error("node `{0}` appears twice in the pipeline; node names must be unique")]
    DuplicateNode(String),
    /// Two nodes write the same dataset.
    #[error("dataset `{dataset}` is written by both `{first}` and `{second}`")]
    DuplicateOutput {
        /// The dataset.
        dataset: String,
        /// One writer.
        first: String,
        /// The other writer.
        second: String,
    },
    /// The dependencies form a cycle.
    #[error("node `{0}` depends on itself through its inputs (a cycle)")]
    Cycle(String),
}

impl<'a> NodeGraph<'a> {
    /// Builds the graph, checking that names and outputs are unique and there is no cycle.
    pub fn new(pipeline: &'a Pipeline) -> Result<Self, GraphError> {
        let nodes: Vec<&Node> = pipeline.nodes.iter().collect();
        let mut names = BTreeSet::new();
        let mut producers: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, node) in nodes.iter().enumerate() {
            if !names.insert(node.name.as_str()) {
                return Err(GraphError::DuplicateNode(node.name.clone()));
            }
            for output in &node.outputs {
                let dataset = strip_transcoding(output);
                if let Some(&first) = producers.get(dataset) {
                    return Err(GraphError::DuplicateOutput {
                        dataset: dataset.to_owned(),
                        first: nodes[first].name.clone(),
                        second: node.name.clone(),
                    });
                }
                producers.insert(dataset, index);
            }
        }
        let parents: Vec<BTreeSet<usize>> = nodes
            .iter()
            .map(|node| {
                node.dataset_inputs()
                    .filter_map(|input| producers.get(strip_transcoding(input)).copied())
                    .collect()
            })
            .collect();

        // Index-based (node i is index i): no hashing, which matters at 10 000+ nodes.
        let edges = parents.iter().enumerate().flat_map(|(child, its_parents)| {
            its_parents.iter().map(move |&parent| {
                (
                    petgraph::graph::NodeIndex::<usize>::new(parent),
                    petgraph::graph::NodeIndex::new(child),
                )
            })
        });
        let mut graph = DiGraph::<(), (), usize>::with_capacity(nodes.len(), 0);
        for _ in 0..nodes.len() {
            graph.add_node(());
        }
        graph.extend_with_edges(edges);
        petgraph::algo::toposort(&graph, None)
            .map_err(|cycle| GraphError::Cycle(nodes[cycle.node_id().index()].name.clone()))?;
        Ok(Self { nodes, parents })
    }

    /// The nodes, in the pipeline's order.
    pub fn nodes(&self) -> &[&'a Node] {
        &self.nodes
    }

    /// Indices (into [`Self::nodes`]) of the direct parents of node `index`.
    pub fn parents(&self, index: usize) -> &BTreeSet<usize> {
        &self.parents[index]
    }

    /// Datasets that one node writes and another node reads, with their writer and readers.
    pub fn crossing_datasets(&self) -> BTreeMap<&'a str, (usize, BTreeSet<usize>)> {
        let mut writers: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            for output in &node.outputs {
                writers.insert(strip_transcoding(output), index);
            }
        }
        let mut crossing: BTreeMap<&str, (usize, BTreeSet<usize>)> = BTreeMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            for input in node.dataset_inputs() {
                let dataset = strip_transcoding(input);
                if let Some(&writer) = writers.get(dataset) {
                    crossing
                        .entry(dataset)
                        .or_insert_with(|| (writer, BTreeSet::new()))
                        .1
                        .insert(index);
                }
            }
        }
        crossing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, inputs: &[&str], outputs: &[&str]) -> Node {
        Node {
            name: name.into(),
            namespace: None,
            tags: vec![],
            inputs: inputs.iter().map(ToString::to_string).collect(),
            outputs: outputs.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn parents_follow_datasets_through_transcoding() {
        let pipeline = Pipeline {
            nodes: vec![
                node("a", &["raw", "params:x"], &["mid@pandas"]),
                node("b", &["mid@spark"], &["out"]),
                node("c", &["mid@pandas", "out"], &[]),
            ],
        };
        let graph = NodeGraph::new(&pipeline).expect("valid");
        assert!(graph.parents(0).is_empty());
        assert_eq!(graph.parents(1), &BTreeSet::from([0]));
        assert_eq!(graph.parents(2), &BTreeSet::from([0, 1]));
        let crossing = graph.crossing_datasets();
        assert_eq!(
            crossing.keys().copied().collect::<Vec<_>>(),
            vec!["mid", "out"]
        );
        assert_eq!(crossing["mid"], (0, BTreeSet::from([1, 2])));
    }

    #[test]
    fn malformed_pipelines_are_rejected() {
        let dup = Pipeline {
            nodes: vec![node("a", &[], &[]), node("a", &[], &[])],
        };
        assert_eq!(
            NodeGraph::new(&dup).expect_err("duplicate"),
            GraphError::DuplicateNode("a".into())
        );
        let cycle = Pipeline {
            nodes: vec![node("a", &["y"], &["x"]), node("b", &["x"], &["y"])],
        };
        assert!(matches!(
            NodeGraph::new(&cycle).expect_err("cycle"),
            GraphError::Cycle(_)
        ));
        let twice = Pipeline {
            nodes: vec![node("a", &[], &["x"]), node("b", &[], &["x@s"])],
        };
        assert!(matches!(
            NodeGraph::new(&twice).expect_err("twice"),
            GraphError::DuplicateOutput { .. }
        ));
    }
}
