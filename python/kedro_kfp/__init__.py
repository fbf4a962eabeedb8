"""kedro-kfp: take a Kedro project to Kubeflow Pipelines and Vertex AI Pipelines.

The logic lives in the ``kedro-kfp`` binary shipped in the same wheel; this package
only loads the Kedro project and hands a snapshot of it to the binary.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Computed on first access: importlib.metadata pulls in email, zipfile, csv...,
    # and Kedro imports this package on every `kedro` command.
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kedro-kfp")
    except PackageNotFoundError:
        return "0+unknown"
