"""Fairness experiments: audit a model per group, show that "unawareness" fails, mitigate and count the cost.

The data is :func:`scalingml.datasets.make_people`, whose past decisions carry a planted
bias against group B (documented in ``datasets/README.md``); the legitimate features are
drawn independently of the group, so every gap a model shows comes from that bias.

* :func:`audit` wraps fairlearn's ``MetricFrame``: accuracy, selection rate, true- and
  false-positive rate **per group**, with demographic parity and equalized odds differences.
* :func:`unawareness_experiment`: dropping the sensitive column leaves the gap, because the
  district is a proxy for it.
* :func:`mitigation_experiment`: ``ThresholdOptimizer`` and ``ExponentiatedGradient`` side by
  side with the unmitigated model: fairness gained, accuracy paid, each with its noise.

>>> rates = group_rates([1, 0, 1, 1], [1, 0, 0, 1], ["a", "a", "b", "b"])
>>> rates["true_positive_rate"].to_dict()
{'a': 1.0, 'b': 0.5}
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml import measure
from scalingml.datasets.people import PEOPLE_SENSITIVE, PEOPLE_TARGET, REFERENCE_YEAR
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import people_features
from scalingml.progress import progress


class FairnessInputError(ScalingmlError, ValueError):
    """Labels, predictions and groups that do not line up (lengths, values)."""


class EmptyGroupError(FairnessInputError):
    """A group that should be audited has no members: its rates are undefined."""


def _as_array(name: str, values) -> np.ndarray:
    array = np.asarray(values).ravel()
    if array.size == 0:
        raise FairnessInputError(f"{name} is empty: an audit needs predictions for at least one person.")
    return array


def check_inputs(y_true, y_pred, groups, expected_groups: Sequence | None = None):
    """Arrays of ``y_true``, ``y_pred`` and the group labels, after checking they can be audited.

    Raises :class:`FairnessInputError` for different lengths or non-binary values, and
    :class:`EmptyGroupError` for a group with no members: a category of a categorical
    ``groups`` that no row has, or a name in ``expected_groups`` that does not occur.
    """
    y_true, y_pred = _as_array("y_true", y_true), _as_array("y_pred", y_pred)
    categories = list(groups.cat.categories) if isinstance(getattr(groups, "dtype", None), pd.CategoricalDtype) else []
    labels = _as_array("groups", groups)
    if not len(y_true) == len(y_pred) == len(labels):
        raise FairnessInputError(
            f"y_true ({len(y_true)}), y_pred ({len(y_pred)}) and groups ({len(labels)}) must have one entry per person."
        )
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if not set(pd.unique(values)) <= {0, 1}:
            raise FairnessInputError(
                f"{name} must hold 0/1 decisions, got values {sorted(set(pd.unique(values)))[:5]}."
            )
    wanted = list(expected_groups) if expected_groups is not None else categories
    present = set(pd.unique(labels))
    empty = [g for g in wanted if g not in present]
    if empty:
        raise EmptyGroupError(
            f"Group(s) {empty} have no members, so their rates are undefined. Audit on data that includes them, "
            "or drop the unused categories (Series.cat.remove_unused_categories()) if they do not apply."
        )
    return y_true.astype(int), y_pred.astype(int), labels


def _rate(numerator: np.ndarray) -> float:
    return float(numerator.mean()) if numerator.size else math.nan


def true_positive_rate(y_true, y_pred) -> float:
    """Share of the truly positive who were selected (NaN, not 0, when there are none)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return _rate(y_pred[y_true == 1] == 1)


