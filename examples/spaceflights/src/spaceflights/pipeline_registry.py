"""Project pipelines."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from spaceflights.pipelines import data_processing, data_science, notify


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Pipelines are registered explicitly rather than with ``find_pipelines()``:
    since Kedro 1.7, ``find_pipelines()`` only returns the pipelines requested on
    the command line (e.g. ``--pipelines data_science``), so ``__default__``
    could not be assembled from the others here.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    data_processing_pipeline = data_processing.create_pipeline()
    data_science_pipeline = data_science.create_pipeline()
    return {
        # `notify` is meant to run as an on-exit step, so it stays out of the default.
        "__default__": data_processing_pipeline + data_science_pipeline,
        "data_processing": data_processing_pipeline,
        "data_science": data_science_pipeline,
        "notify": notify.create_pipeline(),
    }
