"""Data science pipeline: split -> train -> evaluate, once per model variant."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
