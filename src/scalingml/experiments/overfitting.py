"""Overfitting experiments: validation and learning curves, a penalty path, the spread of CV scores.

All results are tidy frames; the lesson plots them and prints what they say.

>>> from scalingml.experiments.features import customer_xy
>>> X, y = customer_xy(400, seed=0, label_noise=0.1)
>>> curve = complexity_curve(X, y, param_range=[1, 8], cv=3)
>>> summary = summarise_curve(curve)
>>> list(summary.columns)
['param', 'train_mean', 'validation_mean', 'validation_std', 'validation_sem', 'gap']
>>> bool(summary.loc[summary.param == 8, "gap"].item() > summary.loc[summary.param == 1, "gap"].item())
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    learning_curve,
    validation_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

CURVE_COLUMNS = ["param", "fold", "split", "score"]


def _folds(cv: int, seed: int) -> StratifiedKFold:
    return StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)


def _tidy(params: Sequence, train: np.ndarray, validation: np.ndarray, name: str = "param") -> pd.DataFrame:
    rows = []
    for split, scores in (("train", train), ("validation", validation)):
        for i, param in enumerate(params):
            for fold, score in enumerate(scores[i]):
                rows.append({name: param, "fold": fold, "split": split, "score": float(score)})
    return pd.DataFrame(rows)


def complexity_curve(
    X,
    y,
    *,
    param_range: Sequence,
    param_name: str = "max_depth",
    estimator: BaseEstimator | None = None,
    cv: int = 5,
    scoring: str = "accuracy",
    seed: int = 0,
) -> pd.DataFrame:
    """Train and cross-validated scores for each value of a complexity parameter (a validation curve).

    The default estimator is a decision tree and the parameter its ``max_depth``.
    Returns a tidy frame with the columns of :data:`CURVE_COLUMNS`.
    """
    estimator = estimator if estimator is not None else DecisionTreeClassifier(random_state=seed)
    train, validation = validation_curve(
        estimator,
        X,
        y,
        param_name=param_name,
        param_range=list(param_range),
        cv=_folds(cv, seed),
        scoring=scoring,
        n_jobs=1,
    )
    return _tidy(list(param_range), train, validation)


def summarise_curve(curve: pd.DataFrame, by: str = "param") -> pd.DataFrame:
    """Per parameter value: mean train score, mean/std/standard error of validation scores, and the gap."""
    wide = curve.groupby([by, "split"])["score"]
    train = wide.mean().xs("train", level="split")
    validation = curve[curve["split"] == "validation"].groupby(by)["score"]
    summary = pd.DataFrame(
        {
            "train_mean": train,
            "validation_mean": validation.mean(),
            "validation_std": validation.std(ddof=1),
            "validation_sem": validation.std(ddof=1) / np.sqrt(validation.count()),
        }
    )
    summary["gap"] = summary["train_mean"] - summary["validation_mean"]
    return summary.reset_index().rename(columns={by: "param"})


def best_by_max(summary: pd.DataFrame):
    """The parameter value with the highest mean validation score (it chases noise)."""
    return summary.loc[summary["validation_mean"].idxmax(), "param"]


def best_by_one_standard_error(summary: pd.DataFrame):
    """The simplest (smallest) parameter whose mean validation score is within one standard error of the best.

    This "one-standard-error rule" resists noise: differences smaller than the
    uncertainty of cross-validation do not buy extra complexity.

    >>> table = pd.DataFrame({"param": [1, 2, 3], "validation_mean": [0.70, 0.79, 0.80],
    ...                       "validation_sem": [0.01, 0.01, 0.02]})
    >>> int(best_by_one_standard_error(table))
    2
    """
    best = summary.loc[summary["validation_mean"].idxmax()]
    threshold = best["validation_mean"] - best["validation_sem"]
    eligible = summary[summary["validation_mean"] >= threshold]
    return eligible.sort_values("param").iloc[0]["param"]


def learning_curve_frame(
    X,
    y,
    *,
    train_sizes: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 1.0),
    estimator: BaseEstimator | None = None,
    cv: int = 5,
    scoring: str = "accuracy",
    seed: int = 0,
) -> pd.DataFrame:
    """Train and validation scores as the training set grows; ``param`` is the number of training rows."""
    estimator = estimator if estimator is not None else DecisionTreeClassifier(random_state=seed)
    sizes, train, validation = learning_curve(
        estimator,
        X,
        y,
        train_sizes=list(train_sizes),
        cv=_folds(cv, seed),
        scoring=scoring,
        n_jobs=1,
        shuffle=True,
        random_state=seed,
    )
    return _tidy([int(n) for n in sizes], train, validation)


def penalty_path(X, y, *, Cs: Sequence[float], cv: int = 5, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """L1-regularised logistic regression over inverse penalties ``Cs`` (small C = strong penalty).

    Returns ``(coefficients, curve)``: a tidy frame ``[C, feature, coef]`` of the model
    fitted on all rows, and the train/validation accuracies in the format of
    :func:`complexity_curve` (``param`` is C), ready for :func:`summarise_curve`.
    """
    coefficients, train, validation = [], [], []
    for C in Cs:
        model = make_pipeline(
            StandardScaler(), LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", random_state=seed)
        )
        scores = cross_validate(model, X, y, cv=_folds(cv, seed), scoring="accuracy", return_train_score=True)
        train.append(scores["train_score"])
        validation.append(scores["test_score"])
        model.fit(X, y)
        coefs = model[-1].coef_.ravel()
        coefficients += [{"C": C, "feature": name, "coef": float(c)} for name, c in zip(X.columns, coefs, strict=True)]
    return pd.DataFrame(coefficients), _tidy(list(Cs), np.array(train), np.array(validation))


def surviving_features(coefficients: pd.DataFrame, C: float, tol: float = 1e-8) -> list[str]:
    """Features with a non-zero coefficient at penalty ``C`` of a :func:`penalty_path`."""
    at_c = coefficients[np.isclose(coefficients["C"], C)]
    return at_c.loc[at_c["coef"].abs() > tol, "feature"].tolist()


def cv_score_spread(
    X,
    y,
    *,
    estimator: BaseEstimator | None = None,
    cv: int = 5,
    n_repeats: int = 5,
    scoring: str = "accuracy",
    seed: int = 0,
) -> pd.DataFrame:
    """Scores of repeated, reshuffled k-fold cross-validation: ``[repeat, fold, score]``.

    The spread is how much a single train/test split could mislead you.
    """
    estimator = estimator if estimator is not None else DecisionTreeClassifier(max_depth=5, random_state=seed)
    splitter = RepeatedStratifiedKFold(n_splits=cv, n_repeats=n_repeats, random_state=seed)
    scores = cross_val_score(clone(estimator), X, y, cv=splitter, scoring=scoring)
    return pd.DataFrame(
        {"repeat": np.repeat(np.arange(n_repeats), cv), "fold": np.tile(np.arange(cv), n_repeats), "score": scores}
    )
