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
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    learning_curve,
    train_test_split,
    validation_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from scalingml import measure
from scalingml.errors import ScalingmlError
from scalingml.progress import progress

CURVE_COLUMNS = ["param", "fold", "split", "score"]


class BadSampleError(ScalingmlError, ValueError):
    """A development sample too small to cross-validate or too large to leave rows held out."""


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
    return eligible.sort_values("param")["param"].iloc[0]  # from the column: keeps its dtype (an int depth stays int)


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


# --- the honest estimate: selection bias, measured with nested cross-validation -----------------------------------

#: How many standard errors a difference must exceed before a conclusion calls it real.
NOISE_SE = 2.0


def held_out_selection(
    X,
    y,
    *,
    sample_rows: int,
    param_range: Sequence,
    param_name: str = "max_depth",
    estimator: BaseEstimator | None = None,
    cv: int = 5,
    n_repeats: int = 5,
    rule=None,
    scoring: str = "accuracy",
    seed: int = 0,
) -> pd.DataFrame:
    """Choose a setting by cross-validation on a sample, then score the choice on the rows held out.

    Each repeat draws ``sample_rows`` rows (stratified) as the development set; a validation
    curve over ``param_range`` is cross-validated on them; ``rule`` (default :func:`best_by_max`:
    "take the best of many settings") picks a value; the model with that value is refitted on
    the sample and scored on all other rows, which the selection never saw. Returns one row per
    repeat: ``[repeat, chosen, cv_score, held_out_score, n_test]``: ``cv_score`` is what a search
    reports for its winner, ``held_out_score`` what the winner really does. Their difference is
    the selection bias; it grows with the number of settings and shrinks with the sample.
    """
    rule = rule or best_by_max
    estimator = estimator if estimator is not None else DecisionTreeClassifier(random_state=seed)
    X = pd.DataFrame(X).reset_index(drop=True)
    y = pd.Series(np.asarray(y))
    if not 2 * cv <= sample_rows < len(X):
        raise BadSampleError(
            f"sample_rows must leave rows to hold out and give every fold two rows: "
            f"between {2 * cv} and {len(X) - 1} for {len(X)} rows and cv={cv}; got {sample_rows}."
        )
    rows = []
    for repeat in progress(range(n_repeats), desc="held-out repeats"):
        dev, test = train_test_split(np.arange(len(X)), train_size=sample_rows, stratify=y, random_state=seed + repeat)
        summary = summarise_curve(
            complexity_curve(
                X.iloc[dev],
                y.iloc[dev],
                param_range=param_range,
                param_name=param_name,
                estimator=estimator,
                cv=cv,
                scoring=scoring,
                seed=seed + repeat,
            )
        )
        chosen = rule(summary)
        cv_score = float(summary.loc[summary["param"] == chosen, "validation_mean"].iloc[0])
        model = clone(estimator).set_params(**{param_name: chosen}).fit(X.iloc[dev], y.iloc[dev])
        held_out = float(check_scoring(model, scoring=scoring)(model, X.iloc[test], y.iloc[test]))
        rows.append(
            {"repeat": repeat, "chosen": chosen, "cv_score": cv_score, "held_out_score": held_out, "n_test": len(test)}
        )
    return pd.DataFrame(rows)


def selection_bias(runs: pd.DataFrame) -> dict:
    """Mean CV score claimed, mean held-out score, their gap and its standard error, from :func:`held_out_selection`.

    The standard error is the larger of the spread of the per-repeat gaps (std / sqrt(repeats)) and the
    binomial standard error of one accuracy on a held-out set: with few repeats the spread alone can look
    deceptively small, and the held-out sets of different repeats overlap.

    >>> frame = pd.DataFrame({"cv_score": [0.80, 0.82], "held_out_score": [0.70, 0.72], "n_test": [500, 500]})
    >>> {k: round(v, 3) for k, v in selection_bias(frame).items()}
    {'cv_score': 0.81, 'held_out_score': 0.71, 'gap': 0.1, 'se': 0.02, 'n_test': 500, 'repeats': 2}
    """
    if len(runs) == 0:
        raise BadSampleError("no selection runs to summarise: give held_out_selection at least one repeat")
    gaps = runs["cv_score"] - runs["held_out_score"]
    n_test = int(runs["n_test"].min())
    held_out = float(runs["held_out_score"].mean())
    spread_se = float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) > 1 else 0.0
    se = max(spread_se, float(measure.proportion_se(held_out, n_test)))
    return {
        "cv_score": float(runs["cv_score"].mean()),
        "held_out_score": held_out,
        "gap": float(gaps.mean()),
        "se": se,
        "n_test": n_test,
        "repeats": len(runs),
    }


