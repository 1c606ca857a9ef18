"""Training-time experiments: fit time against rows, forecasts from power laws, parallel speedup.

>>> round(amdahl_speedup(2, serial_fraction=0.0), 6), round(amdahl_speedup(4, serial_fraction=1.0), 6)
(2.0, 1.0)
>>> round(serial_fraction_from_speedups([1, 2, 4], [1.0, 1.6, 2.29]), 2)
0.25
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from scalingml import measure, scale
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import customer_xy
from scalingml.progress import progress


class NoParallelismError(ScalingmlError, ValueError):
    """An estimator without ``n_jobs`` was given to a parallel-speedup experiment."""


@dataclass(frozen=True)
class TimedEstimator:
    """An estimator to time, its known complexity in rows, and the share of the profile's rows it can afford."""

    make: Callable[[], BaseEstimator]
    complexity: str
    known_exponent: float
    max_rows_share: float = 1.0


def _fit(make: Callable[[], BaseEstimator], xy: tuple) -> BaseEstimator:
    """A fresh estimator from ``make`` fitted on ``xy`` (features, labels)."""
    return make().fit(*xy)


def reference_estimators(seed: int = 0) -> dict[str, TimedEstimator]:
    """Three estimators whose fit cost grows at clearly different rates.

    * logistic regression (Newton-Cholesky on scaled features): a handful of
      iterations, each ~n: linear, and at laptop sizes mostly fixed overhead;
    * decision tree: ~n log n (sorting each feature at every level);
    * SVC with an RBF kernel: between n^2 and n^3 (the kernel matrix); given a
      fifth of the rows so the experiment stays within the profile's budget.
    """
    return {
        "logistic regression": TimedEstimator(
            lambda: make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky")), "n", 1.0
        ),
        "decision tree": TimedEstimator(lambda: DecisionTreeClassifier(random_state=seed), "n log n", 1.1),
        "SVC (RBF kernel)": TimedEstimator(lambda: SVC(kernel="rbf", C=1.0), "n^2 to n^3", 2.0, max_rows_share=0.2),
    }


