"""Model-agnostic interpretation with ``sklearn.inspection``, checked against a known truth.

The customer generator knows which features drive churn and which are noise, so
we can check that permutation importance recovers them, for two model families,
and measure what explaining costs as rows grow.

>>> feature_truth(["support_tickets", "noise_0", "region_north", "plan_basic"]).tolist()
['informative', 'noise', 'noise', 'informative']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.inspection import partial_dependence, permutation_importance

from scalingml import measure
from scalingml.datasets import CUSTOMER_NOISE_PREFIX

#: One-hot columns that carry no signal, besides the ``noise_*`` ones.
NOISE_PREFIXES = (CUSTOMER_NOISE_PREFIX, "region_")
IMPORTANCE_COLUMNS = ["model", "feature", "importance_mean", "importance_std", "truth"]


def feature_truth(columns: Iterable[str]) -> pd.Series:
    """``informative`` or ``noise`` for each feature column of :func:`customer_features`."""
    columns = list(columns)
    labels = ["noise" if c.startswith(NOISE_PREFIXES) else "informative" for c in columns]
    return pd.Series(labels, index=columns, name="truth")


def fit_all(models: Mapping[str, BaseEstimator], X, y) -> dict[str, BaseEstimator]:
    return {name: model.fit(X, y) for name, model in models.items()}


def importance_frame(
    models: Mapping[str, BaseEstimator], X, y, *, n_repeats: int = 5, scoring: str = "roc_auc", seed: int = 0
) -> pd.DataFrame:
    """Permutation importance of every feature for every fitted model, on held-out ``X, y``.

    Importance is the drop in ``scoring`` when a column is shuffled: model-agnostic,
    it needs only ``predict``/``predict_proba``.
    """
    truth = feature_truth(X.columns)
    rows = []
    for name, model in models.items():
        result = permutation_importance(model, X, y, n_repeats=n_repeats, scoring=scoring, random_state=seed, n_jobs=1)
        for feature, mean, std in zip(X.columns, result.importances_mean, result.importances_std, strict=True):
            rows.append(
                {
                    "model": name,
                    "feature": feature,
                    "importance_mean": float(mean),
                    "importance_std": float(std),
                    "truth": truth[feature],
                }
            )
    return pd.DataFrame(rows, columns=IMPORTANCE_COLUMNS)


def flag_important(frame: pd.DataFrame, *, n_std: float = 2.0, min_importance: float = 0.005) -> pd.Series:
    """True where a feature's importance stands clear of zero: above ``n_std`` deviations and a floor."""
    return (frame["importance_mean"] > n_std * frame["importance_std"]) & (frame["importance_mean"] > min_importance)


def recovery(frame: pd.DataFrame, **flag_kwargs) -> pd.DataFrame:
    """Per model: how many noise features were flagged important (should be 0) and informative ones found.

    Also ``top_informative``: whether the strongest features (as many as the informative
    ones found) are all informative.
    """
    rows = []
    for name, group in frame.groupby("model", sort=False):
        flagged = flag_important(group, **flag_kwargs)
        found = int((flagged & (group["truth"] == "informative")).sum())
        ranked = group.sort_values("importance_mean", ascending=False)
        rows.append(
            {
                "model": name,
                "noise_flagged": int((flagged & (group["truth"] == "noise")).sum()),
                "informative_found": found,
                "informative_total": int((group["truth"] == "informative").sum()),
                "top_informative": bool((ranked.head(max(found, 1))["truth"] == "informative").all()),
            }
        )
    return pd.DataFrame(rows)


def partial_dependence_frame(
    models: Mapping[str, BaseEstimator], X, feature: str, *, grid_resolution: int = 20
) -> pd.DataFrame:
    """Average predicted churn probability as ``feature`` varies, per model: ``[model, value, average]``."""
    rows = []
    for name, model in models.items():
        # brute force on predict_proba: the same quantity (a probability) for every model family;
        # the fast "recursion" method of tree ensembles would give log-odds instead.
        result = partial_dependence(
            model,
            X,
            [feature],
            grid_resolution=grid_resolution,
            kind="average",
            method="brute",
            response_method="predict_proba",
        )
        for value, average in zip(result["grid_values"][0], result["average"][0], strict=True):
            rows.append({"model": name, "value": float(value), "average": float(average)})
    return pd.DataFrame(rows)


def explanation_cost(
    model: BaseEstimator,
    X,
    y,
    sizes: Sequence[int],
    *,
    n_repeats: int = 3,
    repeat: int = 1,
    label: str = "permutation importance",
    seed: int = 0,
) -> pd.DataFrame:
    """Seconds to compute permutation importance on the first ``n`` held-out rows, for each ``n``.

    Returns :func:`scalingml.measure.measure_scaling`'s frame; the cost grows with rows
    times features times repeats, since every shuffle re-predicts the whole set.
    """
    X = X.reset_index(drop=True)
    y = pd.Series(np.asarray(y)).reset_index(drop=True)
    sizes = [n for n in sizes if n <= len(X)]
    return measure.measure_scaling(
        setup=lambda n: (X.iloc[:n], y.iloc[:n]),
        run=lambda xy: permutation_importance(model, *xy, n_repeats=n_repeats, random_state=seed, n_jobs=1),
        sizes=sizes,
        label=label,
        repeat=repeat,
    )
