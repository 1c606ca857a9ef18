"""Turn a generated customer table into model-ready features.

>>> X, y = customer_xy(100, seed=0)
>>> X.shape[0], set(y.unique()) <= {0, 1}
(100, True)
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml.datasets import CUSTOMER_TARGET, make_customers

NUMERIC_FEATURES = ("tenure_months", "monthly_spend", "support_tickets", "satisfaction")


def customer_features(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric feature frame (one-hot plan and region, noise columns kept) and the churn label."""
    noise = [c for c in frame.columns if c.startswith("noise_")]
    X = frame[[*NUMERIC_FEATURES, *noise]].astype(float)
    dummies = pd.get_dummies(frame[["plan", "region"]].astype(str), dtype=float)
    X = pd.concat([X, dummies], axis=1)
    return X, frame[CUSTOMER_TARGET]


def customer_xy(n_rows: int, *, seed: int = 0, **make_kwargs) -> tuple[pd.DataFrame, pd.Series]:
    """Generate ``n_rows`` customers (no missing values unless asked) and return ``X, y``."""
    return customer_features(make_customers(n_rows, seed=seed, **make_kwargs))


def model_families(seed: int = 0) -> dict[str, BaseEstimator]:
    """Two model families the lessons compare (unfitted): a linear model and a tree ensemble.

    The linear model imputes missing values (the median) before scaling; the boosted trees
    handle them natively. On complete data the imputer changes nothing.
    """
    return {
        "logistic regression": make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1_000)
        ),
        "gradient boosting": HistGradientBoostingClassifier(max_iter=100, random_state=seed),
    }