def fit_time_curves(
    estimators: Mapping[str, TimedEstimator],
    sizes: Sequence[int],
    *,
    repeat: int = 3,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Fit time against rows for each estimator (sizes scaled by its ``max_rows_share``).

    Data generation is excluded from the timing, and BLAS runs on one thread: on small
    matrices its thread start-up is noise, and it would mix core counts into the exponent.
    Returns the tidy frame of :func:`scalingml.measure.measure_scaling` for all estimators together;
    ``clock`` as in :func:`scalingml.measure.time_call` (wall time by default).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_time_curves(estimators, sizes, repeat=repeat, seed=seed, clock=clock)


def _fit_time_curves(
    estimators: Mapping[str, TimedEstimator],
    sizes: Sequence[int],
    *,
    repeat: int,
    seed: int,
    clock: Callable[[], float],
) -> pd.DataFrame:
    frames = []
    for name, spec in progress(estimators.items(), desc="estimators"):
        own_sizes = sorted({max(50, int(n * spec.max_rows_share)) for n in sizes})
        frames.append(
            measure.measure_scaling(
                setup=lambda n: customer_xy(n, seed=seed),
                run=functools.partial(_fit, spec.make),
                sizes=own_sizes,
                label=name,
                repeat=repeat,
                clock=clock,
            )
        )
    return pd.concat(frames, ignore_index=True)


#: How many of the largest sizes a forecast is fitted on (the upper end of the curve).
FORECAST_POINTS = 3
#: Forecasts use the best of the repeats: other programs can only slow a fit down.
FORECAST_STATISTIC = "min"


def forecast(
    curves: pd.DataFrame,
    estimators: Mapping[str, TimedEstimator],
    *,
    growth: float = 2.0,
    repeat: int = 3,
    seed: int = 0,
    last: int = FORECAST_POINTS,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Predict each estimator's fit time at ``growth`` times its largest measured size, then measure it.

    The power law is fitted on the ``last`` largest sizes of ``curves`` (from
    :func:`fit_time_curves`), on the best of each size's repeats, and the next size is
    timed the same way. Returns one row per estimator:
    ``[label, k, r2, largest_measured, next_size, predicted, measured, spread, ratio]`` with
    ``ratio = measured / predicted`` (1 is a perfect forecast; 2 means the forecast was twice too
    optimistic) and ``spread`` the slowest repeat of the check over the fastest (run-to-run noise).
    """
    fits = measure.fit_power_law(curves, last=last, statistic=FORECAST_STATISTIC).set_index("label")
    rows = []
    for label, spec in progress(estimators.items(), desc="forecasts"):
        fit = measure.fit_from_row(fits.loc[label])
        largest = int(curves.loc[curves["label"] == label, "n"].max())
        next_rows = int(largest * growth)
        X, y = customer_xy(next_rows, seed=seed)
        with threadpool_limits(limits=1, user_api="blas"):
            timing = measure.time_call(lambda m=spec.make, X=X, y=y: m().fit(X, y), repeat=repeat, clock=clock)
        predicted = float(fit.predict(next_rows))
        rows.append(
            {
                "label": label,
                "k": fit.k,
                "r2": fit.r2,
                "largest_measured": largest,
                "next_size": next_rows,
                "predicted": predicted,
                "measured": timing.best,
                "spread": max(timing.times) / timing.best if timing.best > 0 else float("nan"),
                "ratio": timing.best / predicted,
            }
        )
    return pd.DataFrame(rows)


def speedup_frame(estimator: BaseEstimator, X, y, n_jobs: Sequence[int], *, repeat: int = 3) -> pd.DataFrame:
    """Fit time, speedup and efficiency of ``estimator`` for each ``n_jobs`` (the fewest jobs is the baseline).

    Speedup S(p) = T(1) / T(p); efficiency = S(p) / p. ``estimator`` must have an ``n_jobs``
    parameter (a random forest, a search; an SVC has none). ``seconds`` is the median wall time
    of ``repeat`` fits; ``spread`` is (slowest - fastest) / median, the run-to-run noise.
    """
    if "n_jobs" not in estimator.get_params():
        raise NoParallelismError(
            f"{type(estimator).__name__} has no n_jobs parameter: it cannot spread one fit over cores. "
            "Time an estimator that has one (RandomForestClassifier), or a search (GridSearchCV(n_jobs=...))."
        )
    rows = []
    for jobs in progress(n_jobs, desc="n_jobs"):
        model = clone(estimator).set_params(n_jobs=jobs)
        timing = measure.time_call(model.fit, X, y, repeat=repeat)
        spread = (max(timing.times) - min(timing.times)) / timing.median if repeat > 1 else float("nan")
        rows.append({"n_jobs": jobs, "seconds": timing.median, "spread": spread})
    return speedups_from_timings(pd.DataFrame(rows))


def speedups_from_timings(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``speedup`` (time at the fewest jobs / time) and ``efficiency`` (speedup / jobs) to ``[n_jobs, seconds]``."""
    frame = frame.copy()
    baseline = frame.loc[frame["n_jobs"].idxmin(), "seconds"]
    frame["speedup"] = baseline / frame["seconds"]
    frame["efficiency"] = frame["speedup"] / frame["n_jobs"]
    return frame


def amdahl_speedup(workers, serial_fraction: float):
    """Amdahl's law: the best speedup on ``workers`` when ``serial_fraction`` of the work cannot be split."""
    workers = np.asarray(workers, dtype=float)
    result = 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)
    return float(result) if result.ndim == 0 else result


def serial_fraction_from_speedups(workers: Sequence[float], speedups: Sequence[float]) -> float:
    """Least-squares serial fraction ``s`` of Amdahl's law given measured speedups, clipped to [0, 1].

    Amdahl: 1/S = s + (1 - s)/p, i.e. 1/S - 1/p = s (1 - 1/p): a line through the origin.
    Points with p = 1 carry no information and are ignored.
    """
    p = np.asarray(workers, dtype=float)
    inverse = 1.0 / np.asarray(speedups, dtype=float)
    use = p > 1
    if not use.any():
        raise ValueError("need at least one measurement with more than one worker")
    x = 1.0 - 1.0 / p[use]
    target = inverse[use] - 1.0 / p[use]
    return float(np.clip((x @ target) / (x @ x), 0.0, 1.0))


#: The grid searched locally and on the Dask cluster: 12 candidates ...
FULL_SEARCH_GRID = {"max_depth": [4, 8, None], "min_samples_leaf": [1, 5], "max_features": ["sqrt", 0.5]}
#: ... or 4, for profiles with ``reduced_search_grid`` (seconds, not minutes, per search).
REDUCED_SEARCH_GRID = {"max_depth": [4, None], "max_features": ["sqrt", 0.5]}


def search_grid(profile: scale.ScaleProfile | None = None) -> dict:
    """The hyper-parameter grid for ``profile`` (default: the active one).

    >>> from sklearn.model_selection import ParameterGrid
    >>> [len(ParameterGrid(search_grid(scale.get_profile(name)))) for name in ("ci", "large")]
    [4, 12]
    """
    profile = profile or scale.active()
    return dict(REDUCED_SEARCH_GRID if profile.reduced_search_grid else FULL_SEARCH_GRID)


def grid_search(
    X,
    y,
    *,
    grid: dict | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    cv: int = 3,
    n_estimators: int = 30,
    seed: int = 0,
) -> tuple[float, dict, float]:
    """Run the same grid search (random forest) with joblib's default or the ``"dask"`` backend.

    With ``backend="dask"`` a ``distributed.Client`` must be active (see
    :func:`scalingml.cluster.client`): the fits then run on its workers, local or remote.
    Returns ``(seconds, best_params, best_score)``.
    """
    from joblib import parallel_config

    # n_jobs=1 inside: only the search's candidates x folds are spread. Otherwise, under the
    # dask backend, every forest would also send each of its trees through the scheduler.
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)
    search = GridSearchCV(forest, grid or search_grid(), cv=cv, n_jobs=n_jobs)
    start = time.perf_counter()
    if backend is None:
        search.fit(X, y)
    else:
        with parallel_config(backend=backend):
            search.fit(X, y)
    return time.perf_counter() - start, search.best_params_, float(search.best_score_)


