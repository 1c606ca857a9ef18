"""The skill gap, measured: evaluation mistakes that a missing skill produces, and what they cost.

Three mistakes, each run next to its correct form on the same folds so the difference is the mistake alone:

* **leakage**: a step that learns from the data (feature selection, target encoding, scaling) fitted on *all* rows
  before cross-validation, against the same step inside a :class:`~sklearn.pipeline.Pipeline`;
* **accuracy on imbalanced classes**, against the majority-class baseline and metrics that see both classes;
* **a random split of time-ordered data**, against :class:`~sklearn.model_selection.TimeSeriesSplit`.

:func:`methodology_checklist` is the guard rail: checks a learner can run on their own setup.

>>> X, y = make_noise(60, 200, seed=0)
>>> X.shape, sorted(set(y.tolist()))
((60, 200), [0, 1])
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_selection import SelectKBest, SelectorMixin, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler, TargetEncoder
from threadpoolctl import threadpool_limits

from scalingml import measure
from scalingml.datasets import make_customers
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import customer_features

#: How many honest-fold standard deviations a difference must exceed before the lesson calls it real.
SPREAD_FACTOR = 2.0


class BadExperimentInput(ScalingmlError, ValueError):
    """Raised for sizes or arguments that cannot give a meaningful experiment."""


#: Below this many rows, HistGradientBoosting runs on one OpenMP thread (see :func:`openmp_threads_for`).
OPENMP_MIN_ROWS = 50_000


def openmp_threads_for(n_rows: int):
    """A context that keeps HistGradientBoosting on one thread for tables under :data:`OPENMP_MIN_ROWS` rows.

    On small tables the threads' start-up and spin-waiting cost more than they save, and on a shared machine
    (Binder, CI, a laptop running other notebooks) spin-waiting threads can slow a fit tenfold.
    """
    return threadpool_limits(limits=1, user_api="openmp") if n_rows < OPENMP_MIN_ROWS else contextlib.nullcontext()


# --------------------------------------------------------------------------------------------------- leakage


def make_noise(n_rows: int, n_features: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pure noise: standard-normal features and a fair-coin label, so the true accuracy of *any* model is 0.5."""
    if n_rows < 10 or n_features < 1:
        raise BadExperimentInput(f"need at least 10 rows and 1 feature, got {n_rows} rows and {n_features} features")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    y = rng.integers(0, 2, size=n_rows)
    return X, y


def leaky_and_honest_selection(X, y, *, k: int = 20, cv: int = 5, seed: int = 0) -> pd.DataFrame:
    """Cross-validated accuracy with ``SelectKBest(k)`` fitted before the folds (leaky) and inside them (honest).

    Both use the same folds and the same logistic regression. Returns ``[evaluation, fold, score]``.
    """
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    selected = SelectKBest(f_classif, k=k).fit_transform(X, y)  # the mistake: the selector saw every label
    leaky = cross_val_score(LogisticRegression(), selected, y, cv=folds)
    honest = cross_val_score(make_pipeline(SelectKBest(f_classif, k=k), LogisticRegression()), X, y, cv=folds)
    return _fold_frame({"leaky": leaky, "honest": honest})