def false_positive_rate(y_true, y_pred) -> float:
    """Share of the truly negative who were selected (NaN when there are none)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return _rate(y_pred[y_true == 0] == 1)


def selection_rate(y_true, y_pred) -> float:
    """Share selected (approved), whatever the truth."""
    return _rate(np.asarray(y_pred) == 1)


def accuracy(y_true, y_pred) -> float:
    return _rate(np.asarray(y_true) == np.asarray(y_pred))


def count(y_true, y_pred) -> int:
    return int(len(np.asarray(y_true)))


AUDIT_METRICS = {
    "count": count,
    "accuracy": accuracy,
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
}


def audit(y_true, y_pred, groups, *, expected_groups: Sequence | None = None):
    """A fairlearn ``MetricFrame`` of :data:`AUDIT_METRICS`, computed **within each group**.

    ``.by_group`` is the per-group table, ``.overall`` the whole population, and
    ``.difference()`` the largest gap between groups per metric (its ``selection_rate`` is the
    demographic parity difference). Bad input raises :class:`FairnessInputError`.
    """
    from fairlearn.metrics import MetricFrame  # imported late: fairlearn takes a second to import

    y_true, y_pred, labels = check_inputs(y_true, y_pred, groups, expected_groups)
    return MetricFrame(
        metrics=AUDIT_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=pd.Series(labels, name="group")
    )


def audit_table(metric_frame, decimals: int = 3) -> pd.DataFrame:
    """The per-group table of an :func:`audit` for display: counts as integers, rates rounded."""
    table = metric_frame.by_group.copy()
    for column in table.columns:
        table[column] = table[column].astype("int64") if column == "count" else table[column].astype(float)
    return table.round(decimals)


def group_rates(y_true, y_pred, groups, *, expected_groups: Sequence | None = None) -> pd.DataFrame:
    """Per group: ``count``, ``selection_rate`` and ``true_positive_rate`` (plain pandas, no fairlearn)."""
    y_true, y_pred, labels = check_inputs(y_true, y_pred, groups, expected_groups)
    rows = {}
    for group in sorted(pd.unique(labels), key=str):
        mask = labels == group
        rows[group] = {
            "count": int(mask.sum()),
            "selection_rate": selection_rate(y_true[mask], y_pred[mask]),
            "true_positive_rate": true_positive_rate(y_true[mask], y_pred[mask]),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def fairness_summary(y_true, y_pred, groups) -> dict:
    """Accuracy, demographic parity and equalized odds differences, with standard errors for the first two.

    The equalized odds difference is the larger of the gaps in true- and false-positive rates.
    """
    frame = audit(y_true, y_pred, groups)
    by_group = frame.by_group
    gaps = frame.difference()
    n = int(frame.overall["count"])
    acc = float(frame.overall["accuracy"])
    lowest, highest = by_group["selection_rate"].idxmin(), by_group["selection_rate"].idxmax()
    dp_se = math.hypot(
        *(measure.proportion_se(by_group.loc[g, "selection_rate"], by_group.loc[g, "count"]) for g in {lowest, highest})
    )
    y_true = np.asarray(y_true).ravel().astype(int)
    labels = np.asarray(groups).ravel()
    worst = "true_positive_rate" if gaps["true_positive_rate"] >= gaps["false_positive_rate"] else "false_positive_rate"
    truth = 1 if worst == "true_positive_rate" else 0
    eo_se = math.sqrt(
        sum(
            by_group.loc[g, worst]
            * (1 - by_group.loc[g, worst])
            / max(1, int(((labels == g) & (y_true == truth)).sum()))
            for g in by_group.index
            if not math.isnan(by_group.loc[g, worst])
        )
    )
    return {
        "accuracy": acc,
        "accuracy_se": measure.proportion_se(acc, n),
        "dp_difference": float(gaps["selection_rate"]),
        "dp_se": dp_se,
        "eo_difference": float(gaps[worst]),
        "eo_se": eo_se,
        "lowest_group": lowest,
        "highest_group": highest,
    }


def split_people(frame: pd.DataFrame, *, seed: int = 0, test_size: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test halves of a people table, stratified on outcome and group together."""
    strata = frame[PEOPLE_TARGET].astype(str) + frame[PEOPLE_SENSITIVE].astype(str)
    return train_test_split(frame, test_size=test_size, random_state=seed, stratify=strata)


def logistic_model(seed: int = 0):
    """The lender's model: standardised features into a logistic regression (fast, weightable)."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))


#: The three models of the unawareness experiment: which columns each may see.
AWARENESS = {
    "aware (group column used)": {"sensitive": True, "proxy": True},
    "unaware (group dropped)": {"sensitive": False, "proxy": True},
    "unaware, no proxy (group and district dropped)": {"sensitive": False, "proxy": False},
}


def unawareness_experiment(train: pd.DataFrame, test: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Fit the models of :data:`AWARENESS` and audit each on ``test``; the historical labels come first as a row."""
    groups = test[PEOPLE_SENSITIVE].astype(str)
    labels = fairness_summary(test[PEOPLE_TARGET], test[PEOPLE_TARGET], groups)
    rows = [{"model": "past decisions (the labels)", **labels}]
    for name, columns in progress(list(AWARENESS.items()), desc="unawareness"):
        X_train, y_train = people_features(train, **columns)
        X_test, y_test = people_features(test, **columns)
        model = logistic_model(seed).fit(X_train, y_train)
        rows.append({"model": name, **fairness_summary(y_test, model.predict(X_test), groups)})
    return pd.DataFrame(rows)


