"""Cost: CPU-seconds turned into money, energy and carbon through explicit assumptions.

Nothing here measures power: the watts are an *assumption* (a cloud VM exposes no power
meter), like the price and the grid's carbon intensity. They live in one editable table
(:func:`default_assumptions`), validated by :func:`validate_assumptions`, so a reader can
put in their own contract's price and region.

>>> table = default_assumptions()
>>> costs = cost_of(3600.0, table)          # one CPU-hour
>>> round(costs["usd"], 3), round(costs["kwh"], 3)
(0.05, 0.012)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from scalingml import measure, scale
from scalingml.errors import ScalingmlError
from scalingml.progress import progress


class BadAssumptionsError(ScalingmlError, ValueError):
    """The cost assumptions table lacks a field, or holds a missing, negative or non-numeric value."""


#: The assumptions every cost needs: name -> (default value, unit, where the default comes from).
ASSUMPTIONS: dict[str, tuple[float, str, str]] = {
    "price_per_vcpu_hour": (0.05, "USD per vCPU-hour", "assumed: on-demand general-purpose cloud VM, 2026"),
    "watts_per_core": (12.0, "W per busy core", "assumed, not measured: a server core under load incl. its share"),
    "grid_g_co2_per_kwh": (300.0, "g CO2e per kWh", "assumed: a mixed European grid; varies 20-800 by region"),
}


def default_assumptions() -> pd.DataFrame:
    """The editable assumptions table: one row per parameter with ``value``, ``unit`` and ``note``.

    Change a value with ``table.loc["price_per_vcpu_hour", "value"] = 0.09``.
    """
    return pd.DataFrame(
        [{"parameter": k, "value": v, "unit": u, "note": n} for k, (v, u, n) in ASSUMPTIONS.items()]
    ).set_index("parameter")


def validate_assumptions(
    table: pd.DataFrame | Mapping[str, float],
    spec: Mapping[str, tuple[float, str, str]] = ASSUMPTIONS,
    *,
    start_from: str = "default_assumptions()",
) -> dict[str, float]:
    """The assumptions as plain floats, or :class:`BadAssumptionsError` naming the field to fix.

    Accepts the table of :func:`default_assumptions` or a plain mapping. ``spec`` (name -> default, unit, note)
    says which fields a table needs: lesson 01's storage price table is checked by the same rule.

    >>> validate_assumptions({"price_per_vcpu_hour": -1, "watts_per_core": 10, "grid_g_co2_per_kwh": 300})
    Traceback (most recent call last):
    ...
    scalingml.experiments.cost.BadAssumptionsError: price_per_vcpu_hour is -1.0; it must be zero or positive ...
    """
    values = dict(table["value"]) if isinstance(table, pd.DataFrame) else dict(table)
    clean = {}
    for name, (_, unit, _) in spec.items():
        if name not in values:
            raise BadAssumptionsError(
                f"The assumptions table has no {name!r} row; add it ({unit}). Start from {start_from}."
            )
        if values[name] is None:
            raise BadAssumptionsError(f"{name} is missing (None); fill in a value in {unit}.")
        try:
            value = float(values[name])
        except (TypeError, ValueError):
            raise BadAssumptionsError(f"{name} is {values[name]!r}, not a number ({unit}).") from None
        if math.isnan(value):
            raise BadAssumptionsError(f"{name} is missing (NaN); fill in a value in {unit}.")
        if value < 0 or math.isinf(value):
            raise BadAssumptionsError(f"{name} is {value}; it must be zero or positive ({unit}).")
        clean[name] = value
    return clean


def cost_of(cpu_seconds, assumptions: pd.DataFrame | Mapping[str, float]) -> dict:
    """Money (USD), energy (kWh) and emissions (g CO2e) of ``cpu_seconds`` (a number or an array).

    One CPU-second keeps one core busy for a second: hours = seconds / 3600, energy =
    hours x watts / 1000.
    """
    a = validate_assumptions(assumptions)
    hours = np.asarray(cpu_seconds, dtype=float) / 3600.0
    kwh = hours * a["watts_per_core"] / 1000.0
    result = {"usd": hours * a["price_per_vcpu_hour"], "kwh": kwh, "g_co2": kwh * a["grid_g_co2_per_kwh"]}
    return {k: float(v) if np.ndim(v) == 0 else v for k, v in result.items()}


def model_menu(profile: scale.ScaleProfile | None = None, seed: int = 0) -> dict[str, tuple[str, BaseEstimator]]:
    """Model families and sizes to price: name -> (family, unfitted estimator).

    Forest sizes follow the profile's ``forest_trees``; boosting comes in the classic
    (``GradientBoostingClassifier``, exact splits) and the histogram flavour (binned features).
    Both boosting flavours grow trees of the same size, so that they compare like for like:
    classic depth-3 trees have at most 8 leaves, and the histogram trees are capped at 8 leaves
    (``max_leaf_nodes=8``; its default is 31).
    """
    profile = profile or scale.active()
    trees = profile.forest_trees
    return {
        "logistic regression": (
            "linear",
            make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky")),
        ),
        f"random forest ({trees} trees)": ("forest", RandomForestClassifier(trees, random_state=seed, n_jobs=1)),
        f"random forest ({3 * trees} trees)": (
            "forest",
            RandomForestClassifier(3 * trees, random_state=seed, n_jobs=1),
        ),
        "gradient boosting (50 trees)": (
            "classic boosting",
            GradientBoostingClassifier(n_estimators=50, random_state=seed),
        ),
        "gradient boosting (200 trees)": (
            "classic boosting",
            GradientBoostingClassifier(n_estimators=200, random_state=seed),
        ),
        "hist gradient boosting (50 iter)": (
            "histogram boosting",
            HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=8, early_stopping=False, random_state=seed),
        ),
        "hist gradient boosting (200 iter)": (
            "histogram boosting",
            HistGradientBoostingClassifier(max_iter=200, max_leaf_nodes=8, early_stopping=False, random_state=seed),
        ),
    }


def cost_accuracy_frame(
    menu: Mapping[str, tuple[str, BaseEstimator]],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    repeat: int = 1,
    predict_repeat: int = 5,
    clock: Callable[[], float] = time.process_time,
) -> pd.DataFrame:
    """Train each model, then measure its training CPU-seconds, prediction CPU-seconds per row and accuracy.

    Training is timed ``repeat`` times, batch scoring of the whole test set ``predict_repeat``
    times (it is cheap); each keeps its best time and its relative spread ((max - min) /
    median, 0 for one timing), so conclusions can tell differences from timing noise.
    ``predict_cpu_s_per_row`` is for *batch* scoring: one row per call costs far more per row.

    CPU-seconds (``time.process_time``: every thread of this process) are what a cloud bills
    as vCPU time. Native thread pools are capped at one thread, so that idle threads
    spinning while they wait are not billed as work. ``accuracy_se`` is the binomial standard
    error of the test accuracy: differences smaller than about twice it are noise.
    """
    rows = []
    for name, (family, estimator) in progress(menu.items(), desc="models"):
        model = clone(estimator)
        with threadpool_limits(limits=1):
            train = measure.time_call(model.fit, X_train, y_train, repeat=repeat, clock=clock)
            predict = measure.time_call(model.predict, X_test, repeat=max(1, predict_repeat), clock=clock)
        accuracy = float((model.predict(X_test) == np.asarray(y_test)).mean())
        rows.append(
            {
                "model": name,
                "family": family,
                "train_cpu_s": train.best,
                "train_spread": _spread(train.times),
                "predict_cpu_s_per_row": predict.best / len(X_test),
                "predict_spread": _spread(predict.times),
                "accuracy": accuracy,
                "accuracy_se": measure.proportion_se(accuracy, len(X_test)),
            }
        )
    return pd.DataFrame(rows)


def _spread(times) -> float:
    """(max - min) / median of repeated timings; 0 for a single timing."""
    times = list(times)
    if len(times) < 2:
        return 0.0
    median = float(np.median(times))
    return (max(times) - min(times)) / median if median > 0 else 0.0


def price_models(frame: pd.DataFrame, assumptions: pd.DataFrame | Mapping[str, float]) -> pd.DataFrame:
    """Add the money, energy and carbon of one training run and of one million predictions."""
    priced = frame.copy()
    train = cost_of(priced["train_cpu_s"].to_numpy(), assumptions)
    serve = cost_of(priced["predict_cpu_s_per_row"].to_numpy() * 1e6, assumptions)
    priced["train_usd"], priced["train_kwh"], priced["train_g_co2"] = train["usd"], train["kwh"], train["g_co2"]
    priced["million_predictions_usd"], priced["million_predictions_g_co2"] = serve["usd"], serve["g_co2"]
    return priced


def pareto_front(frame: pd.DataFrame, *, cost: str = "train_cpu_s", score: str = "accuracy") -> pd.Series:
    """Boolean mask of the rows no other row dominates (as cheap or cheaper *and* as good or better, one strictly).

    >>> f = pd.DataFrame({"train_cpu_s": [1, 2, 3, 2], "accuracy": [0.7, 0.8, 0.75, 0.8]})
    >>> pareto_front(f).tolist()
    [True, True, False, True]
    """
    c = frame[cost].to_numpy(dtype=float)
    s = frame[score].to_numpy(dtype=float)
    at_most = (c[None, :] <= c[:, None]) & (s[None, :] >= s[:, None])
    strictly = (c[None, :] < c[:, None]) | (s[None, :] > s[:, None])
    dominated = (at_most & strictly).any(axis=1)
    return pd.Series(~dominated, index=frame.index, name="on_front")


def buy_at_budget(frame: pd.DataFrame, budget: float, *, cost: str = "train_cpu_s", score: str = "accuracy"):
    """The most accurate model whose ``cost`` fits ``budget`` (the cheaper one on ties), or None.

    >>> f = pd.DataFrame({"model": ["a", "b", "c"], "train_cpu_s": [1, 5, 9], "accuracy": [0.7, 0.8, 0.8]})
    >>> buy_at_budget(f, 6).model, buy_at_budget(f, 100).model, buy_at_budget(f, 0.5)
    ('b', 'b', None)
    """
    affordable = frame[frame[cost] <= budget]
    if affordable.empty:
        return None
    return affordable.sort_values([score, cost], ascending=[False, True]).iloc[0]


def conclude_budgets(frame: pd.DataFrame, *, cost: str = "train_cpu_s", score: str = "accuracy") -> list[str]:
    """Which model to buy at each budget step of the Pareto front, said only as far as accuracy noise allows.

    Each step up the front is a budget at which a more accurate model becomes affordable.
    The recommendation moves up only when the gain over the model recommended so far exceeds
    two standard errors of their difference (``hypot`` of both ``accuracy_se``: both accuracies
    are noisy); otherwise the sentence says the extra spend is not shown to pay at this
    profile, and keeps the cheaper model. (Assignment 03 uses a simpler rule, two standard
    errors of the best model alone, which is slightly less strict.)
    """
    front = frame[pareto_front(frame, cost=cost, score=score)].sort_values(cost)
    sentences = []
    bought = None
    for row in front.itertuples():
        budget, accuracy = getattr(row, cost), getattr(row, score)
        if bought is None:
            sentences.append(
                f"Below {budget:.3g} CPU-s per training run nothing on the menu fits; from {budget:.3g} CPU-s "
                f"buy {row.model} (accuracy {accuracy:.3f})."
            )
            bought = row
            continue
        gain = accuracy - getattr(bought, score)
        se = math.hypot(getattr(row, "accuracy_se", 0.0), getattr(bought, "accuracy_se", 0.0))
        if gain > 2 * se:
            sentences.append(
                f"From {budget:.3g} CPU-s ({budget / getattr(bought, cost):.1f}x more) buy {row.model}: "
                f"accuracy {accuracy:.3f}, +{gain:.3f} over {bought.model}, a real gain (more than 2 standard errors)."
            )
            bought = row
        else:
            sentences.append(
                f"From {budget:.3g} CPU-s {row.model} is nominally more accurate ({accuracy:.3f}, +{gain:.3f}), "
                f"but within the noise of the test set: the extra spend is not shown to pay at this profile; "
                f"keep {bought.model}."
            )
    if len(front) == 1:
        sentences.append(f"The front is a single model: on this data no budget buys more accuracy than {bought.model}.")
    dominated = frame[~pareto_front(frame, cost=cost, score=score)]
    clearly, nominally = [], []
    for row in dominated.itertuples():
        rivals = frame[(frame[cost] <= getattr(row, cost)) & (frame[score] >= getattr(row, score))]
        se = np.hypot(rivals.get("accuracy_se", 0.0), getattr(row, "accuracy_se", 0.0))
        beaten = ((rivals[score] - getattr(row, score)) > 2 * se).any()
        (clearly if beaten else nominally).append(row.model)
    if clearly:
        sentences.append(f"Never buy (something cheaper is more accurate beyond noise): {', '.join(clearly)}.")
    if nominally:
        sentences.append(
            f"Nominally dominated (something cheaper is at least as accurate, but within noise): "
            f"{', '.join(nominally)}; not worth their extra cost on this measurement."
        )
    return sentences


def conclude_boosting(frame: pd.DataFrame, *, noise: float = 0.1) -> str:
    """Classic against histogram gradient boosting at the same number of trees, from the measured frame.

    A CPU-s ratio counts only beyond the timing noise (``noise`` or the measured ``train_spread``).
    """
    rows = []
    for n in (50, 200):
        classic = frame[frame["model"] == f"gradient boosting ({n} trees)"]
        hist = frame[frame["model"] == f"hist gradient boosting ({n} iter)"]
        if len(classic) and len(hist):
            rows.append((n, classic.iloc[0], hist.iloc[0]))
    if not rows:
        return "The menu has no classic/histogram boosting pair to compare."
    parts = []
    for n, classic, hist in rows:
        ratio = classic.train_cpu_s / hist.train_cpu_s
        gap = hist.accuracy - classic.accuracy
        se = math.hypot(hist.accuracy_se, classic.accuracy_se)
        margin = max(noise, float(getattr(classic, "train_spread", 0.0)), float(getattr(hist, "train_spread", 0.0)))
        if ratio > 1 + margin:
            speed = f"classic boosting took {ratio:.1f}x the CPU-s of histogram boosting"
        elif ratio < 1 / (1 + margin):
            speed = f"histogram boosting took {1 / ratio:.1f}x the CPU-s of classic boosting"
        else:
            speed = f"classic and histogram boosting took the same CPU-s within timing noise ({margin:.0%})"
        acc = "the same accuracy within noise" if abs(gap) <= 2 * se else f"an accuracy difference of {gap:+.3f}"
        parts.append(f"at {n} trees {speed}, for {acc}")
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + " (both grow trees of at most 8 leaves)."


def conclude_serving_cost(frame: pd.DataFrame, *, batch_rows: int, noise: float = 0.1) -> str:
    """Cheapest against dearest million *batch* predictions, with the ratio only when it beats the timing noise.

    ``batch_rows`` is the batch the per-row cost was measured on (the test set).
    """
    cheap = frame.loc[frame["million_predictions_usd"].idxmin()]
    dear = frame.loc[frame["million_predictions_usd"].idxmax()]
    ratio = dear.million_predictions_usd / cheap.million_predictions_usd
    margin = max(noise, float(cheap.get("predict_spread", 0.0)), float(dear.get("predict_spread", 0.0)))
    head = (
        f"Batch scoring (batches of {batch_rows:,} rows), one million predictions cost "
        f"{cheap.million_predictions_usd:.2g} USD with {cheap.model} and {dear.million_predictions_usd:.2g} USD "
        f"with {dear.model}"
    )
    if ratio > 1 + margin:
        verdict = f" ({ratio:.0f}x, beyond the timing spread of {margin:.0%})"
    else:
        verdict = f": the difference is within the timing spread ({margin:.0%}), inconclusive"
    return (
        head + verdict + ". Answering one row per call costs far more per row (see the serving experiment below), "
        "under the assumptions above."
    )


def conclude_scaled_budget(
    frame: pd.DataFrame, *, rows_factor: float = 1_000, runs: int = 365, model: str | None = None
) -> str:
    """Training cost of a scaled scenario: ``runs`` retrains (nightly for a year) on ``rows_factor`` x the rows.

    Assumes training time grows linearly with rows (optimistic for some models, pessimistic for
    others; the lesson 02 scaling experiment measures it). ``model`` defaults to the most
    accurate on the menu, compared with the cheapest.
    """
    best = frame.loc[frame["accuracy"].idxmax()] if model is None else frame.set_index("model").loc[model]
    best_name = best.name if model is not None else best.model
    cheap = frame.loc[frame["train_cpu_s"].idxmin()]
    factor = rows_factor * runs
    best_usd, cheap_usd = best.train_usd * factor, cheap.train_usd * factor
    kg = best.train_g_co2 * factor / 1000
    line = "a budget line" if best_usd >= 1 else "still small change"
    head = (
        f"Scaled up (training time assumed linear in rows): retraining nightly for a year on {rows_factor:,.0f}x "
        f"these rows costs {best_usd:,.2f} USD ({kg:,.2f} kg CO2e) with {best_name}"
    )
    if best_name == cheap.model:
        return f"{head}, both the most accurate and the cheapest to train: {line}."
    return f"{head}, the most accurate, against {cheap_usd:,.2f} USD with {cheap.model}, the cheapest: {line}."
