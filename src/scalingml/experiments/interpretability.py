"""Model-agnostic interpretation with ``sklearn.inspection``, checked against a known truth.

The customer generator knows which features cause churn, which are only correlated with a
cause, and which are noise, so we can check what permutation importance recovers, for two
model families; show its blind spot with correlated features; show where partial dependence
extrapolates; and measure what explaining costs as rows grow.

>>> feature_truth(["support_tickets", "noise_0", "region_north", "plan_basic", "plan_premium"]).tolist()
['cause', 'noise', 'noise', 'cause', 'correlated']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.inspection import partial_dependence, permutation_importance
from threadpoolctl import threadpool_limits

from scalingml import measure
from scalingml.datasets import CUSTOMER_NOISE_PREFIX
from scalingml.experiments.talent.mistakes import openmp_threads_for

#: One-hot columns that carry no signal, besides the ``noise_*`` ones.
NOISE_PREFIXES = (CUSTOMER_NOISE_PREFIX, "region_")
#: The columns the generator's churn model uses directly (:func:`scalingml.datasets.make_customers`):
#: of the plan, only ``plan == "basic"`` enters it; ``plan_standard`` and ``plan_premium`` are merely
#: correlated with it and with ``monthly_spend`` (a premium plan costs more).
DIRECT_CAUSES = ("support_tickets", "tenure_months", "monthly_spend", "satisfaction", "plan_basic")
IMPORTANCE_COLUMNS = ["model", "feature", "importance_mean", "importance_std", "truth"]


def feature_truth(columns: Iterable[str]) -> pd.Series:
    """``cause``, ``correlated`` or ``noise`` for each feature column of :func:`customer_features`.

    ``cause``: used by the generator's churn model; ``noise``: generated without any link to churn
    or to a cause; ``correlated``: anything else (not a cause, but related to one).
    """
    columns = list(columns)
    labels = [
        "cause" if c in DIRECT_CAUSES else "noise" if c.startswith(NOISE_PREFIXES) else "correlated" for c in columns
    ]
    return pd.Series(labels, index=columns, name="truth")


def fit_all(models: Mapping[str, BaseEstimator], X, y) -> dict[str, BaseEstimator]:
    """Fit every model; boosted trees on one OpenMP thread for small tables (see ``openmp_threads_for``)."""
    with openmp_threads_for(len(X)):
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
        with openmp_threads_for(len(X)):
            result = permutation_importance(
                model, X, y, n_repeats=n_repeats, scoring=scoring, random_state=seed, n_jobs=1
            )
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
    """Per model: direct causes found, noise and merely correlated features flagged important, by name.

    Also ``top_causes``: whether the strongest features (as many as the causes found) are all causes.
    """
    rows = []
    for name, group in frame.groupby("model", sort=False):
        flagged = flag_important(group, **flag_kwargs)
        found = int((flagged & (group["truth"] == "cause")).sum())
        ranked = group.sort_values("importance_mean", ascending=False)
        rows.append(
            {
                "model": name,
                "causes_found": found,
                "causes_total": int((group["truth"] == "cause").sum()),
                "noise_flagged": int((flagged & (group["truth"] == "noise")).sum()),
                "correlated_flagged": int((flagged & (group["truth"] == "correlated")).sum()),
                "flagged_noise": group.loc[flagged & (group["truth"] == "noise"), "feature"].tolist(),
                "flagged_correlated": group.loc[flagged & (group["truth"] == "correlated"), "feature"].tolist(),
                "top_causes": bool((ranked.head(max(found, 1))["truth"] == "cause").all()),
            }
        )
    return pd.DataFrame(rows)


def conclude_recovery(row) -> str:
    """One model's line of :func:`recovery` as a sentence that claims separation only when nothing leaked through.

    >>> row = {"model": "m", "causes_found": 4, "causes_total": 5, "noise_flagged": 1, "correlated_flagged": 0,
    ...        "flagged_noise": ["noise_2"], "flagged_correlated": [], "top_causes": True}
    >>> conclude_recovery(row).split(": ")[1]
    '4 of 5 direct causes stand clear of zero, but so does noise feature noise_2'
    """
    row = dict(row._asdict() if hasattr(row, "_asdict") else row)
    head = f"{row['model']}: {row['causes_found']} of {row['causes_total']} direct causes stand clear of zero"
    correlated = (
        f"; merely correlated feature(s) {', '.join(row['flagged_correlated'])} stand out too — importance measures "
        "what the model uses, not what causes churn"
        if row["correlated_flagged"]
        else ""
    )
    if row["noise_flagged"]:
        return (
            f"{head}, but so does noise feature {', '.join(row['flagged_noise'])}: at this profile the bar "
            f"(two standard deviations over repeats, which ignore the sampling noise of the held-out rows) does "
            f"not separate signal from noise cleanly{correlated}."
        )
    if row["causes_found"] == 0:
        return f"{head}: inconclusive at this profile, nothing stands out{correlated}."
    return f"{head} and no noise feature does{correlated}."


def column_importance(model, X, y, column: str, *, n_repeats: int = 5, scoring: str = "roc_auc", seed: int = 0):
    """Permutation importance of one column: the drops in ``scoring`` over ``n_repeats`` shuffles of it.

    What :func:`sklearn.inspection.permutation_importance` computes for every column, for one only
    (it costs ``n_repeats`` predictions instead of ``n_repeats`` times the number of columns).
    """
    from sklearn.metrics import check_scoring

    scorer = check_scoring(model, scoring=scoring)
    baseline = scorer(model, X, y)
    rng = np.random.default_rng(seed)
    drops = []
    for _ in range(n_repeats):
        shuffled = X.copy()
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
        drops.append(float(baseline - scorer(model, shuffled, y)))
    return np.array(drops)


def copy_importance(
    model: BaseEstimator,
    X_train,
    y_train,
    X_test,
    y_test,
    feature: str,
    *,
    copy_noise: float = 0.1,
    n_repeats: int = 5,
    scoring: str = "roc_auc",
    seed: int = 0,
) -> pd.DataFrame:
    """Permutation importance of ``feature`` without and with a near-copy of it in the table.

    The copy is ``feature`` plus Gaussian noise of ``copy_noise`` of its standard deviation
    (think "tickets opened" and "tickets closed"). ``model`` is cloned and fitted twice.
    Returns ``[table, feature, importance_mean, importance_std]`` for ``table`` in
    ``alone``/``with copy`` (the copy's own row included): shuffling one of two near-copies
    hides little, because the model reads the other.
    """
    from sklearn.base import clone

    copy_name = f"{feature}_copy"
    rng = np.random.default_rng(seed)

    def with_copy(X):
        X = X.copy()
        X[copy_name] = X[feature] + rng.normal(0, copy_noise * X_train[feature].std(), len(X))
        return X

    rows = []
    for table, (train, test) in {
        "alone": (X_train, X_test),
        "with copy": (with_copy(X_train), with_copy(X_test)),
    }.items():
        with openmp_threads_for(len(train)):
            fitted = clone(model).fit(train, y_train)
        for name in (feature, copy_name):
            if name in test.columns:
                with openmp_threads_for(len(test)):
                    drops = column_importance(
                        fitted, test, y_test, name, n_repeats=n_repeats, scoring=scoring, seed=seed
                    )
                rows.append(
                    {
                        "table": table,
                        "feature": name,
                        "importance_mean": float(np.mean(drops)),
                        "importance_std": float(np.std(drops)),
                    }
                )
    return pd.DataFrame(rows)


def conclude_copy_importance(frame: pd.DataFrame, *, n_std: float = 2.0) -> str:
    """Whether adding a near-copy cut (or raised) the feature's importance by more than the repeats' spread.

    >>> frame = pd.DataFrame({"table": ["alone", "with copy", "with copy"], "feature": ["t", "t", "t_copy"],
    ...                       "importance_mean": [0.20, 0.05, 0.04], "importance_std": [0.01, 0.01, 0.01]})
    >>> conclude_copy_importance(frame).split(":")[0]
    'With a near-copy of t in the table, its permutation importance fell from 0.200 to 0.050 (the copy got 0.040)'
    """
    at = frame.set_index(["table", "feature"])
    feature = frame.loc[frame["table"] == "alone", "feature"].iloc[0]
    alone, together = at.loc[("alone", feature)], at.loc[("with copy", feature)]
    copy = at.loc[("with copy", f"{feature}_copy")]
    noise = n_std * float(np.hypot(alone.importance_std, together.importance_std))
    head = (
        f"With a near-copy of {feature} in the table, its permutation importance fell from "
        f"{alone.importance_mean:.3f} to {together.importance_mean:.3f} (the copy got {copy.importance_mean:.3f})"
    )
    if alone.importance_mean - together.importance_mean > noise:
        return (
            f"{head}: shuffling one of two correlated columns hides little, because the model reads the other — "
            "a cause can look minor, and dropping both 'minor' columns would hurt."
        )
    if together.importance_mean - alone.importance_mean > noise:
        return (
            f"{head.replace('fell', 'rose')}: a rise beyond {n_std:g} standard deviations ({noise:.3f}) — unexpected, "
            "since a near-copy usually takes importance away; the pitfall does not show at this profile "
            "(importances of correlated columns can shift from one fit to the next)."
        )
    return (
        f"{head.replace('fell', 'went')}: the change is within {n_std:g} standard deviations ({noise:.3f}) — "
        "inconclusive at this profile."
    )


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


#: Fewer real rows than this near a grid value: too few to tell where real data lies, so nothing is measured there.
MIN_ROWS_NEAR = 10
#: A grid value counts as extrapolation when more than this share of its synthetic rows lies off the real data.
OFF_DATA_THRESHOLD = 0.2


def off_data_share(X, feature: str, partner: str, values: Sequence[float], *, coverage: float = 0.95) -> pd.DataFrame:
    """How much of partial dependence's synthetic data lies where real data never goes.

    Partial dependence sets ``feature`` to each value for *every* row and keeps the other
    columns. For each value: ``rows_near`` counts real rows with ``feature`` within half a
    grid step of it, and ``off_data`` is the share of synthetic rows whose ``partner`` lies
    outside the central ``coverage`` range of ``partner`` among those real rows — NaN when
    fewer than :data:`MIN_ROWS_NEAR` real rows are near (too few to compare with: not measured).
    A high share means the curve there averages predictions for customers who do not exist.

    >>> X = pd.DataFrame({"a": [0, 0, 0, 1, 1, 1] * 5 + [2], "b": [0, 1, 2, 10, 11, 12] * 5 + [5]})
    >>> off_data_share(X, "a", "b", [0, 1, 2]).round(2)[["rows_near", "off_data"]].to_dict("list")
    {'rows_near': [15, 15, 1], 'off_data': [0.52, 0.52, nan]}
    """
    grid = np.asarray(list(values), dtype=float)
    x, other = X[feature].to_numpy(float), X[partner].to_numpy(float)
    half = np.diff(grid).min() / 2 if len(grid) > 1 else np.inf
    lo_q, hi_q = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    rows = []
    for value in grid:
        near = other[np.abs(x - value) <= half + 1e-12]
        if len(near) < MIN_ROWS_NEAR:
            share = float("nan")
        else:
            lo, hi = np.quantile(near, [lo_q, hi_q])
            share = float(np.mean((other < lo) | (other > hi)))
        rows.append({"value": float(value), "rows_near": int(len(near)), "off_data": share})
    return pd.DataFrame(rows)


def extrapolated(support: pd.DataFrame, *, threshold: float = OFF_DATA_THRESHOLD) -> pd.Series:
    """True at the grid values of :func:`off_data_share` to read as extrapolation.

    Those where more than ``threshold`` of the synthetic rows lie off the real data, and those
    with too few real rows to compare with (``off_data`` NaN).

    >>> support = pd.DataFrame({"value": [0, 1, 2], "rows_near": [500, 100, 3], "off_data": [0.05, 0.3, np.nan]})
    >>> extrapolated(support).tolist()
    [False, True, True]
    """
    return support["off_data"].isna() | (support["off_data"] > threshold)


def conclude_off_data(
    support: pd.DataFrame, feature: str, partner: str, *, threshold: float = OFF_DATA_THRESHOLD
) -> str:
    """Which part of a partial-dependence curve is extrapolation, from :func:`off_data_share`.

    Values with too few real rows to compare with are named apart from the measured ones.

    >>> support = pd.DataFrame({"value": [0, 1, 2], "rows_near": [500, 100, 3], "off_data": [0.05, 0.3, np.nan]})
    >>> conclude_off_data(support, "tickets", "satisfaction").split(":")[0]
    'Partial dependence of tickets is extrapolation at 1'
    """
    measured = support[support["off_data"].notna()]
    sparse = support[support["off_data"].isna()]
    far = measured[measured["off_data"] > threshold]
    sparse_sentence = (
        f" At {feature} = {', '.join(f'{v:g}' for v in sparse['value'])} there are too few real customers "
        f"(fewer than {MIN_ROWS_NEAR} each: {', '.join(str(int(n)) for n in sparse['rows_near'])}) to compare: "
        "the curve there rests on customers the data barely holds, so read it as extrapolation too."
        if len(sparse)
        else ""
    )
    if measured.empty:
        return (
            f"Inconclusive at this profile: at every grid value of {feature} fewer than {MIN_ROWS_NEAR} real "
            "customers exist, too few to tell where real data lies."
        )
    if far.empty:
        return (
            f"Partial dependence of {feature} stays near real data at every value measured: at most "
            f"{measured['off_data'].max():.0%} of the synthetic customers have a {partner} that real customers "
            f"with that {feature} never have.{sparse_sentence}"
        )
    worst = far.loc[far["off_data"].idxmax()]
    values = ", ".join(f"{v:g}" for v in far["value"])
    return (
        f"Partial dependence of {feature} is extrapolation at {values}: there, more than {threshold:.0%} of the "
        f"synthetic customers have a {partner} that real customers with that {feature} do not have "
        f"(worst measured: {worst.off_data:.0%} at {worst.value:g}, compared with {int(worst.rows_near):,} real "
        f"customers).{sparse_sentence} Read that part of the curve as the model's guess about customers who do "
        "not exist."
    )


def explanation_cost(
    model: BaseEstimator,
    X,
    y,
    sizes: Sequence[int],
    *,
    n_repeats: int = 3,
    repeat: int = 3,
    label: str = "permutation importance",
    seed: int = 0,
    clock: Callable[[], float] = time.process_time,
) -> pd.DataFrame:
    """CPU seconds to compute permutation importance on the first ``n`` held-out rows, for each ``n``.

    Returns :func:`scalingml.measure.measure_scaling`'s frame (``repeat`` timings per size: fit
    the power law on their best, as the fit-time experiments do); the cost grows with rows
    times features times repeats, since every shuffle re-predicts the whole set. Every
    prediction runs on one thread (OpenMP and BLAS, as in :func:`fit_all`): on tables of this
    size the threads of boosted trees' ``predict`` cost more than they save, and on a shared
    machine they spin-wait; one thread at every size also keeps core counts out of the exponent.
    ``clock`` counts this process's CPU seconds by default, which other programs barely change.
    """
    X = X.reset_index(drop=True)
    y = pd.Series(np.asarray(y)).reset_index(drop=True)
    sizes = [n for n in sizes if n <= len(X)]
    with threadpool_limits(limits=1):
        return measure.measure_scaling(
            setup=lambda n: (X.iloc[:n], y.iloc[:n]),
            run=lambda xy: permutation_importance(model, *xy, n_repeats=n_repeats, random_state=seed, n_jobs=1),
            sizes=sizes,
            label=label,
            repeat=repeat,
            clock=clock,
        )


def describe_partial_dependence(dependence: pd.DataFrame, feature: str) -> list[str]:
    """Per model, the average predicted churn at the two ends of a :func:`partial_dependence_frame` curve.

    >>> frame = pd.DataFrame({"model": ["m", "m"], "value": [0.0, 6.0], "average": [0.2, 0.7]})
    >>> describe_partial_dependence(frame, "tickets")
    ['m: average predicted churn goes from 0.20 at tickets = 0 to 0.70 at tickets = 6.']
    """
    lines = []
    for model, group in dependence.groupby("model", sort=False):
        group = group.sort_values("value")
        first, last = group.iloc[0], group.iloc[-1]
        lines.append(
            f"{model}: average predicted churn goes from {first.average:.2f} at {feature} = {first.value:g} "
            f"to {last.average:.2f} at {feature} = {last.value:g}."
        )
    return lines