# --- conclusions: each takes the measured values and says only what they support -------------------------------------

#: Below this r² (log-log, on the points fitted) a power law does not describe the timings well enough to use.
MIN_R2 = 0.9
#: Forecasts are trusted up to this many times the largest measured size and refused beyond it.
MAX_EXTRAPOLATION = 4.0
#: A fit shorter than this (seconds, on one job) is too short for thread start-up and coordination to pay off.
MIN_PARALLEL_SECONDS = 0.5
#: Timings in the lesson are repeated at least this often, whatever the profile, so that their spread is known.
MIN_TIMING_REPEATS = 3


def format_seconds(seconds: float) -> str:
    """Seconds in readable units: ms below one second, s above, minutes and hours for long waits.

    >>> [format_seconds(s) for s in (0.0004, 0.0123, 2.5, 754.0, 38_000.0)]
    ['0.4 ms', '12 ms', '2.50 s', '12.6 min', '10.6 h']
    """
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fit_problem(k: float, r2: float, *, min_r2: float = MIN_R2) -> str | None:
    """Why a power-law fit cannot be used (``None`` when it can): time that did not grow, or a poor fit.

    >>> fit_problem(1.2, 0.99) is None, fit_problem(-0.1, 0.95), fit_problem(0.8, 0.5)
    (True, 'time did not grow with rows (exponent -0.10)', 'the fit is poor (r² 0.50 < 0.9)')
    """
    if not np.isfinite(k) or k <= 0:
        return f"time did not grow with rows (exponent {k:.2f})"
    if not np.isfinite(r2) or r2 < min_r2:
        return f"the fit is poor (r² {r2:.2f} < {min_r2:g})"
    return None


