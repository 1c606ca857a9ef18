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

from scalingml import measure
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
                "fidelity_se": measure.proportion_se(agreement, len(X_check)),
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
    by_depth = curve.set_index("depth")
    row = by_depth.loc[depth]
    shallow = curve.iloc[0]
    sentence = (
        f"A tree of depth {depth} ({int(row.leaves)} leaves) agrees with the model on {row.fidelity:.1%} of new "
        f"rows (± {row.fidelity_se:.1%}), reaching the {target:.0%} target"
    )
    if row.fidelity - 2 * row.fidelity_se < target:
        sentence += " only within noise"
    sentence += f"; depth {int(shallow.depth)} agrees on {shallow.fidelity:.1%}."
    simpler = by_depth[by_depth.index < depth]
    if simpler.empty:
        return sentence
    nearest = simpler.loc[simpler["fidelity"].idxmax()]
    if (simpler["fidelity"] + 2 * simpler["fidelity_se"] < target).all():
        sentence += (
            f" Every simpler tree falls short beyond noise (best {nearest.fidelity:.1%} ± {nearest.fidelity_se:.1%}):"
            f" it misdescribes more than {1 - target:.0%} of the decisions."
        )
    else:
        sentence += (
            f" A simpler tree ({nearest.fidelity:.1%} ± {nearest.fidelity_se:.1%} at depth {int(nearest.name)}) is "
            "within noise of the target: the smallest faithful depth is uncertain at this size."
        )
    return sentence


def surrogate_rules(model, X_fit, depth: int, *, seed: int = 0, merge: bool = True) -> str:
    """The rules of a surrogate of ``depth`` as text.

    With ``merge`` (the default), a split whose two sides end in the same decision is shown as
    one leaf: it changes nothing the surrogate decides, only how long its description is.
    Without it, ``sklearn.tree.export_text`` shows every split.
    """
    surrogate = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(X_fit, model.predict(X_fit))
    names = list(X_fit.columns)
    if not merge:
        return export_text(surrogate, feature_names=names, decimals=2)
    return _merged_rules(surrogate, names)


def _merged_rules(tree: DecisionTreeClassifier, names: Sequence[str]) -> str:
    """``export_text``-like rules with same-decision subtrees collapsed into one leaf."""
    t = tree.tree_
    decision = {}

    def uniform(node: int):  # the single class a subtree predicts, or None
        if t.children_left[node] == -1:
            decision[node] = tree.classes_[int(np.argmax(t.value[node][0]))]
        else:
            left, right = uniform(t.children_left[node]), uniform(t.children_right[node])
            decision[node] = left if left is not None and left == right else None
        return decision[node]

    uniform(0)
    lines = []

    def show(node: int, indent: int):
        pad = "|   " * indent
        if decision[node] is not None:
            lines.append(f"{pad}|--- class: {decision[node]}")
            return
        feature, threshold = names[t.feature[node]], t.threshold[node]
        lines.append(f"{pad}|--- {feature} <= {threshold:.2f}")
        show(t.children_left[node], indent + 1)
        lines.append(f"{pad}|--- {feature} >  {threshold:.2f}")
        show(t.children_right[node], indent + 1)

    show(0, 0)
    return "\n".join(lines) + "\n"


