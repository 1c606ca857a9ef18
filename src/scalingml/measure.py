"""Measuring: wall time, peak memory and power-law fits, as tidy pandas frames.

These are the bricks of every scale experiment in the course. A typical use::

    frame = measure_scaling(lambda n: make_data(n), fit_model, sizes=profile.sizes(5))
    fits = fit_power_law(frame)            # one row per label: a, k, r2
    plots.plot_scaling(frame, fits)        # log-log plot with the fitted lines

Everything is measured on the machine it runs on; nothing here is a constant.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scalingml.errors import InvalidParameterError, ScalingmlError
from scalingml.progress import progress


class MissingColumnError(ScalingmlError, KeyError):
    """A frame handed to a fit lacks a column it needs; the message lists the columns it has."""


#: Columns of the frame returned by :func:`measure_scaling`.
SCALING_COLUMNS = ["label", "n", "repeat", "seconds", "peak_mb"]
#: Columns of the frame returned by :func:`fit_power_law`.
FIT_COLUMNS = ["label", "a", "k", "r2", "n_points"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated calls; ``median`` is the figure to quote."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def time_call(
    fn: Callable[..., Any], *args: Any, repeat: int = 3, clock: Callable[[], float] = time.perf_counter, **kwargs: Any
) -> Timing:
    """Call ``fn(*args, **kwargs)`` ``repeat`` times and return the times.

    ``clock`` is wall time by default; ``time.process_time`` counts this process's CPU
    seconds instead, which other programs competing for the cores barely change.

    >>> timing = time_call(sum, range(1000), repeat=3)
    >>> len(timing.times), timing.median >= 0
    (3, True)
    """
    if repeat < 1:
        raise InvalidParameterError(f"repeat must be at least 1, got {repeat}")
    times = []
    for _ in range(repeat):
        start = clock()
        fn(*args, **kwargs)
        times.append(clock() - start)
    return Timing(tuple(times))


def proportion_se(share, n_rows):
    """Binomial standard error of a share (an accuracy, a rate) measured on ``n_rows`` rows: sqrt(p (1 - p) / n).

    The yardstick the lessons use to say whether a difference is beyond noise. Works on arrays.

    >>> round(proportion_se(0.9, 100), 3)
    0.03
    """
    result = np.sqrt(np.asarray(share, dtype=float) * (1 - np.asarray(share, dtype=float)) / n_rows)
    return float(result) if result.ndim == 0 else result


#: The course's one yardstick: a difference is *beyond the noise* when it exceeds this many standard errors of
#: that difference (about 95% two-sided under a normal approximation). "±" in every printed sentence means one
#: standard error; a noise band is written as ``NOISE_SE`` of them ("noise 2 SE = 0.012").
NOISE_SE = 2.0


def beyond_noise(difference: float, se: float, *, k: float = NOISE_SE) -> bool:
    """True when ``difference`` is larger in size than ``k`` standard errors ``se`` of that difference.

    An unknown (NaN) difference or standard error is never beyond the noise.

    >>> beyond_noise(0.03, 0.01), beyond_noise(-0.03, 0.01), beyond_noise(0.015, 0.01), beyond_noise(0.1, float("nan"))
    (True, True, False, False)
    """
    difference, se = float(difference), float(se)
    if np.isnan(difference) or np.isnan(se):
        return False
    return abs(difference) > k * se


def noise_band(se: float, *, k: float = NOISE_SE, digits: int = 3) -> str:
    """How the sentences write a noise band: ``"2 SE = 0.012"`` for ``se=0.006``.

    >>> noise_band(0.006)
    '2 SE = 0.012'
    """
    return f"{k:g} SE = {k * float(se):.{digits}f}"


@dataclass(frozen=True)
class PairedDifference:
    """Accuracy of model A minus model B, scored on the same rows, with its paired standard error.

    ``only_a`` and ``only_b`` count the rows only A (only B) got right: McNemar's discordant
    pairs, the only rows that carry information about the difference.
    """

    difference: float
    se: float
    n: int
    only_a: int
    only_b: int

    @property
    def beyond_noise(self) -> bool:
        """The difference exceeds :data:`NOISE_SE` paired standard errors."""
        return beyond_noise(self.difference, self.se)

    def __str__(self) -> str:
        return f"{self.difference:+.3f} ± {self.se:.3f}"


def paired_difference(
    correct_a: Sequence[bool] | np.ndarray, correct_b: Sequence[bool] | np.ndarray
) -> PairedDifference:
    """Compare two models scored on the *same* rows: the accuracy difference and its paired standard error.

    The standard error of the mean of the per-row differences (correct_a - correct_b), which is
    McNemar's test in its normal form: rows both models get right, or both get wrong, carry no
    information about which is better. Adding the two accuracies' binomial standard errors in
    quadrature instead treats the models as scored on different rows, and is several times too
    wide when they agree on most rows.

    >>> a = [True] * 90 + [False] * 10
    >>> b = [True] * 85 + [False] * 15
    >>> d = paired_difference(a, b)
    >>> d.difference, d.only_a, d.only_b, round(d.se, 4), d.beyond_noise
    (0.05, 5, 0, 0.0219, True)
    >>> round(float(np.hypot(proportion_se(0.90, 100), proportion_se(0.85, 100))), 4)  # unpaired: 2.1x wider
    0.0466
    """
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise InvalidParameterError(
            f"paired_difference needs two equal-length, non-empty rows of per-row results; got {a.shape} and {b.shape}"
        )
    per_row = a.astype(float) - b.astype(float)
    n = len(per_row)
    se = float(per_row.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return PairedDifference(float(per_row.mean()), se, n, int((a & ~b).sum()), int((b & ~a).sum()))


def relative_spread(times: Sequence[float]) -> float:
    """Relative spread of repeated measurements: interquartile range / median from four on, else range / median.

    The interquartile range ignores one slow outlier (another program grabbing the core),
    which would otherwise make every comparison look inconclusive. 0 for one measurement.

    >>> relative_spread([1.0]), round(relative_spread([1.0, 1.2]), 2)
    (0.0, 0.18)
    >>> round(relative_spread([1.0, 1.0, 1.1, 1.0, 5.0]), 2)  # the 5.0 outlier is ignored
    0.1
    """
    times = [float(t) for t in times]
    if len(times) < 2:
        return 0.0
    median = statistics.median(times)
    if median <= 0:
        return 0.0
    if len(times) < 4:
        return (max(times) - min(times)) / median
    q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return (q3 - q1) / median


@dataclass(frozen=True)
class Conclusion:
    """A computed conclusion: the verdict as a value, the numbers it rests on, and the sentence said from them.

    Experiments return these; tests assert ``verdict`` and ``numbers``; lessons print it (``str`` is
    the sentence), so rewording a sentence never breaks a test of what was concluded.
    """

    verdict: str
    sentence: str
    numbers: Mapping[str, float | str] = field(default_factory=dict)  # the values it rests on (a model name too)

    def __str__(self) -> str:
        return self.sentence

    def _repr_markdown_(self) -> str:  # a bare Conclusion at the end of a cell shows the sentence
        return self.sentence


@dataclass(frozen=True)
class MemoryPeak:
    """Peak memory of one call, in bytes, with the call's return value."""

    peak_bytes: int
    result: Any
    method: str
    #: Wall time of the call itself (garbage collection before it excluded); traced calls run slower.
    seconds: float = float("nan")

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20


