"""Differential privacy: part of :mod:`scalingml.experiments.privacy`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scalingml.errors import ScalingmlError
from scalingml.experiments.privacy.common import (
    BudgetExceededError,
    InvalidEpsilonError,
)


def _check_positive(name: str, value: float, error: type[ScalingmlError] = InvalidEpsilonError) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a positive number, got {value!r}.") from None
    if not value > 0 or math.isinf(value):
        raise error(f"{name} must be a positive, finite number, got {value!r}. Smaller epsilon = more privacy.")
    return value


def laplace_mechanism(
    value: float, *, sensitivity: float, epsilon: float, rng: np.random.Generator | None = None, size=None
):
    """``value`` plus Laplace noise of scale ``sensitivity / epsilon``: epsilon-differentially private.

    ``sensitivity`` is the most one person can change ``value`` (1 for a count).
    ``size`` draws several independent releases at once (for experiments).

    >>> rng = np.random.default_rng(0)
    >>> draws = laplace_mechanism(100.0, sensitivity=2.0, epsilon=0.5, rng=rng, size=100_000)
    >>> round(float(np.mean(np.abs(draws - 100.0))), 1)  # mean absolute error = scale = 2 / 0.5
    4.0
    """
    epsilon = _check_positive("epsilon", epsilon)
    sensitivity = _check_positive("sensitivity", sensitivity)
    rng = rng if rng is not None else np.random.default_rng()
    return value + rng.laplace(0.0, sensitivity / epsilon, size=size)


def dp_count(mask, *, epsilon: float, rng: np.random.Generator | None = None, size=None):
    """A differentially private count of the true entries of ``mask`` (sensitivity 1)."""
    return laplace_mechanism(
        float(np.sum(np.asarray(mask, dtype=bool))), sensitivity=1.0, epsilon=epsilon, rng=rng, size=size
    )


def dp_mean(values, *, lower: float, upper: float, epsilon: float, rng: np.random.Generator | None = None, size=None):
    """A differentially private mean: values clipped to ``[lower, upper]``, the count ``n`` taken as public.

    Its neighbouring datasets differ by *replacing* one person's value with another's (``n`` stays the same):
    that moves a clipped mean of ``n`` values by at most ``(upper - lower) / n``, the sensitivity. Under the
    add-or-remove definition :func:`dp_count` uses, ``n`` itself would tell whether someone is in the data; there,
    release a noisy clipped sum and a noisy count, each spending part of the budget, and divide. Clipping is what
    makes the sensitivity bounded; choose the bounds without looking at the data. For real releases use a vetted
    library (OpenDP, Tumult Analytics): floating-point noise like this one's can leak (Mironov, 2012).
    """
    if not upper > lower:
        raise InvalidEpsilonError(f"upper ({upper}) must be greater than lower ({lower}).")
    clipped = np.clip(np.asarray(values, dtype=float), lower, upper)
    if clipped.size == 0:
        raise InvalidEpsilonError("dp_mean needs at least one value.")
    return laplace_mechanism(
        float(clipped.mean()), sensitivity=(upper - lower) / clipped.size, epsilon=epsilon, rng=rng, size=size
    )


@dataclass
class PrivacyBudget:
    """Sequential composition: epsilons of answered queries add up, and the total may not exceed ``total``.

    >>> budget = PrivacyBudget(1.0)
    >>> budget.spend(0.4, "count"); budget.spend(0.4, "mean"); round(budget.remaining, 2)
    0.2
    >>> budget.spend(0.4, "another count")
    Traceback (most recent call last):
    ...
    scalingml.experiments.privacy.common.BudgetExceededError: Query 'another count' needs epsilon 0.4 but only 0.2 ...
    """

    total: float
    ledger: list[tuple[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.total = _check_positive("total epsilon", self.total)

    @property
    def spent(self) -> float:
        return float(sum(epsilon for _, epsilon in self.ledger))

    @property
    def remaining(self) -> float:
        return max(0.0, round(self.total - self.spent, 12))  # 1 - 10 x 0.1 is 1e-16 in floating point

    def spend(self, epsilon: float, query: str = "query") -> None:
        """Record a query of cost ``epsilon``; refuse it (:class:`BudgetExceededError`) if the budget would overflow."""
        epsilon = _check_positive("epsilon", epsilon)
        if epsilon > self.remaining + 1e-12:
            raise BudgetExceededError(
                f"Query {query!r} needs epsilon {epsilon:g} but only {self.remaining:.3g} of {self.total:g} is left "
                "(repeated queries add up: answer from a cached release or stop)."
            )
        self.ledger.append((query, epsilon))

    def answer(self, function: Callable[..., float], *args, epsilon: float, query: str = "query", **kwargs) -> float:
        """Spend ``epsilon`` on ``query`` and return ``function(*args, epsilon=epsilon, **kwargs)``."""
        self.spend(epsilon, query)
        return function(*args, epsilon=epsilon, **kwargs)


def laplace_error_curve(
    value: float, *, sensitivity: float, epsilons: Sequence[float], draws: int, seed: int = 0
) -> pd.DataFrame:
    """Mean absolute error of Laplace releases of ``value`` per epsilon, beside the theory ``sensitivity/epsilon``."""
    rng = np.random.default_rng(seed)
    rows = []
    for epsilon in epsilons:
        releases = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon, rng=rng, size=draws)
        errors = np.abs(releases - value)
        rows.append(
            {
                "epsilon": float(epsilon),
                "mean_abs_error": float(errors.mean()),
                "error_se": float(errors.std(ddof=1) / math.sqrt(draws)),
                "theory": sensitivity / epsilon,
                "relative_error": float(errors.mean() / abs(value)) if value else math.nan,
            }
        )
    return pd.DataFrame(rows)


def conclude_laplace(curve: pd.DataFrame) -> str:
    """Whether the measured error follows sensitivity/epsilon (within 3 standard errors), and the price of privacy."""
    off = (curve["mean_abs_error"] - curve["theory"]).abs() > 3 * curve["error_se"] + 1e-12
    strict, loose = curve.loc[curve["epsilon"].idxmin()], curve.loc[curve["epsilon"].idxmax()]
    if off.any():
        return (
            f"The measured error departs from sensitivity/epsilon at epsilon = {curve.loc[off, 'epsilon'].tolist()}: "
            "more draws are needed before reading this curve."
        )
    return (
        f"The error follows sensitivity/epsilon at every epsilon: {strict.mean_abs_error:.2f} at epsilon = "
        f"{strict.epsilon:g} ({strict.relative_error:.1%} of the true value) against {loose.mean_abs_error:.3f} "
        f"at epsilon = {loose.epsilon:g}: an epsilon {loose.epsilon / strict.epsilon:.0f} times smaller gave "
        f"{strict.mean_abs_error / loose.mean_abs_error:.0f} times more noise — the noise grows as 1/epsilon."
    )


def composition_curve(
    value: float, *, epsilon: float, queries: Sequence[int], draws: int, sensitivity: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """An analyst (or attacker) asks the same query ``q`` times at ``epsilon`` each and averages the answers.

    Returns, per ``q``: the budget spent (``q * epsilon``), the mean absolute error of the
    average, and the error of one query that spends the same total budget at once.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for q in queries:
        answers = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon, rng=rng, size=(draws, q))
        single = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon * q, rng=rng, size=draws)
        rows.append(
            {
                "queries": int(q),
                "budget_spent": float(q * epsilon),
                "averaged_error": float(np.abs(answers.mean(axis=1) - value).mean()),
                "one_query_error": float(np.abs(single - value).mean()),
            }
        )
    return pd.DataFrame(rows)


