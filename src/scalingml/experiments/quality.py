"""Data quality: validate against a declared schema (pandera), cleanse, and measure what dirt costs.

>>> dirty, truth = make_dirty_customers(300, seed=0)
>>> report = validation_report(dirty)
>>> sorted(set(report["problem"])) == sorted(set(truth["problem"]))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sklearn.base import BaseEstimator

from scalingml.datasets import CUSTOMER_TARGET, make_customers
from scalingml.datasets.generators import CUSTOMER_INFORMATIVE, PLANS, REGIONS
from scalingml.errors import InvalidParameterError
from scalingml.experiments.features import customer_features, model_families
from scalingml.measure import proportion_se
from scalingml.progress import progress

#: The problem types :func:`make_dirty_customers` injects, and the schema check that catches each.
PROBLEMS = ("missing", "impossible", "duplicate", "wrong_type", "unknown_category")
#: Columns that hold categories: a failed value check there is an unknown category, whatever check found it
#: (``isin``, ``str_matches``, a custom ``Check(lambda s: s.isin(...))``).
CATEGORICAL_COLUMNS = ("region", "plan")


def customer_schema() -> pa.DataFrameSchema:
    """The declared schema of the customer table: types, ranges, categories, uniqueness, no missing values."""
    return pa.DataFrameSchema(
        {
            "customer_id": pa.Column(int, pa.Check.ge(0), unique=True),
            "region": pa.Column(str, pa.Check.isin(REGIONS)),
            "plan": pa.Column(str, pa.Check.isin(PLANS)),
            "tenure_months": pa.Column(float, pa.Check.in_range(0, 600)),
            "monthly_spend": pa.Column(float, pa.Check.gt(0)),
            "support_tickets": pa.Column(int, pa.Check.ge(0)),
            "satisfaction": pa.Column(float, pa.Check.in_range(0, 10)),
            CUSTOMER_TARGET: pa.Column(int, pa.Check.isin([0, 1])),
        },
        strict=True,
        coerce=False,
        name="customers",
    )


def make_dirty_customers(n_rows: int, *, seed: int = 0, rate: float = 0.02) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A customer table with each problem of :data:`PROBLEMS` injected into about ``rate`` of the rows.

    Returns ``(dirty, truth)``: ``truth`` lists ``[row, column, problem]`` for every
    injected cell (rows are positions in ``dirty``). Categorical columns come as plain
    strings, as they would from a CSV export.
    """
    rng = np.random.default_rng(seed)
    frame = make_customers(n_rows, seed=seed, n_noise_features=0)
    frame[["region", "plan"]] = frame[["region", "plan"]].astype(str)
    truth: list[dict] = []

    def pick(k: float) -> np.ndarray:
        return rng.choice(n_rows, size=max(1, int(round(k))), replace=False)

    for row in pick(n_rows * rate):
        frame.loc[row, "tenure_months"] = np.nan
        truth.append({"row": row, "column": "tenure_months", "problem": "missing"})
    for row in pick(n_rows * rate):
        frame.loc[row, "satisfaction"] = rng.choice([-1.0, 11.0, 99.0])
        truth.append({"row": row, "column": "satisfaction", "problem": "impossible"})
    for row in pick(n_rows * rate):
        frame.loc[row, "plan"] = rng.choice(["Premium ", "gold", "unknown"])
        truth.append({"row": row, "column": "plan", "problem": "unknown_category"})
    spend = frame["monthly_spend"].astype(object)
    for row in pick(n_rows * rate):
        spend[row] = rng.choice(["n/a", "45,00", "-"])
        truth.append({"row": row, "column": "monthly_spend", "problem": "wrong_type"})
    frame["monthly_spend"] = spend
    duplicated = pick(n_rows * rate)
    dirty = pd.concat([frame, frame.iloc[duplicated]], ignore_index=True)
    for i in range(len(duplicated)):
        truth.append({"row": n_rows + i, "column": "customer_id", "problem": "duplicate"})
    return dirty, pd.DataFrame(truth)


def _problem_of(column, check: str, value) -> str:
    """The problem behind one failure case, from the check that failed and the column it failed in."""
    check = str(check)
    if isinstance(value, str) and value.startswith("TypeError("):
        return "wrong_type"  # a value check could not even compare: the column holds text
    if check.startswith("not_nullable"):
        return "missing"
    if check.startswith("field_uniqueness") or check == "unique" or "unique" in check:
        return "duplicate"
    if check.startswith("dtype") or "coerce" in check:
        return "wrong_type"
    if check.startswith("isin") or column in CATEGORICAL_COLUMNS:
        return "unknown_category"
    return "impossible"