def conclude_selection_bias(runs: pd.DataFrame, n_candidates: int) -> str:
    """Whether quoting the winning setting's CV score overstated it, judged against the held-out scores' noise.

    >>> frame = pd.DataFrame({"cv_score": [0.80, 0.81], "held_out_score": [0.70, 0.71], "n_test": [900, 900]})
    >>> conclude_selection_bias(frame, 20).split(":")[0]
    'Quoting the best CV score of 20 settings overstated accuracy'
    """
    bias = selection_bias(runs)
    numbers = (
        f"averaged over {bias['repeats']} draws, the winners scored {bias['cv_score']:.3f} in the cross-validation "
        f"that chose them and {bias['held_out_score']:.3f} on {bias['n_test']:,} held-out rows the choice never saw "
        f"(gap {bias['gap']:+.3f}, standard error {bias['se']:.3f})"
    )
    if bias["gap"] > NOISE_SE * bias["se"]:
        return (
            f"Quoting the best CV score of {n_candidates} settings overstated accuracy: {numbers}. "
            "The winner was partly chosen for its lucky folds; quote the held-out score."
        )
    if bias["gap"] < -NOISE_SE * bias["se"]:
        return (
            f"No selection bias visible here: {numbers}, the held-out score is higher by more than "
            f"{NOISE_SE:g} standard errors (lucky held-out rows). The held-out score is still the one to quote."
        )
    return (
        f"Inconclusive at this profile: {numbers}; the gap is within {NOISE_SE:g} standard errors, so this run "
        f"cannot tell the selection bias from noise. Quote the held-out score anyway: it is the only one the "
        "selection could not flatter."
    )


def conclude_curve(summary: pd.DataFrame, best_max, best_1se) -> list[str]:
    """The validation curve in two sentences: the best setting, the one-SE choice, and the gap at the deepest setting.

    The gap is called overfitting only when it exceeds twice the deepest setting's validation standard error.

    >>> table = pd.DataFrame({"param": [1, 2], "train_mean": [0.70, 1.0], "validation_mean": [0.69, 0.60],
    ...                       "validation_sem": [0.01, 0.01], "gap": [0.01, 0.40]})
    >>> conclude_curve(table, 1, 1)[1].split(":")[0]
    'At depth 2 the tree scores 1.000 on its training rows but 0.600 on held-out rows'
    """
    at = summary.set_index("param")
    deepest = at.iloc[-1]
    chosen = at.loc[best_1se]
    first = (
        f"The best cross-validated accuracy is {at.loc[best_max, 'validation_mean']:.3f} at depth {best_max}; "
        f"the one-standard-error rule picks depth {best_1se} ({chosen.validation_mean:.3f})."
    )
    head = (
        f"At depth {at.index[-1]} the tree scores {deepest.train_mean:.3f} on its training rows but "
        f"{deepest.validation_mean:.3f} on held-out rows"
    )
    if deepest.gap > NOISE_SE * deepest.validation_sem and deepest.gap > chosen.gap:
        second = f"{head}: an overfitting gap of {deepest.gap:.3f} (against {chosen.gap:.3f} at depth {best_1se})."
    else:
        second = (
            f"{head}: a gap of {deepest.gap:.3f}, not beyond noise or not larger than at depth {best_1se} "
            f"({chosen.gap:.3f}) — inconclusive at this profile."
        )
    return [first, second]


