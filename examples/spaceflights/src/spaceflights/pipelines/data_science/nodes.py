"""Nodes of the data science pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import max_error, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)


def split_data(
    data: pd.DataFrame, parameters: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Split the model input table into train and test sets.

    ``parameters`` is ``model_options`` of the namespace the node runs in, so each
    modelling pipeline can use its own features and split.
    """
    X = data[parameters["features"]]
    y = data["price"]
    # A fixed random_state keeps the split, and so the trained model, reproducible.
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=parameters["test_size"],
        random_state=parameters["random_state"],
    )
    return X_train, X_test, y_train, y_test


def train_model(X_train: pd.DataFrame, y_train: pd.Series) -> LinearRegression:
    """Fit a linear regression of price on the selected features."""
    regressor = LinearRegression()
    regressor.fit(X_train, y_train)
    return regressor


def evaluate_model(
    regressor: LinearRegression, X_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float]:
    """Score the model on the test set, log the scores and return them."""
    y_pred = regressor.predict(X_test)
    metrics = {
        "r2_score": float(r2_score(y_test, y_pred)),
        "mae": float(mean_absolute_error(y_test, y_pred)),
        "max_error": float(max_error(y_test, y_pred)),
    }
    logger.info(
        "Model has a coefficient R^2 of %.3f on test data (MAE %.2f).",
        metrics["r2_score"],
        metrics["mae"],
    )
    return metrics