def conclude_growth(fit: measure.PowerLaw, *, min_r2: float = MIN_R2) -> str:
    """What one fitted exponent says about growth: inconclusive on an unusable fit, else sub-linear, linear or faster.

    >>> conclude_growth(measure.PowerLaw(a=1e-5, k=-0.3, r2=0.4)).split(":")[0]
    'Inconclusive at this profile'
    >>> [conclude_growth(measure.PowerLaw(a=1e-5, k=k, r2=0.99)).split(",")[0] for k in (0.6, 1.0, 1.4)]
    ['Sub-linear growth', 'About linear growth', 'Faster than linear growth']
    """
    problem = fit_problem(fit.k, fit.r2, min_r2=min_r2)
    if problem:
        return (
            f"Inconclusive at this profile: {problem}. These sizes are too small (or the machine too busy) to read "
            "an exponent from; a larger profile times larger tables."
        )
    doubling = f"doubling the data multiplies the time by about {2**fit.k:.2f}"
    if fit.k < 0.9:
        return (
            f"Sub-linear growth, exponent {fit.k:.2f} (r² {fit.r2:.2f}): {doubling}. Time grows more slowly than "
            "rows, which usually means fixed costs (input checks, set-up) still weigh at these sizes."
        )
    if fit.k <= 1.1:
        return f"About linear growth, exponent {fit.k:.2f} (r² {fit.r2:.2f}): {doubling}."
    return (
        f"Faster than linear growth, exponent {fit.k:.2f} (r² {fit.r2:.2f}): {doubling}. The work per row grows "
        "with the table (sorting, pairwise distances)."
    )


#: Known exponents closer than this (n and n log n over a decade of rows) are expected to measure about the same.
CLOSE_EXPONENTS = 0.2


def _known_tiers(known: Mapping[str, float], close: float) -> list[list[str]]:
    """Labels sorted by known exponent, grouped where neighbours are within ``close`` of each other."""
    tiers: list[list[str]] = []
    previous = None
    for label in sorted(known, key=known.__getitem__):
        if previous is not None and known[label] - previous <= close:
            tiers[-1].append(label)
        else:
            tiers.append([label])
        previous = known[label]
    return tiers


def conclude_exponents(
    fits: pd.DataFrame, known: Mapping[str, float], *, min_r2: float = MIN_R2, close: float = CLOSE_EXPONENTS
) -> str:
    """Do the measured exponents order the estimators as their known complexities do? Only if every fit is usable.

    ``fits`` is :func:`scalingml.measure.fit_power_law`'s frame; ``known`` maps each label to its
    known exponent. Estimators whose known exponents are within ``close`` of each other are
    expected to measure about the same: no order between them is claimed or required.

    >>> fits = pd.DataFrame({"label": ["a", "b"], "k": [0.9, 1.9], "r2": [0.99, 0.98]})
    >>> conclude_exponents(fits, {"a": 1.0, "b": 1.1}).split(":")[0]
    'The measured exponents order the estimators as their known complexity does (a ≈ b)'
    """
    problems = {row.label: fit_problem(row.k, row.r2, min_r2=min_r2) for row in fits.itertuples()}
    bad = {label: why for label, why in problems.items() if why}
    measured = " < ".join(f"{row.label} ({row.k:.2f}, r² {row.r2:.2f})" for row in fits.sort_values("k").itertuples())
    if bad:
        reasons = "; ".join(f"{label}: {why}" for label, why in bad.items())
        return (
            f"Inconclusive at this profile: {reasons}. These timings cannot rank the estimators by growth "
            f"(measured: {measured}); a larger profile times larger tables."
        )
    tiers = _known_tiers(known, close)
    expected = " < ".join(" ≈ ".join(tier) for tier in tiers)
    close_note = "".join(
        f" Expected to be close (known exponents within {close:g} of each other): {' and '.join(tier)}; their "
        "order between themselves means nothing here."
        for tier in tiers
        if len(tier) > 1
    )
    k = fits.set_index("label")["k"]
    in_order = all(
        k[low] < k[high] for i, tier in enumerate(tiers) for low in tier for later in tiers[i + 1 :] for high in later
    )
    if in_order:
        return (
            f"The measured exponents order the estimators as their known complexity does ({expected}): "
            f"{measured}.{close_note}"
        )
    return (
        f"The measured exponents order the estimators differently from their known complexity "
        f"({expected}): {measured}. Over this range of sizes the exponents describe these sizes only, "
        f"not how the fits grow further.{close_note}"
    )