def conclude_learning_curve(learning: pd.DataFrame) -> str:
    """Whether the train-validation gap narrowed as rows grew, beyond the validation scores' standard error.

    >>> table = pd.DataFrame({"param": [100, 1000], "gap": [0.30, 0.10], "validation_sem": [0.02, 0.01]})
    >>> conclude_learning_curve(table).split("; ")[-1]
    'more data narrowed the gap by more than the noise (0.045).'
    """
    first, last = learning.iloc[0], learning.iloc[-1]
    noise = NOISE_SE * float(np.hypot(first.validation_sem, last.validation_sem))
    head = (
        f"With {int(first.param):,} training rows the gap is {first.gap:.3f}; with {int(last.param):,} rows "
        f"it is {last.gap:.3f} ({last.gap / first.gap:.0%} of it)"
        if first.gap > 0
        else f"With {int(first.param):,} training rows the gap is {first.gap:.3f}; with {int(last.param):,} "
        f"rows it is {last.gap:.3f}"
    )
    if first.gap - last.gap > noise:
        return f"{head}; more data narrowed the gap by more than the noise ({noise:.3f})."
    if last.gap - first.gap > noise:
        return f"{head}; the gap widened beyond the noise ({noise:.3f}): unexpected, check the data."
    return f"{head}; the change is within the noise ({noise:.3f}): inconclusive at this profile."


def conclude_spread(spread: pd.DataFrame, summary: pd.DataFrame) -> str:
    """How large cross-validation's noise is, against the steps between neighbouring settings of a curve.

    ``spread`` is :func:`cv_score_spread`'s frame (single-fold scores), ``summary`` a
    :func:`summarise_curve` table. Each point of the curve is a mean over ``k`` folds, so the
    yardstick is the standard error of such a mean, std / sqrt(k) — the one the one-SE rule uses —
    not the std of single folds.

    >>> spread = pd.DataFrame({"fold": [0, 1, 2, 3], "score": [0.70, 0.72, 0.74, 0.72]})
    >>> summary = pd.DataFrame({"validation_mean": [0.60, 0.70, 0.705, 0.72]})
    >>> conclude_spread(spread, summary).split("; ")[-1].split(":")[0]
    "1 of the 3 steps between neighbouring settings' mean scores is smaller than that standard error"
    """
    scores = spread["score"]
    folds = int(spread["fold"].nunique())
    std = float(scores.std(ddof=1)) if len(scores) > 1 else float("nan")
    steps = summary["validation_mean"].diff().abs().iloc[1:]
    if not np.isfinite(std) or folds < 2 or steps.empty:
        return (
            "Inconclusive at this profile: too few fold scores or settings to compare the steps of the curve "
            "with cross-validation's noise."
        )
    se = std / np.sqrt(folds)
    head = (
        f"Single-fold scores range from {scores.min():.3f} to {scores.max():.3f} (std {std:.3f}); a mean over "
        f"{folds} folds, as each point of the curve is, has a standard error of std/√{folds} = {se:.3f} (the "
        "one-SE rule's yardstick)"
    )
    small = int((steps < se).sum())
    if small:
        return (
            f"{head}; {small} of the {len(steps)} steps between neighbouring settings' mean scores "
            f"{'is' if small == 1 else 'are'} smaller than that standard error: differences that size are within noise."
        )
    return (
        f"{head}; every one of the {len(steps)} steps between neighbouring settings' mean scores is larger than "
        "that standard error: here each step of the curve stands out of the noise."
    )


def conclude_penalty(coefficients: pd.DataFrame, C: float, truth: pd.Series) -> str:
    """Which features the penalty kept at ``C`` (the chosen one), and whether noise was among them.

    ``truth`` labels each feature (``noise`` for the ones known to carry no signal).

    >>> coefs = pd.DataFrame({"C": [0.1, 0.1, 1.0, 1.0], "feature": ["a", "n", "a", "n"], "coef": [0.5, 0, 0.6, 0.1]})
    >>> conclude_penalty(coefs, 0.1, pd.Series({"a": "cause", "n": "noise"})).split(";")[0]
    "At C = 0.1 the model keeps 1 of 2 features (['a'])"
    """
    kept = surviving_features(coefficients, C)
    noise = [f for f in kept if truth.get(f) == "noise"]
    weakest = float(coefficients["C"].max())
    return (
        f"At C = {C:g} the model keeps {len(kept)} of {coefficients['feature'].nunique()} features ({kept}); "
        + (f"noise feature(s) kept: {noise}." if noise else "no noise feature.")
        + f" At the weakest penalty (C = {weakest:g}) {len(surviving_features(coefficients, weakest))} keep a weight."
    )
