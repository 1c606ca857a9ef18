"""Fairness experiments of lesson 05: per-group audit, unawareness, mitigation, and their conclusions."""

import numpy as np
import pandas as pd
import pytest

from scalingml import datasets
from scalingml.datasets import PLANTED_BIAS, make_people
from scalingml.errors import ScalingmlError
from scalingml.experiments import fairness
from scalingml.experiments.features import people_features


@pytest.fixture(scope="module")
def split():
    return fairness.split_people(make_people(4_000, seed=0), seed=0)


@pytest.fixture(scope="module")
def unaware(split):
    return fairness.unawareness_experiment(*split)


@pytest.fixture(scope="module")
def mitigation(split):
    return fairness.mitigation_experiment(*split, max_iter=20)[0]


# --- per-group rates -------------------------------------------------------------------------------------


def test_rates_are_computed_within_each_group():
    y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    groups = ["a", "a", "a", "a", "b", "b", "b", "b"]
    by_group = fairness.audit(y_true, y_pred, groups).by_group
    assert by_group.loc["a", "selection_rate"] == 0.75 and by_group.loc["b", "selection_rate"] == 0.25
    assert by_group.loc["a", "true_positive_rate"] == 1.0 and by_group.loc["b", "true_positive_rate"] == 0.5
    assert by_group.loc["a", "false_positive_rate"] == 0.5 and by_group.loc["b", "false_positive_rate"] == 0.0
    rates = fairness.group_rates(y_true, y_pred, groups)
    assert rates.loc[["a", "b"], "selection_rate"].tolist() == [0.75, 0.25]
    summary = fairness.fairness_summary(y_true, y_pred, groups)
    assert summary["dp_difference"] == pytest.approx(0.5)
    assert summary["eo_difference"] == pytest.approx(0.5)
    assert (summary["lowest_group"], summary["highest_group"]) == ("b", "a")


def test_rates_do_not_depend_on_row_order_or_container():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    groups = rng.choice(["x", "y", "z"], 200)
    order = rng.permutation(200)
    a = fairness.group_rates(y_true, y_pred, groups)
    b = fairness.group_rates(list(y_true[order]), pd.Series(y_pred[order]), pd.Series(groups[order]))
    pd.testing.assert_frame_equal(a, b)


def test_true_positive_rate_is_undefined_without_positives():
    rates = fairness.group_rates([0, 0, 1, 1], [1, 0, 1, 0], ["a", "a", "b", "b"])
    assert np.isnan(rates.loc["a", "true_positive_rate"]) and rates.loc["b", "true_positive_rate"] == 0.5


def test_a_group_with_no_members_is_a_clear_error():
    groups = pd.Series(pd.Categorical(["a", "a", "b"], categories=["a", "b", "c"]))
    with pytest.raises(fairness.EmptyGroupError, match=r"\['c'\]"):
        fairness.audit([1, 0, 1], [1, 1, 0], groups)
    with pytest.raises(fairness.EmptyGroupError) as raised:
        fairness.group_rates([1, 0, 1], [1, 1, 0], ["a", "a", "b"], expected_groups=["a", "b", "c"])
    assert isinstance(raised.value, ScalingmlError) and isinstance(raised.value, ValueError)
    fairness.audit([1, 0, 1], [1, 1, 0], groups.cat.remove_unused_categories())  # the fix the message suggests


@pytest.mark.parametrize(
    "y_true, y_pred, groups, match",
    [
        ([1, 0], [1], ["a", "b"], "one entry per person"),
        ([1, 2], [1, 0], ["a", "b"], "0/1"),
        ([], [], [], "empty"),
    ],
)
def test_misaligned_input_is_a_clear_error(y_true, y_pred, groups, match):
    with pytest.raises(fairness.FairnessInputError, match=match):
        fairness.audit(y_true, y_pred, groups)


# --- the planted bias and unawareness --------------------------------------------------------------------


def test_the_audit_recovers_the_planted_bias():
    effect, se = fairness.group_effect(make_people(20_000, seed=2))
    assert abs(-effect - PLANTED_BIAS) < 3 * se
    assert "recovers the documented bias" in fairness.conclude_planted_bias(effect, se, PLANTED_BIAS)
    no_bias, no_se = fairness.group_effect(make_people(20_000, seed=2, bias=0.0))
    assert abs(no_bias) < 3 * no_se


def test_the_lesson_audit_finds_a_gap_against_group_b_only_when_bias_is_planted():
    for bias, expect_gap in ((PLANTED_BIAS, True), (0.0, False)):
        train, test = fairness.split_people(make_people(10_000, seed=5, bias=bias))
        frame = fairness.unawareness_experiment(train, test).set_index("model")
        aware = frame.loc["aware (group column used)"]
        assert bool(aware.dp_difference > 3 * aware.dp_se) is expect_gap
        if expect_gap:
            assert aware.lowest_group == "B"


