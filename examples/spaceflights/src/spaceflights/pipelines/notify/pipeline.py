"""Notify pipeline definition."""

from kedro.pipeline import Pipeline, node

from .nodes import notify_run_finished


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            # Kedro requires a node to have inputs or outputs; a parameter input
            # keeps the node independent of any dataset produced by other pipelines.
            node(
                func=notify_run_finished,
                inputs="params:notify_message",
                outputs=None,
                name="notify_node",
                tags=["notify"],
            ),
        ]
    )
