"""Maintenance, the policies: retraining never, on a schedule or on an alarm, and what each costs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import pandas as pd
from sklearn.base import BaseEstimator

from scalingml import measure
from scalingml.errors import InvalidParameterError
from scalingml.experiments.features import customer_features
from scalingml.experiments.monitoring.drift import (
    PSI_SIGNIFICANT,
    psi,
)
from scalingml.experiments.monitoring.stream import (
    MONITORED,
    default_model,
    fit_on_batch,
    single_threaded,
)
from scalingml.progress import progress

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
    current = fit_on_batch(model, train_batch)
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
            current = fit_on_batch(model, last)
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


#: A year of retraining below this (USD) is not a budget line: the sentence says cost does not separate policies.
BUDGET_LINE_USD = 1.0


def conclude_retraining_cost(
    summary: pd.DataFrame,
    *,
    rows_per_month: int,
    customers_per_month: int,
    usd_per_cpu_second: float,
    months_per_year: int = 12,
) -> str:
    """Retraining cost per policy scaled to ``customers_per_month``, assuming fit time grows linearly with rows.

    Says whether that is a budget line (at least :data:`BUDGET_LINE_USD` a year) or below it; the notebook
    measures no cost of a wrong decision, so the sentence compares with nothing else.
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
    if yearly.max() < BUDGET_LINE_USD:
        return head + f": under {BUDGET_LINE_USD:g} USD a year, so compute cost does not separate the policies here."
    return head + ": a budget line worth weighing against the accuracy each retrain buys."
