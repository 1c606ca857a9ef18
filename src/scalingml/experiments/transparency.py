"""Transparency experiments: a global surrogate, a local counterfactual, and documentation generated from the run.

* **Global**: a shallow decision tree trained to copy a black-box model; its *fidelity* (how
  often it agrees with the black box on new rows) against its depth says how simple an honest
  explanation can be (:func:`surrogate_curve`).
* **Local**: for one refused applicant, the smallest change to *actionable* features that
  flips the decision (:func:`counterfactual`). Who a person is (age, gender, group) is never
  offered as a lever, and neither is where they live: the district is a proxy for the group.
* **Documentation**: a model card / technical-documentation record built from the measured
  numbers (:func:`technical_documentation`), in the spirit of the EU AI Act's duties for
  high-risk systems (credit scoring is one: Annex III).

>>> is_actionable("savings"), is_actionable("age"), is_actionable("district_7")
(True, False, False)
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier, export_text

from scalingml.datasets.people import PEOPLE_ACTIONABLE
from scalingml.errors import ScalingmlError
from scalingml.experiments.privacy import ColumnNotFoundError
from scalingml.progress import progress

#: Model features nobody may be asked to change (prefixes): who they are, and the proxy for the group.
NOT_ACTIONABLE_PREFIXES = ("age", "gender_", "group_", "district_")


class ImmutableFeatureError(ScalingmlError, ValueError):
    """A counterfactual was asked to change a feature that is not actionable."""


def is_actionable(feature: str) -> bool:
    """Whether an applicant can reasonably be asked to change ``feature`` (see :data:`PEOPLE_ACTIONABLE`)."""
    return feature in PEOPLE_ACTIONABLE and not feature.startswith(NOT_ACTIONABLE_PREFIXES)


def black_box(n_estimators: int = 30, seed: int = 0) -> RandomForestClassifier:
    """The model to explain: a random forest, accurate enough and opaque (hundreds of trees' votes).

    A forest rather than gradient boosting: its fit uses no OpenMP threads, which stall on a
    busy 2-core machine, and ``n_estimators`` comes from the scale profile.
    """
    return RandomForestClassifier(n_estimators=n_estimators, min_samples_leaf=10, n_jobs=1, random_state=seed)


def fidelity(model, surrogate, X) -> float:
    """Share of rows of ``X`` on which ``surrogate`` predicts what ``model`` predicts."""
    return float(np.mean(np.asarray(surrogate.predict(X)) == np.asarray(model.predict(X))))


def surrogate_curve(model, X_fit, X_check, depths: Sequence[int], *, seed: int = 0) -> pd.DataFrame:
    """Fidelity (on ``X_check``, rows neither model was fitted on) of surrogate trees of each depth.

    Each surrogate learns ``model.predict(X_fit)`` — the black box's decisions, not the
    true labels: it explains the model, right or wrong. ``X_fit`` needs no labels, so it can
    be any sample of applicants the model can be asked about.
    """
    target = model.predict(X_fit)
    rows = []
    for depth in progress(list(depths), desc="surrogate depth"):
        surrogate = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(X_fit, target)
        agreement = fidelity(model, surrogate, X_check)
        rows.append(
            {
                "depth": int(depth),
                "leaves": int(surrogate.get_n_leaves()),
                "fidelity": agreement,
                "fidelity_se": math.sqrt(agreement * (1 - agreement) / len(X_check)),
            }
        )
    return pd.DataFrame(rows)


def smallest_faithful_depth(curve: pd.DataFrame, target: float) -> int | None:
    """The smallest depth whose fidelity reaches ``target`` (``None`` if none does)."""
    reached = curve[curve["fidelity"] >= target]
    return int(reached["depth"].min()) if len(reached) else None


def conclude_surrogate(curve: pd.DataFrame, target: float) -> str:
    """How simple an explanation can be while staying faithful to ``target``."""
    depth = smallest_faithful_depth(curve, target)
    best = curve.loc[curve["fidelity"].idxmax()]
    if depth is None:
        return (
            f"No surrogate up to depth {int(curve.depth.max())} agrees with the model on {target:.0%} of new rows "
            f"(best: {best.fidelity:.1%} at depth {int(best.depth)}): a faithful explanation of this model is not "
            "simple."
        )
    row = curve.set_index("depth").loc[depth]
    shallow = curve.iloc[0]
    return (
        f"A tree of depth {depth} ({int(row.leaves)} rules) agrees with the model on {row.fidelity:.1%} of new rows "
        f"(± {row.fidelity_se:.1%}), reaching the {target:.0%} target; depth {int(shallow.depth)} agrees on "
        f"{shallow.fidelity:.1%}. Any simpler tree misdescribes more than {1 - target:.0%} of the decisions."
    )


def surrogate_rules(model, X_fit, depth: int, *, seed: int = 0) -> str:
    """The rules of a surrogate of ``depth`` as text (``sklearn.tree.export_text``)."""
    surrogate = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(X_fit, model.predict(X_fit))
    return export_text(surrogate, feature_names=list(X_fit.columns), decimals=2)


# --- counterfactuals ------------------------------------------------------------------------------------


@dataclass
class Counterfactual:
    """The smallest actionable change found for one applicant (``changes``: feature -> (before, after))."""

    found: bool
    changes: dict[str, tuple[float, float]]
    cost: float
    probability_before: float
    probability_after: float
    candidates: int
    row: pd.Series = field(repr=False)


def actionable_grid(row: pd.Series, X: pd.DataFrame, *, steps: int = 8, quantile: float = 0.95) -> dict:
    """Candidate values for each actionable feature, from the current value towards the helpful direction.

    Savings may rise up to the ``quantile`` of ``X``; debts and the loan asked for may fall to
    its ``1 - quantile``; ``steps`` values per feature, the current one included.
    """
    grid = {}
    for feature, direction in PEOPLE_ACTIONABLE.items():
        current = float(row[feature])
        bound = float(X[feature].quantile(quantile if direction > 0 else 1 - quantile))
        end = max(current, bound) if direction > 0 else min(current, bound)
        decimals = 3 if feature == "debt_ratio" else 1  # the precision of the data
        grid[feature] = np.unique(np.round(np.linspace(current, end, steps), decimals)).tolist()
    return grid


def counterfactual(
    model, row: pd.Series, grid: Mapping[str, Sequence[float]], scales: Mapping[str, float], *, threshold: float = 0.5
) -> Counterfactual:
    """The cheapest combination of ``grid`` values that the model approves; other features stay as they are.

    The cost of a change is ``sum(|after - before| / scales[feature])`` (changes in units of
    each feature's spread); ties go to the change of fewer features. Asking to change a feature
    that is not actionable (:func:`is_actionable`) raises :class:`ImmutableFeatureError`.
    """
    for feature in grid:
        if feature not in row.index:
            raise ColumnNotFoundError(f"{feature!r} is not a feature of the applicant; features: {list(row.index)}.")
        if not is_actionable(feature):
            raise ImmutableFeatureError(
                f"{feature!r} cannot be part of a counterfactual: only {sorted(PEOPLE_ACTIONABLE)} are actionable "
                "(age, gender and group describe who a person is; the district is a proxy for the group)."
            )
    names = list(grid)
    combos = np.array(list(itertools.product(*(grid[n] for n in names))), dtype=float)
    candidates = pd.DataFrame([row.to_numpy()] * len(combos), columns=row.index).astype(row.dtype)
    candidates[names] = combos
    base = float(approval_probability(model, row.to_frame().T.astype(row.dtype))[0])
    proba = approval_probability(model, candidates)
    delta = np.abs(combos - row[names].to_numpy(dtype=float))
    cost = (delta / np.array([scales[n] for n in names])).sum(axis=1)
    changed = (delta > 0).sum(axis=1)
    approved = np.flatnonzero(proba >= threshold)
    if approved.size == 0:
        return Counterfactual(False, {}, math.inf, base, base, len(combos), row.copy())
    best = approved[np.lexsort((changed[approved], cost[approved]))[0]]
    changes = {n: (float(row[n]), float(combos[best, i])) for i, n in enumerate(names) if delta[best, i] > 0}
    return Counterfactual(
        True, changes, float(cost[best]), base, float(proba[best]), len(combos), candidates.iloc[best]
    )


def approval_probability(model, X) -> np.ndarray:
    """The model's probability of approval (class 1) for each row; 0 when the model never approves."""
    classes = list(model.classes_)
    if 1 not in classes:
        return np.zeros(len(X))
    return model.predict_proba(X)[:, classes.index(1)]


def pick_refused(model, X: pd.DataFrame, *, aim: float = 0.35) -> int:
    """Position in ``X`` of a refused applicant whose approval probability is nearest ``aim`` (not a hopeless case)."""
    proba = approval_probability(model, X)
    refused = np.flatnonzero(proba < 0.5)
    if refused.size == 0:
        raise ValueError("Nobody in X is refused: there is no decision to explain.")
    return int(refused[np.argmin(np.abs(proba[refused] - aim))])


def conclude_counterfactual(result: Counterfactual) -> str:
    """The explanation a refused applicant would receive, from the search result."""
    if not result.found:
        return (
            f"No change within the actionable ranges ({result.candidates} combinations) flips the decision "
            f"(probability {result.probability_before:.2f}): tell the applicant the main reasons instead, and do not "
            "suggest changing who they are."
        )
    what = "; ".join(f"{f.replace('_', ' ')} from {a:g} to {b:g}" for f, (a, b) in result.changes.items())
    return (
        f"Out of {result.candidates} actionable combinations, the smallest that the model approves changes {what} "
        f"(approval probability {result.probability_before:.2f} -> {result.probability_after:.2f}); age, gender, "
        "group and district stay as they are."
    )


# --- documentation -------------------------------------------------------------------------------------


@dataclass
class TechnicalDocumentation:
    """A model card / technical-documentation record, every figure taken from the run that made it."""

    model: str
    intended_use: str
    out_of_scope: str
    data: dict
    metrics: dict
    metrics_by_group: dict
    fairness: dict
    privacy: dict
    explanation: dict
    limitations: list[str]
    human_oversight: str
    versions: dict

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_markdown(self) -> str:
        """The record as a model card a reviewer can read."""
        groups = pd.DataFrame(self.metrics_by_group).T
        lines = [
            f"# Model card: {self.model}",
            "",
            f"**Intended use.** {self.intended_use}",
            "",
            f"**Out of scope.** {self.out_of_scope}",
            "",
            "## Data",
            *[f"- {k}: {v}" for k, v in self.data.items()],
            "",
            "## Metrics (held-out data)",
            *[f"- {k}: {_number(v)}" for k, v in self.metrics.items()],
            "",
            "## Metrics per group",
            _markdown_table(groups),
            "",
            "## Fairness",
            *[f"- {k}: {_number(v)}" for k, v in self.fairness.items()],
            "",
            "## Privacy",
            *[f"- {k}: {v}" for k, v in self.privacy.items()],
            "",
            "## Explanation",
            *[f"- {k}: {v}" for k, v in self.explanation.items()],
            "",
            "## Limitations",
            *[f"- {item}" for item in self.limitations],
            "",
            f"**Human oversight.** {self.human_oversight}",
            "",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()),
        ]
        return "\n".join(lines)


def _number(value) -> str:
    """Three decimals for measured rates, none for counts, text as it is."""
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{value:g}" if float(value).is_integer() else f"{value:.3f}"
    return str(value)


def _markdown_table(frame: pd.DataFrame) -> str:
    """A small markdown table (no optional dependency)."""
    cell = _number
    header = "| group | " + " | ".join(frame.columns) + " |"
    rule = "|---" * (len(frame.columns) + 1) + "|"
    body = ["| " + str(g) + " | " + " | ".join(cell(v) for v in row) + " |" for g, row in frame.iterrows()]
    return "\n".join([header, rule, *body])


def technical_documentation(
    *,
    model_name: str,
    audit_frame,
    summary: Mapping,
    data: Mapping,
    privacy: Mapping,
    explanation: Mapping,
    intended_use: str = (
        "Support loan officers in ranking applications of a fictitious lender; the officer decides and can overrule."
    ),
    out_of_scope: str = "Automated refusals without human review; applicants outside the population of the data.",
    known_limitations: Sequence[str] = (),
    human_oversight: str = (
        "A named officer reviews every refusal, sees the counterfactual explanation, can override the model, and "
        "logs the reason; per-group rates are re-audited monthly and a gap beyond the agreed bound stops the model."
    ),
) -> TechnicalDocumentation:
    """Build the record from a fairlearn ``MetricFrame`` (``audit_frame``) and :func:`fairness_summary` values.

    Limitations start with ``known_limitations`` (facts about the data, from its datasheet) and
    continue from the numbers: a selection-rate gap larger than twice its standard error is listed
    as a measured disparity, a smaller one as not measurable at this size; groups with fewer than
    100 test rows are named as uncertain.
    """
    by_group = audit_frame.by_group
    overall = audit_frame.overall
    limitations = list(known_limitations)
    gap, se = float(summary["dp_difference"]), float(summary["dp_se"])
    if gap > 2 * se:
        low, high = summary["lowest_group"], summary["highest_group"]
        limitations.append(
            f"Selection rates differ between groups by {gap:.3f} (± {se:.3f}): group {low} is approved less "
            f"often than group {high}."
        )
    else:
        limitations.append(f"No selection-rate gap beyond noise was measurable (difference {gap:.3f} ± {se:.3f}).")
    small = by_group[by_group["count"] < 100]
    if len(small):
        limitations.append(f"Groups {list(small.index)} have fewer than 100 test rows: their rates are uncertain.")
    return TechnicalDocumentation(
        model=model_name,
        intended_use=intended_use,
        out_of_scope=out_of_scope,
        data=dict(data),
        metrics={k: float(v) for k, v in overall.items()},
        metrics_by_group={str(g): {k: float(v) for k, v in row.items()} for g, row in by_group.iterrows()},
        fairness={k: (float(v) if isinstance(v, int | float | np.floating) else str(v)) for k, v in summary.items()},
        privacy=dict(privacy),
        explanation=dict(explanation),
        limitations=limitations,
        human_oversight=human_oversight,
        versions={"scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__},
    )
