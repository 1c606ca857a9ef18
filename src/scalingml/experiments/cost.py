"""Cost: CPU-seconds turned into money, energy and carbon through explicit assumptions.

Nothing here measures power: the watts are an *assumption* (a cloud VM exposes no power
meter), like the price and the grid's carbon intensity. They live in one editable table
(:func:`default_assumptions`), validated by :func:`validate_assumptions`, so a reader can
put in their own contract's price and region.

>>> table = default_assumptions()
>>> costs = cost_of(3600.0, table)          # one busy CPU-hour, at 50% utilisation and PUE 1.4
>>> round(costs["usd"], 3), round(costs["kwh"], 4)
(0.1, 0.0168)
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
    "utilisation": (
        0.5,
        "share of provisioned vCPU time doing work",
        "assumed: a fleet sized for its peak idles between runs; 1.0 only if you pay per CPU-second used",
    ),
    "pue": (
        1.4,
        "data-centre energy / IT energy",
        "assumed: power usage effectiveness; surveys put the industry average near 1.5, hyperscalers near 1.1",
    ),
}

#: Allowed range per assumption, where it is narrower than "zero or positive": (lowest, highest, why).
BOUNDS: dict[str, tuple[float, float, str]] = {
    "utilisation": (1e-3, 1.0, "a share above 0 and at most 1"),
    "pue": (1.0, 10.0, "at least 1: the building cannot use less energy than its servers"),
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

    >>> validate_assumptions({"price_per_vcpu_hour": -1, "watts_per_core": 10, "grid_g_co2_per_kwh": 300,
    ...                       "utilisation": 0.5, "pue": 1.2})
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
        if name in BOUNDS and not BOUNDS[name][0] <= value <= BOUNDS[name][1]:
            raise BadAssumptionsError(f"{name} is {value}; it must be {BOUNDS[name][2]} ({unit}).")
        clean[name] = value
    return clean


def cost_of(cpu_seconds, assumptions: pd.DataFrame | Mapping[str, float]) -> dict:
    """Money (USD), energy (kWh) and emissions (g CO2e) of ``cpu_seconds`` (a number or an array).

    One CPU-second keeps one core busy for a second: busy hours = seconds / 3600. A cloud bills
    *provisioned* vCPU-hours, idle or not, so the bill is busy hours / ``utilisation`` x price.
    Energy is the busy cores' (hours x watts / 1000) times the building's ``pue``; idle cores'
    draw is left out, which makes it a floor.

    >>> a = {"price_per_vcpu_hour": 0.05, "watts_per_core": 10, "grid_g_co2_per_kwh": 300,
    ...      "utilisation": 0.5, "pue": 1.5}
    >>> {k: round(v, 4) for k, v in cost_of(3600, a).items()}  # one busy CPU-hour: two provisioned vCPU-hours
    {'usd': 0.1, 'kwh': 0.015, 'g_co2': 4.5}
    """
    a = validate_assumptions(assumptions)
    hours = np.asarray(cpu_seconds, dtype=float) / 3600.0
    kwh = hours * a["watts_per_core"] / 1000.0 * a["pue"]
    usd = hours / a["utilisation"] * a["price_per_vcpu_hour"]
    result = {"usd": usd, "kwh": kwh, "g_co2": kwh * a["grid_g_co2_per_kwh"]}
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

    CPU-seconds (``time.process_time``: every thread of this process) are the work done; a
    cloud bills provisioned vCPU time, which :func:`cost_of` derives through ``utilisation``.
    Native thread pools are capped at one thread, so that idle threads spinning while they
    wait are not counted as work. ``accuracy_se`` is the binomial standard
    error of the test accuracy; ``correct`` holds each test row's right/wrong, so two models
    are compared on the same rows (:func:`accuracy_difference`), not by their two errors.
    """
    rows = []
    for name, (family, estimator) in progress(menu.items(), desc="models"):
        model = clone(estimator)
        with threadpool_limits(limits=1):
            train = measure.time_call(model.fit, X_train, y_train, repeat=repeat, clock=clock)
            predict = measure.time_call(model.predict, X_test, repeat=max(1, predict_repeat), clock=clock)
        correct = np.asarray(model.predict(X_test) == np.asarray(y_test), dtype=bool)
        accuracy = float(correct.mean())
        rows.append(
            {
                "model": name,
                "family": family,
                "train_cpu_s": train.best,
                "train_spread": measure.relative_spread(train.times),
                "predict_cpu_s_per_row": predict.best / len(X_test),
                "predict_spread": measure.relative_spread(predict.times),
                "accuracy": accuracy,
                "accuracy_se": measure.proportion_se(accuracy, len(X_test)),
                "correct": correct,
            }
        )
    return pd.DataFrame(rows)


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