def conclude_forecasts(forecasts: pd.DataFrame, *, tolerance: float = 1.5, min_r2: float = MIN_R2) -> list[str]:
    """One sentence per estimator of :func:`forecast`: refused (unusable fit), held, or missed, against the noise.

    A forecast "held" when measured/predicted is within ``tolerance`` or within the check's own
    run-to-run spread, whichever is larger.

    >>> frame = pd.DataFrame({"label": ["a", "b"], "k": [1.0, -0.2], "r2": [0.99, 0.4], "largest_measured": [100, 100],
    ...     "next_size": [200, 200], "predicted": [0.02, 0.01], "measured": [0.021, 0.03], "spread": [1.1, 1.2],
    ...     "ratio": [1.05, 3.0]})
    >>> [line.split(":")[0] for line in conclude_forecasts(frame)]
    ['a', 'b']
    >>> "held" in conclude_forecasts(frame)[0], "inconclusive" in conclude_forecasts(frame)[1]
    (True, True)
    """
    lines = []
    for row in forecasts.itertuples():
        problem = fit_problem(row.k, row.r2, min_r2=min_r2)
        numbers = (
            f"predicted {format_seconds(row.predicted)} at {row.next_size:,} rows, measured "
            f"{format_seconds(row.measured)}"
        )
        if problem:
            lines.append(
                f"{row.label}: inconclusive at this profile — {problem}, so no forecast is trusted "
                f"({numbers}, off by {max(row.ratio, 1 / row.ratio):.2f}x)."
            )
            continue
        off = max(row.ratio, 1 / row.ratio)
        allowed = max(tolerance, row.spread if np.isfinite(row.spread) else tolerance)
        if off <= allowed:
            lines.append(f"{row.label}: the forecast held — {numbers} (off by {off:.2f}x, allowed {allowed:.2f}x).")
        else:
            direction = "too optimistic" if row.ratio > 1 else "too pessimistic"
            lines.append(
                f"{row.label}: the forecast missed — {numbers}, {direction} by {off:.2f}x (beyond {allowed:.2f}x); "
                f"exponent {row.k:.2f} (r² {row.r2:.2f}) does not carry to {row.next_size / row.largest_measured:g}x "
                "the largest size measured here."
            )
    return lines


