"""Each plot draws the data it is given: the lines' points, labels and styles are checked, not only that it ran."""

import matplotlib.pyplot as plt  # the Agg backend: conftest.py sets MPLBACKEND
import numpy as np
import pandas as pd
import pytest

from scalingml import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_train_validation_draws_both_curves_and_the_marks():
    summary = pd.DataFrame(
        {
            "param": [1, 2, 3],
            "train_mean": [0.7, 0.8, 0.95],
            "validation_mean": [0.68, 0.75, 0.7],
            "validation_std": [0.01, 0.02, 0.03],
        }
    )
    ax = plots.plot_train_validation(summary, xlabel="depth", marks={"one-SE rule": 2}, logx=True)
    lines = lines_by_label(ax)
    assert list(lines["train"].get_ydata()) == [0.7, 0.8, 0.95]
    assert list(lines["cross-validated"].get_ydata()) == [0.68, 0.75, 0.7]
    assert list(lines["one-SE rule: 2"].get_xdata()) == [2, 2]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "depth"


def test_penalty_path_dashes_the_noise_features_only():
    coefficients = pd.DataFrame(
        {"C": [0.1, 1.0, 0.1, 1.0], "feature": ["tickets", "tickets", "noise_0", "noise_0"], "coef": [0, 1.2, 0, 0.1]}
    )
    ax = plots.plot_penalty_path(coefficients, truth=pd.Series({"tickets": "informative", "noise_0": "noise"}))
    lines = lines_by_label(ax)
    assert lines["noise_0"].get_linestyle() == "--" and lines["tickets"].get_linestyle() == "-"
    assert list(lines["tickets"].get_ydata()) == [0, 1.2]


def test_importances_one_panel_per_model_sorted_with_noise_in_grey():
    frame = pd.DataFrame(
        {
            "model": ["a", "a", "b", "b"],
            "feature": ["x", "noise_0", "x", "noise_0"],
            "importance_mean": [0.3, 0.01, 0.2, 0.0],
            "importance_std": [0.01] * 4,
            "truth": ["informative", "noise", "informative", "noise"],
        }
    )
    axes = plots.plot_importances(frame)
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    bars = axes[0].patches
    assert [bar.get_width() for bar in bars] == [0.01, 0.3], "sorted by importance"
    assert bars[0].get_facecolor()[:3] == pytest.approx((0.7, 0.7, 0.7)), "noise in grey"


def test_partial_dependence_one_line_per_model():
    frame = pd.DataFrame({"model": ["a", "a", "b", "b"], "value": [0, 1, 0, 1], "average": [0.1, 0.2, 0.3, 0.5]})
    ax = plots.plot_partial_dependence(frame, feature="support_tickets")
    assert list(lines_by_label(ax)["b"].get_ydata()) == [0.3, 0.5]
    assert ax.get_xlabel() == "support tickets"


def test_speedup_draws_measured_ideal_and_amdahl():
    frame = pd.DataFrame({"n_jobs": [1, 2, 4], "speedup": [1.0, 1.6, 2.0]})
    ax = plots.plot_speedup(frame, serial_fraction=0.25, cores=2)
    lines = lines_by_label(ax)
    assert list(lines["measured"].get_ydata()) == [1.0, 1.6, 2.0]
    assert lines["ideal on 2 cores"].get_ydata().max() == pytest.approx(2.0), "ideal is capped at the cores"
    amdahl = lines["Amdahl, serial fraction 0.25"]
    assert amdahl.get_ydata()[-1] == pytest.approx(1 / (0.25 + 0.75 / 4))


def test_plot_by_one_line_per_group_with_log_axes():
    frame = pd.DataFrame({"n": [10, 100, 10, 100], "seconds": [1, 2, 3, 4], "approach": ["a", "a", "b", "b"]})
    ax = plots.plot_by(frame, x="n", y="seconds", by="approach", logx=True, logy=True, title="t")
    assert set(lines_by_label(ax)) == {"a", "b"}
    assert list(lines_by_label(ax)["b"].get_ydata()) == [3, 4]
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_title() == "t"


def test_plot_scaling_labels_each_fit_with_its_exponent():
    frame = pd.DataFrame({"label": ["x"] * 3, "n": [10, 100, 1000], "seconds": [1.0, 10.0, 100.0]})
    fits = pd.DataFrame({"label": ["x"], "a": [0.1], "k": [1.0], "r2": [1.0], "n_points": [3]})
    ax = plots.plot_scaling(frame, fits)
    lines = lines_by_label(ax)
    assert np.allclose(lines["x fit: k = 1.00"].get_ydata()[[0, -1]], [1.0, 100.0])


def test_monitoring_plot_marks_the_alarms_the_sentences_count():
    from scalingml.experiments import monitoring

    months = [0, 1, 2, 3]
    accuracy = pd.DataFrame({"month": months, "accuracy": [0.8, 0.8, 0.75, 0.7]})
    drift = pd.DataFrame(
        [
            {"month": m, "feature": f, "psi": psi, "ks_p": p}
            for m in months
            for f, psi, p in (
                ("tenure", 0.1 * m, 0.5 / (1 + 10 * m)),
                (monitoring.NOISE_FEATURE, 0.01, 0.5 if m != 2 else 0.01),
            )
        ]
    )
    schedule = pd.DataFrame({"month": months, "concept_drift": [0, 0, 1, 1]})
    table = monitoring.alarms(drift)
    assert table.set_index("month")[["psi_alarms", "ks_alarms", "ks_false"]].to_dict("index") == {
        1: {"psi_alarms": 0, "ks_alarms": 1, "ks_false": 0},
        2: {"psi_alarms": 0, "ks_alarms": 1, "ks_false": 1},
        3: {"psi_alarms": 1, "ks_alarms": 1, "ks_false": 0},
    }
    fig = plots.plot_monitoring(accuracy, drift, schedule, table)
    top, bottom = fig.axes
    points = {c.get_label(): len(c.get_offsets()) for c in top.collections if c.get_label().startswith(("PSI", "KS"))}
    assert points == {
        "PSI alarm (>= 0.25)": 1,
        "KS alarm (p < 0.05)": 3,
        f"KS false alarm ({monitoring.NOISE_FEATURE})": 1,
    }
    assert {line.get_label() for line in bottom.get_lines()} >= {"tenure", monitoring.NOISE_FEATURE}
    plt.close(fig)