def test_unawareness_keeps_the_gap_through_the_proxy(unaware):
    rows = unaware.set_index("model")
    aware, blind = rows.loc["aware (group column used)"], rows.loc["unaware (group dropped)"]
    no_proxy = rows.loc["unaware, no proxy (group and district dropped)"]
    assert blind.dp_difference > 2 * blind.dp_se, "the district carries the group back in"
    assert blind.dp_difference < aware.dp_difference
    assert no_proxy.dp_difference < blind.dp_difference
    assert "back door" in fairness.conclude_unawareness(unaware)


def test_unawareness_conclusions_cover_each_branch(unaware):
    rows = unaware.set_index("model")
    tiny = unaware.assign(dp_se=1.0)
    assert "within noise here" in fairness.conclude_unawareness(tiny)
    faded = unaware.copy()
    faded.loc[faded.model == "unaware (group dropped)", "dp_difference"] = 0.0
    assert "no longer distinguishable" in fairness.conclude_unawareness(faded)
    stubborn = unaware.copy()
    stubborn.loc[stubborn.model.str.contains("no proxy"), "dp_difference"] = rows.iloc[2].dp_difference
    assert "Even without the district" in fairness.conclude_unawareness(stubborn)


def test_proxy_strength(split):
    share = fairness.proxy_strength(pd.concat(split))
    assert share.loc[9] > 0.5 > share.loc[0]


# --- mitigation ----------------------------------------------------------------------------------------------


def test_mitigation_narrows_the_selection_gap(mitigation):
    rows = mitigation.set_index("method")
    base = rows.loc["unmitigated (unaware)"]
    for method in ("ThresholdOptimizer", "ExponentiatedGradient"):
        assert rows.loc[method, "dp_difference"] < base.dp_difference
    assert set(mitigation.columns) >= {"accuracy", "accuracy_se", "dp_difference", "dp_se", "eo_difference", "seconds"}
    sentences = fairness.conclude_mitigation(mitigation)
    assert len(sentences) == 2 and all("accuracy" in s for s in sentences)
    mitigated = mitigation.iloc[1:]
    assert (mitigated["accuracy_paid_se"] < np.hypot(mitigated["accuracy_se"], base.accuracy_se)).all(), (
        "the paired bootstrap uses that both methods are scored on the same rows"
    )


def test_paired_bootstrap_is_zero_for_identical_decisions_and_grows_with_disagreement():
    rng = np.random.default_rng(0)
    y, groups = rng.integers(0, 2, 400), rng.choice(["a", "b"], 400)
    same = fairness.paired_bootstrap(y, y, y, groups)
    assert same == {"accuracy_paid_se": 0.0, "gap_closed_se": 0.0}
    few, many = y.copy(), y.copy()
    few[:10], many[:200] = 1 - few[:10], 1 - many[:200]
    assert (
        0
        < fairness.paired_bootstrap(y, y, few, groups)["accuracy_paid_se"]
        < (fairness.paired_bootstrap(y, y, many, groups)["accuracy_paid_se"])
    )


def test_randomised_mitigators_can_decide_identical_applicants_differently(split):
    train, test = split
    frame, models = fairness.mitigation_experiment(train, test, max_iter=20)
    X_test, y_test = people_features(test)
    groups = test["ethnic_group"].astype(str)
    spread = fairness.randomised_decisions(models, X_test, groups, y_test, seeds=range(3))
    assert spread["method"].tolist() == ["ThresholdOptimizer", "ExponentiatedGradient"]
    assert spread["share_changing"].between(0, 1).all() and (spread["dp_min"] <= spread["dp_max"]).all()
    assert (spread["seeds"] == 3).all()


def test_randomised_conclusions_cover_each_branch():
    frame = pd.DataFrame(
        {
            "method": ["A", "B"],
            "seeds": [5, 5],
            "share_changing": [0.05, 0.0],
            "dp_min": [0.01, 0.02],
            "dp_max": [0.04, 0.02],
        }
    )
    changing, stable = fairness.conclude_randomised(frame)
    assert "5.0% of the test applicants" in changing and "two identical applicants" in changing
    assert "the same decisions under all 5 seeds" in stable


def _mitigation_frame(dp, acc, se=0.01):
    return pd.DataFrame(
        {
            "method": ["unmitigated (unaware)", "ThresholdOptimizer"],
            "seconds": [0.1, 0.2],
            "accuracy": acc,
            "accuracy_se": [se, se],
            "dp_difference": dp,
            "dp_se": [se, se],
            "eo_difference": [0.1, 0.1],
            "eo_se": [se, se],
        }
    )


def test_mitigation_conclusions_use_the_paired_noise_when_given():
    frame = _mitigation_frame([0.2, 0.17], [0.72, 0.70], se=0.05)
    (unpaired,) = fairness.conclude_mitigation(frame)
    assert "no accuracy cost beyond the noise" in unpaired
    (paired,) = fairness.conclude_mitigation(frame.assign(accuracy_paid_se=[0, 0.005], gap_closed_se=[0, 0.01]))
    assert "for 0.020 accuracy" in paired and "closed 0.030" in paired