def accuracy_difference(better, worse, *, score: str = "accuracy") -> tuple[float, float]:
    """``better``'s score minus ``worse``'s, and the standard error of that difference.

    Both rows scored on the same test rows (a ``correct`` column from :func:`cost_accuracy_frame`)
    are compared pairwise (:func:`scalingml.measure.paired_difference`); rows without it (a frame
    built by hand) fall back to both binomial standard errors in quadrature, which is wider.
    """
    a, b = getattr(better, "correct", None), getattr(worse, "correct", None)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
        paired = measure.paired_difference(a, b)
        return getattr(better, score) - getattr(worse, score), paired.se
    se = math.hypot(float(getattr(better, "accuracy_se", 0.0)), float(getattr(worse, "accuracy_se", 0.0)))
    return getattr(better, score) - getattr(worse, score), se


def budget_steps(
    frame: pd.DataFrame, *, cost: str = "train_cpu_s", score: str = "accuracy"
) -> list[measure.Conclusion]:
    """Which model to buy at each budget step of the Pareto front, as far as accuracy noise allows.

    Each step up the front is a budget at which a more accurate model becomes affordable.
    The recommendation moves up (verdict ``"buy"``) only when the gain over the model bought
    so far is beyond the noise (:func:`scalingml.measure.beyond_noise` of the paired difference,
    :func:`accuracy_difference`); otherwise (``"within noise"``) the extra spend is not shown to
    pay at this profile and the cheaper model is kept. The first step's verdict is ``"first"``;
    each step's ``numbers`` hold ``budget``, ``accuracy``, and from the second on ``gain``, ``se``.
    """
    front = frame[pareto_front(frame, cost=cost, score=score)].sort_values(cost)
    steps: list[measure.Conclusion] = []
    bought = None
    for row in front.itertuples():
        budget, accuracy = getattr(row, cost), getattr(row, score)
        numbers = {"budget": float(budget), "accuracy": float(accuracy)}
        if bought is None:
            sentence = (
                f"Below {budget:.3g} CPU-s per training run nothing on the menu fits; from {budget:.3g} CPU-s "
                f"buy {row.model} (accuracy {accuracy:.3f})."
            )
            steps.append(measure.Conclusion("first", sentence, numbers | {"model": row.model}))
            bought = row
            continue
        gain, se = accuracy_difference(row, bought, score=score)
        numbers |= {"gain": float(gain), "se": float(se)}
        if measure.beyond_noise(gain, se) and gain > 0:
            sentence = (
                f"From {budget:.3g} CPU-s ({budget / getattr(bought, cost):.1f}x more) buy {row.model}: "
                f"accuracy {accuracy:.3f}, {gain:+.3f} ± {se:.3f} over {bought.model}, a real gain (beyond the "
                f"noise, {measure.noise_band(se)})."
            )
            steps.append(measure.Conclusion("buy", sentence, numbers | {"model": row.model}))
            bought = row
        else:
            sentence = (
                f"From {budget:.3g} CPU-s {row.model} is nominally more accurate ({accuracy:.3f}, "
                f"{gain:+.3f} ± {se:.3f}), but within the noise of the test set ({measure.noise_band(se)}): the "
                f"extra spend is not shown to pay at this profile; keep {bought.model}."
            )
            steps.append(measure.Conclusion("within noise", sentence, numbers | {"model": bought.model}))
    return steps


