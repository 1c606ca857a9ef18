"""Maintenance, the stream: a drifting monthly stream of customers, monitored month by month."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import kstest
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from scalingml import measure
from scalingml.datasets import make_customers
from scalingml.experiments.features import NUMERIC_FEATURES, customer_features
from scalingml.experiments.monitoring.drift import (
    PSI_MODERATE,
    PSI_SIGNIFICANT,
    checked_values,
    drift_report,
    psi,
)
from scalingml.progress import progress

#: Months in the simulated stream (month 0 is the training month).
STREAM_MONTHS = 12
#: Features monitored: the numeric drivers plus one unchanged noise feature (false alarms show there).
NOISE_FEATURE = "noise_0"
MONITORED = (*NUMERIC_FEATURES, NOISE_FEATURE)
#: Significance level of the KS alarms (one test per feature and month, uncorrected unless said).
KS_ALPHA = 0.05


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


def fit_on_batch(model: BaseEstimator, batch: pd.DataFrame) -> BaseEstimator:
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
    fitted = fit_on_batch(model, reference)
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


def ks_reject_distance(rows_reference: int, rows_current: int, *, alpha: float = KS_ALPHA) -> float:
    """Smallest KS statistic (largest gap between the two CDFs) that rejects at ``alpha`` (asymptotic formula).

    It shrinks like ``1/sqrt(n)``: with millions of rows KS rejects shifts far too small to matter.

    >>> round(ks_reject_distance(1_000, 1_000), 3), round(ks_reject_distance(2_000_000, 2_000_000), 4)
    (0.061, 0.0014)
    """
    c = float(np.sqrt(-0.5 * np.log(alpha / 2)))
    return c * float(np.sqrt((rows_reference + rows_current) / (rows_reference * rows_current)))


def reference_noise_p(reference: pd.DataFrame, feature: str = NOISE_FEATURE) -> float:
    """KS p-value of the reference's ``feature`` against the standard normal it was drawn from.

    A small value says the reference sample is itself unusual, so every month compared with it
    shares that quirk (the false alarms are then not independent).
    """
    return float(kstest(checked_values(reference[feature], "reference", feature), "norm").pvalue)


def alarms(drift: pd.DataFrame, *, alpha: float = KS_ALPHA) -> pd.DataFrame:
    """Alarms per month after month 0, counted one way for the plot and the sentences alike.

    One row per month: ``psi_alarms`` and ``ks_alarms`` count the drivers of churn (every monitored
    feature but :data:`NOISE_FEATURE`) with PSI >= :data:`PSI_SIGNIFICANT` or a KS p-value below
    ``alpha``; ``ks_false`` and ``psi_false`` are the noise feature's (false) KS alarms and PSI
    readings of :data:`PSI_MODERATE` or more.
    """
    later = drift[drift["month"] > 0]
    drivers, noise = later["feature"] != NOISE_FEATURE, later["feature"] == NOISE_FEATURE
    flags = pd.DataFrame(
        {
            "month": later["month"],
            "psi_alarms": drivers & (later["psi"] >= PSI_SIGNIFICANT),
            "ks_alarms": drivers & (later["ks_p"] < alpha),
            "ks_false": noise & (later["ks_p"] < alpha),
            "psi_false": noise & (later["psi"] >= PSI_MODERATE),
        }
    )
    return flags.groupby("month", as_index=False).sum().astype(int)


def conclude_monitoring(
    accuracy: pd.DataFrame,
    drift: pd.DataFrame,
    schedule: pd.DataFrame,
    *,
    rows_per_month: int,
    alpha: float = KS_ALPHA,
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
    table = alarms(drift, alpha=alpha)
    psi_alarm = table.loc[table["psi_alarms"] > 0, "month"]
    ks_alarm = table.loc[table["ks_alarms"] > 0, "month"]
    psi_month = int(psi_alarm.min()) if len(psi_alarm) else None
    psi_text = (
        f"PSI first crossed {PSI_SIGNIFICANT:g} on a driver of churn in month {psi_month}"
        if psi_month is not None
        else f"PSI never crossed {PSI_SIGNIFICANT:g} on a driver of churn"
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
    noise = later[later["feature"] == NOISE_FEATURE]
    months = len(noise)
    ks_false, psi_false = int(table["ks_false"].sum()), int(table["psi_false"].sum())
    tests = len(later)
    bonferroni = int((noise["ks_p"] < alpha / max(tests, 1)).sum())
    sentences.append(
        f"On {NOISE_FEATURE}, which never changes, KS raised {ks_false} false alarm(s) in {months} months "
        f"(about {alpha * months:.1f} expected by chance at p < {alpha}) and PSI reached {PSI_MODERATE:g} in "
        f"{psi_false}. "
        f"Across all {tests} tests ({tests // max(months, 1)} features x {months} months) about {alpha * tests:.1f} "
        f"false alarms are expected even with no drift at all; a Bonferroni correction (p < {alpha}/{tests}) "
        f"leaves {bonferroni} on {NOISE_FEATURE} (Benjamini-Hochberg is the less strict alternative)."
    )
    if ks_false > max(1, 2 * alpha * months):
        unusual = (
            f" Here it is: this reference's {NOISE_FEATURE} against the normal distribution it was drawn from gives "
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
    fitted = fit_on_batch(model, reference)
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
