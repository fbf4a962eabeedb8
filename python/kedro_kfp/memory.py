"""Datasets kept in memory, stored between steps (docs 3.1.3: steps do not share memory).

With ``run_config.store_memory_datasets``, every step runs with :func:`runner`: each dataset
of its nodes that is not in the catalog, or is a ``MemoryDataset``, is pickled under
``<memory dir>/<run id>/`` instead (the run's data volume on KFP, ``run_config.root`` on
Vertex AI), so the step that reads it finds what another step wrote.
"""

from __future__ import annotations

import pickle
from typing import Any
from urllib.parse import quote

import fsspec
from kedro.io import AbstractDataset, MemoryDataset
from kedro.runner import SequentialRunner

from kedro_kfp.snapshot import is_parameter


class StoredMemoryDataset(AbstractDataset):
    """A dataset Kedro would keep in memory, pickled at ``filepath`` (any fsspec URL)."""

    def __init__(self, filepath: str) -> None:
        self._filepath = filepath

    def load(self) -> Any:
        with fsspec.open(self._filepath, "rb") as handle:
            return pickle.load(handle)

    def save(self, data: Any) -> None:
        with fsspec.open(self._filepath, "wb", auto_mkdir=True) as handle:
            pickle.dump(data, handle)

    def _exists(self) -> bool:
        protocol_fs, path = fsspec.core.url_to_fs(self._filepath)
        return bool(protocol_fs.exists(path))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "kept_in_memory_without": "kedro-kfp"}


def stored_datasets(pipeline: Any, catalog: Any, root: str) -> dict[str, StoredMemoryDataset]:
    """The pipeline's datasets that would live in memory, stored under ``root``."""
    stored = {}
    for name in sorted(pipeline.datasets()):
        if is_parameter(name):
            continue
        if name in catalog and not isinstance(catalog.get(name), MemoryDataset):
            continue
        # One file per dataset name; any character that is not plain is escaped.
        filename = quote(name, safe="") + ".pkl"
        stored[name] = StoredMemoryDataset(f"{root.rstrip('/')}/{filename}")
    return stored


def runner(memory_dir: str, run_id: str) -> SequentialRunner:
    """A sequential runner that stores the in-memory datasets of what it runs."""
    root = f"{memory_dir.rstrip('/')}/{quote(run_id, safe='')}"

    class _StoringRunner(SequentialRunner):
        def run(self, pipeline: Any, catalog: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            for name, dataset in stored_datasets(pipeline, catalog, root).items():
                catalog[name] = dataset
            return super().run(pipeline, catalog, *args, **kwargs)

    return _StoringRunner()
