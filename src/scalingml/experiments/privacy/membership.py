"""Membership inference: part of :mod:`scalingml.experiments.privacy`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from scalingml import measure
from scalingml.experiments.privacy.common import (
    auc_standard_error,
)
from scalingml.progress import progress


def membership_scores(model, X, y) -> np.ndarray:
    """The attacker's score: the model's confidence in each row's true label (members get more)."""
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    index = np.array([classes.index(label) for label in np.asarray(y)])
    return proba[np.arange(len(index)), index]


def membership_auc(model, X_members, y_members, X_others, y_others) -> float:
    """ROC AUC of telling training rows (members) from unseen rows by :func:`membership_scores` (0.5 = no leak)."""
    scores = np.concatenate(
        [membership_scores(model, X_members, y_members), membership_scores(model, X_others, y_others)]
    )
    truth = np.concatenate([np.ones(len(X_members)), np.zeros(len(X_others))])
    return float(roc_auc_score(truth, scores))


def membership_curve(X, y, depths: Sequence[int | None], *, estimator=None, seed: int = 0) -> pd.DataFrame:
    """For each tree depth: train and test accuracy, and the membership-inference AUC (with its standard error).

    Half the rows train the model (members), the other half are the attacker's non-members.
    """
    X_in, X_out, y_in, y_out = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)
    estimator = estimator if estimator is not None else DecisionTreeClassifier(random_state=seed)
    rows = []
    for depth in progress(list(depths), desc="membership inference"):
        model = clone(estimator).set_params(max_depth=depth).fit(X_in, y_in)
        auc = membership_auc(model, X_in, y_in, X_out, y_out)
        rows.append(
            {
                "depth": depth,
                "train_accuracy": float(model.score(X_in, y_in)),
                "test_accuracy": float(model.score(X_out, y_out)),
                "attack_auc": auc,
                "auc_se": auc_standard_error(auc, len(X_in), len(X_out)),
            }
        )
    frame = pd.DataFrame(rows)
    frame["gap"] = frame["train_accuracy"] - frame["test_accuracy"]
    train, test = frame["train_accuracy"], frame["test_accuracy"]
    frame["gap_se"] = np.hypot(measure.proportion_se(train, len(X_in)), measure.proportion_se(test, len(X_out)))
    return frame


def conclude_membership(frame: pd.DataFrame) -> str:
    """Whether deeper trees leak more, judged against the AUC's standard error; whether the best tree leaks at all.

    Three branches for the change from the shallowest to the deepest tree (a rise, a fall, or
    within the noise); the overfitting gap is named only when it rose beyond its own noise; the
    most accurate tree's AUC is compared with chance (0.5) and its standard error.
    """
    shallow, deep = frame.iloc[0], frame.iloc[-1]
    noise = 2 * math.hypot(shallow.auc_se, deep.auc_se)
    rise = deep.attack_auc - shallow.attack_auc
    best = frame.loc[frame["test_accuracy"].idxmax()]
    if best.attack_auc - 0.5 > 2 * best.auc_se:
        best_leak = f"leaks {best.attack_auc:.3f}, above chance (0.5; 2 SE = {2 * best.auc_se:.3f})"
    else:
        best_leak = f"leaks {best.attack_auc:.3f}, indistinguishable from chance (0.5; 2 SE = {2 * best.auc_se:.3f})"
    best_sentence = f"the most accurate tree on new rows (depth {int(best.depth)}) {best_leak}."
    if rise > noise:
        gap_noise = 2 * math.hypot(shallow.get("gap_se", 0.0), deep.get("gap_se", 0.0))
        if "gap_se" in frame and deep.gap - shallow.gap > gap_noise:
            gap = f", as the overfitting gap grew ({shallow.gap:.3f} -> {deep.gap:.3f}, noise: 2 SE = {gap_noise:.3f})"
        else:
            gap = ""
        return (
            f"The attack's AUC rises from {shallow.attack_auc:.3f} at depth {int(shallow.depth)} to "
            f"{deep.attack_auc:.3f} at depth {int(deep.depth)} (noise: 2 SE = {noise:.3f}){gap}; {best_sentence}"
        )
    if rise < -noise:
        return (
            f"The attack's AUC fell from {shallow.attack_auc:.3f} at depth {int(shallow.depth)} to "
            f"{deep.attack_auc:.3f} at depth {int(deep.depth)} (noise: 2 SE = {noise:.3f}): unexpected — deeper trees "
            f"usually leak more; check the split and the attack. {best_sentence[0].upper()}{best_sentence[1:]}"
        )
    return (
        f"The attack's AUC moved from {shallow.attack_auc:.3f} to {deep.attack_auc:.3f}, within the noise "
        f"(2 SE = {noise:.3f}): no rise in leakage with depth is measurable at this size; {best_sentence}"
    )


def safest_accurate_depth(frame: pd.DataFrame, max_auc: float):
    """The depth with the best test accuracy among those whose attack AUC is at most ``max_auc`` (``None`` if none)."""
    allowed = frame[frame["attack_auc"] <= max_auc]
    if allowed.empty:
        return None
    return allowed.loc[allowed["test_accuracy"].idxmax(), "depth"]