def conclude_extrapolation(
    timings: pd.DataFrame, fit: measure.PowerLaw, target: int, *, what: str, max_growth: float = MAX_EXTRAPOLATION
) -> str:
    """Forecast ``what`` at ``target`` rows; refuse beyond ``max_growth`` x the largest size measured, or on a bad fit.

    ``timings`` is the :func:`scalingml.measure.measure_scaling` frame the fit came from. When
    the target is too far, the sentence gives the forecast at the farthest size it trusts instead.

    >>> frame = pd.DataFrame({"n": [100, 200, 400], "seconds": [0.1, 0.2, 0.4]})
    >>> conclude_extrapolation(frame, measure.PowerLaw(a=0.001, k=1.0, r2=1.0), 40_000, what="x").split(":")[0]
    'No forecast for 40,000 rows'
    """
    largest = int(timings["n"].max())
    measured = (
        f"measured {format_seconds(timings['seconds'].min())} to {format_seconds(timings['seconds'].max())} "
        f"over {int(timings['n'].min()):,}–{largest:,} rows; exponent {fit.k:.2f}, r² {fit.r2:.2f}"
    )
    problem = fit_problem(fit.k, fit.r2)
    if problem:
        return f"Inconclusive at this profile ({measured}): {problem}, so no forecast of {what} is made."
    limit = int(largest * max_growth)
    if target > limit:
        return (
            f"No forecast for {target:,} rows: that is {target / largest:.0f}x the largest size measured "
            f"({measured}), and a power law is trusted only up to {max_growth:g}x. At {limit:,} rows "
            f"{what} would take about {format_seconds(float(fit.predict(limit)))}; measure larger sizes before "
            "forecasting further."
        )
    return f"At {target:,} rows {what} should take about {format_seconds(float(fit.predict(target)))} ({measured})."


#: Amdahl's cap is stated as one number only when the timings' spread is at most this (and >= 2 worker counts > 1).
MAX_AMDAHL_SPREAD = 0.1


def serial_fraction_range(workers, speedups, *, spread: float) -> tuple[float, float]:
    """The serial fractions consistent with ``speedups`` off by up to ``spread`` either way: ``(lowest, highest)``.

    Each speedup may be ``1 + spread`` times too high or too low (the run-to-run noise); the fit of
    :func:`serial_fraction_from_speedups` on the speedups all raised gives the lowest fraction, on
    them all lowered the highest.

    >>> [round(s, 2) for s in serial_fraction_range([2], [1.33], spread=0.26)]
    [0.19, 0.89]
    """
    speedups = np.asarray(speedups, dtype=float)
    return (
        serial_fraction_from_speedups(workers, speedups * (1 + spread)),
        serial_fraction_from_speedups(workers, speedups / (1 + spread)),
    )


def _cap(serial_fraction: float) -> str:
    return "no bound" if serial_fraction <= 0 else f"{1 / serial_fraction:.1f}x"


def amdahl_cap(workers, speedups, *, serial_fraction: float, spread: float) -> str:
    """What Amdahl's law says about any number of workers, given the measured speedups and their spread.

    One cap only when it is pinned down: at least two worker counts above 1 and a spread of at most
    :data:`MAX_AMDAHL_SPREAD`. Otherwise the range of caps the spread allows, or, when that range is
    unbounded, that the cap cannot be pinned down.

    >>> amdahl_cap([2], [1.33], serial_fraction=0.5, spread=0.26).split(": ")[0]
    'from one worker count above 1 with a 26% spread the serial fraction lies anywhere in 0.19–0.89 (fitted 0.50)'
    """
    workers = np.asarray(workers, dtype=float)
    counts = int(np.unique(workers[workers > 1]).size)
    if serial_fraction <= 0:
        return (
            "the speedup was linear or better, so Amdahl's law finds no serial fraction (s clipped to 0): "
            "these measurements set no bound"
        )
    if counts >= 2 and spread <= MAX_AMDAHL_SPREAD:
        return (
            f"Amdahl's law with the fitted serial fraction {serial_fraction:.2f} caps any number of workers at "
            f"{_cap(serial_fraction)}"
        )
    low, high = serial_fraction_range(workers, speedups, spread=spread)
    basis = (
        f"from {'one worker count' if counts == 1 else f'{counts} worker counts'} above 1 with a {spread:.0%} "
        f"spread the serial fraction lies anywhere in {low:.2f}–{high:.2f} (fitted {serial_fraction:.2f})"
    )
    if low <= 0:
        return (
            f"{basis}: Amdahl's cap on any number of workers cannot be pinned down at this profile (anywhere from "
            f"{_cap(high)} to no bound); time more worker counts on more cores, several times each"
        )
    return (
        f"{basis}: Amdahl's law caps any number of workers somewhere between {_cap(high)} and {_cap(low)} — the "
        "measurements cannot pin it down further at this profile"
    )


