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


def plot_scaling(frame: pd.DataFrame, fits: pd.DataFrame | None = None, *, y: str = "seconds", ax=None,
                 title: str | None = None):
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
            ax.loglog(n, fit.predict(n), "-", color=points[0].get_color(), alpha=0.7,
                      label=f"{label} fit: k = {fit.k:.2f}")
    ax.set_xlabel("n (rows)")
    ax.set_ylabel(y.replace("_", " "))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