def conclude_composition(curve: pd.DataFrame, budget: float) -> str:
    """What repeated queries did to the error and to the budget."""
    first, last = curve.iloc[0], curve.iloc[-1]
    over = curve[curve["budget_spent"] > budget + 1e-12]
    sentence = (
        f"Averaging {int(last.queries)} answers cut the error from {first.averaged_error:.2f} to "
        f"{last.averaged_error:.2f}, but spent epsilon = {last.budget_spent:g} instead of {first.budget_spent:g}"
    )
    if last.averaged_error >= first.averaged_error:
        sentence = (
            f"With {int(last.queries)} averaged answers the error did not fall here ({first.averaged_error:.2f} -> "
            f"{last.averaged_error:.2f}; too few draws), yet epsilon = {last.budget_spent:g} was spent"
        )
    if len(over):
        allowed = int(math.floor(budget / (first.budget_spent / first.queries) + 1e-9))
        sentence += f"; a budget of {budget:g} answers at most {allowed} such queries and refuses the rest."
    else:
        sentence += f"; all stayed within the budget of {budget:g}."
    if last.one_query_error < last.averaged_error:
        sentence += (
            f" One query spending the same epsilon = {last.budget_spent:g} at once erred "
            f"{last.averaged_error / last.one_query_error:.1f} times less than the average of {int(last.queries)} "
            f"(the Laplace theory says sqrt({int(last.queries)}) = {math.sqrt(last.queries):.1f} times)."
        )
    return sentence
