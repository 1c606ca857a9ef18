"""Maintenance: a drifting monthly stream, drift tests (PSI, KS), and retraining policies.

The **population stability index** compares the share of rows in each bin of a feature
between a reference sample (the training data) and a current one:
``PSI = sum((cur - ref) * ln(cur / ref))`` over bins cut at the reference's quantiles.
The usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift worth a look, above
0.25 a significant shift. An empty bin would make the logarithm infinite, so shares are
floored at a small epsilon.

>>> rng = np.random.default_rng(0)
>>> ref = rng.normal(size=5_000)
>>> psi(ref, rng.normal(size=5_000)) < 0.1, psi(ref, rng.normal(1.0, size=5_000)) > 0.25
(True, True)
>>> psi_band(0.05), psi_band(0.2), psi_band(0.3)
('stable', 'moderate', 'significant')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from scalingml import measure
from scalingml.errors import InvalidParameterError, ScalingmlError


class DriftInputError(ScalingmlError, ValueError):
    """A column given to a drift test is empty, holds missing values, or (as reference) is constant."""


#: Share given to an empty bin, so that ln(cur / ref) stays finite.
PSI_EPSILON = 1e-4
#: PSI bands: below the first, stable; between, moderate; above the second, significant.
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25


def checked_values(values, role: str, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise DriftInputError(f"The {role} sample of {name} is empty: give at least one row.")
    missing = int(np.isnan(array).sum())
    if missing:
        raise DriftInputError(
            f"The {role} sample of {name} has {missing} missing value(s): impute or drop them first, "
            "and monitor the missing rate as a feature of its own."
        )
    return array


def _check_pair(reference, current, name: str) -> tuple[np.ndarray, np.ndarray]:
    ref = checked_values(reference, "reference", name)
    cur = checked_values(current, "current", name)
    if np.ptp(ref) == 0:
        raise DriftInputError(
            f"The reference sample of {name} is constant ({ref[0]:g}): quantile bins cannot be cut; "
            "check that value directly instead (e.g. the share of rows that differ from it)."
        )
    return ref, cur


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles, duplicates removed (discrete features get fewer bins).

    >>> quantile_edges(np.arange(100.0), 4)
    array([24.75, 49.5 , 74.25])
    """
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``."""
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return counts / counts.sum()


def psi(reference, current, *, bins: int = 10, epsilon: float = PSI_EPSILON, name: str = "the feature") -> float:
    """Population stability index of ``current`` against ``reference`` (bins at the reference's quantiles).

    Raises :class:`DriftInputError` for an empty sample, missing values, or a constant reference.
    """
    ref, cur = _check_pair(reference, current, name)
    edges = quantile_edges(ref, bins)
    expected = np.maximum(bin_shares(ref, edges), epsilon)
    actual = np.maximum(bin_shares(cur, edges), epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_band(value: float) -> str:
    """``stable`` (< 0.1), ``moderate`` (0.1 to 0.25) or ``significant`` (>= 0.25)."""
    if value >= PSI_SIGNIFICANT:
        return "significant"
    if value >= PSI_MODERATE:
        return "moderate"
    return "stable"


def ks(reference, current, *, name: str = "the feature") -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (``scipy.stats.ks_2samp``), inputs checked as for PSI."""
    ref, cur = _check_pair(reference, current, name)
    result = ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """PSI, its band, and the KS statistic and p-value for each feature."""
    rows = []
    for feature in features:
        value = psi(reference[feature], current[feature], name=feature)
        statistic, p_value = ks(reference[feature], current[feature], name=feature)
        rows.append({"feature": feature, "psi": value, "band": psi_band(value), "ks": statistic, "ks_p": p_value})
    return pd.DataFrame(rows)


# The small-sample bias of PSI: its bands are fixed, PSI itself is not unbiased.

#: Rows per sample at which the no-drift PSI is measured (segment sizes a per-segment monitor meets).
NULL_SAMPLE_SIZES = (100, 300, 1_000, 3_000)


def psi_expected_without_drift(rows_reference: int, rows_current: int, *, bins: int = 10) -> float:
    """PSI's expected value when nothing drifted, to first order: ``(bins - 1) (1/n_ref + 1/n_cur)``.

    Sampling noise alone moves each bin's share, and PSI counts every such wobble as shift (it
    is a chi-square statistic in disguise), so at small samples it reads "moderate" on no drift.

    >>> round(psi_expected_without_drift(100, 100), 3), round(psi_expected_without_drift(1_000, 1_000), 3)
    (0.18, 0.018)
    """
    return (bins - 1) * (1 / rows_reference + 1 / rows_current)


def psi_without_drift(
    sizes: Sequence[int] = NULL_SAMPLE_SIZES, *, draws: int = 200, bins: int = 10, seed: int = 0
) -> pd.DataFrame:
    """PSI between two samples of the *same* distribution (no drift), ``draws`` times per size.

    One row per size: ``[rows, mean_psi, se, share_moderate, share_significant, expected]``,
    ``share_moderate`` the share of draws at or above :data:`PSI_MODERATE` (false "moderate shift"
    readings), ``expected`` from :func:`psi_expected_without_drift`.
    """
    if draws < 2 or not sizes or min(sizes) < bins:
        raise InvalidParameterError(
            f"psi_without_drift needs draws >= 2 and sizes >= bins ({bins}); got {draws}, {sizes}"
        )
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        values = np.array([psi(rng.normal(size=n), rng.normal(size=n), bins=bins) for _ in range(draws)])
        rows.append(
            {
                "rows": int(n),
                "mean_psi": float(values.mean()),
                "se": float(values.std(ddof=1) / np.sqrt(draws)),
                "share_moderate": float((values >= PSI_MODERATE).mean()),
                "share_significant": float((values >= PSI_SIGNIFICANT).mean()),
                "expected": psi_expected_without_drift(n, n, bins=bins),
            }
        )
    return pd.DataFrame(rows)


def conclude_psi_bias(frame: pd.DataFrame) -> measure.Conclusion:
    """Whether PSI's fixed bands hold at the sizes measured by :func:`psi_without_drift`.

    Verdict ``"biased at small samples"`` when, with no drift at all, the mean PSI at some size
    is above the "moderate" band beyond the noise of the draws; ``"unbiased enough"`` when every
    size is below it beyond noise; ``"inconclusive"`` when a size is within noise of the band.
    ``numbers`` holds the smallest size at which the mean stays below the band beyond noise.
    """
    frame = frame.sort_values("rows")
    small, large = frame.iloc[0], frame.iloc[-1]
    gaps = frame.mean_psi - PSI_MODERATE
    noisy = np.array([measure.beyond_noise(gap, se) for gap, se in zip(gaps, frame.se, strict=True)])
    over = frame[(gaps > 0) & noisy]
    below = frame[(gaps < 0) & noisy & (frame.rows > (over.rows.max() if len(over) else 0))]
    safe_from = int(below.rows.min()) if len(below) else None
    measured = (
        f"With no drift at all, mean PSI was {small.mean_psi:.3f} ± {small.se:.3f} at {int(small.rows):,} rows per "
        f"sample ({small.share_moderate:.0%} of draws read 'moderate' or worse) and {large.mean_psi:.3f} ± "
        f"{large.se:.3f} at {int(large.rows):,} ({large.share_moderate:.0%}); the first-order formula "
        f"(bins - 1)(1/n_ref + 1/n_cur) predicts {small.expected:.3f} and {large.expected:.3f}."
    )
    numbers = {"mean_psi_smallest": float(small.mean_psi), "mean_psi_largest": float(large.mean_psi)}
    if safe_from is not None:
        numbers["safe_from_rows"] = float(safe_from)
    if len(over):
        where = (
            f"at {int(over.rows.max()):,} rows per sample and fewer, sampling noise alone reads as a 'moderate' shift "
            f"(from {safe_from:,} rows the mean stays below the band, though "
            f"{float(frame.loc[frame.rows == safe_from, 'share_moderate'].iloc[0]):.0%} of single draws there still "
            "read 'moderate')"
            if safe_from is not None
            else f"at every size measured, up to {int(over.rows.max()):,} rows, sampling noise alone reads as a shift"
        )
        sentence = (
            f"{measured} PSI's bands do not move with the sample size, but PSI does: {where}. A per-segment monitor "
            "with small segments needs a null for its size (the formula, or PSI between bootstrap samples of the "
            f"reference) instead of the fixed {PSI_MODERATE:g} band."
        )
        return measure.Conclusion("biased at small samples", sentence, numbers)
    unclear = frame[(gaps >= 0) | ~noisy]
    if len(unclear):
        sentence = (
            f"{measured} At {', '.join(f'{int(n):,}' for n in unclear.rows)} rows the mean is within the noise of the "
            f"{PSI_MODERATE:g} band: inconclusive at {len(frame)} sizes and this many draws; more draws would tell."
        )
        return measure.Conclusion("inconclusive", sentence, numbers)
    sentence = (
        f"{measured} At these sizes the no-drift PSI stays below the {PSI_MODERATE:g} band, so the fixed bands can "
        "be read as they are; the bias grows as 1/n, so smaller segments need their own null."
    )
    return measure.Conclusion("unbiased enough", sentence, numbers)
