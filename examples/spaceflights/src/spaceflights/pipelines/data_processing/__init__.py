"""Data processing pipeline: raw CSVs -> model input table."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
