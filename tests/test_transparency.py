"""Transparency experiments of lesson 05: surrogate fidelity, counterfactuals, generated documentation."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from scalingml.datasets import PEOPLE_ACTIONABLE, make_people
from scalingml.errors import ScalingmlError
from scalingml.experiments import fairness, transparency
from scalingml.experiments.features import people_features
from scalingml.experiments.privacy import ColumnNotFoundError


@pytest.fixture(scope="module")
def data():
    train, test = fairness.split_people(make_people(3_000, seed=0), seed=0)
    X_train, y_train = people_features(train)
    X_test, y_test = people_features(test)
    return train, test, X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def forest(data):
    _, _, X_train, y_train, _, _ = data
    return transparency.black_box(n_estimators=20).fit(X_train, y_train)


# --- surrogate ---------------------------------------------------------------------------------------------


def test_surrogate_fidelity_grows_with_depth_and_measures_agreement_with_the_model(data, forest):
    _, _, X_train, _, X_test, _ = data
    curve = transparency.surrogate_curve(forest, X_train, X_test, [1, 3, 6])
    assert curve["leaves"].is_monotonic_increasing
    assert curve["fidelity"].iloc[-1] > curve["fidelity"].iloc[0]
    assert ((curve["fidelity"] > 0.5) & (curve["fidelity"] <= 1)).all()
    constant = DummyClassifier(strategy="constant", constant=1).fit(X_train, np.ones(len(X_train), dtype=int))
    copy = transparency.surrogate_curve(constant, X_train, X_test, [1])
    assert copy["fidelity"].item() == 1.0, "a surrogate copies the model's decisions, not the labels"


def test_smallest_faithful_depth_and_its_conclusions():
    curve = pd.DataFrame(
        {"depth": [1, 2, 3], "leaves": [2, 4, 8], "fidelity": [0.7, 0.85, 0.9], "fidelity_se": [0.01] * 3}
    )
    assert transparency.smallest_faithful_depth(curve, 0.8) == 2
    assert transparency.smallest_faithful_depth(curve.iloc[::-1], 0.8) == 2
    assert transparency.smallest_faithful_depth(curve, 0.95) is None
    clear = transparency.conclude_surrogate(curve, 0.8)
    assert "depth 2 (4 leaves)" in clear and "Every simpler tree falls short beyond noise" in clear
    assert "only within noise" not in clear
    assert "not simple" in transparency.conclude_surrogate(curve, 0.95)
    close = curve.assign(fidelity=[0.79, 0.805, 0.9])
    sentence = transparency.conclude_surrogate(close, 0.8)
    assert "only within noise" in sentence and "the smallest faithful depth is uncertain" in sentence
    assert "depth 1 (" in transparency.conclude_surrogate(curve, 0.6)


def test_rules_to_show_states_the_fidelity_of_the_depth_it_shows():
    curve = pd.DataFrame(
        {"depth": [1, 2, 3], "leaves": [2, 4, 8], "fidelity": [0.7, 0.85, 0.9], "fidelity_se": [0.01] * 3}
    )
    depth, heading = transparency.rules_to_show(curve, 0.8)
    assert depth == 2 and "fidelity 85.0%" in heading and "smallest depth reaching" in heading
    depth, heading = transparency.rules_to_show(curve, 0.95)
    assert depth == 2 and "not a faithful explanation" in heading


def test_surrogate_rules_are_readable(data, forest):
    rules = transparency.surrogate_rules(forest, data[2], depth=2)
    assert "class:" in rules and rules.count("|---") >= 2


def test_merged_rules_collapse_splits_that_decide_the_same():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 25, "b": [0.0, 0.0, 1.0, 1.0] * 25})
    model = DummyClassifier(strategy="constant", constant=1).fit(X, np.ones(len(X), dtype=int))
    noisy = LogisticRegression().fit(X, (X["a"] > 0.5).astype(int))  # decides on a only
    assert transparency.surrogate_rules(model, X, depth=3).strip() == "|--- class: 1"
    merged, full = (
        transparency.surrogate_rules(noisy, X, depth=3),
        transparency.surrogate_rules(noisy, X, 3, merge=False),
    )
    assert merged.count("class:") <= full.count("class:") and "a <= 0.50" in merged
    assert merged.count("class: 0") == 1 and merged.count("class: 1") == 1


def test_robust_scales_ignore_the_tail():
    X = pd.DataFrame({"savings": [1.0, 2.0, 3.0, 4.0, 1000.0]})
    assert transparency.robust_scales(X)["savings"] == 2.0 < X["savings"].std()


# --- counterfactual ------------------------------------------------------------------------------------------


def test_counterfactual_flips_the_decision_with_actionable_features_only(data, forest):
    _, _, X_train, _, X_test, _ = data
    applicant = X_test.iloc[transparency.pick_refused(forest, X_test)]
    assert forest.predict(applicant.to_frame().T)[0] == 0
    grid = transparency.actionable_grid(applicant, X_train)
    assert set(grid) == set(PEOPLE_ACTIONABLE)
    result = transparency.counterfactual(forest, applicant, grid, transparency.robust_scales(X_train))
    assert result.found and result.changes
    assert forest.predict(result.row.to_frame().T.astype(float))[0] == 1
    immutable = [c for c in X_test.columns if c not in PEOPLE_ACTIONABLE]
    pd.testing.assert_series_equal(
        result.row[immutable].astype(float), applicant[immutable].astype(float), check_names=False
    )
    for feature, (before, after) in result.changes.items():
        assert np.sign(after - before) == PEOPLE_ACTIONABLE[feature], f"{feature} moved the wrong way"
    assert "stays as it is" in transparency.conclude_counterfactual(result)
    assert "on this grid" in transparency.conclude_counterfactual(result)


def test_counterfactual_approval_follows_predict():
    class Tie(DummyClassifier):  # probability exactly 0.5, yet predict says no
        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    X = pd.DataFrame({"savings": [0.0, 1.0]})
    model = Tie(strategy="constant", constant=0).fit(X, [0, 1])
    assert not transparency.counterfactual(model, X.iloc[0], {"savings": [0.0, 5.0]}, {"savings": 1.0}).found
    assert transparency.counterfactual(model, X.iloc[0], {"savings": [0.0, 5.0]}, {"savings": 1.0}, threshold=0.5).found


def test_counterfactual_is_the_cheapest_flip():
    X = pd.DataFrame({"savings": [0.0, 10.0] * 50, "debt_ratio": [0.5, 0.1] * 50, "age": [30.0, 60.0] * 50})
    y = (X["savings"] - 20 * X["debt_ratio"] > 0).astype(int)
    model = LogisticRegression(C=100).fit(X, y)
    applicant = pd.Series({"savings": 0.0, "debt_ratio": 0.5, "age": 30.0})
    grid = {"savings": [0.0, 5.0, 10.0, 20.0], "debt_ratio": [0.5, 0.3, 0.1]}
    result = transparency.counterfactual(model, applicant, grid, {"savings": 10.0, "debt_ratio": 0.1})
    # brute force over the same grid: the cheapest approved combination
    costs = {
        (s, d): abs(s) / 10 + abs(d - 0.5) / 0.1
        for s in grid["savings"]
        for d in grid["debt_ratio"]
        if model.predict(pd.DataFrame({"savings": [s], "debt_ratio": [d], "age": [30.0]}))[0] == 1
    }
    assert result.cost == pytest.approx(min(costs.values()))
    assert result.row["age"] == 30.0


def test_counterfactual_reports_when_nothing_flips():
    X = pd.DataFrame({"savings": [0.0, 1.0], "age": [30.0, 40.0]})
    model = DummyClassifier(strategy="constant", constant=0).fit(X, [0, 0])
    result = transparency.counterfactual(model, X.iloc[0], {"savings": [0.0, 5.0]}, {"savings": 1.0})
    assert not result.found and result.changes == {}
    assert "No change" in transparency.conclude_counterfactual(result)


@pytest.mark.parametrize("feature", ["age", "gender_female", "group_B", "district_7", "birth_year"])
def test_counterfactual_refuses_to_change_who_someone_is(feature):
    row = pd.Series({"savings": 1.0, feature: 1.0})
    model = DummyClassifier(strategy="constant", constant=1).fit(row.to_frame().T, [1])
    with pytest.raises(transparency.ImmutableFeatureError) as raised:
        transparency.counterfactual(model, row, {feature: [0.0, 2.0]}, {feature: 1.0})
    assert isinstance(raised.value, ScalingmlError) and "actionable" in str(raised.value)


def test_counterfactual_feature_must_exist():
    row = pd.Series({"savings": 1.0})
    model = DummyClassifier(strategy="constant", constant=1).fit(row.to_frame().T, [1])
    with pytest.raises(ColumnNotFoundError, match="debt_ratio"):
        transparency.counterfactual(model, row, {"debt_ratio": [0.1]}, {"debt_ratio": 1.0})


# --- documentation ---------------------------------------------------------------------------------------


def test_technical_documentation_is_generated_from_the_run(data):
    train, test, X_train, y_train, X_test, y_test = data
    model = fairness.logistic_model().fit(X_train, y_train)
    groups = test["ethnic_group"].astype(str)
    predictions = model.predict(X_test)
    report = fairness.audit(y_test, predictions, groups)
    summary = fairness.fairness_summary(y_test, predictions, groups)
    record = transparency.technical_documentation(
        model_name="test model",
        audit_frame=report,
        summary=summary,
        data={"rows": len(train)},
        privacy={},
        explanation={},
        known_limitations=["labels are biased"],
    )
    assert record.limitations[0] == "labels are biased"
    assert record.metrics_by_group["B"]["selection_rate"] == pytest.approx(report.by_group.loc["B", "selection_rate"])
    assert record.metrics["accuracy"] == pytest.approx(float(np.mean(predictions == y_test)))
    text = record.to_markdown()
    for section in ("Intended use", "## Data", "## Metrics per group", "## Limitations", "Human oversight"):
        assert section in text
    assert "| B |" in text and "- count:" not in text, "counts are data, not metrics"
    assert "accuracy" not in record.fairness, "accuracy is listed once, under the metrics"
    assert isinstance(record.metrics_by_group["B"]["count"], int)
    if summary["dp_difference"] > 2 * summary["dp_se"]:
        assert record.fairness["lowest_group"] == summary["lowest_group"]
    else:
        assert record.fairness["lowest_group"] == "none beyond noise"
    assert json.loads(record.to_json())["model"] == "test model"
    gap_line = "Selection rates differ" if summary["dp_difference"] > 2 * summary["dp_se"] else "No selection-rate gap"
    assert any(gap_line in item for item in record.limitations)


def test_documentation_limitations_follow_the_numbers():
    report = fairness.audit([1, 0, 1, 0] * 50, [1, 0, 1, 0] * 50, ["A", "B"] * 100)
    fair = fairness.fairness_summary([1, 0, 1, 0] * 50, [1, 0, 1, 0] * 50, ["A", "A", "B", "B"] * 50)
    record = transparency.technical_documentation(
        model_name="m", audit_frame=report, summary=fair, data={}, privacy={}, explanation={}
    )
    assert any("No selection-rate gap" in item for item in record.limitations)
    assert not any("fewer than 100" in item for item in record.limitations)
    assert record.fairness["lowest_group"] == "none beyond noise" and "highest_group" not in record.fairness
    small = fairness.audit([1, 0] * 60, [1, 1] * 60, ["A"] * 110 + ["B"] * 10)
    record = transparency.technical_documentation(
        model_name="m", audit_frame=small, summary=fair, data={}, privacy={}, explanation={}
    )
    assert any("['B'] have fewer than 100" in item for item in record.limitations)


def test_documented_and_audited_models_are_compared_against_noise():
    wide, narrow = {"dp_difference": 0.16, "dp_se": 0.02}, {"dp_difference": 0.02, "dp_se": 0.02}
    differ = transparency.conclude_documented_vs_audited(narrow, wide, "forest", "regression")
    assert "the regression shows the wider gap" in differ and "does not certify another" in differ
    same = transparency.conclude_documented_vs_audited(narrow, narrow, "forest", "regression")
    assert "no difference beyond the noise" in same
