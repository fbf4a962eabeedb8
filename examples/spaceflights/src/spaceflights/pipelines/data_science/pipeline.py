"""Data science pipeline definition.

One modular split/train/evaluate pipeline is instantiated twice under different
namespaces. Namespacing prefixes every dataset and parameter name, so the two
instances read ``params:<namespace>.model_options`` and write to
``<namespace>.X_train``, ``<namespace>.regressor`` etc. (see the factory patterns
in conf/base/catalog.yml).
"""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import evaluate_model, split_data, train_model


def create_pipeline(**kwargs) -> Pipeline:
    modelling_pipeline = Pipeline(
        [
            node(
                func=split_data,
                inputs=["model_input_table", "params:model_options"],
                outputs=["X_train", "X_test", "y_train", "y_test"],
                name="split_data_node",
                tags=["training"],
            ),
            node(
                func=train_model,
                inputs=["X_train", "y_train"],
                outputs="regressor",
                name="train_model_node",
                tags=["training"],
            ),
            node(
                func=evaluate_model,
                inputs=["regressor", "X_test", "y_test"],
                outputs="metrics",
                name="evaluate_model_node",
                tags=["evaluation"],
            ),
        ]
    )

    # model_input_table is shared by both instances, so it must not be namespaced.
    active_modelling = pipeline(
        modelling_pipeline,
        inputs="model_input_table",
        namespace="active_modelling_pipeline",
    )
    candidate_modelling = pipeline(
        modelling_pipeline,
        inputs="model_input_table",
        namespace="candidate_modelling_pipeline",
    )
    return active_modelling + candidate_modelling