def proxy_strength(frame: pd.DataFrame) -> pd.Series:
    """Share of group B per district: how much the district tells about the group."""
    return (frame[PEOPLE_SENSITIVE].astype(str) == "B").groupby(frame["district"]).mean().rename("share_group_B")


def group_effect(frame: pd.DataFrame) -> tuple[float, float]:
    """The planted bias as an audit recovers it: group B's coefficient (and standard error) on the approval logit.

    An unpenalised logistic regression of the outcome on the generator's legitimate terms
    (log income, log savings, debt ratio, log loan amount, years employed, age) and a group-B
    indicator; minus the coefficient estimates the bias, with no knowledge of its value.
    """
    design = pd.DataFrame(
        {
            "log_income": np.log(frame["income"]),
            "log_savings": np.log(frame["savings"]),
            "debt_ratio": frame["debt_ratio"],
            "log_loan": np.log(frame["loan_amount"]),
            "years_employed": frame["years_employed"],
            "age": REFERENCE_YEAR - frame["birth_year"],
            "group_B": (frame[PEOPLE_SENSITIVE].astype(str) == "B").astype(float),
        }
    ).astype(float)
    model = LogisticRegression(C=np.inf, max_iter=5000).fit(design, frame[PEOPLE_TARGET])
    X = np.column_stack([np.ones(len(design)), design.to_numpy()])
    p = model.predict_proba(design)[:, 1]
    covariance = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    index = 1 + list(design.columns).index("group_B")
    return float(model.coef_[0][index - 1]), float(math.sqrt(covariance[index, index]))


def conclude_planted_bias(effect: float, se: float, planted: float) -> str:
    """Whether a correctly specified model (the generator's own form) recovered the documented bias (within 2 s.e.)."""
    if abs(-effect - planted) <= 2 * se:
        return (
            f"At equal income, savings, debts, loan and age, group B's approval logit is {effect:+.2f} ± {se:.2f}: "
            f"a correctly specified model recovers the documented bias of {-planted:+.2f}."
        )
    if -effect > 2 * se:
        return (
            f"Group B's approval logit is {effect:+.2f} ± {se:.2f}: a bias shows, but it differs from the documented "
            f"{-planted:+.2f} by more than two standard errors."
        )
    return f"Group B's approval logit is {effect:+.2f} ± {se:.2f}: no bias is measurable at this size."


def conclude_label_bias(past: Mapping, unbiased: Mapping) -> str:
    """The same decisions audited against the past (biased) labels and against the outcome without the bias.

    ``past`` and ``unbiased`` are :func:`fairness_summary` values for one model's decisions on the same rows.
    Selection rates do not depend on the labels; error rates (true- and false-positive rates, equalized odds) do.
    The noise treats the two audits as independent, which overstates it for the same decisions on the same rows:
    a difference called beyond the noise is so with room to spare.
    """
    before, after = float(past["eo_difference"]), float(unbiased["eo_difference"])
    se = math.hypot(float(past["eo_se"]), float(unbiased["eo_se"]))
    numbers = (
        f"Equalized odds difference {before:.3f} ± {float(past['eo_se']):.3f} against the past decisions, "
        f"{after:.3f} ± {float(unbiased['eo_se']):.3f} against the outcome without the planted bias"
    )
    if measure.beyond_noise(after - before, se):
        verdict = (
            f": the biased labels {'hid' if after > before else 'inflated'} an error-rate gap of "
            f"{abs(after - before):.3f} ({measure.noise_band(se)})."
        )
    else:
        verdict = f": no difference beyond the noise at this size ({measure.noise_band(se)})."
    return (
        numbers + verdict + " Error-rate criteria on past decisions certify that a model repeats those decisions "
        "equally well for every group, not that the decisions were fair."
    )


def _gap_is_real(row) -> bool:
    return row["dp_difference"] > 2 * row["dp_se"]