def validation_report(frame: pd.DataFrame, schema: pa.DataFrameSchema | None = None) -> pd.DataFrame:
    """Validate ``frame`` lazily and return *every* failure at once: ``[column, check, problem, row, value]``.

    An empty frame means the table passed. A wrong type fails once for its column
    (``row`` is missing then); value checks are not run on a column of the wrong type.
    """
    schema = schema or customer_schema()
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        report = pd.DataFrame(
            {
                "column": cases["column"],
                "check": cases["check"].astype(str),
                "row": cases["index"],
                "value": cases["failure_case"],
            }
        )
        report["problem"] = [
            _problem_of(col, c, v) for col, c, v in zip(report["column"], report["check"], report["value"], strict=True)
        ]
        return report[["column", "check", "problem", "row", "value"]].reset_index(drop=True)
    return pd.DataFrame(columns=["column", "check", "problem", "row", "value"])


def summarise_report(report: pd.DataFrame) -> pd.DataFrame:
    """Failures counted per column and problem."""
    return report.groupby(["column", "problem"]).size().rename("failures").reset_index()


def cleanse(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Fix what can be fixed and drop the rest; return the clean table and a count per action.

    Numbers written as text are parsed (``"45,00"`` -> 45.0) and text without a number
    (``"n/a"``, ``"-"``) set to missing, each counted on its own;
    duplicate customers dropped, impossible values and unknown categories set to
    missing, and rows left with a missing value dropped.
    """
    clean = frame.copy()
    actions: dict[str, int] = {}
    before = len(clean)
    clean = clean.drop_duplicates(subset="customer_id", keep="first")
    actions["duplicates dropped"] = before - len(clean)
    text = clean["monthly_spend"].astype(str).str.replace(",", ".", regex=False)
    spend = pd.to_numeric(text, errors="coerce")
    typed_as_text = clean["monthly_spend"].map(lambda v: isinstance(v, str))
    actions["numbers parsed from text"] = int((typed_as_text & spend.notna()).sum())
    actions["text with no number, blanked"] = int((typed_as_text & spend.isna()).sum())
    clean["monthly_spend"] = spend.astype(float)
    impossible = ~clean["satisfaction"].between(0, 10) & clean["satisfaction"].notna()
    clean.loc[impossible, "satisfaction"] = np.nan
    actions["impossible values blanked"] = int(impossible.sum())
    plan = clean["plan"].str.strip().str.lower()
    unknown = ~plan.isin(PLANS)
    clean["plan"] = plan.where(~unknown)
    actions["unknown categories blanked"] = int(unknown.sum())
    before = len(clean)
    clean = clean.dropna(subset=["tenure_months", "monthly_spend", "satisfaction", "plan"]).reset_index(drop=True)
    actions["incomplete rows dropped"] = before - len(clean)
    clean["support_tickets"] = clean["support_tickets"].astype(np.int64)
    return clean, actions


#: Where :func:`dirt_cost` puts missing values by default: every driver of churn, the strongest included.
MISSING_COLUMNS = tuple(CUSTOMER_INFORMATIVE)


def inject_missing(frame: pd.DataFrame, rate: float, columns=MISSING_COLUMNS, *, seed: int = 0) -> pd.DataFrame:
    """A copy of ``frame`` with about ``rate`` of the cells of each of ``columns`` set to missing.

    >>> frame = inject_missing(make_customers(1_000, seed=0), 0.5, ["support_tickets"])
    >>> bool(0.4 < frame["support_tickets"].isna().mean() < 0.6)
    True
    """
    if not 0.0 <= rate <= 1.0:
        raise InvalidParameterError(f"rate must be between 0 and 1, got {rate}")
    unknown = sorted(set(columns) - set(frame.columns))
    if unknown:
        raise InvalidParameterError(f"no column(s) {unknown} to make missing; the table has {list(frame.columns)}")
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    for column in columns:
        hit = rng.random(len(frame)) < rate
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].where(~hit)
        else:
            frame[column] = frame[column].astype(float).where(~hit)
    return frame


def dirt_cost(
    kind: str,
    rates: Iterable[float],
    *,
    n_rows: int,
    seed: int = 0,
    models: Mapping[str, BaseEstimator] | None = None,
    columns=MISSING_COLUMNS,
) -> pd.DataFrame:
    """Test accuracy of each model when its *training* data has ``kind`` problems at each rate.

    ``kind`` is ``"label_noise"`` or ``"missing_rate"``. Test labels are always true, so
    the score measures what the dirt costs; missing values, which production data has
    too, are put into the same ``columns`` of the test features at the same rate (by
    default every driver of churn, the strongest, ``support_tickets``, included: dirt that
    spares the strong drivers understates its cost).
    Returns ``[kind, rate, model, accuracy]``; ``attrs["n_test"]`` is the test set's size.
    """
    if kind not in ("label_noise", "missing_rate"):
        raise InvalidParameterError(f"kind must be 'label_noise' or 'missing_rate', got {kind!r}")
    n_test = max(1_000, n_rows // 2)
    rows = []
    for rate in progress(list(rates), desc=f"{kind} rates"):
        test = make_customers(n_test, seed=seed + 1_000)
        train = make_customers(n_rows, seed=seed, label_noise=rate if kind == "label_noise" else 0.0)
        if kind == "missing_rate":
            test = inject_missing(test, rate, columns, seed=seed + 1)
            train = inject_missing(train, rate, columns, seed=seed + 2)
        X_train, y_train = customer_features(train)
        X_test, y_test = customer_features(test)
        for name, model in (models or model_families()).items():
            accuracy = model.fit(X_train, y_train).score(X_test[X_train.columns], y_test)
            rows.append({"kind": kind, "rate": rate, "model": name, "accuracy": float(accuracy)})
    frame = pd.DataFrame(rows)
    frame.attrs["n_test"] = n_test
    frame.attrs["majority"] = float(max(y_test.mean(), 1 - y_test.mean()))
    return frame


def conclude_dirt_cost(cost: pd.DataFrame, *, n_test: int | None = None) -> list[str]:
    """One sentence per (kind, model): accuracy from the cleanest to the dirtiest rate, judged against noise.

    The yardstick for the change is two standard errors of a difference of two accuracies on
    ``n_test`` rows (default ``cost.attrs["n_test"]``); a smaller change is "inconclusive at this
    profile". The dirtiest accuracy is then set against the majority-class rate
    (``cost.attrs["majority"]``, a fixed number), with two standard errors of one accuracy.

    >>> cost = pd.DataFrame({"kind": "label_noise", "rate": [0.0, 0.4], "model": "m", "accuracy": [0.80, 0.70]})
    >>> conclude_dirt_cost(cost, n_test=1_000)  # doctest: +ELLIPSIS
    ['m, label noise 0% -> 40%: accuracy 0.800 -> 0.700 (-0.100), beyond the noise (0.036...']
    """
    n_test = int(n_test or cost.attrs["n_test"])
    majority = cost.attrs.get("majority")
    sentences = []
    for (kind, model), group in cost.groupby(["kind", "model"], sort=False):
        group = group.sort_values("rate")
        first, last = group.iloc[0], group.iloc[-1]
        change = last.accuracy - first.accuracy
        noise = 2 * np.sqrt(2) * proportion_se(first.accuracy, n_test)
        head = (
            f"{model}, {kind.replace('_', ' ')} {first.rate:.0%} -> {last.rate:.0%}: "
            f"accuracy {first.accuracy:.3f} -> {last.accuracy:.3f} ({change:+.3f})"
        )
        if change < -noise:
            tail = f", beyond the noise ({noise:.3f}, two standard errors on {n_test:,} test rows)"
            if majority is not None:
                near = 2 * proportion_se(last.accuracy, n_test)
                if abs(last.accuracy - majority) <= near:
                    tail += (
                        f": not distinguishable from the majority-class rate ({majority:.3f}, within two standard "
                        f"errors, {near:.3f})"
                    )
                elif last.accuracy < majority:
                    tail += f": below the majority-class rate ({majority:.3f}) by more than the noise ({near:.3f})"
            sentences.append(head + tail + ".")
        elif change > noise:
            sentences.append(
                head + f": it rose beyond the noise ({noise:.3f}), which dirt should not do; check the run."
            )
        else:
            sentences.append(head + f": within the noise ({noise:.3f}), inconclusive at this profile.")
    return sentences


def conclude_family_cost(cost: pd.DataFrame, *, n_test: int | None = None) -> list[str]:
    """One sentence per kind of dirt: did the model families lose alike from the cleanest to the dirtiest rate?

    A loss is a difference of two accuracies; two losses differ beyond the noise when their
    difference exceeds two standard errors of it (four accuracies on ``n_test`` rows, taken
    as independent: a conservative yardstick, as all are scored on the same test rows).

    >>> cost = pd.DataFrame({"kind": "label_noise", "rate": [0.0, 0.4] * 2, "model": ["a", "a", "b", "b"],
    ...                      "accuracy": [0.80, 0.60, 0.80, 0.75]})
    >>> conclude_family_cost(cost, n_test=1_000)  # doctest: +ELLIPSIS
    ['Label noise 0% -> 40%: a lost 0.200 accuracy, b 0.050; a suffered more, by 0.150, beyond the noise...']
    """
    n_test = int(n_test or cost.attrs["n_test"])
    sentences = []
    for kind, frame in cost.groupby("kind", sort=False):
        lost, variance, span = {}, 0.0, None
        for model, group in frame.groupby("model", sort=False):
            group = group.sort_values("rate")
            first, last = group.iloc[0], group.iloc[-1]
            lost[model] = first.accuracy - last.accuracy
            variance += proportion_se(first.accuracy, n_test) ** 2 + proportion_se(last.accuracy, n_test) ** 2
            span = f"{kind.replace('_', ' ').capitalize()} {first.rate:.0%} -> {last.rate:.0%}"
        if len(lost) < 2:
            sentences.append(f"{span}: only one model family was measured, nothing to compare.")
            continue
        worst, most, least = max(lost, key=lost.__getitem__), max(lost.values()), min(lost.values())
        noise = 2 * np.sqrt(variance)
        (first_model, first_lost), *others = lost.items()
        head = f"{span}: {first_model} lost {first_lost:.3f} accuracy" + "".join(f", {m} {v:.3f}" for m, v in others)
        if most - least > noise:
            sentences.append(
                f"{head}; {worst} suffered more, by {most - least:.3f}, beyond the noise ({noise:.3f}): the families "
                "do not tolerate this dirt alike."
            )
        else:
            sentences.append(
                f"{head}; the difference ({most - least:.3f}) is within the noise ({noise:.3f}): whether the families "
                "suffer alike is inconclusive at this profile."
            )
    return sentences


def conclude_validation(report: pd.DataFrame, injected: pd.DataFrame) -> str:
    """Which injected problem types the validation report caught, and which it missed.

    >>> conclude_validation(pd.DataFrame({"problem": ["missing"]}), pd.DataFrame({"problem": ["missing", "duplicate"]}))
    '1 failures reported. Problem types injected: duplicate, missing; caught: missing; missed: duplicate.'
    """
    injected_types, caught = sorted(set(injected["problem"])), sorted(set(report["problem"]) & set(injected["problem"]))
    missed = sorted(set(injected_types) - set(caught))
    sentence = (
        f"{len(report):,} failures reported. Problem types injected: {', '.join(injected_types)}; "
        f"caught: {', '.join(caught) or 'none'}; missed: {', '.join(missed) or 'none'}."
    )
    extra = sorted(set(report["problem"]) - set(injected_types))
    if extra:
        sentence += f" Also reported, though not injected: {', '.join(extra)} (false alarms, or dirt already there)."
    return sentence


__all__ = [
    "CATEGORICAL_COLUMNS",
    "MISSING_COLUMNS",
    "PROBLEMS",
    "cleanse",
    "conclude_cleansing",
    "conclude_dirt_cost",
    "conclude_family_cost",
    "conclude_validation",
    "customer_schema",
    "dirt_cost",
    "inject_missing",
    "make_dirty_customers",
    "summarise_report",
    "validation_report",
]


def conclude_cleansing(n_before: int, clean: pd.DataFrame, failures_after: int) -> str:
    """Rows kept by :func:`cleanse` and whether the cleansed table now validates.

    >>> conclude_cleansing(100, pd.DataFrame({"a": range(90)}), 0)
    '90 of 100 rows kept (90%); failures after cleansing: 0, the table now passes the schema.'
    """
    verdict = "the table now passes the schema" if failures_after == 0 else "some problems have no safe fix yet"
    return (
        f"{len(clean):,} of {n_before:,} rows kept ({len(clean) / n_before:.0%}); failures after cleansing: "
        f"{failures_after:,}, {verdict}."
    )