def peak_memory(fn: Callable[..., Any], *args: Any, method: str = "tracemalloc", **kwargs: Any) -> MemoryPeak:
    """Peak memory allocated while ``fn(*args, **kwargs)`` runs, above what was in use before.

    ``method="tracemalloc"`` (default) counts Python and NumPy allocations exactly
    and repeatably, but not memory held by native libraries outside them (Arrow's
    pool, BLAS work space). ``method="rss"`` samples the process's resident memory
    every millisecond: it sees everything, but is noisier (the allocator keeps
    freed pages, other threads count too).

    >>> peak = peak_memory(lambda: bytearray(10 * 2**20))
    >>> 9.5 < peak.peak_mb < 11
    True
    """
    gc.collect()
    if method == "tracemalloc":
        already = tracemalloc.is_tracing()
        if not already:
            tracemalloc.start()
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        try:
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            seconds = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            if not already:
                tracemalloc.stop()
        return MemoryPeak(max(0, peak - baseline), result, method, seconds)
    if method == "rss":
        return _peak_rss(fn, args, kwargs)
    raise InvalidParameterError(f"Unknown memory method {method!r}; use 'tracemalloc' or 'rss'.")


def release_memory() -> None:
    """Hand freed memory back to the operating system before an RSS measurement.

    The C allocator and Arrow's memory pool keep freed pages for reuse, so without this an
    RSS peak depends on what ran before (a big earlier run makes later ones look free).
    Collects garbage, trims glibc's heap (where there is one) and releases Arrow's unused pool.

    >>> release_memory()
    """
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        pass
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass


def _proc_kib(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` field of ``/proc/self/status`` in KiB (None off Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    """Reset the kernel's record of this process's peak RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return _proc_kib("VmHWM") is not None


def _peak_rss(fn: Callable[..., Any], args: tuple, kwargs: dict) -> MemoryPeak:
    """Peak RSS above the RSS before the call.

    On Linux the kernel keeps the peak itself (``VmHWM``, reset through ``/proc/self/clear_refs``):
    exact, and free of cost, so the same call can be timed. Elsewhere a thread samples RSS every
    millisecond (it misses peaks shorter than that and slows the call a little).
    """
    if _reset_rss_peak():
        baseline = _proc_kib("VmRSS") or 0
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        peak = _proc_kib("VmHWM") or baseline
        return MemoryPeak(max(0, peak - baseline) * 1024, result, "rss", seconds)
    import psutil

    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
    finally:
        done.set()
        sampler.join()
    peak = max(peak, process.memory_info().rss)
    return MemoryPeak(max(0, peak - baseline), result, "rss", seconds)


def measure_scaling(
    setup: Callable[[int], Any],
    run: Callable[[Any], Any],
    sizes: Iterable[int],
    *,
    label: str = "run",
    repeat: int = 1,
    memory: str | None = None,
    show_progress: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Time ``run(setup(n))`` for every ``n`` in ``sizes``; only ``run`` is timed.

    Returns a tidy frame with the columns of :data:`SCALING_COLUMNS`, one row per
    (size, repeat). ``peak_mb`` is filled when ``memory`` names a
    :func:`peak_memory` method (measured on the first repeat, separately from timing
    so that tracing does not slow the timed call), otherwise NaN.

    >>> frame = measure_scaling(lambda n: list(range(n)), sorted, [10, 100], show_progress=False)
    >>> list(frame.columns) == SCALING_COLUMNS, len(frame)
    (True, 2)
    """
    sizes = [int(n) for n in sizes]
    if not sizes:
        raise InvalidParameterError("sizes is empty: give at least one size to measure")
    rows = []
    for n in progress(sizes, desc=f"{label}: sizes", disable=not show_progress):
        data = setup(n)
        peak_mb = float("nan")
        if memory is not None:
            peak_mb = peak_memory(run, data, method=memory).peak_mb
        for i, seconds in enumerate(time_call(run, data, repeat=repeat, clock=clock).times):
            rows.append({"label": label, "n": n, "repeat": i, "seconds": seconds, "peak_mb": peak_mb})
    return pd.DataFrame(rows, columns=SCALING_COLUMNS)


@dataclass(frozen=True)
class PowerLaw:
    """``y = a * n**k`` fitted by least squares on log-log axes; ``r2`` is on the log scale."""

    a: float
    k: float
    r2: float

    def predict(self, n: float | Sequence[float] | np.ndarray) -> float | np.ndarray:
        """The fitted ``y`` at ``n``.

        >>> PowerLaw(a=2.0, k=1.0, r2=1.0).predict(10)
        20.0
        """
        result = self.a * np.asarray(n, dtype=float) ** self.k
        return float(result) if result.ndim == 0 else result


def power_law(n: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> PowerLaw:
    """Fit ``y = a * n**k`` to paired measurements.

    >>> fit = power_law([10, 100, 1000], [0.5, 50, 5000])
    >>> round(fit.k, 6), round(fit.a, 6)
    (2.0, 0.005)

    Raises:
        InvalidParameterError: with fewer than two distinct sizes, or a non-positive value
            (a log-log fit needs positive numbers).
    """
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    if n.shape != y.shape:
        raise InvalidParameterError(f"n and y differ in length ({n.size} vs {y.size})")
    if np.unique(n).size < 2:
        raise InvalidParameterError("a power-law fit needs measurements at two or more distinct sizes")
    if np.any(n <= 0) or np.any(y <= 0) or not np.all(np.isfinite(y)):
        raise InvalidParameterError(
            "a power-law fit needs positive, finite sizes and values (it works on their logarithms)"
        )
    log_n, log_y = np.log(n), np.log(y)
    k, log_a = np.polyfit(log_n, log_y, 1)
    residual = log_y - (log_a + k * log_n)
    total = log_y - log_y.mean()
    ss_tot = float(total @ total)
    r2 = 1.0 - float(residual @ residual) / ss_tot if ss_tot > 0 else 1.0
    return PowerLaw(a=float(np.exp(log_a)), k=float(k), r2=r2)


def fit_power_law(
    frame: pd.DataFrame,
    *,
    x: str = "n",
    y: str = "seconds",
    by: str = "label",
    last: int | None = None,
    statistic: str = "median",
) -> pd.DataFrame:
    """Fit a power law per group of a tidy frame, on the median (or ``statistic``) of repeats.

    ``last`` keeps only the largest ``last`` sizes of each group: at small sizes fixed
    overheads flatten the curve, so a forecast should come from its upper end.
    ``statistic="min"`` (best of repeats, as ``timeit`` advises) ignores slow-downs
    caused by other programs competing for the CPU.
    Returns a frame with the columns of :data:`FIT_COLUMNS`, one row per group.

    >>> data = pd.DataFrame({"label": ["x"] * 3, "n": [1, 2, 4], "seconds": [1.0, 4.0, 16.0]})
    >>> fit_power_law(data).loc[0, "k"].round(6)
    np.float64(2.0)
    """
    missing = {x, y, by} - set(frame.columns)
    if missing:
        raise MissingColumnError(
            f"fit_power_law: the frame has no column(s) {sorted(missing)}; it has {list(frame.columns)}"
        )
    rows = []
    for label, group in frame.groupby(by, sort=False):
        medians = group.groupby(x)[y].agg(statistic)
        if last is not None:
            medians = medians.iloc[-last:]
        fit = power_law(medians.index.to_numpy(), medians.to_numpy())
        rows.append({"label": label, "a": fit.a, "k": fit.k, "r2": fit.r2, "n_points": len(medians)})
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def fit_from_row(row: pd.Series) -> PowerLaw:
    """Turn one row of :func:`fit_power_law`'s frame back into a :class:`PowerLaw`."""
    return PowerLaw(a=float(row["a"]), k=float(row["k"]), r2=float(row["r2"]))