def conclude_unawareness(frame: pd.DataFrame) -> str:
    """What dropping the group column did to the selection-rate gap, judged against noise."""
    rows = frame.set_index("model")
    aware, unaware = rows.loc["aware (group column used)"], rows.loc["unaware (group dropped)"]
    no_proxy = rows.loc["unaware, no proxy (group and district dropped)"]
    if not _gap_is_real(aware):
        return (
            f"The aware model's selection-rate gap ({aware.dp_difference:.3f} ± {aware.dp_se:.3f}) is within noise "
            "here: too little data to show what unawareness does."
        )
    kept = unaware.dp_difference / aware.dp_difference
    sentence = (
        f"Dropping the group column kept {kept:.0%} of the selection-rate gap ({aware.dp_difference:.3f} -> "
        f"{unaware.dp_difference:.3f} ± {unaware.dp_se:.3f})"
    )
    sentence += (
        ": the district carries the group in through the back door."
        if _gap_is_real(unaware)
        else ", which is no longer distinguishable from noise at this size."
    )
    if _gap_is_real(unaware) and not _gap_is_real(no_proxy):
        sentence += (
            f" Dropping the district too leaves {no_proxy.dp_difference:.3f} ± {no_proxy.dp_se:.3f}, within noise — "
            "here the district was the proxy; removing the columns found so far does not show that none is left, so "
            "audit the outcomes as well."
        )
    elif _gap_is_real(no_proxy):
        sentence += f" Even without the district a gap of {no_proxy.dp_difference:.3f} remains."
    if "past decisions (the labels)" in rows.index:
        labels = rows.loc["past decisions (the labels)"]
        if aware.dp_difference - labels.dp_difference > 2 * math.hypot(aware.dp_se, labels.dp_se):
            sentence += (
                f" The aware model's gap is wider than that of the past decisions it learned from "
                f"({labels.dp_difference:.3f}): a model can amplify a bias, not only copy it."
            )
    return sentence