def recommended_model(frame: pd.DataFrame, *, cost: str = "train_cpu_s", score: str = "accuracy") -> str:
    """The model :func:`budget_steps` ends up buying: the cheapest whose accuracy no dearer model beats beyond noise.

    >>> f = pd.DataFrame({"model": ["a", "b"], "train_cpu_s": [1.0, 4.0], "accuracy": [0.80, 0.81],
    ...                   "accuracy_se": 0.01})
    >>> recommended_model(f)  # b is nominally better, within the noise: keep a
    'a'
    """
    return str(budget_steps(frame, cost=cost, score=score)[-1].numbers["model"])


def conclude_budgets(frame: pd.DataFrame, *, cost: str = "train_cpu_s", score: str = "accuracy") -> list[str]:
    """The sentences of :func:`budget_steps`, then the models never worth buying (dominated, beyond or within noise)."""
    front = frame[pareto_front(frame, cost=cost, score=score)].sort_values(cost)
    sentences = [step.sentence for step in budget_steps(frame, cost=cost, score=score)]
    if len(front) == 1:
        sentences.append(
            f"The front is a single model: on this data no budget buys more accuracy than {front.iloc[0].model}."
        )
    dominated = frame[~pareto_front(frame, cost=cost, score=score)]
    clearly: list[str] = []
    nominally: list[str] = []
    for row in dominated.itertuples():
        rivals = frame[(frame[cost] <= getattr(row, cost)) & (frame[score] >= getattr(row, score))]
        beaten = any(
            gain > 0 and measure.beyond_noise(gain, se)
            for gain, se in (accuracy_difference(rival, row, score=score) for rival in rivals.itertuples())
        )
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
        gap, se = accuracy_difference(hist, classic)
        margin = max(noise, float(getattr(classic, "train_spread", 0.0)), float(getattr(hist, "train_spread", 0.0)))
        if ratio > 1 + margin:
            speed = f"classic boosting took {ratio:.1f}x the CPU-s of histogram boosting"
        elif ratio < 1 / (1 + margin):
            speed = f"histogram boosting took {1 / ratio:.1f}x the CPU-s of classic boosting"
        else:
            speed = f"classic and histogram boosting took the same CPU-s within timing noise ({margin:.0%})"
        acc = (
            f"an accuracy difference of {gap:+.3f} ± {se:.3f} (histogram minus classic)"
            if measure.beyond_noise(gap, se)
            else "the same accuracy within noise"
        )
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
    others; the lesson 02 scaling experiment measures it). ``model`` defaults to the one the
    budget rule recommends (:func:`recommended_model`), compared with the cheapest; models tied
    with it on accuracy (within noise) at a higher cost are named as not worth scaling.
    """
    indexed = frame.set_index("model", drop=False)
    chosen = indexed.loc[model if model is not None else recommended_model(frame)]
    cheap = frame.loc[frame["train_cpu_s"].idxmin()]
    factor = rows_factor * runs
    chosen_usd, cheap_usd = chosen.train_usd * factor, cheap.train_usd * factor
    kg = chosen.train_g_co2 * factor / 1000
    line = "a budget line" if chosen_usd >= 1 else "still small change"
    role = "the model the budget rule recommends" if model is None else "the model asked for"
    head = (
        f"Scaled up (training time assumed linear in rows): retraining nightly for a year on {rows_factor:,.0f}x "
        f"these rows costs {chosen_usd:,.2f} USD ({kg:,.2f} kg CO2e) with {chosen.model}, {role}"
    )
    tied = [
        row.model
        for row in frame.itertuples()
        if row.model != chosen.model
        and row.train_cpu_s > chosen.train_cpu_s
        and not measure.beyond_noise(*accuracy_difference(row, chosen))
    ]
    tail = (
        f" Tied with it on accuracy (within noise) but dearer to train, so not worth scaling: {', '.join(tied)}."
        if tied
        else ""
    )
    if chosen.model == cheap.model:
        return f"{head}, and the cheapest to train: {line}.{tail}"
    return f"{head}, against {cheap_usd:,.2f} USD with {cheap.model}, the cheapest: {line}.{tail}"
