"""Nodes of the data processing pipeline."""

from __future__ import annotations

import pandas as pd


def _is_true(x: pd.Series) -> pd.Series:
    # The raw data encodes booleans as "t"/"f".
    return x == "t"


def _parse_percentage(x: pd.Series) -> pd.Series:
    return x.str.replace("%", "").astype(float) / 100


def _parse_money(x: pd.Series) -> pd.Series:
    return x.str.replace("$", "").str.replace(",", "").astype(float)


def preprocess_companies(
    companies: pd.DataFrame, rating_threshold: float
) -> pd.DataFrame:
    """Parse company columns and drop companies rated below ``rating_threshold``.

    Companies without a rating are dropped as well, since they cannot be compared.
    """
    companies = companies.copy()
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _parse_percentage(companies["company_rating"])
    return companies[companies["company_rating"] >= rating_threshold].reset_index(
        drop=True
    )


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Parse boolean and price columns of the shuttles data."""
    shuttles = shuttles.copy()
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _parse_money(shuttles["price"])
    return shuttles


def create_model_input_table(
    shuttles: pd.DataFrame, companies: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """Join shuttles with their reviews and operating company into one table."""
    rated_shuttles = shuttles.merge(reviews, left_on="id", right_on="shuttle_id")
    rated_shuttles = rated_shuttles.drop(columns="id")
    model_input_table = rated_shuttles.merge(
        companies, left_on="company_id", right_on="id"
    )
    # A well-defined row order keeps the Parquet output byte-identical across reruns.
    return model_input_table.dropna().sort_values("shuttle_id").reset_index(drop=True)