def _dp_gaps(selected: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Demographic parity difference of each row of ``selected`` (resamples x people; 0/1), groups in ``codes``."""
    rates = np.full((selected.shape[0], n_groups), np.nan)
    for g in range(n_groups):
        members = codes == g
        size = members.sum(axis=1)
        rates[size > 0, g] = (selected * members).sum(axis=1)[size > 0] / size[size > 0]
    return np.nanmax(rates, axis=1) - np.nanmin(rates, axis=1)


def paired_bootstrap(
    y_true, base_pred, other_pred, groups, *, resamples: int = 400, seed: int = 0, chunk: int = 50
) -> dict:
    """Standard errors of the accuracy paid and the selection-rate gap closed, by a **paired** bootstrap.

    Both methods are scored on the same test rows, so their errors are correlated: resampling
    the rows once for both (not each method on its own) gives the uncertainty of the
    *difference*, usually much smaller than the two separate standard errors combined.

    >>> y, groups = [1, 0, 1, 0] * 50, ["a", "a", "b", "b"] * 50
    >>> paired_bootstrap(y, y, y, groups)["accuracy_paid_se"]
    0.0
    """
    y_true = np.asarray(y_true).ravel().astype(int)
    base_pred, other_pred = np.asarray(base_pred).ravel().astype(int), np.asarray(other_pred).ravel().astype(int)
    _, codes = np.unique(np.asarray(groups).ravel().astype(str), return_inverse=True)
    n, n_groups = len(y_true), int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    paid, closed = [], []
    for start in range(0, resamples, chunk):
        index = rng.integers(0, n, size=(min(chunk, resamples - start), n))
        base, other, code = base_pred[index], other_pred[index], codes[index]
        truth = y_true[index]
        paid.append((base == truth).mean(axis=1) - (other == truth).mean(axis=1))
        closed.append(_dp_gaps(base, code, n_groups) - _dp_gaps(other, code, n_groups))
    return {
        "accuracy_paid_se": float(np.std(np.concatenate(paid), ddof=1)),
        "gap_closed_se": float(np.std(np.concatenate(closed), ddof=1)),
    }


def mitigation_experiment(
    train: pd.DataFrame, test: pd.DataFrame, *, seed: int = 0, max_iter: int = 50
) -> tuple[pd.DataFrame, dict]:
    """The unaware model, then ``ThresholdOptimizer`` and ``ExponentiatedGradient`` (demographic parity), on ``test``.

    Returns the comparison frame (``method``, ``seconds``, accuracy, fairness gaps and
    their standard errors) and the fitted models by method.
    """
    from fairlearn.postprocessing import ThresholdOptimizer
    from fairlearn.reductions import DemographicParity, ExponentiatedGradient

    X_train, y_train = people_features(train, sensitive=False)
    X_test, y_test = people_features(test, sensitive=False)
    group_train, group_test = train[PEOPLE_SENSITIVE].astype(str), test[PEOPLE_SENSITIVE].astype(str)

    def baseline():
        model = logistic_model(seed).fit(X_train, y_train)
        return model, model.predict(X_test)

    def threshold():
        model = ThresholdOptimizer(
            estimator=logistic_model(seed), constraints="demographic_parity", predict_method="predict_proba"
        )
        model.fit(X_train, y_train, sensitive_features=group_train)
        return model, model.predict(X_test, sensitive_features=group_test, random_state=seed)

    def reduction():
        model = ExponentiatedGradient(
            logistic_model(seed),
            DemographicParity(),
            max_iter=max_iter,
            sample_weight_name="logisticregression__sample_weight",
        )
        model.fit(X_train, y_train, sensitive_features=group_train)
        return model, model.predict(X_test, random_state=seed)

    methods = {
        "unmitigated (unaware)": baseline,
        "ThresholdOptimizer": threshold,
        "ExponentiatedGradient": reduction,
    }
    rows, models, decisions = [], {}, {}
    for name, fit in progress(list(methods.items()), desc="mitigation"):
        start = time.perf_counter()
        models[name], decisions[name] = fit()
        seconds = time.perf_counter() - start
        rows.append({"method": name, "seconds": seconds, **fairness_summary(y_test, decisions[name], group_test)})
    frame = pd.DataFrame(rows)
    base_name = next(iter(methods))
    base = frame.iloc[0]
    frame["accuracy_paid"] = base.accuracy - frame["accuracy"]
    frame["gap_closed"] = base.dp_difference - frame["dp_difference"]
    paired = [
        paired_bootstrap(y_test, decisions[base_name], decisions[name], group_test, seed=seed) for name in methods
    ]
    frame["accuracy_paid_se"] = [p["accuracy_paid_se"] for p in paired]
    frame["gap_closed_se"] = [p["gap_closed_se"] for p in paired]
    return frame, models


def conclude_mitigation(frame: pd.DataFrame) -> list[str]:
    """One sentence per mitigation: the gap closed and the accuracy paid, each against its noise.

    The noise is two standard errors of the *paired* difference (``gap_closed_se``,
    ``accuracy_paid_se`` from :func:`paired_bootstrap`) when the frame has them; otherwise the
    two methods' own standard errors combined (conservative: it ignores that they share test rows).
    """
    rows = frame.set_index("method")
    base = rows.iloc[0]
    paired = {"gap_closed_se", "accuracy_paid_se"} <= set(rows.columns)
    sentences = []
    for method, row in rows.iloc[1:].iterrows():
        gained = base.dp_difference - row.dp_difference
        paid = base.accuracy - row.accuracy
        if paired:
            gain_noise, pay_noise = 2 * row.gap_closed_se, 2 * row.accuracy_paid_se
        else:
            gain_noise = 2 * math.hypot(base.dp_se, row.dp_se)
            pay_noise = 2 * math.hypot(base.accuracy_se, row.accuracy_se)
        if gained > gain_noise:
            fairness = (
                f"closed {gained:.3f} of the {base.dp_difference:.3f} selection-rate gap "
                f"(noise: 2 SE = {gain_noise:.3f})"
            )
        else:
            verb = "narrowed" if gained > 0 else "widened"
            fairness = (
                f"{verb} the selection-rate gap by {abs(gained):.3f}, within the noise (2 SE = {gain_noise:.3f}): "
                "at this size the change may be chance"
            )
        if paid > pay_noise:
            cost = f"for {paid:.3f} accuracy ({base.accuracy:.3f} -> {row.accuracy:.3f})"
        else:
            cost = f"at no accuracy cost beyond the noise ({paid:+.3f}; 2 SE = {pay_noise:.3f})"
        sentences.append(f"{method} {fairness}, {cost}; it took {row.seconds:.2f} s.")
    return sentences


def randomised_decisions(
    models: dict, X_test: pd.DataFrame, group_test, y_test, *, seeds: Sequence[int] = range(5)
) -> pd.DataFrame:
    """How much fairlearn's randomised mitigators change their decisions from one ``random_state`` to the next.

    ``ThresholdOptimizer`` and ``ExponentiatedGradient`` decide some applicants by a coin flip
    (a randomised threshold, a mixture of models). Per method: the share of applicants whose
    decision differs between ``seeds``, and the smallest and largest selection-rate gap seen.
    """
    predictors = {
        "ThresholdOptimizer": lambda m, s: m.predict(X_test, sensitive_features=group_test, random_state=s),
        "ExponentiatedGradient": lambda m, s: m.predict(X_test, random_state=s),
    }
    rows = []
    for name, predict in predictors.items():
        if name not in models:
            continue
        decisions = np.array([np.asarray(predict(models[name], seed)).astype(int) for seed in seeds])
        gaps = [fairness_summary(y_test, d, group_test)["dp_difference"] for d in decisions]
        rows.append(
            {
                "method": name,
                "seeds": len(decisions),
                "share_changing": float((decisions.min(axis=0) != decisions.max(axis=0)).mean()),
                "dp_min": float(min(gaps)),
                "dp_max": float(max(gaps)),
            }
        )
    return pd.DataFrame(rows, columns=["method", "seeds", "share_changing", "dp_min", "dp_max"])


def conclude_randomised(frame: pd.DataFrame) -> list[str]:
    """One sentence per randomised method: whether the same applicant can get different decisions."""
    sentences = []
    for row in frame.itertuples():
        if row.share_changing > 0:
            sentences.append(
                f"{row.method}: {row.share_changing:.1%} of the test applicants got a different decision under "
                f"another of {row.seeds} random seeds (selection-rate gap {row.dp_min:.3f} to {row.dp_max:.3f}): "
                "its predictions are randomised, so two identical applicants can be treated differently — fix "
                "and log the seed, or derive a deterministic rule, where consistency is required."
            )
        else:
            sentences.append(
                f"{row.method}: the same decisions under all {row.seeds} seeds here — no applicant was decided by "
                "a coin flip on this test set."
            )
    return sentences


def conclude_impossibility(label_rates: pd.Series, frame: pd.DataFrame) -> str:
    """Why demographic parity and equalized odds cannot both hold here: the groups' base rates differ.

    With different base rates, equal selection rates and equal true- and false-positive rates
    hold together only for a classifier that ignores the features (TPR = FPR in every group); a
    perfect classifier approves each group at its base rate and so breaks parity.
    """
    rows = frame.set_index("method")
    base, mitigated = rows.iloc[0], rows.iloc[1:]
    gap = float(label_rates.max() - label_rates.min())
    rates = ", ".join(f"{g}: {r:.3f}" for g, r in label_rates.items())
    if gap < 0.02:
        return f"The base rates are nearly equal ({rates}): here parity and equal error rates need not conflict."
    worse = mitigated[mitigated["eo_difference"] - base.eo_difference > 2 * np.hypot(mitigated["eo_se"], base.eo_se)]
    sentence = (
        f"The groups' base rates differ ({rates}): equal selection rates then come with unequal error rates "
        "unless the model is uninformative (TPR = FPR); even a perfect model would break parity."
    )
    if len(worse):
        sentence += (
            f" Enforcing demographic parity moved the equalized-odds difference from {base.eo_difference:.3f} to "
            + ", ".join(f"{row.eo_difference:.3f} ({method})" for method, row in worse.iterrows())
            + ", beyond the noise."
        )
    else:
        sentence += (
            " Here parity did not measurably widen the error-rate gap (equalized-odds difference "
            f"{base.eo_difference:.3f} before, {', '.join(f'{v:.3f}' for v in mitigated['eo_difference'])} after, "
            f"noise: 2 SE = {2 * float(np.hypot(mitigated['eo_se'], base.eo_se).max()):.3f})"
        )
        parity = mitigated["dp_difference"] <= 2 * mitigated["dp_se"]
        if {"gap_closed", "gap_closed_se"} <= set(mitigated.columns):  # the gap must also have closed beyond noise
            parity &= mitigated["gap_closed"] > 2 * mitigated["gap_closed_se"]
        parity = bool(parity.all())
        unequal = (mitigated["eo_difference"] > 2 * mitigated["eo_se"]).all()
        if parity and unequal:
            sentence += ", but the error rates stayed unequal once the selection rates were equal within noise."
        elif unequal:
            sentence += (
                "; the error rates stayed unequal, but parity was not established beyond noise for every method, so "
                "the conflict is not demonstrated at this size."
            )
        else:
            sentence += "; the remaining error-rate gap is within noise at this size."
    return sentence
