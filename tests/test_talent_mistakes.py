"""Lesson 04, skill gap: leakage, evaluation mistakes and the checklist behave as the lesson claims."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_selection import RFE, SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml.errors import ScalingmlError
from scalingml.experiments.talent import mistakes


@pytest.fixture(scope="module")
def noise():
    return mistakes.make_noise(300, 1_500, seed=0)


def test_noise_is_seeded_and_balanced(noise):
    X, y = noise
    again = mistakes.make_noise(300, 1_500, seed=0)
    assert np.array_equal(X, again[0]) and np.array_equal(y, again[1])
    assert not np.array_equal(y, mistakes.make_noise(300, 1_500, seed=1)[1])
    assert 0.35 < y.mean() < 0.65


def test_selection_outside_the_folds_inflates_noise_and_the_pipeline_does_not(noise):
    folds = mistakes.leaky_and_honest_selection(*noise, k=20, cv=3)
    summary = mistakes.leakage_summary(folds).iloc[0]
    assert summary.leaky_mean > 0.6, "on pure noise, selection on all rows should look well above chance"
    assert abs(summary.honest_mean - 0.5) < 0.1, "the Pipeline's score stays near chance"
    assert summary.gap > 2 * summary.honest_std


def test_target_encoding_leaks_and_scaling_does_not():
    X, y = mistakes.customers_with_postcode(1_500, seed=0)
    assert X["postcode"].nunique() > 200 and X.isna().any().any()
    summary = mistakes.leakage_summary(mistakes.leaky_and_honest_preprocessing(X, y, cv=3), by=["step"])
    summary = summary.set_index("step")
    assert summary.loc["target encoding", "gap"] > 2 * summary.loc["target encoding", "honest_std"]
    assert abs(summary.loc["imputation + scaling", "gap"]) <= 2 * summary.loc["imputation + scaling", "honest_std"]


def test_leakage_summary_per_group():
    folds = pd.DataFrame(
        {
            "step": ["a"] * 4 + ["b"] * 4,
            "evaluation": ["leaky", "leaky", "honest", "honest"] * 2,
            "fold": [0, 1] * 4,
            "score": [0.9, 0.9, 0.5, 0.7, 0.6, 0.6, 0.6, 0.6],
        }
    )
    summary = mistakes.leakage_summary(folds, by=["step"]).set_index("step")
    assert summary.loc["a", "gap"] == pytest.approx(0.3)
    assert summary.loc["b", "gap"] == pytest.approx(0.0) and summary.loc["b", "honest_std"] == 0


@pytest.mark.parametrize(
    "leaky, honest, std, chance, expected, absent",
    [
        (0.80, 0.50, 0.02, 0.5, ["inflates accuracy by 0.300", "noise of chance"], []),
        (0.80, 0.70, 0.02, 0.5, ["inflates accuracy by 0.100"], ["noise of chance"]),
        (0.80, 0.70, 0.02, None, ["inflates"], ["chance"]),
        (0.71, 0.70, 0.02, None, ["no measurable leak", "+0.010"], ["inflates"]),
        (0.60, 0.70, 0.02, None, ["lowered", "inconclusive"], ["inflates"]),
        (0.80, 0.50, float("nan"), 0.5, ["cannot be judged"], ["inflates"]),
    ],
)
def test_conclude_leakage_branches(leaky, honest, std, chance, expected, absent):
    sentence = mistakes.conclude_leakage("selection", leaky, honest, std, chance=chance)
    for part in expected:
        assert part in sentence
    for part in absent:
        assert part not in sentence


def test_imbalanced_customers_have_the_asked_prevalence():
    X, y = mistakes.imbalanced_customers(2_000, prevalence=0.05, seed=0)
    assert 0.04 < y.mean() < 0.06 and len(X) == len(y) == 2_000
    with pytest.raises(ScalingmlError, match="prevalence"):
        mistakes.imbalanced_customers(100, prevalence=0.7)


def test_accuracy_flatters_a_model_on_imbalanced_data():
    report = mistakes.imbalance_report(*mistakes.imbalanced_customers(2_000, seed=0))
    table = report.pivot(index="model", columns="metric", values="score")
    baseline, model = table.loc["majority baseline"], table.loc["logistic regression"]
    assert baseline["accuracy"] > 0.9 and baseline["balanced accuracy"] == 0.5
    assert model["accuracy"] - baseline["accuracy"] < 0.05, "accuracy barely moves above the baseline"
    assert model["average precision"] > 2 * report.attrs["prevalence"], "a threshold-free metric sees the signal"
    assert report.attrs["n_test"] > 0


@pytest.mark.parametrize(
    "model_acc, balanced, ap, expected",
    [
        (0.952, 0.52, 0.30, ["within the test set's noise", "flags few churners", "shows the signal"]),
        (0.990, 0.80, 0.80, ["better than doing nothing", "counts the churners", "shows the signal"]),
        (0.900, 0.45, 0.06, ["worse than doing nothing", "little signal"]),
    ],
)
def test_conclude_imbalance_branches(model_acc, balanced, ap, expected):
    sentence = mistakes.conclude_imbalance(model_acc, 0.95, balanced, ap, 0.05, 1_000)
    for part in expected:
        assert part in sentence


def test_accuracy_noise_needs_rows():
    with pytest.raises(ScalingmlError):
        mistakes.accuracy_noise(0.9, 0)


def test_daily_demand_has_temporal_structure():
    frame = mistakes.make_daily_demand(1_000, seed=0)
    assert frame["day"].is_monotonic_increasing and frame["date"].is_monotonic_increasing
    residual = frame["demand"] - frame["demand"].rolling(28, center=True).mean()
    # neighbouring days are far more alike than distant ones: the level wanders (a random walk)
    near = frame["demand"].diff().abs().mean()
    far = frame["demand"].diff(300).abs().mean()
    assert far > 2 * near and residual.notna().any()
    assert frame.equals(mistakes.make_daily_demand(1_000, seed=0))
    with pytest.raises(ScalingmlError, match="2 days"):
        mistakes.make_daily_demand(1)


def test_random_split_of_time_ordered_data_is_optimistic():
    folds = mistakes.random_vs_time_split(mistakes.make_daily_demand(1_500, seed=0), n_splits=3)
    means = folds.groupby("split")["mae"].mean()
    assert means["time-based"] > 1.5 * means["random"]


def test_random_vs_time_split_refuses_unsorted_rows():
    frame = mistakes.make_daily_demand(100, seed=0).sample(frac=1, random_state=0)
    with pytest.raises(ScalingmlError, match="sorted by time"):
        mistakes.random_vs_time_split(frame)


def test_conclude_time_split_branches():
    assert "3.0x optimistic" in mistakes.conclude_time_split(3.0, 9.0, 1.0, 4)
    assert "one standard error is 0.50" in mistakes.conclude_time_split(3.0, 9.0, 1.0, 4)
    assert "no optimism is measurable" in mistakes.conclude_time_split(3.0, 4.0, 1.0, 4)
    # the same gap against the same fold spread: conclusive with many folds, not with few
    assert "optimistic" in mistakes.conclude_time_split(3.0, 5.0, 2.0, 9)
    assert "no optimism" in mistakes.conclude_time_split(3.0, 5.0, 2.0, 3)


def test_openmp_threads_are_limited_on_small_tables_only():
    from threadpoolctl import threadpool_info

    with mistakes.openmp_threads_for(100):
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "openmp")
    with mistakes.openmp_threads_for(mistakes.OPENMP_MIN_ROWS) as context:
        assert context is None


def test_bad_noise_sizes_are_named():
    with pytest.raises(ScalingmlError, match="10 rows"):
        mistakes.make_noise(5, 10)


def _failed(report):
    return set(report.loc[~report["passed"], "check"])


def test_checklist_flags_each_mistake_and_passes_a_careful_setup():
    X, y = mistakes.make_noise(100, 300)
    X[:, 0] *= 1_000  # one column on another scale: a linear model needs a scaler
    careless = mistakes.methodology_checklist(X, y, estimator=LogisticRegression(solver="saga"))
    assert {mistakes.CHECKS[0], mistakes.CHECKS[6]} <= _failed(careless)
    careful = mistakes.methodology_checklist(
        X,
        y,
        estimator=make_pipeline(StandardScaler(), SelectKBest(k=5), LogisticRegression(random_state=0)),
        cv=KFold(3, shuffle=True, random_state=0),
    )
    assert _failed(careful) == set()
    assert list(careful.columns) == ["check", "passed", "finding"] and len(careful) == len(mistakes.CHECKS)


def test_checklist_raises_no_false_alarm_on_a_bare_model_that_needs_no_preprocessing_or_seed():
    frame = mistakes.make_daily_demand(200)
    X, y = frame[list(mistakes.DEMAND_FEATURES)], frame["demand"]
    bare_trees = mistakes.methodology_checklist(X, y, estimator=HistGradientBoostingRegressor(random_state=0))
    assert mistakes.CHECKS[0] not in _failed(bare_trees), "trees need no scaler: nothing to put in a Pipeline"
    Xn, yn = mistakes.make_noise(200, 5)
    lbfgs = mistakes.methodology_checklist(Xn, yn, estimator=LogisticRegression())
    assert _failed(lbfgs) == set(), "lbfgs draws no random numbers; standard-normal columns need no scaler"
    assert mistakes.unpinned_randomness(make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear"))) == [
        "logisticregression__random_state"
    ]
    assert mistakes.unpinned_randomness(LogisticRegression(), KFold(3, shuffle=True)) == ["cv.random_state"]


def test_selection_inside_the_folds_applies_only_to_an_estimator_with_a_selector():
    """300 noise columns for 100 rows and no selector anywhere: nothing is selected, so nothing can leak."""
    X, y = mistakes.make_noise(100, 300)
    check = mistakes.CHECKS[1]
    model = LogisticRegression(random_state=0)
    for bare in (model, make_pipeline(StandardScaler(), model)):
        row = mistakes.methodology_checklist(X, y, estimator=bare).set_index("check").loc[check]
        assert row["passed"] and row["finding"] == "not applicable: no feature selection step"
    nested = make_pipeline(
        make_column_transformer((make_pipeline(StandardScaler(), SelectKBest(k=5)), list(range(300)))),
        LogisticRegression(random_state=0),
    )
    wrapped = RFE(LogisticRegression(random_state=0), n_features_to_select=5, step=100)
    for selecting, name in ((nested, "SelectKBest"), (wrapped, "RFE")):
        row = mistakes.methodology_checklist(X, y, estimator=selecting).set_index("check").loc[check]
        assert row["passed"] and name in row["finding"] and "refitted on each fold" in row["finding"], row["finding"]
    assert mistakes.feature_selectors(nested) == ["SelectKBest"] and mistakes.feature_selectors(wrapped) == ["RFE"]


def test_checklist_needs_preprocessing_for_missing_values_and_text():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": ["x", "y", "x", "y"]})
    reasons = mistakes.preprocessing_needed(X, HistGradientBoostingRegressor())
    assert reasons == ["missing values (an imputer)", "non-numeric columns (an encoder)"]
    assert mistakes.preprocessing_needed(X, make_pipeline(HistGradientBoostingRegressor())) == []


def test_checklist_cannot_see_a_selection_made_before_it_was_called():
    """The honest limit the lesson shows: selected on all rows, then handed over, the leak passes every check."""
    X, y = mistakes.make_noise(200, 2_000)
    selected = SelectKBest(k=20).fit_transform(X, y)
    report = mistakes.methodology_checklist(
        selected,
        y,
        estimator=make_pipeline(LogisticRegression(random_state=0)),
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    assert _failed(report) == set()


def test_checklist_flags_accuracy_on_imbalanced_labels_only_with_accuracy():
    X, y = mistakes.imbalanced_customers(1_000, seed=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
    assert mistakes.CHECKS[2] in _failed(mistakes.methodology_checklist(X, y, estimator=model))
    assert mistakes.CHECKS[2] in _failed(mistakes.methodology_checklist(X, y, estimator=model, scoring=None))
    assert mistakes.CHECKS[2] in _failed(mistakes.methodology_checklist(X, y, estimator=model, scoring="accuracy"))
    fine = mistakes.methodology_checklist(X, y, estimator=model, scoring="balanced_accuracy")
    assert mistakes.CHECKS[2] not in _failed(fine)


def test_checklist_flags_a_shuffled_split_of_time_ordered_rows():
    frame = mistakes.make_daily_demand(200)
    X, y = frame[list(mistakes.DEMAND_FEATURES)], frame["demand"]
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
    assert mistakes.CHECKS[3] in _failed(
        mistakes.methodology_checklist(X, y, estimator=model, cv=KFold(3, shuffle=True, random_state=0), scoring="r2")
    )
    ok = mistakes.methodology_checklist(X, y, estimator=model, cv=TimeSeriesSplit(3), scoring="r2")
    assert mistakes.CHECKS[3] not in _failed(ok)
    assert "numeric target" in ok.set_index("check").loc[mistakes.CHECKS[2], "finding"]
    dated = mistakes.methodology_checklist(frame[["date", "promotion"]], y, estimator=model, cv=3, scoring="r2")
    assert mistakes.CHECKS[3] in _failed(dated)


def test_checklist_flags_duplicates_and_label_proxies():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    X = pd.DataFrame({"a": rng.normal(size=200), "leak": y + rng.normal(0, 0.01, 200)})
    X = pd.concat([X, X.iloc[:10]], ignore_index=True)
    y = np.concatenate([y, y[:10]])
    failed = _failed(mistakes.methodology_checklist(X, y, estimator=LogisticRegression(random_state=0)))
    assert {mistakes.CHECKS[4], mistakes.CHECKS[5]} <= failed


def test_conclude_checklist():
    report = pd.DataFrame({"check": ["a", "b", "c"], "passed": [True, False, False], "finding": [""] * 3})
    assert mistakes.conclude_checklist(report, "setup") == "setup: 2 of 3 checks flag it — b; c."
    assert "all 3 checks pass" in mistakes.conclude_checklist(report.assign(passed=True), "setup")
