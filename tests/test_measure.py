import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from scalingml import measure, plots
from scalingml.errors import InvalidParameterError
from scalingml.measure import MissingColumnError


def test_time_call_repeats_and_measures_sleep():
    timing = measure.time_call(__import__("time").sleep, 0.01, repeat=3)
    assert len(timing.times) == 3
    assert timing.best >= 0.009
    assert timing.best <= timing.median


def test_time_call_rejects_zero_repeats():
    with pytest.raises(InvalidParameterError, match="repeat"):
        measure.time_call(print, repeat=0)


@pytest.mark.parametrize("method", ["tracemalloc", "rss"])
def test_peak_memory_sees_a_large_temporary_allocation(method):
    def allocate_and_free():
        block = np.ones(50 * 2**20 // 8)  # 50 MiB, touched so RSS grows too
        return float(block.sum())

    peak = measure.peak_memory(allocate_and_free, method=method)
    assert peak.result == 50 * 2**20 // 8
    assert 45 < peak.peak_mb < 120


@pytest.mark.parametrize("method", ["tracemalloc", "rss"])
def test_peak_memory_is_relative_to_what_was_already_allocated(method):
    tracemalloc.start()  # tracing already: the 40 MiB below are in the traced total as well as in RSS
    try:
        kept = np.ones(40 * 2**20 // 8)
        assert measure.peak_memory(lambda: None, method=method).peak_mb < 5
        assert kept.sum() > 0
    finally:
        tracemalloc.stop()


def test_peak_memory_unknown_method():
    with pytest.raises(InvalidParameterError, match="tracemalloc"):
        measure.peak_memory(lambda: None, method="magic")


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_power_law_recovers_exponent_and_prefactor(k):
    n = np.array([100, 300, 1000, 3000, 10000])
    fit = measure.power_law(n, 0.003 * n**k)
    assert fit.k == pytest.approx(k)
    assert fit.a == pytest.approx(0.003)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.predict(20000) == pytest.approx(0.003 * 20000**k)


def test_power_law_with_noise_is_close_and_reports_lower_r2():
    rng = np.random.default_rng(0)
    n = np.geomspace(100, 100_000, 12)
    fit = measure.power_law(n, 1e-4 * n**1.5 * rng.lognormal(0, 0.2, n.size))
    assert abs(fit.k - 1.5) < 0.1
    assert 0.9 < fit.r2 < 1.0


@pytest.mark.parametrize(
    "n, y, message",
    [([10, 10], [1, 2], "two or more distinct"), ([10, 20], [1, 0], "positive"), ([10, 20], [1], "length")],
)
def test_power_law_bad_input(n, y, message):
    with pytest.raises(InvalidParameterError, match=message):
        measure.power_law(n, y)


def test_measure_scaling_frame_is_tidy_and_times_only_run():
    calls = []

    def setup(n):
        __import__("time").sleep(0.02)  # must not be timed
        return list(range(n))

    frame = measure.measure_scaling(
        setup, lambda xs: calls.append(len(xs)), [10, 20], repeat=2, label="append", show_progress=False
    )
    assert list(frame.columns) == measure.SCALING_COLUMNS
    assert frame["n"].tolist() == [10, 10, 20, 20]
    assert calls == [10, 10, 20, 20]
    assert frame["seconds"].max() < 0.02
    assert frame["peak_mb"].isna().all()


def test_measure_scaling_with_memory_grows_with_n():
    frame = measure.measure_scaling(
        lambda n: n, lambda n: np.ones(n).sum(), [10**5, 10**6], memory="tracemalloc", show_progress=False
    )
    small, large = frame.groupby("n")["peak_mb"].first()
    assert large > 5 * small


def test_measure_scaling_rejects_no_sizes():
    with pytest.raises(InvalidParameterError, match="empty"):
        measure.measure_scaling(lambda n: n, lambda n: n, [], show_progress=False)


def test_fit_power_law_per_label_on_medians():
    rows = []
    for label, k in [("linear", 1.0), ("quadratic", 2.0)]:
        for n in (100, 1000, 10000):
            for repeat, jitter in enumerate((1.0, 1.0, 50.0)):  # one outlier repeat: the median ignores it
                rows.append({"label": label, "n": n, "repeat": repeat, "seconds": 1e-6 * n**k * jitter})
    fits = measure.fit_power_law(pd.DataFrame(rows)).set_index("label")
    assert list(fits.columns) == measure.FIT_COLUMNS[1:]
    assert fits.loc["linear", "k"] == pytest.approx(1.0)
    assert fits.loc["quadratic", "k"] == pytest.approx(2.0)
    assert (fits["n_points"] == 3).all()
    assert measure.fit_from_row(fits.reset_index().iloc[1]).predict(10) == pytest.approx(1e-4)


def test_fit_power_law_names_a_missing_column():
    with pytest.raises(MissingColumnError, match="seconds"):
        measure.fit_power_law(pd.DataFrame({"label": ["a"], "n": [1]}))


def test_plot_scaling_draws_points_and_fits():
    frame = pd.DataFrame({"label": ["a"] * 3, "n": [10, 100, 1000], "repeat": 0, "seconds": [1.0, 10.0, 100.0]})
    ax = plots.plot_scaling(frame, measure.fit_power_law(frame), title="t")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["a", "a fit: k = 1.00"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert math.isclose(ax.get_lines()[1].get_ydata()[-1], 100.0)


def test_fit_power_law_last_uses_only_the_largest_sizes():
    # flat (overhead-dominated) at small n, quadratic at large n
    n = [10, 100, 1000, 10000, 100000]
    seconds = [1.0, 1.0, 1.0, 100.0, 10000.0]
    frame = pd.DataFrame({"label": "x", "n": n, "repeat": 0, "seconds": seconds})
    assert measure.fit_power_law(frame, last=3).loc[0, "k"] == pytest.approx(2.0)
    assert measure.fit_power_law(frame).loc[0, "k"] < 1.5
    assert measure.fit_power_law(frame, last=3).loc[0, "n_points"] == 3


def test_time_call_with_cpu_clock_ignores_sleeping():
    import time

    wall = measure.time_call(time.sleep, 0.05, repeat=1).best
    cpu = measure.time_call(time.sleep, 0.05, repeat=1, clock=time.process_time).best
    assert wall >= 0.045 and cpu < 0.02


def test_peak_memory_times_the_call_only():
    peak = measure.peak_memory(__import__("time").sleep, 0.05, method="rss")
    assert 0.04 < peak.seconds < 1.0


def test_release_memory_lets_rss_see_a_repeated_allocation():
    """Without handing freed pages back, a second identical allocation can look free; after it, RSS sees it."""

    def allocate():
        block = np.ones(40 * 2**17)  # 40 MB
        return float(block.sum())

    measure.peak_memory(allocate, method="rss")
    measure.release_memory()
    assert measure.peak_memory(allocate, method="rss").peak_mb > 30


def test_paired_difference_is_mcnemar_and_refuses_unequal_rows():
    a = np.array([True] * 50 + [False] * 50)
    b = np.array([True] * 40 + [False] * 10 + [True] * 5 + [False] * 45)
    paired = measure.paired_difference(a, b)
    assert (paired.only_a, paired.only_b, paired.n) == (10, 5, 100)
    assert paired.difference == pytest.approx(0.05)
    # the normal form of McNemar's statistic: (only_a - only_b) / sqrt(only_a + only_b), up to the n / (n - 1) of ddof=1
    z = (paired.only_a - paired.only_b) / np.sqrt(paired.only_a + paired.only_b)
    assert paired.difference / paired.se == pytest.approx(z, rel=0.02)
    assert not paired.beyond_noise and str(paired) == f"+0.050 ± {paired.se:.3f}"
    with pytest.raises(measure.InvalidParameterError, match="equal-length"):
        measure.paired_difference(a, b[:-1])


def test_a_conclusion_prints_its_sentence_and_keeps_its_verdict():
    conclusion = measure.Conclusion("buy", "Buy b.", {"gain": 0.1})
    assert str(conclusion) == "Buy b." and conclusion._repr_markdown_() == "Buy b."
    assert conclusion.verdict == "buy" and conclusion.numbers == {"gain": 0.1}
    assert measure.noise_band(0.0061) == "2 SE = 0.012"