def conclude_speedup(speedups: pd.DataFrame, *, cores: int, serial_fraction: float) -> list[str]:
    """What the ``n_jobs`` experiment showed, against its run-to-run spread.

    ``speedups`` is :func:`speedup_frame`'s frame. A speedup counts only when it exceeds 1 by
    more than the spread of the two timings compared; the same rule judges jobs beyond the cores.

    >>> frame = pd.DataFrame({"n_jobs": [1, 2, 4], "seconds": [1.0, 0.55, 0.58], "spread": [0.1, 0.1, 0.1]})
    >>> lines = conclude_speedup(speedups_from_timings(frame), cores=2, serial_fraction=0.1)
    >>> lines[0].split(" (")[0]
    'On 2 cores the best speedup is 1.82x at n_jobs=2'
    >>> "no faster" in lines[1]
    True
    """
    frame = speedups.sort_values("n_jobs").reset_index(drop=True)
    base = frame.iloc[0]
    parallel = frame[(frame["n_jobs"] > base.n_jobs) & (frame["n_jobs"] <= cores)]
    within = parallel if len(parallel) else frame.iloc[:1]
    best = within.loc[within["speedup"].idxmax()]
    if frame["spread"].isna().any():
        return [
            f"Inconclusive at this profile: each setting was timed once (best speedup {best.speedup:.2f}x), so the "
            "run-to-run noise is unknown; time each setting several times."
        ]
    noise = max(base.spread, best.spread)
    lines = []
    if best.speedup < 1 - noise:
        lines.append(
            f"Slower in parallel at this profile: n_jobs={int(best.n_jobs)} took {1 / best.speedup:.2f}x as long as "
            f"one job ({format_seconds(best.seconds)} against {format_seconds(base.seconds)}, beyond the "
            f"{noise:.0%} spread) — "
            + (
                "the fit is probably too short for threads to pay off"
                if base.seconds < MIN_PARALLEL_SECONDS
                else "other programs probably held the other core(s)"
            )
            + "; no serial fraction can be estimated."
        )
    elif best.speedup - 1 <= noise:
        lines.append(
            f"No measurable speedup at this profile: the best on {cores} cores is {best.speedup:.2f}x at "
            f"n_jobs={int(best.n_jobs)}, within the run-to-run spread ({noise:.0%}) of a "
            f"{format_seconds(base.seconds)} fit — "
            + (
                "probably too short to split across cores"
                if base.seconds < MIN_PARALLEL_SECONDS
                else "long enough to split, so other programs probably held the other core(s)"
            )
            + "; no serial fraction can be estimated."
        )
    else:
        used = frame[frame["n_jobs"] <= cores]
        amdahl = amdahl_cap(
            parallel["n_jobs"], parallel["speedup"], serial_fraction=serial_fraction, spread=float(used["spread"].max())
        )
        lines.append(
            f"On {cores} cores the best speedup is {best.speedup:.2f}x at n_jobs={int(best.n_jobs)} "
            f"(efficiency {best.efficiency:.0%}, {format_seconds(base.seconds)} -> {format_seconds(best.seconds)}, "
            f"beyond the {noise:.0%} spread); {amdahl}."
        )
    over = frame[frame["n_jobs"] > cores]
    at_cores = frame[frame["n_jobs"] <= cores].iloc[-1]
    for row in over.itertuples():
        change = row.seconds / at_cores.seconds - 1
        margin = max(row.spread, at_cores.spread)
        if change > margin:
            verdict = (
                f"was {change:.0%} slower (beyond the {margin:.0%} spread): more jobs than cores only add overhead"
            )
        elif change < -margin:
            verdict = (
                f"was {-change:.0%} faster (beyond the {margin:.0%} spread): unexpected with {cores} cores — other "
                "programs probably held a core during the other measurement"
            )
        else:
            verdict = f"was no faster or slower within the {margin:.0%} spread: more jobs than cores buy nothing"
        lines.append(f"n_jobs={row.n_jobs} (more jobs than the {cores} cores) {verdict}.")
    return lines


