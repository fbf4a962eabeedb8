"""Spaceflights: example Kedro project for kedro-kfp."""

__version__ = "0.1"
