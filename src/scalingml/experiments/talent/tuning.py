"""How far good defaults get an untrained user: a default model against a tuning budget curve.

One :class:`~sklearn.model_selection.RandomizedSearchCV` is run with the largest budget; because its candidates
are drawn one after the other from the same seeded generator, the first ``b`` candidates are exactly those a
search with ``n_iter=b`` would try. For each budget the best of its first ``b`` candidates (by cross-validated
score) is refitted and scored on the same held-out rows as the default model.

>>> budgets_up_to(8)
(1, 2, 4, 8)
>>> budget_to_beat(pd.DataFrame({"budget": [1, 2, 4], "test_score": [0.80, 0.84, 0.86]}), 0.83, margin=0.005)
2
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import loguniform, randint
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold

from scalingml.errors import ScalingmlError
from scalingml.experiments.talent.mistakes import accuracy_noise, openmp_threads_for
from scalingml.progress import progress

#: The search space of an analyst who tunes "everything" (distributions only, so candidates are drawn in sequence).
PARAM_DISTRIBUTIONS = {
    "learning_rate": loguniform(0.01, 0.5),
    "max_leaf_nodes": randint(4, 64),
    "min_samples_leaf": randint(2, 100),
    "l2_regularization": loguniform(1e-4, 10.0),
    "max_iter": randint(20, 150),
}


class BadBudgetError(ScalingmlError, ValueError):
    """A tuning budget that is not a positive whole number of candidates."""


def check_budgets(budgets: Sequence[int]) -> tuple[int, ...]:
    """Sorted, distinct budgets; each must be a whole number of candidates, at least 1."""
    budgets = list(budgets)
    if not budgets:
        raise BadBudgetError("give at least one tuning budget (a number of candidates, e.g. [1, 2, 4, 8])")
    for budget in budgets:
        if isinstance(budget, bool) or not float(budget).is_integer() or budget < 1:
            raise BadBudgetError(
                f"a tuning budget is a number of candidates to try, at least 1; got {budget!r}. "
                "A budget of zero tries nothing: compare against the default model instead."
            )
    return tuple(sorted({int(b) for b in budgets}))


def budgets_up_to(largest: int) -> tuple[int, ...]:
    """Powers of two up to ``largest`` (which is included even when it is not a power of two)."""
    check_budgets([largest])
    powers = [2**i for i in range(int(math.log2(largest)) + 1)]
    return tuple(sorted({*powers, int(largest)}))


def tuning_curve(
    X_train, y_train, X_test, y_test, *, budgets: Sequence[int], cv: int = 3, seed: int = 0
) -> tuple[pd.DataFrame, float]:
    """Test accuracy of the best candidate found with each budget, and of the default model.

    Returns ``(curve, default_score)`` where ``curve`` has ``[budget, cv_score, test_score, params]``.
    """
    budgets = check_budgets(budgets)
    model = HistGradientBoostingClassifier(random_state=seed)
    with openmp_threads_for(len(X_train)):
        default_score = float(clone(model).fit(X_train, y_train).score(X_test, y_test))
    search = RandomizedSearchCV(
        model,
        PARAM_DISTRIBUTIONS,
        n_iter=max(budgets),
        cv=StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed),
        random_state=seed,
        refit=False,
        n_jobs=1,
    )
    with openmp_threads_for(len(X_train)):
        search.fit(X_train, y_train)
    cv_scores = np.asarray(search.cv_results_["mean_test_score"])
    candidates = search.cv_results_["params"]
    tested: dict[int, float] = {}
    rows = []
    for budget in progress(budgets, desc="budgets"):
        best = int(np.argmax(cv_scores[:budget]))
        if best not in tested:
            with openmp_threads_for(len(X_train)):
                fitted = clone(model).set_params(**candidates[best]).fit(X_train, y_train)
            tested[best] = float(fitted.score(X_test, y_test))
        rows.append(
            {
                "budget": budget,
                "cv_score": float(cv_scores[best]),
                "test_score": tested[best],
                "params": candidates[best],
            }
        )
    return pd.DataFrame(rows), default_score


def share_of_best(curve: pd.DataFrame, default_score: float) -> pd.DataFrame:
    """``curve`` with ``share``: each budget's test score over the best score seen (the default included)."""
    best = max(curve["test_score"].max(), default_score)
    return curve.assign(share=curve["test_score"] / best)


def budget_to_beat(curve: pd.DataFrame, default_score: float, *, margin: float = 0.0) -> int | None:
    """The smallest budget whose test score exceeds the default's by more than ``margin``; ``None`` if none does."""
    better = curve.loc[curve["test_score"] > default_score + margin, "budget"]
    return int(better.min()) if len(better) else None


def conclude_tuning(curve: pd.DataFrame, default_score: float, n_test: int) -> str:
    """How far the default got, and the budget that beat it by more than the test set's noise (if any).

    >>> curve = pd.DataFrame({"budget": [1, 2, 4], "test_score": [0.80, 0.81, 0.82]})
    >>> conclude_tuning(curve, 0.83, 1000).split(":")[0]
    'The default model scores 0.830, 100.0% of the best score found'
    """
    noise = accuracy_noise(default_score, n_test)
    best = max(curve["test_score"].max(), default_score)
    head = f"The default model scores {default_score:.3f}, {default_score / best:.1%} of the best score found"
    band = (
        f"2 SE = {2 * noise:.3f}: twice the standard error of one accuracy on {n_test} test rows, a rough band — "
        "a paired "
        "comparison of two models on the same rows would be tighter"
    )
    needed = budget_to_beat(curve, default_score, margin=2 * noise)
    if needed is not None:
        score = curve.loc[curve["budget"] == needed, "test_score"].iloc[0]
        return (
            head + f": tuning first beat it beyond the test set's noise with {needed} candidate(s) ({score:.3f}) "
            f"({band})."
        )
    beaten = budget_to_beat(curve, default_score)
    detail = f" A budget of {beaten} already scored higher, but by less than the noise." if beaten is not None else ""
    return (
        head + f": no budget tried (up to {int(curve['budget'].max())} candidates) beat it by more than the test "
        f"set's noise ({band}) — the budget needed to beat the default was not reached within the budgets tried."
        + detail
    )
