"""Plot helpers that draw the tidy frames of :mod:`scalingml.measure` and the experiments.

Each returns the matplotlib ``Axes`` so a lesson can add to it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from scalingml.measure import fit_from_row


def _axes(ax=None):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_scaling(
    frame: pd.DataFrame, fits: pd.DataFrame | None = None, *, y: str = "seconds", ax=None, title: str | None = None
):
    """Log-log plot of ``y`` against ``n`` per label (median of repeats), with fitted power laws.

    ``fits`` is the frame of :func:`scalingml.measure.fit_power_law`; each fitted line is
    labelled with its exponent ``k``.
    """
    ax = _axes(ax)
    fits_by_label = {} if fits is None else {row["label"]: row for _, row in fits.iterrows()}
    for label, group in frame.groupby("label", sort=False):
        medians = group.groupby("n")[y].median()
        points = ax.loglog(medians.index, medians.to_numpy(), "o", label=str(label))
        if label in fits_by_label:
            n = np.geomspace(medians.index.min(), medians.index.max(), 50)
            fit = fit_from_row(fits_by_label[label])
            ax.loglog(
                n, fit.predict(n), "-", color=points[0].get_color(), alpha=0.7, label=f"{label} fit: k = {fit.k:.2f}"
            )
    ax.set_xlabel("n (rows)")
    ax.set_ylabel(y.replace("_", " "))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_train_validation(
    summary: pd.DataFrame,
    *,
    xlabel: str,
    ax=None,
    marks: dict | None = None,
    logx: bool = False,
    title: str | None = None,
):
    """Train and validation score (mean ± std) against ``param`` from :func:`summarise_curve`.

    ``marks`` draws labelled vertical lines, e.g. ``{"one-SE choice": 5}``.
    """
    ax = _axes(ax)
    x = summary["param"]
    ax.plot(x, summary["train_mean"], "o-", label="train")
    ax.plot(x, summary["validation_mean"], "o-", label="cross-validated")
    ax.fill_between(
        x,
        summary["validation_mean"] - summary["validation_std"],
        summary["validation_mean"] + summary["validation_std"],
        alpha=0.2,
        color="C1",
    )
    for i, (label, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color=f"C{i + 2}", linestyle="--", label=f"{label}: {value:g}")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_penalty_path(coefficients: pd.DataFrame, *, ax=None, truth: pd.Series | None = None):
    """Coefficient of each feature against the inverse penalty C (log axis); noise features dashed."""
    ax = _axes(ax)
    for feature, group in coefficients.groupby("feature", sort=False):
        style = "--" if truth is not None and truth.get(feature) == "noise" else "-"
        ax.plot(group["C"], group["coef"], style, label=feature)
    ax.set_xscale("log")
    ax.set_xlabel("C (inverse penalty: left = strong regularisation)")
    ax.set_ylabel("coefficient (standardised features)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small", ncol=2)
    return ax


def plot_importances(frame: pd.DataFrame, *, axes=None):
    """One bar chart per model of permutation importances (± std): causes blue, correlated orange, noise grey."""
    models = list(dict.fromkeys(frame["model"]))
    if axes is None:
        _, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4), sharex=True)
    for ax, model in zip(np.atleast_1d(axes), models, strict=True):
        group = frame[frame["model"] == model].sort_values("importance_mean")
        colors = [{"noise": "0.7", "correlated": "C1"}.get(t, "C0") for t in group["truth"]]
        ax.barh(group["feature"], group["importance_mean"], xerr=group["importance_std"], color=colors)
        ax.set_title(model)
        ax.set_xlabel("drop in ROC AUC when shuffled")
    return axes


def plot_partial_dependence(frame: pd.DataFrame, *, feature: str, ax=None):
    """Average prediction against the feature's value, one line per model."""
    ax = _axes(ax)
    for model, group in frame.groupby("model", sort=False):
        ax.plot(group["value"], group["average"], "o-", label=model)
    ax.set_xlabel(feature.replace("_", " "))
    ax.set_ylabel("average predicted churn probability")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_speedup(frame: pd.DataFrame, *, serial_fraction: float, cores: int, ax=None):
    """Measured speedup against n_jobs, with the ideal line and Amdahl's law for ``serial_fraction``."""
    from scalingml.experiments.training_time import amdahl_speedup

    ax = _axes(ax)
    p = np.linspace(1, frame["n_jobs"].max(), 50)
    ax.plot(frame["n_jobs"], frame["speedup"], "o-", label="measured")
    ax.plot(p, np.minimum(p, cores), ":", color="0.5", label=f"ideal on {cores} cores")
    ax.plot(p, amdahl_speedup(p, serial_fraction), "--", label=f"Amdahl, serial fraction {serial_fraction:.2f}")
    ax.set_xlabel("n_jobs")
    ax.set_ylabel("speedup T(1) / T(n_jobs)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_by(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    by: str,
    ax=None,
    logx: bool = False,
    logy: bool = False,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
):
    """One line per value of ``by``: the general-purpose plot of a tidy experiment frame."""
    ax = _axes(ax)
    for label, group in frame.groupby(by, sort=False):
        ax.plot(group[x], group[y], "o-", label=str(label))
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel or x.replace("_", " "))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_monitoring(accuracy: pd.DataFrame, drift: pd.DataFrame, schedule: pd.DataFrame, alarms: pd.DataFrame):
    """Lesson 03's drifting stream: accuracy with its alarms (top), PSI per feature with its bands (bottom).

    ``alarms`` is :func:`scalingml.experiments.monitoring.alarms` of ``drift``: the plot marks
    the same alarms the sentences count. Returns the figure.
    """
    from scalingml.experiments import monitoring  # the bands and the noise feature's name

    by_month = accuracy.set_index("month").accuracy
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    top.plot(accuracy.month, accuracy.accuracy, "o-", color="k", label="accuracy (model from month 0)")
    marks = (
        (
            "psi_alarms",
            0.0,
            {"s": 150, "facecolors": "none", "edgecolors": "C3"},
            f"PSI alarm (>= {monitoring.PSI_SIGNIFICANT:g})",
        ),
        ("ks_alarms", -0.02, {"marker": "^", "color": "C1"}, f"KS alarm (p < {monitoring.KS_ALPHA:g})"),
        ("ks_false", 0.02, {"marker": "x", "color": "0.3"}, f"KS false alarm ({monitoring.NOISE_FEATURE})"),
    )
    for column, offset, style, label in marks:
        months = alarms.loc[alarms[column] > 0, "month"]
        top.scatter(months, by_month[months] + offset, label=label, **style)
    concept = schedule.loc[schedule.concept_drift > 0, "month"]
    if len(concept):
        top.axvline(concept.min() - 0.5, color="C2", linestyle=":", label="concept drift begins")
    top.set_ylabel("accuracy")
    top.legend(fontsize="small")
    psi_table = drift.pivot(index="month", columns="feature", values="psi")
    for feature in psi_table:
        dashed = "--" if feature == monitoring.NOISE_FEATURE else "-"
        bottom.plot(psi_table.index, psi_table[feature], marker="o", label=feature, linestyle=dashed)
    bottom.axhspan(monitoring.PSI_MODERATE, monitoring.PSI_SIGNIFICANT, color="C1", alpha=0.1)
    bottom.axhline(monitoring.PSI_SIGNIFICANT, color="C3", alpha=0.5)
    bottom.set(xlabel="month", ylabel="PSI against training data")
    bottom.legend(fontsize="small", ncol=3)
    return fig
