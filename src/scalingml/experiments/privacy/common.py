"""Shared parts: part of :mod:`scalingml.experiments.privacy`."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from scalingml.errors import ScalingmlError


class ColumnNotFoundError(ScalingmlError, KeyError):
    """A column the caller named (a quasi-identifier, a group column) is not in the frame."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class InvalidEpsilonError(ScalingmlError, ValueError):
    """A privacy parameter epsilon (or a sensitivity) that is not a positive number."""


class BudgetExceededError(ScalingmlError, RuntimeError):
    """A query would spend more privacy budget than is left."""


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str = "column") -> list[str]:
    """``columns`` as a list, after checking each is a column of ``frame`` (:class:`ColumnNotFoundError` if not)."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not columns:
        raise ColumnNotFoundError(f"Name at least one {what}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"{what.capitalize()}(s) {missing} are not columns of the frame; its columns are {list(frame.columns)}."
        )
    return columns


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of a ROC AUC (Hanley and McNeil 1982): how far chance alone moves it.

    >>> round(auc_standard_error(0.5, 1000, 1000), 4)
    0.0129
    """
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)) / (
        n_positive * n_negative
    )
    return float(math.sqrt(max(variance, 0.0)))