def test_mitigation_conclusions_cover_each_branch():
    (real,) = fairness.conclude_mitigation(_mitigation_frame([0.2, 0.02], [0.72, 0.65]))
    assert "closed 0.180" in real and "for 0.070 accuracy" in real
    (noise,) = fairness.conclude_mitigation(_mitigation_frame([0.2, 0.17], [0.72, 0.715], se=0.05))
    assert "may be chance" in noise and "no accuracy cost beyond the noise" in noise
    (worse,) = fairness.conclude_mitigation(_mitigation_frame([0.2, 0.25], [0.72, 0.72], se=0.05))
    assert "widened" in worse


def test_impossibility_conclusions_cover_each_branch():
    rates = pd.Series({"A": 0.6, "B": 0.4})
    frame = _mitigation_frame([0.2, 0.0], [0.7, 0.7])
    assert "nearly equal" in fairness.conclude_impossibility(pd.Series({"A": 0.5, "B": 0.51}), frame)
    wider = frame.assign(eo_difference=[0.05, 0.3])
    assert "beyond the noise" in fairness.conclude_impossibility(rates, wider)
    sentence = fairness.conclude_impossibility(rates, frame)
    assert "uninformative (TPR = FPR)" in sentence and "perfect model would break parity" in sentence
    assert "stayed unequal once the selection rates were equal" in sentence
    unclosed = frame.assign(dp_difference=[0.2, 0.15], dp_se=[0.05, 0.05])
    assert "parity was not established beyond noise for every method" in fairness.conclude_impossibility(
        rates, unclosed
    )
    paired = frame.assign(gap_closed=[0.0, 0.2], gap_closed_se=[0.0, 0.2])  # parity not beyond paired noise
    assert "parity was not established beyond noise for every method" in fairness.conclude_impossibility(rates, paired)
    assert "within noise" in fairness.conclude_impossibility(rates, frame.assign(eo_difference=[0.01, 0.01]))


def test_planted_bias_conclusions_cover_each_branch():
    assert "a correctly specified model recovers the documented bias" in fairness.conclude_planted_bias(-0.95, 0.05, 1)
    assert "differs from the documented" in fairness.conclude_planted_bias(-0.5, 0.05, 1.0)
    assert "no bias is measurable" in fairness.conclude_planted_bias(-0.05, 0.05, 1.0)


def test_unawareness_conclusion_notes_amplification_only_beyond_noise(unaware):
    labels = unaware.model == "past decisions (the labels)"
    aware = unaware.loc[unaware.model == "aware (group column used)", "dp_difference"].item()
    amplified = unaware.copy()
    amplified.loc[labels, "dp_difference"] = aware / 3
    amplified.loc[labels, "dp_se"] = 0.001
    amplified.loc[~labels, "dp_se"] = 0.001
    assert "amplify" in fairness.conclude_unawareness(amplified)
    copied = amplified.copy()
    copied.loc[labels, "dp_difference"] = aware
    assert "amplify" not in fairness.conclude_unawareness(copied)


def test_the_outcome_without_the_bias_is_the_same_people_and_luck_with_only_group_b_raised():
    people = datasets.make_people(3_000, seed=3)
    fair = datasets.unbiased_outcome(3_000, seed=3)
    same_people = datasets.make_people(3_000, seed=3, bias=0.0).drop(columns=datasets.PEOPLE_TARGET)
    pd.testing.assert_frame_equal(people.drop(columns=datasets.PEOPLE_TARGET), same_people)
    group_b = people[datasets.PEOPLE_SENSITIVE] == "B"
    assert (fair[~group_b] == people.loc[~group_b, datasets.PEOPLE_TARGET]).all(), "group A is untouched"
    assert (fair[group_b] >= people.loc[group_b, datasets.PEOPLE_TARGET]).all(), "no B approval is taken away"
    assert fair[group_b].mean() > people.loc[group_b, datasets.PEOPLE_TARGET].mean() + 0.05


def test_an_audit_on_biased_labels_misses_the_gap_the_unbiased_outcome_shows():
    people = datasets.make_people(20_000, seed=0)
    train, test = fairness.split_people(people, seed=0)
    X_train, y_train = people_features(train)
    X_test, y_test = people_features(test)
    groups = test[datasets.PEOPLE_SENSITIVE].astype(str)
    decisions = fairness.logistic_model().fit(X_train, y_train).predict(X_test)
    past = fairness.fairness_summary(y_test, decisions, groups)
    fair = fairness.fairness_summary(datasets.unbiased_outcome(20_000, seed=0).loc[test.index], decisions, groups)
    assert fair["eo_difference"] > past["eo_difference"], "deserving B applicants are refused more than A's"
    sentence = fairness.conclude_label_bias(past, fair)
    assert "the biased labels hid an error-rate gap" in sentence and "2 SE = " in sentence
    assert f"{past['eo_difference']:.3f} ± {past['eo_se']:.3f} against the past decisions" in sentence
    same = fairness.conclude_label_bias(past, past)
    assert "no difference beyond the noise" in same and "not that the decisions were fair" in same
    inflated = fairness.conclude_label_bias(fair, past)
    assert "inflated" in inflated
