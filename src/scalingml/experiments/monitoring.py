"""Maintenance: a drifting monthly stream, drift tests (PSI, KS), and retraining policies.

The **population stability index** compares the share of rows in each bin of a feature
between a reference sample (the training data) and a current one:
``PSI = sum((cur - ref) * ln(cur / ref))`` over bins cut at the reference's quantiles.
The usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift worth a look, above
0.25 a significant shift. An empty bin would make the logarithm infinite, so shares are
floored at a small epsilon.

>>> rng = np.random.default_rng(0)
>>> ref = rng.normal(size=5_000)
>>> psi(ref, rng.normal(size=5_000)) < 0.1, psi(ref, rng.normal(1.0, size=5_000)) > 0.25
(True, True)
>>> psi_band(0.05), psi_band(0.2), psi_band(0.3)
('stable', 'moderate', 'significant')
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp, kstest
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from scalingml import measure
from scalingml.datasets import make_customers
from scalingml.errors import InvalidParameterError, ScalingmlError
from scalingml.experiments.features import NUMERIC_FEATURES, customer_features
from scalingml.progress import progress


class DriftInputError(ScalingmlError, ValueError):
    """A column given to a drift test is empty, holds missing values, or (as reference) is constant."""


#: Share given to an empty bin, so that ln(cur / ref) stays finite.
PSI_EPSILON = 1e-4
#: PSI bands: below the first, stable; between, moderate; above the second, significant.
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25


def _clean(values, role: str, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise DriftInputError(f"The {role} sample of {name} is empty: give at least one row.")
    missing = int(np.isnan(array).sum())
    if missing:
        raise DriftInputError(
            f"The {role} sample of {name} has {missing} missing value(s): impute or drop them first, "
            "and monitor the missing rate as a feature of its own."
        )
    return array


def _check_pair(reference, current, name: str) -> tuple[np.ndarray, np.ndarray]:
    ref = _clean(reference, "reference", name)
    cur = _clean(current, "current", name)
    if np.ptp(ref) == 0:
        raise DriftInputError(
            f"The reference sample of {name} is constant ({ref[0]:g}): quantile bins cannot be cut; "
            "check that value directly instead (e.g. the share of rows that differ from it)."
        )
    return ref, cur


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles, duplicates removed (discrete features get fewer bins).

    >>> quantile_edges(np.arange(100.0), 4)
    array([24.75, 49.5 , 74.25])
    """
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``."""
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return counts / counts.sum()


def psi(reference, current, *, bins: int = 10, epsilon: float = PSI_EPSILON, name: str = "the feature") -> float:
    """Population stability index of ``current`` against ``reference`` (bins at the reference's quantiles).

    Raises :class:`DriftInputError` for an empty sample, missing values, or a constant reference.
    """
    ref, cur = _check_pair(reference, current, name)
    edges = quantile_edges(ref, bins)
    expected = np.maximum(bin_shares(ref, edges), epsilon)
    actual = np.maximum(bin_shares(cur, edges), epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_band(value: float) -> str:
    """``stable`` (< 0.1), ``moderate`` (0.1 to 0.25) or ``significant`` (>= 0.25)."""
    if value >= PSI_SIGNIFICANT:
        return "significant"
    if value >= PSI_MODERATE:
        return "moderate"
    return "stable"


def ks(reference, current, *, name: str = "the feature") -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (``scipy.stats.ks_2samp``), inputs checked as for PSI."""
    ref, cur = _check_pair(reference, current, name)
    result = ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """PSI, its band, and the KS statistic and p-value for each feature."""
    rows = []
    for feature in features:
        value = psi(reference[feature], current[feature], name=feature)
        statistic, p_value = ks(reference[feature], current[feature], name=feature)
        rows.append({"feature": feature, "psi": value, "band": psi_band(value), "ks": statistic, "ks_p": p_value})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# The stream

#: Months in the simulated stream (month 0 is the training month).
STREAM_MONTHS = 12
#: Features monitored: the numeric drivers plus one unchanged noise feature (false alarms show there).
MONITORED = (*NUMERIC_FEATURES, "noise_0")


def stream_schedule(
    months: int = STREAM_MONTHS, *, covariate_rate: float = 0.08, concept_start: int = 6, concept_ramp: int = 3
) -> pd.DataFrame:
    """Drift of each month: covariate drift grows steadily; concept drift starts at ``concept_start`` and ramps up.

    >>> stream_schedule(8, concept_start=5, concept_ramp=2).concept_drift.tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    """
    month = np.arange(months)
    concept = np.clip((month - concept_start + 1) / concept_ramp, 0.0, 1.0)
    return pd.DataFrame(
        {"month": month, "covariate_drift": np.round(covariate_rate * month, 4), "concept_drift": concept}
    )


def training_batch(rows: int, schedule: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """The labelled customers the first model is trained on: month 0's conditions, other customers."""
    first = schedule.iloc[0]
    return make_customers(
        rows,
        seed=seed + 10_000,
        drift=float(first.covariate_drift),
        concept_drift=float(first.concept_drift),
        id_offset=-rows,
    )


def make_stream(rows_per_month: int, schedule: pd.DataFrame, *, seed: int = 0) -> dict[int, pd.DataFrame]:
    """One batch of customers per month, drawn with that month's drift (see :func:`stream_schedule`)."""
    return {
        int(row.month): make_customers(
            rows_per_month,
            seed=seed + int(row.month),
            drift=float(row.covariate_drift),
            concept_drift=float(row.concept_drift),
            id_offset=int(row.month) * rows_per_month,
        )
        for row in schedule.itertuples()
    }


def default_model(seed: int = 0) -> BaseEstimator:
    """The churn model the stream serves (small, so retraining a dozen times stays cheap)."""
    return HistGradientBoostingClassifier(max_iter=50, early_stopping=False, random_state=seed)


def _fit(model: BaseEstimator, batch: pd.DataFrame) -> BaseEstimator:
    return clone(model).fit(*customer_features(batch))


#: Experiments that fit and score many small models run their native thread pools on one thread:
#: on a busy shared machine, OpenMP threads of tiny tasks mostly wait for each other (oversubscription).
single_threaded = threadpool_limits.wrap(limits=1)


@single_threaded
def monitor_stream(model: BaseEstimator, reference: pd.DataFrame, stream: Mapping[int, pd.DataFrame]):
    """Accuracy of a model trained on ``reference`` on every month, and drift per feature and month.

    Returns ``(accuracy, drift)``: ``accuracy`` has ``[month, accuracy]``; ``drift`` has
    ``[month, feature, psi, band, ks, ks_p]`` against the reference (the training data).
    """
    fitted = _fit(model, reference)
    accuracy, drift = [], []
    for month, batch in progress(stream.items(), desc="months"):
        X, y = customer_features(batch)
        accuracy.append({"month": month, "accuracy": float(fitted.score(X, y))})
        drift.append(drift_report(reference, batch, MONITORED).assign(month=month))
    return pd.DataFrame(accuracy), pd.concat(drift, ignore_index=True)


def _drop_threshold(first: float, rows_per_month: int) -> float:
    """Three standard errors of the difference of two monthly accuracies near ``first``."""
    return 3 * float(np.sqrt(2)) * measure.proportion_se(first, rows_per_month)


def first_accuracy_drop(accuracy: pd.DataFrame, *, rows_per_month: int) -> int | None:
    """First month whose accuracy is below month 0's by more than three standard errors of the difference, or None."""
    first = float(accuracy.iloc[0].accuracy)
    fallen = accuracy[(first - accuracy["accuracy"]) > _drop_threshold(first, rows_per_month)]
    return int(fallen["month"].min()) if len(fallen) else None


def ks_reject_distance(rows_reference: int, rows_current: int, *, alpha: float = 0.05) -> float:
    """Smallest KS statistic (largest gap between the two CDFs) that rejects at ``alpha`` (asymptotic formula).

    It shrinks like ``1/sqrt(n)``: with millions of rows KS rejects shifts far too small to matter.

    >>> round(ks_reject_distance(1_000, 1_000), 3), round(ks_reject_distance(2_000_000, 2_000_000), 4)
    (0.061, 0.0014)
    """
    c = float(np.sqrt(-0.5 * np.log(alpha / 2)))
    return c * float(np.sqrt((rows_reference + rows_current) / (rows_reference * rows_current)))


def reference_noise_p(reference: pd.DataFrame, feature: str = "noise_0") -> float:
    """KS p-value of the reference's ``feature`` against the standard normal it was drawn from.

    A small value says the reference sample is itself unusual, so every month compared with it
    shares that quirk (the false alarms are then not independent).
    """
    return float(kstest(_clean(reference[feature], "reference", feature), "norm").pvalue)


def conclude_monitoring(
    accuracy: pd.DataFrame,
    drift: pd.DataFrame,
    schedule: pd.DataFrame,
    *,
    rows_per_month: int,
    alpha: float = 0.05,
    noise_p: float | None = None,
    production_rows: int = 2_000_000,
) -> list[str]:
    """Sentences on accuracy under each kind of drift, on which alarm came first, and on false alarms.

    A drop counts when it exceeds three standard errors of the difference of two monthly
    accuracies. ``noise_p`` (see :func:`reference_noise_p`) lets the false-alarm sentence say
    whether the reference sample is itself unusual. ``production_rows`` sizes the sentence on
    how small a shift KS rejects at production volume.
    """
    later = drift[drift["month"] > 0]
    first = float(accuracy.iloc[0].accuracy)
    threshold = _drop_threshold(first, rows_per_month)
    sentences = []
    concept_months = schedule.loc[schedule["concept_drift"] > 0, "month"]
    concept_from = int(concept_months.min()) if len(concept_months) else None
    covariate_only = accuracy[accuracy["month"] < concept_from] if concept_from is not None else accuracy
    if len(covariate_only) > 1:
        low = covariate_only.loc[covariate_only["accuracy"].idxmin()]
        last = covariate_only.iloc[-1]
        hurt = first - float(low.accuracy) > threshold
        sentences.append(
            f"Under covariate drift alone (months 0-{int(last.month)}) accuracy went from {first:.3f} to "
            f"{float(last.accuracy):.3f} (lowest {float(low.accuracy):.3f}): "
            + (
                "it fell beyond noise, so the moving inputs hurt this model."
                if hurt
                else "no fall beyond noise, so the moving inputs did not hurt this model."
            )
        )
    drop_month = first_accuracy_drop(accuracy, rows_per_month=rows_per_month)
    worst = accuracy.loc[accuracy["accuracy"].idxmin()]
    if drop_month is None:
        sentences.append(
            f"Accuracy moved from {first:.3f} to at worst {worst.accuracy:.3f}: within the noise of a month's batch."
        )
    else:
        where = f" (concept drift starts in month {concept_from})" if concept_from is not None else ""
        sentences.append(
            f"Accuracy first fell beyond noise in month {drop_month}{where}, to {worst.accuracy:.3f} at worst "
            f"(month {int(worst.month)})."
        )
    informative = later[later["feature"] != "noise_0"]
    psi_alarm = informative.loc[informative["psi"] >= PSI_SIGNIFICANT, "month"]
    ks_alarm = informative.loc[informative["ks_p"] < alpha, "month"]
    psi_month = int(psi_alarm.min()) if len(psi_alarm) else None
    psi_text = (
        f"PSI first crossed 0.25 on a driver of churn in month {psi_month}"
        if psi_month is not None
        else "PSI never crossed 0.25 on a driver of churn"
    )
    ks_text = (
        f"KS first rejected at p < {alpha} in month {int(ks_alarm.min())}"
        if len(ks_alarm)
        else f"KS never rejected at p < {alpha}"
    )
    sentences.append(f"{psi_text}; {ks_text}.")
    if psi_month is not None and drop_month is not None:
        if drop_month < psi_month:
            sentences.append(
                f"Accuracy had already fallen (month {drop_month}) before the first PSI alarm (month {psi_month}): "
                "a feature monitor alone would have been late here."
            )
        elif drop_month == psi_month:
            sentences.append(
                f"The first PSI alarm and the first fall in accuracy came in the same month ({psi_month})."
            )
        else:
            sentences.append(
                f"The first PSI alarm (month {psi_month}) came before accuracy fell beyond noise (month {drop_month}): "
                "an early warning here."
            )
    elif drop_month is not None:
        sentences.append("Accuracy fell but PSI never alarmed: only labels showed the problem.")
    elif psi_month is not None:
        sentences.append(
            f"PSI alarmed (month {psi_month}) although accuracy never fell beyond noise: a shift this model tolerated."
        )
    noise = later[later["feature"] == "noise_0"]
    months = len(noise)
    ks_false = int((noise["ks_p"] < alpha).sum())
    psi_false = int((noise["psi"] >= PSI_MODERATE).sum())
    tests = len(later)
    bonferroni = int((noise["ks_p"] < alpha / max(tests, 1)).sum())
    sentences.append(
        f"On noise_0, which never changes, KS raised {ks_false} false alarm(s) in {months} months "
        f"(about {alpha * months:.1f} expected by chance at p < {alpha}) and PSI reached 0.1 in {psi_false}. "
        f"Across all {tests} tests ({tests // max(months, 1)} features x {months} months) about {alpha * tests:.1f} "
        f"false alarms are expected even with no drift at all; a Bonferroni correction (p < {alpha}/{tests}) "
        f"leaves {bonferroni} on noise_0 (Benjamini-Hochberg is the less strict alternative)."
    )
    if ks_false > max(1, 2 * alpha * months):
        unusual = (
            f" Here it is: this reference's noise_0 against the normal distribution it was drawn from gives "
            f"p = {noise_p:.3f}."
            if noise_p is not None and noise_p < alpha
            else ""
        )
        sentences.append(
            "That is more false alarms than chance alone predicts for independent tests, but these tests are not "
            "independent: every month is compared with the same reference sample, so if that sample is itself "
            f"unusual, all the comparisons inherit it.{unusual}"
        )
    distance = ks_reject_distance(rows_per_month, rows_per_month, alpha=alpha)
    at_scale = ks_reject_distance(production_rows, production_rows, alpha=alpha)
    sentences.append(
        f"KS rejects when the two CDFs differ by more than about {distance:.3f} at {rows_per_month:,} rows a month, "
        f"{at_scale:.4f} at {production_rows:,}: at production volume p-values flag shifts too small to matter, "
        "which is why drift alarms use effect sizes such as PSI bands."
    )
    return sentences


@single_threaded
def concept_drift_check(model: BaseEstimator, reference: pd.DataFrame, rows: int, *, seed: int = 0) -> dict:
    """The same customers with and without concept drift: feature PSI between them, and the model's accuracy on each.

    :func:`scalingml.datasets.make_customers` draws identical features whatever ``concept_drift``,
    so any feature monitor sees nothing; only labelled data shows the change.
    """
    fitted = _fit(model, reference)
    before = make_customers(rows, seed=seed + 20_000)
    after = make_customers(rows, seed=seed + 20_000, concept_drift=1.0)
    max_psi = max(psi(before[f], after[f], name=f) for f in MONITORED)
    return {
        "max_feature_psi": max_psi,
        "accuracy_before": float(fitted.score(*customer_features(before))),
        "accuracy_after": float(fitted.score(*customer_features(after))),
        "rows": rows,
    }


def conclude_concept_drift(check: dict) -> str:
    """Whether concept drift was invisible to feature monitoring yet visible in accuracy (beyond noise)."""
    a, b, n = check["accuracy_before"], check["accuracy_after"], check["rows"]
    se = float(np.hypot(measure.proportion_se(a, n), measure.proportion_se(b, n)))
    seen = "invisible to" if check["max_feature_psi"] < PSI_MODERATE else "visible to"
    drop = (
        f"yet accuracy fell from {a:.3f} to {b:.3f}"
        if a - b > 3 * se
        else f"and accuracy moved only from {a:.3f} to {b:.3f}, within noise at this size"
    )
    return (
        f"Same customers, new relationship: the largest feature PSI between them is {check['max_feature_psi']:.3f} "
        f"({seen} feature monitoring), {drop}. Only labels, which arrive late, reveal concept drift."
    )


# --------------------------------------------------------------------------------------------
# Retraining policies

POLICIES = ("never", "every 3 months", "on alarm")


@single_threaded
def simulate_policy(
    policy: str,
    reference: pd.DataFrame,
    stream: Mapping[int, pd.DataFrame],
    *,
    model: BaseEstimator | None = None,
    period: int = 3,
    accuracy_drop: float = 0.05,
    clock: Callable[[], float] = time.process_time,
) -> pd.DataFrame:
    """Serve the stream month by month under a retraining ``policy``; labels arrive one month late.

    The first model is trained on ``reference``. Then, at the start of each month:

    * ``never``: nothing changes;
    * ``every 3 months`` (``period``): retrain on last month's labelled batch every ``period`` months;
    * ``on alarm``: retrain on last month's batch when it raised an alarm: PSI >= 0.25 on a
      monitored feature against the current model's training data, *or* accuracy on last
      month's labels more than ``accuracy_drop`` below the model's accuracy in its first month.

    Returns ``[policy, month, accuracy, retrained, trigger, train_cpu_s]``; ``trigger`` names every
    alarm that fired (``"PSI 0.31 and accuracy 0.561"`` when both did).
    """
    if policy not in POLICIES:
        raise InvalidParameterError(f"Unknown policy {policy!r}; choose one of {', '.join(POLICIES)}.")
    model = model if model is not None else default_model()
    train_batch = reference
    current = _fit(model, train_batch)
    deployed_accuracy = None
    months = sorted(stream)
    rows = []
    for month in months:
        trigger = ""
        if month != months[0]:
            last = stream[month - 1]
            if policy == "every 3 months" and month % period == 0:
                trigger = "schedule"
            elif policy == "on alarm":
                max_psi = max(psi(train_batch[f], last[f], name=f) for f in MONITORED)
                last_accuracy = float(current.score(*customer_features(last)))
                reasons = []
                if max_psi >= PSI_SIGNIFICANT:
                    reasons.append(f"PSI {max_psi:.2f}")
                if deployed_accuracy is not None and last_accuracy < deployed_accuracy - accuracy_drop:
                    reasons.append(f"accuracy {last_accuracy:.3f}")
                trigger = " and ".join(reasons)
        seconds = 0.0
        if trigger:
            began = clock()
            current = _fit(model, last)
            seconds = clock() - began
            train_batch, deployed_accuracy = last, None
        accuracy = float(current.score(*customer_features(stream[month])))
        if deployed_accuracy is None:
            deployed_accuracy = accuracy  # known a month later, when this month's labels arrive
        rows.append(
            {
                "policy": policy,
                "month": month,
                "accuracy": accuracy,
                "retrained": bool(trigger),
                "trigger": trigger,
                "train_cpu_s": seconds,
            }
        )
    return pd.DataFrame(rows)


def compare_policies(
    reference: pd.DataFrame, stream: Mapping[int, pd.DataFrame], *, model: BaseEstimator | None = None
) -> pd.DataFrame:
    """All :data:`POLICIES` on the same stream, stacked."""
    return pd.concat(
        [simulate_policy(p, reference, stream, model=model) for p in progress(POLICIES, desc="policies")],
        ignore_index=True,
    )


def policy_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and worst monthly accuracy, retrains and their CPU-seconds per policy."""
    return (
        runs.groupby("policy", sort=False)
        .agg(
            mean_accuracy=("accuracy", "mean"),
            worst_accuracy=("accuracy", "min"),
            retrains=("retrained", "sum"),
            train_cpu_s=("train_cpu_s", "sum"),
            months=("month", "size"),
        )
        .reset_index()
    )


def conclude_policies(summary: pd.DataFrame, *, rows_per_month: int) -> list[str]:
    """Rank the policies by mean accuracy, saying when the gap is within the noise of the stream's batches.

    The ranking comes from one simulated stream and one retraining schedule phase, so the
    last sentence says so rather than recommending a policy in general.
    """
    ordered = summary.sort_values("mean_accuracy", ascending=False)
    best, worst = ordered.iloc[0], ordered.iloc[-1]
    # standard error of one month's accuracy: a conservative yardstick for a mean over months
    se = measure.proportion_se(best.mean_accuracy, rows_per_month)
    sentences = [
        f"{row.policy}: mean accuracy {row.mean_accuracy:.3f} (worst month {row.worst_accuracy:.3f}) "
        f"with {int(row.retrains)} retrain(s), {row.train_cpu_s:.2f} CPU-s of training."
        for row in ordered.itertuples()
    ]
    if best.mean_accuracy - worst.mean_accuracy > 2 * se:
        good = ordered[ordered["mean_accuracy"] >= best.mean_accuracy - 2 * se]
        cheapest_good = good.sort_values("retrains").iloc[0]
        gain = best.mean_accuracy - worst.mean_accuracy
        sentences.append(
            f"On this stream retraining paid: '{best.policy}' beat '{worst.policy}' by {gain:.3f}; "
            f"the fewest retrains for accuracy within noise of the best: '{cheapest_good.policy}' "
            f"({int(cheapest_good.retrains)}). One simulated stream and one schedule phase: an illustration, "
            "not a ranking of policies in general."
        )
    else:
        sentences.append("The policies' mean accuracies differ by less than the noise: retraining did not pay here.")
    return sentences


def conclude_triggers(runs: pd.DataFrame, *, policy: str = "on alarm") -> str:
    """Which alarm made ``policy`` retrain, month by month (PSI on a feature, or accuracy on last month's labels)."""
    retrains = runs[(runs["policy"] == policy) & runs["retrained"]]
    if retrains.empty:
        return f"'{policy}' never retrained: no alarm fired."
    by_psi = int(retrains["trigger"].str.contains("PSI").sum())
    by_accuracy = int(retrains["trigger"].str.contains("accuracy").sum())
    months = ", ".join(f"month {int(r.month)} ({r.trigger})" for r in retrains.itertuples())
    return (
        f"'{policy}' retrained {len(retrains)} time(s): {months}; the PSI trigger fired for {by_psi}, "
        f"the accuracy trigger for {by_accuracy}."
    )


def conclude_retraining_cost(
    summary: pd.DataFrame,
    *,
    rows_per_month: int,
    customers_per_month: int,
    usd_per_cpu_second: float,
    months_per_year: int = 12,
) -> str:
    """Retraining cost per policy scaled to ``customers_per_month``, assuming fit time grows linearly with rows.

    Says whether that is a budget line (at least one USD a year) or negligible next to the
    cost of wrong decisions, so the choice of policy should rest on accuracy and risk.
    """
    if rows_per_month <= 0 or summary.empty:
        return "No retraining cost to scale: the stream is empty."
    months = max(int(summary.get("months", pd.Series([months_per_year])).iloc[0]), 1)
    factor = customers_per_month / rows_per_month
    yearly = summary.set_index("policy")["train_cpu_s"] * factor * usd_per_cpu_second * months_per_year / months
    dearest = yearly.idxmax()
    head = (
        f"Scaled to {customers_per_month:,} customers a month (training time assumed to grow linearly with rows), "
        f"a year of retraining costs at most {yearly.max():.2g} USD ('{dearest}')"
    )
    if yearly.max() < 1.0:
        return head + ": negligible next to a wrong churn decision, so choose the policy on accuracy and risk."
    return head + ": a budget line worth weighing against the accuracy each retrain buys."