def rules_to_show(curve: pd.DataFrame, target: float, fallback: int = 2) -> tuple[int, str]:
    """The depth whose rules to print, and a heading that states its fidelity.

    The smallest depth reaching ``target`` (:func:`smallest_faithful_depth`); if none does,
    ``fallback``, labelled as not faithful.
    """
    smallest = smallest_faithful_depth(curve, target)
    faithful = smallest is not None
    depth = smallest if smallest is not None else fallback
    row = curve.set_index("depth").loc[depth]
    status = (
        f"the smallest depth reaching the {target:.0%} target"
        if faithful
        else f"below the {target:.0%} target: not a faithful explanation"
    )
    return depth, (
        f"Rules of the depth-{depth} surrogate (fidelity {row.fidelity:.1%} ± {row.fidelity_se:.1%}, {status}); "
        "splits whose two sides reach the same decision are merged into one leaf:"
    )


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
    model,
    row: pd.Series,
    grid: Mapping[str, Sequence[float]],
    scales: Mapping[str, float],
    *,
    threshold: float | None = None,
) -> Counterfactual:
    """The cheapest combination of ``grid`` values that the model approves; other features stay as they are.

    The cost of a change is ``sum(|after - before| / scales[feature])`` (changes in units of
    each feature's spread, e.g. :func:`robust_scales`); ties go to the change of fewer features.
    "Approved" means ``model.predict(...) == 1`` (the probability at ``threshold`` only when
    ``threshold`` is given). The result is the cheapest *on this grid*, not over all values.
    Asking to change a feature that is not actionable (:func:`is_actionable`) raises
    :class:`ImmutableFeatureError`.
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
    if threshold is None:
        approved = np.flatnonzero(np.asarray(model.predict(candidates)) == 1)
    else:
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


def robust_scales(X: pd.DataFrame) -> pd.Series:
    """Each column's interquartile range (its standard deviation where the IQR is 0): a spread skew cannot inflate.

    Savings and loans are log-normal: a few very large values blow up the standard deviation,
    which would make changing them look cheap. The IQR describes the typical applicant.

    >>> robust_scales(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 100.0], "c": [1.0, 1.0, 1.0, 1.0, 2.0]})).tolist()
    [2.0, 0.4472135954999579]
    """
    iqr = X.quantile(0.75) - X.quantile(0.25)
    return iqr.where(iqr > 0, X.std()).astype(float)


def pick_refused(model, X: pd.DataFrame, *, aim: float = 0.35) -> int:
    """Position in ``X`` of a refused applicant whose approval probability is nearest ``aim`` (not a hopeless case)."""
    proba = approval_probability(model, X)
    refused = np.flatnonzero(np.asarray(model.predict(X)) != 1)
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
        f"Out of {result.candidates} actionable combinations on this grid, the cheapest that the model approves "
        f"changes {what} "
        f"(approval probability {result.probability_before:.2f} -> {result.probability_after:.2f}); every other "
        "feature (age, district) stays as it is."
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
            f"**Intended use** (the deployer's policy, not measured by this run). {self.intended_use}",
            "",
            f"**Out of scope** (policy). {self.out_of_scope}",
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
            f"**Human oversight** (policy, not verified by this run). {self.human_oversight}",
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


def _fairness_entries(summary: Mapping) -> dict:
    """The fairness gaps with their standard errors; which group is lowest only when the gap exceeds its noise.

    Accuracy is left out: it is already under the metrics.
    """
    entries: dict[str, float | str] = {
        k: float(summary[k]) for k in ("dp_difference", "dp_se", "eo_difference", "eo_se") if k in summary
    }
    if float(summary["dp_difference"]) > 2 * float(summary["dp_se"]):
        entries["lowest_group"], entries["highest_group"] = str(summary["lowest_group"]), str(summary["highest_group"])
    else:
        entries["lowest_group"] = "none beyond noise"
    return entries


def conclude_documented_vs_audited(
    documented: Mapping, audited: Mapping, documented_name: str, audited_name: str
) -> str:
    """Compare the selection-rate gap of the documented model with that of the model the bias audit examined.

    A model card is about one model; if the audit looked at another, the card must say how their
    gaps compare, or a reader will carry one model's numbers over to the other.
    """
    diff = float(documented["dp_difference"]) - float(audited["dp_difference"])
    noise = 2 * math.hypot(float(documented["dp_se"]), float(audited["dp_se"]))
    numbers = (
        f"the {documented_name}'s selection-rate gap is {float(documented['dp_difference']):.3f} "
        f"± {float(documented['dp_se']):.3f}, the {audited_name}'s {float(audited['dp_difference']):.3f} "
        f"± {float(audited['dp_se']):.3f}"
    )
    if abs(diff) <= noise:
        return f"On the same test rows {numbers}: no difference beyond the noise (2 SE = {noise:.3f})."
    wider = documented_name if diff > 0 else audited_name
    return (
        f"On the same test rows {numbers}: the {wider} shows the wider gap (difference {abs(diff):.3f}, noise: "
        f"2 SE = {noise:.3f}); an audit of one model does not certify another."
    )


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
        metrics={k: float(v) for k, v in overall.items() if k != "count"},  # counts belong to the data section
        metrics_by_group={
            str(g): {k: (int(v) if k == "count" else float(v)) for k, v in row.items()}
            for g, row in by_group.iterrows()
        },
        fairness=_fairness_entries(summary),
        privacy=dict(privacy),
        explanation=dict(explanation),
        limitations=limitations,
        human_oversight=human_oversight,
        versions={"scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__},
    )
