"""Turn a generated customer table into model-ready features.

>>> X, y = customer_xy(100, seed=0)
>>> X.shape[0], set(y.unique()) <= {0, 1}
(100, True)
"""

from __future__ import annotations

import pandas as pd

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