def search_timings(
    X, y, *, grid: dict, n_estimators: int, repeat: int = 3, backend: str | None = None, cv: int = 3, seed: int = 0
) -> pd.DataFrame:
    """Run the same :func:`grid_search` ``repeat`` times: ``[backend, run, seconds, best_params]``.

    Run 0 is "cold": it pays for starting joblib's worker processes (local) or for shipping the
    code to the workers (Dask); later runs are "warm", the cost of the search itself.
    """
    rows = []
    for run in range(repeat):
        seconds, best, _ = grid_search(
            X, y, grid=grid, n_jobs=-1, n_estimators=n_estimators, backend=backend, cv=cv, seed=seed
        )
        rows.append({"backend": backend or "local", "run": run, "seconds": seconds, "best_params": best})
    return pd.DataFrame(rows)


def conclude_backends(timings: pd.DataFrame, *, startup: float) -> list[str]:
    """Compare warm searches of :func:`search_timings` (local vs dask) against their spread; start-up apart.

    ``startup`` is how long the Dask cluster took to start (outside the searches).

    >>> t = pd.DataFrame({"backend": ["local"] * 3 + ["dask"] * 3, "run": [0, 1, 2] * 2,
    ...                   "seconds": [2.0, 1.0, 1.05, 1.2, 0.5, 0.52], "best_params": [{}] * 6})
    >>> conclude_backends(t, startup=3.0)[0].split(":")[0]
    'Warm searches (2 runs each after a first one)'
    """
    warm = timings[timings["run"] > 0]
    counts = warm.groupby("backend").size()
    if warm.empty or counts.min() < 2:
        return [
            "Inconclusive at this profile: fewer than two warm runs per backend, so the run-to-run noise is "
            "unknown; repeat each search at least three times."
        ]
    stats = warm.groupby("backend")["seconds"].agg(["median", "min", "max"])
    stats["spread"] = (stats["max"] - stats["min"]) / stats["median"]
    local, dask = stats.loc["local"], stats.loc["dask"]
    margin = float(stats["spread"].max())
    head = (
        f"Warm searches ({counts.min()} runs each after a first one): local processes "
        f"{format_seconds(local['median'])}, the Dask cluster {format_seconds(dask['median'])}"
    )
    ratio = local["median"] / dask["median"]
    if ratio - 1 > margin:
        first = f"{head}: the Dask cluster was {ratio:.2f}x faster, beyond the {margin:.0%} spread."
    elif 1 / ratio - 1 > margin:
        first = f"{head}: local processes were {1 / ratio:.2f}x faster, beyond the {margin:.0%} spread."
    else:
        first = f"{head}: the difference is within the {margin:.0%} spread — no winner at this profile."
    cold = timings[timings["run"] == 0].set_index("backend")["seconds"]
    local_start = max(0.0, cold["local"] - local["median"])
    search = min(local["median"], dask["median"])
    if max(local_start, startup) > search:
        one_off = (
            "start-up costs more than a warm search, so a one-off search here is decided by start-up, not by compute"
        )
    elif max(local_start, startup) > search / 4:
        one_off = "start-up is comparable to a warm search: it weighs on a one-off search"
    else:
        one_off = "start-up is small against a warm search"
    second = (
        f"Start-up, kept out of that comparison: the first local search took {format_seconds(local_start)} longer "
        f"(starting worker processes) and the cluster took {format_seconds(startup)} to start; {one_off}."
    )
    bests = {str(b) for b in timings["best_params"]}
    third = (
        "Every search chose the same parameters."
        if len(bests) == 1
        else f"The searches chose different parameters: {sorted(bests)}."
    )
    return [first, second, third]