def customers_with_postcode(n_rows: int, *, seed: int = 0, rows_per_postcode: int = 4, missing_rate: float = 0.05):
    """The course's customer table plus a high-cardinality ``postcode`` column that carries **no** signal.

    Returns ``X, y`` (features of :func:`~scalingml.experiments.features.customer_features`, with missing values,
    plus ``postcode``). A postcode holds ``rows_per_postcode`` customers on average: the situation where encoding
    it with the churn rate of its own rows leaks the label.
    """
    frame = make_customers(n_rows, seed=seed, missing_rate=missing_rate)
    X, y = customer_features(frame)
    rng = np.random.default_rng(seed + 1)
    X = X.assign(postcode=rng.integers(0, max(1, n_rows // rows_per_postcode), size=n_rows))
    return X, y


def _model() -> LogisticRegression:
    return LogisticRegression(max_iter=1_000)


def leaky_and_honest_preprocessing(X: pd.DataFrame, y, *, cv: int = 5, seed: int = 0) -> pd.DataFrame:
    """Two preprocessing steps fitted before cross-validation (leaky) and inside a Pipeline (honest), same folds.

    * ``target encoding``: ``postcode`` replaced by the churn rate of its rows, computed on all rows;
    * ``imputation + scaling``: mean imputation and standardisation fitted on all rows (they never see the label).

    Returns ``[step, evaluation, fold, score]``.
    """
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    numeric = [c for c in X.columns if c != "postcode"]
    impute_scale = make_pipeline(SimpleImputer(), StandardScaler())

    # Target encoding. Leaky: a groupby on all rows, the usual hand-written version.
    encoded = X.assign(postcode=pd.Series(np.asarray(y), index=X.index).groupby(X["postcode"]).transform("mean"))
    leaky_te = cross_val_score(make_pipeline(clone(impute_scale), _model()), encoded, y, cv=folds)
    honest_te = cross_val_score(
        Pipeline(
            [
                (
                    "prepare",
                    ColumnTransformer(
                        [
                            ("postcode", TargetEncoder(cv=KFold(5, shuffle=True, random_state=seed)), ["postcode"]),
                            ("numeric", clone(impute_scale), numeric),
                        ]
                    ),
                ),
                ("model", _model()),
            ]
        ),
        X,
        y,
        cv=folds,
    )

    # Imputation and scaling, without the postcode: fitted on all rows, then cross-validated.
    plain = X[numeric]
    prepared = clone(impute_scale).fit_transform(plain)
    leaky_sc = cross_val_score(_model(), prepared, y, cv=folds)
    honest_sc = cross_val_score(make_pipeline(clone(impute_scale), _model()), plain, y, cv=folds)
    frames = [
        _fold_frame({"leaky": leaky_te, "honest": honest_te}).assign(step="target encoding"),
        _fold_frame({"leaky": leaky_sc, "honest": honest_sc}).assign(step="imputation + scaling"),
    ]
    return pd.concat(frames, ignore_index=True)[["step", "evaluation", "fold", "score"]]


def _fold_frame(scores: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"evaluation": name, "fold": i, "score": float(s)}
            for name, values in scores.items()
            for i, s in enumerate(values)
        ]
    )


def leakage_summary(folds: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group: mean leaky score, mean and standard deviation of the honest folds, and the gap (leaky - honest).

    >>> folds = pd.DataFrame({"evaluation": ["leaky"] * 2 + ["honest"] * 2, "fold": [0, 1, 0, 1],
    ...                       "score": [0.8, 0.8, 0.5, 0.6]})
    >>> row = leakage_summary(folds).iloc[0]
    >>> round(float(row.gap), 3), round(float(row.honest_mean), 3)
    (0.25, 0.55)
    """
    keys = list(by)
    groups = folds.groupby(keys, sort=False) if keys else [((), folds)]
    rows = []
    for key, group in groups:
        leaky = group.loc[group["evaluation"] == "leaky", "score"]
        honest = group.loc[group["evaluation"] == "honest", "score"]
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(leaky_mean=leaky.mean(), honest_mean=honest.mean(), honest_std=honest.std(ddof=1), gap=0.0)
        row["gap"] = row["leaky_mean"] - row["honest_mean"]
        rows.append(row)
    return pd.DataFrame(rows)


def conclude_leakage(
    step: str, leaky_mean: float, honest_mean: float, honest_std: float, *, chance: float | None = None
) -> str:
    """The sentence the lesson prints about one leak, decided by the gap against the spread of the honest folds.

    >>> conclude_leakage("feature selection", 0.80, 0.50, 0.02, chance=0.5).split(":")[0]
    'Fitting feature selection before cross-validation inflates accuracy by 0.300 (0.800 against 0.500 honest)'
    >>> "no measurable leak" in conclude_leakage("scaling", 0.781, 0.780, 0.01)
    True
    """
    gap = leaky_mean - honest_mean
    spread = SPREAD_FACTOR * honest_std
    if not np.isfinite(spread):
        return f"The leak of {step} cannot be judged: the honest evaluation needs at least two folds."
    if gap > spread:
        sentence = (
            f"Fitting {step} before cross-validation inflates accuracy by {gap:.3f} ({leaky_mean:.3f} against "
            f"{honest_mean:.3f} honest): more than {SPREAD_FACTOR:g} standard deviations of the honest folds "
            f"({honest_std:.3f})."
        )
        if chance is not None and abs(honest_mean - chance) <= spread:
            sentence += (
                f" The honest score is within the noise of chance ({chance:g}): there is nothing to learn here, "
                "and only the Pipeline says so."
            )
        return sentence
    if gap < -spread:
        return (
            f"Fitting {step} before cross-validation *lowered* the score by {-gap:.3f}, beyond the spread of the "
            f"honest folds ({honest_std:.3f}): unexpected, treat this run as inconclusive."
        )
    return (
        f"Fitting {step} before cross-validation changed accuracy by {gap:+.3f}, within {SPREAD_FACTOR:g} standard "
        f"deviations of the honest folds ({honest_std:.3f}): no measurable leak at this profile. "
        "The Pipeline costs nothing, so keep the habit."
    )


# ------------------------------------------------------------------------------------------- imbalanced classes


def imbalanced_customers(n_rows: int, *, prevalence: float = 0.05, seed: int = 0):
    """Customers where churners are rare: churners are sub-sampled until they are ``prevalence`` of the rows.

    Returns ``X, y`` with ``n_rows`` rows.
    """
    if not 0 < prevalence < 0.5:
        raise BadExperimentInput(f"prevalence must be between 0 and 0.5 (a minority class), got {prevalence}")
    frame = make_customers(2 * int(n_rows) + 10, seed=seed)  # about two thirds stay: enough stayers to sample from
    X, y = customer_features(frame)
    rng = np.random.default_rng(seed)
    churners = np.flatnonzero(y.to_numpy() == 1)
    stayers = np.flatnonzero(y.to_numpy() == 0)
    n_keep = int(round(prevalence / (1 - prevalence) * len(stayers)))
    keep = np.sort(np.concatenate([stayers, rng.choice(churners, size=min(n_keep, len(churners)), replace=False)]))
    keep = keep[: int(n_rows)]  # rows are in random order already: the first n_rows keep the prevalence
    return X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)


def imbalance_report(X, y, *, seed: int = 0, test_size: float = 0.3) -> pd.DataFrame:
    """A model and the majority-class baseline on one stratified split, four metrics each.

    Returns ``[model, metric, score]`` for ``accuracy``, ``balanced accuracy``, ``average precision``
    (whose chance level is the prevalence) and ``ROC AUC``; plus the attribute ``frame.attrs["n_test"]``.
    """
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    models = {
        "majority baseline": DummyClassifier(strategy="most_frequent"),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000)),
    }
    rows = []
    for name, model in models.items():
        model.fit(X_train, y_train)
        predicted = model.predict(X_test)
        proba = model.predict_proba(X_test)[:, 1]
        for metric, value in (
            ("accuracy", accuracy_score(y_test, predicted)),
            ("balanced accuracy", balanced_accuracy_score(y_test, predicted)),
            ("average precision", average_precision_score(y_test, proba)),
            ("ROC AUC", roc_auc_score(y_test, proba)),
        ):
            rows.append({"model": name, "metric": metric, "score": float(value)})
    frame = pd.DataFrame(rows)
    frame.attrs["n_test"] = len(y_test)
    frame.attrs["prevalence"] = float(np.mean(y_test))
    return frame


def accuracy_noise(accuracy: float, n_test: int) -> float:
    """Standard error of an accuracy measured on ``n_test`` rows (binomial): sqrt(p (1 - p) / n).

    >>> round(accuracy_noise(0.9, 100), 3)
    0.03
    """
    if n_test < 1:
        raise BadExperimentInput("an accuracy needs at least one test row")
    return measure.proportion_se(accuracy, n_test) or math.sqrt(1e-12 / n_test)  # never 0, even for a perfect score


def conclude_imbalance(
    model_accuracy: float,
    baseline_accuracy: float,
    model_balanced: float,
    model_average_precision: float,
    prevalence: float,
    n_test: int,
) -> str:
    """What accuracy hides on imbalanced data, judged against the test set's binomial noise.

    >>> conclude_imbalance(0.955, 0.950, 0.52, 0.30, 0.05, 1000).startswith("Accuracy 0.955 looks excellent")
    True
    """
    noise = accuracy_noise(baseline_accuracy, n_test)
    lift = model_accuracy - baseline_accuracy
    head = (
        f"Accuracy {model_accuracy:.3f} looks excellent, but predicting 'nobody churns' already scores "
        f"{baseline_accuracy:.3f}: the model adds {lift:+.3f}"
    )
    if abs(lift) <= 2 * noise:
        verdict = (
            f", within the test set's noise (2 SE = {2 * noise:.3f}): "
            "accuracy cannot tell the model from doing nothing."
        )
    else:
        direction = "better" if lift > 0 else "worse"
        verdict = f", {direction} than doing nothing beyond the test set's noise (2 SE = {2 * noise:.3f})."
    if model_balanced - 0.5 < 0.1:
        balanced = (
            f" At the default threshold it flags few churners: balanced accuracy {model_balanced:.3f}, "
            "against 0.5 for the baseline."
        )
    else:
        balanced = (
            f" Balanced accuracy {model_balanced:.3f}, against 0.5 for the baseline, counts the churners it catches."
        )
    if model_average_precision > 2 * prevalence:
        ranking = (
            f" Average precision {model_average_precision:.3f}, against {prevalence:.3f} for a random ranking, "
            "shows the signal that accuracy hid."
        )
    else:
        ranking = (
            f" Average precision {model_average_precision:.3f} is close to the {prevalence:.3f} of a random ranking: "
            "little signal to find."
        )
    return head + verdict + balanced + ranking


# ---------------------------------------------------------------------------------------------- time order


def make_daily_demand(n_days: int, *, seed: int = 0, drift: float = 1.0) -> pd.DataFrame:
    """Daily demand of a shop, in time order, with a real temporal structure.

    demand = 100 + level + 6·weekend + 0.8·(temperature - 15) + 15·promotion + noise, where ``level`` is a random
    walk (steps of standard deviation ``drift``): what the market does, known only from nearby days.
    Columns: ``date, day, weekday, temperature, promotion, demand`` (``day`` counts days from the start: the trend
    feature an analyst adds).

    >>> make_daily_demand(3, seed=0).columns.tolist()
    ['date', 'day', 'weekday', 'temperature', 'promotion', 'demand']
    """
    if n_days < 2:
        raise BadExperimentInput(f"need at least 2 days, got {n_days}")
    rng = np.random.default_rng(seed)
    day = np.arange(n_days)
    level = np.cumsum(rng.normal(0.0, drift, n_days))
    weekday = day % 7
    temperature = 15 + 10 * np.sin(2 * np.pi * (day - 100) / 365.25) + rng.normal(0, 3, n_days)
    promotion = (rng.random(n_days) < 0.1).astype(np.int64)
    demand = 100 + level + 6 * (weekday >= 5) + 0.8 * (temperature - 15) + 15 * promotion + rng.normal(0, 3, n_days)
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(day, unit="D"),
            "day": day,
            "weekday": weekday,
            "temperature": temperature.round(1),
            "promotion": promotion,
            "demand": demand.round(2),
        }
    )


DEMAND_FEATURES = ("day", "weekday", "temperature", "promotion")


def random_vs_time_split(frame: pd.DataFrame, *, n_splits: int = 5, seed: int = 0) -> pd.DataFrame:
    """Mean absolute error of the same model under shuffled k-fold and under ``TimeSeriesSplit``.

    The frame must be in time order (as :func:`make_daily_demand` returns it). Returns
    ``[split, fold, mae]``; the time-based folds always test on days after those the model was trained on.
    """
    if not frame["day"].is_monotonic_increasing:
        raise BadExperimentInput("the frame must be sorted by time (column 'day') before a time-based split")
    X, y = frame[list(DEMAND_FEATURES)], frame["demand"]
    model = HistGradientBoostingRegressor(random_state=seed)
    rows = []
    with openmp_threads_for(len(frame)):
        for name, splitter in (
            ("random", KFold(n_splits=n_splits, shuffle=True, random_state=seed)),
            ("time-based", TimeSeriesSplit(n_splits=n_splits)),
        ):
            scores = -cross_val_score(model, X, y, cv=splitter, scoring="neg_mean_absolute_error")
            rows += [{"split": name, "fold": i, "mae": float(s)} for i, s in enumerate(scores)]
    return pd.DataFrame(rows)


def conclude_time_split(random_mae: float, time_mae: float, time_std: float, n_folds: int) -> str:
    """How optimistic a random split of time-ordered data was, judged against the standard error of the time folds.

    Later folds of a drifting series are harder than earlier ones, so the time-based folds vary a lot; the
    uncertainty of their *mean* is ``time_std / sqrt(n_folds)``.

    >>> conclude_time_split(3.0, 9.0, 1.0, 4).startswith("A random split reports an error of 3.00")
    True
    """
    sem = time_std / math.sqrt(n_folds)
    gap = time_mae - random_mae
    if gap > SPREAD_FACTOR * sem:
        return (
            f"A random split reports an error of {random_mae:.2f}; testing only on later days gives {time_mae:.2f}: "
            f"the random split is {time_mae / random_mae:.1f}x optimistic (the gap, {gap:.2f}, exceeds "
            f"{SPREAD_FACTOR:g} standard errors of the time-based mean, where one standard error is {sem:.2f}), "
            "because it lets the model interpolate between days it has already seen — a luxury it will not have in "
            "production."
        )
    return (
        f"Random split {random_mae:.2f}, time-based split {time_mae:.2f}: the difference is within "
        f"{SPREAD_FACTOR:g} standard errors of the time-based mean (one standard error: {sem:.2f}), so no optimism is "
        "measurable at this profile."
    )


# ------------------------------------------------------------------------------------------------ checklist

TIME_COLUMN_NAMES = ("date", "day", "time", "timestamp", "datetime", "week", "month")
CHECKS = (
    "preprocessing inside a Pipeline (when the data needs any)",
    "feature selection inside the folds",
    "a metric that sees the minority class",
    "a time-based split for time-ordered rows",
    "no duplicated rows across folds",
    "no feature that gives the label away",
    "random seeds pinned",
)


#: Estimators whose fit depends on the scale of the features: a bare one on unscaled columns needs a scaler first.
SCALE_SENSITIVE = ("LogisticRegression", "LinearRegression", "Ridge", "Lasso", "ElasticNet", "SVC", "SVR",
                   "LinearSVC", "KNeighborsClassifier", "KNeighborsRegressor", "MLPClassifier", "MLPRegressor",
                   "SGDClassifier", "SGDRegressor")  # fmt: skip
#: LogisticRegression draws random numbers only with these solvers (lbfgs, newton-cg, newton-cholesky do not).
RANDOM_SOLVERS = ("sag", "saga", "liblinear")


def preprocessing_needed(X, estimator: BaseEstimator) -> list[str]:
    """Why a *bare* estimator would need a preprocessing step on ``X`` (empty when it needs none, or is a Pipeline).

    Missing values need an imputer, text columns an encoder, and a scale-sensitive model (linear, SVM, k-NN, MLP)
    on columns whose spreads differ more than tenfold needs a scaler: a step that should live inside a Pipeline.

    >>> preprocessing_needed(pd.DataFrame({"a": [1.0, None], "b": [1.0, 2.0]}), LogisticRegression())
    ['missing values (an imputer)']
    """
    if isinstance(estimator, Pipeline):
        return []
    frame = pd.DataFrame(X) if not isinstance(X, pd.DataFrame) else X
    reasons = []
    if frame.isna().to_numpy().any():
        reasons.append("missing values (an imputer)")
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] < frame.shape[1]:
        reasons.append("non-numeric columns (an encoder)")
    if type(estimator).__name__ in SCALE_SENSITIVE and numeric.shape[1] > 1:
        spread = numeric.std().replace(0, np.nan).dropna()
        if len(spread) > 1 and spread.max() > 10 * spread.min():
            reasons.append("columns on scales more than tenfold apart (a scaler)")
    return reasons


def unpinned_randomness(estimator: BaseEstimator, cv=None) -> list[str]:
    """Parameters left at ``random_state=None`` where the estimator (or a step of it) or the splitter draws numbers.

    A ``random_state`` that the algorithm never uses (``LogisticRegression`` with the ``lbfgs`` solver) is not
    flagged: pinning it changes nothing.

    >>> unpinned_randomness(LogisticRegression()), unpinned_randomness(LogisticRegression(solver="saga"))
    ([], ['random_state'])
    """
    found = []
    parts = [("", estimator)] + [
        (f"{name}__", value)
        for name, value in estimator.get_params(deep=True).items()
        if isinstance(value, BaseEstimator)
    ]
    for prefix, part in parts:
        own = part.get_params(deep=False)
        if "random_state" not in own or own["random_state"] is not None:
            continue
        if isinstance(part, LogisticRegression) and own.get("solver") not in RANDOM_SOLVERS:
            continue
        found.append(prefix + "random_state")
    if getattr(cv, "shuffle", False) and getattr(cv, "random_state", None) is None:
        found.append("cv.random_state")
    return found


def feature_selectors(estimator: BaseEstimator) -> list[str]:
    """The class names of the feature selectors in ``estimator``: itself, or any step at any depth (a Pipeline's
    step, a ColumnTransformer's transformer, a meta-estimator's estimator). A selector is a scikit-learn
    :class:`~sklearn.feature_selection.SelectorMixin` (``SelectKBest``, ``RFE``, ``SelectFromModel``, ...).

    >>> feature_selectors(LogisticRegression())
    []
    >>> feature_selectors(make_pipeline(StandardScaler(), SelectKBest(k=5), LogisticRegression()))
    ['SelectKBest']
    """
    parts = [estimator, *estimator.get_params(deep=True).values()]
    return [type(part).__name__ for part in parts if isinstance(part, SelectorMixin)]


def methodology_checklist(
    X,
    y,
    *,
    estimator: BaseEstimator,
    cv=None,
    scoring: str | None = None,
    time_column: str | None = None,
) -> pd.DataFrame:
    """Run :data:`CHECKS` on an evaluation setup; returns ``[check, passed, finding]``, one row per check.

    Checks are heuristics that flag a setup for a second look; a pass is not a proof of correctness. They see only
    what they are given: a step already fitted on all rows *before* ``X`` was handed over (a selection, an encoding)
    is invisible to them. ``cv`` is the splitter (or an int, meaning scikit-learn's unshuffled k-fold); ``scoring``
    is the scorer name, where ``None`` means the estimator's default (accuracy for a classifier).

    >>> X, y = make_noise(50, 400)
    >>> report = methodology_checklist(X, y, estimator=LogisticRegression()).set_index("check")
    >>> report.loc["feature selection inside the folds", "finding"]
    'not applicable: no feature selection step'
    """
    frame = pd.DataFrame(X) if not isinstance(X, pd.DataFrame) else X
    labels = pd.Series(np.asarray(y))
    n_rows = len(frame)
    results = []

    def add(check, passed, finding):
        results.append({"check": check, "passed": bool(passed), "finding": finding})

    needed = preprocessing_needed(frame, estimator)
    if isinstance(estimator, Pipeline):
        finding = "the estimator is a Pipeline: its preprocessing is refitted in each fold"
    elif needed:
        finding = f"a bare estimator, but the data needs preprocessing: {'; '.join(needed)} — fit it inside a Pipeline"
    else:
        finding = "a bare estimator on data that needs no preprocessing step"
    add(CHECKS[0], not needed, finding)
    selectors = feature_selectors(estimator)
    add(
        CHECKS[1],
        True,
        f"selection by {', '.join(selectors)} is part of the estimator: it is refitted on each fold's training rows"
        if selectors
        else "not applicable: no feature selection step",
    )
    classification = labels.nunique() <= 20 and not np.issubdtype(labels.dtype, np.floating)
    metric = scoring if scoring is not None else ("accuracy" if classification else "the estimator's default")
    majority = float(labels.value_counts(normalize=True).iloc[0]) if classification else 0.0
    imbalanced = classification and majority >= 0.8 and metric == "accuracy"
    add(
        CHECKS[2],
        not imbalanced,
        f"the majority class is {majority:.0%} of the rows and the metric is {metric}"
        + (" (scoring=None)" if scoring is None else "")
        + (": report the majority baseline and a balanced metric" if imbalanced else "")
        if classification
        else "a numeric target: no class imbalance to hide",
    )
    time_columns = [time_column] if time_column else _time_columns(frame)
    time_ok = not time_columns or isinstance(cv, TimeSeriesSplit)
    add(
        CHECKS[3],
        time_ok,
        f"time columns {time_columns}"
        + (": use TimeSeriesSplit (train on the past, test on the future)" if not time_ok else "")
        if time_columns
        else "no time column found",
    )
    duplicated = float(frame.duplicated().mean()) if n_rows else 0.0
    add(
        CHECKS[4],
        duplicated == 0,
        f"{duplicated:.1%} of the rows repeat another row"
        + (": a row can sit in both training and test folds; drop duplicates or group them" if duplicated else ""),
    )
    suspects = _label_proxies(frame, labels) if classification else []
    add(
        CHECKS[5],
        not suspects,
        f"features that alone separate the classes almost perfectly: {suspects} — were they known before the label?"
        if suspects
        else "no single feature separates the classes almost perfectly",
    )
    unpinned = unpinned_randomness(estimator, cv)
    add(
        CHECKS[6],
        not unpinned,
        f"unpinned: {unpinned}: two runs will differ"
        if unpinned
        else "every random step that draws numbers has a pinned random_state",
    )
    return pd.DataFrame(results)


def _time_columns(frame: pd.DataFrame) -> list[str]:
    found = []
    for column in frame.columns:
        series = frame[column]
        named = str(column).lower() in TIME_COLUMN_NAMES and pd.api.types.is_numeric_dtype(series)
        if named or pd.api.types.is_datetime64_any_dtype(series):
            found.append(column)
    return found


def _label_proxies(frame: pd.DataFrame, labels: pd.Series, threshold: float = 0.98) -> list[str]:
    """Numeric columns whose values alone rank the two classes almost perfectly (ROC AUC, either direction)."""
    if labels.nunique() != 2:
        return []
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    usable = numeric.columns[numeric.notna().all() & (numeric.nunique() > 1)]
    if not len(usable):
        return []
    positive = (labels == labels.unique()[0]).to_numpy()
    ranks = rankdata(numeric[usable].to_numpy(), axis=0)  # the Mann-Whitney form of the ROC AUC, all columns at once
    n_pos, n_neg = positive.sum(), (~positive).sum()
    auc = (ranks[positive].sum(axis=0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return [str(c) for c, a in zip(usable, auc, strict=True) if max(a, 1 - a) >= threshold]


def conclude_checklist(report: pd.DataFrame, setup: str) -> str:
    """One line per setup: how many checks failed, and which.

    >>> conclude_checklist(pd.DataFrame({"check": ["a", "b"], "passed": [True, False], "finding": ["", ""]}), "x")
    'x: 1 of 2 checks flag it — b.'
    """
    failed = report.loc[~report["passed"], "check"].tolist()
    if not failed:
        return f"{setup}: all {len(report)} checks pass (which does not prove the evaluation right)."
    return f"{setup}: {len(failed)} of {len(report)} checks flag it — {'; '.join(failed)}."
