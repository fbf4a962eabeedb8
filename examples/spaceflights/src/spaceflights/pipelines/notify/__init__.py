"""Notify pipeline: a single logging node, intended as an on-exit step."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
