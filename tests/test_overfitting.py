import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from scalingml import scale
from scalingml.experiments import interpretability, overfitting
from scalingml.experiments.features import customer_xy


@pytest.fixture(scope="module")
def noisy():
    return customer_xy(1_500, seed=0, label_noise=0.1)


def test_complexity_curve_is_tidy(noisy):
    curve = overfitting.complexity_curve(*noisy, param_range=[1, 3], cv=3)
    assert list(curve.columns) == overfitting.CURVE_COLUMNS
    assert len(curve) == 2 * 2 * 3  # params x splits x folds
    assert set(curve["split"]) == {"train", "validation"}


def test_summary_of_a_hand_made_curve():
    curve = pd.DataFrame(
        [
            (p, f, s, v)
            for p, train, valid in [(1, (0.8, 0.9), (0.6, 0.8)), (2, (1.0, 1.0), (0.5, 0.7))]
            for f, (t, v2) in enumerate(zip(train, valid, strict=True))
            for s, v in (("train", t), ("validation", v2))
        ],
        columns=overfitting.CURVE_COLUMNS,
    )
    summary = overfitting.summarise_curve(curve).set_index("param")
    assert summary.loc[1, "train_mean"] == pytest.approx(0.85) and summary.loc[1, "validation_mean"] == pytest.approx(
        0.7
    )
    assert summary.loc[1, "gap"] == pytest.approx(0.15) and summary.loc[2, "gap"] == pytest.approx(0.4)
    # two folds 0.6 and 0.8: sample std 0.1414, standard error 0.1
    assert summary.loc[1, "validation_sem"] == pytest.approx(0.1)


def test_deeper_trees_overfit_more(noisy):
    summary = overfitting.summarise_curve(overfitting.complexity_curve(*noisy, param_range=[2, 15], cv=3))
    deep, shallow = summary.set_index("param").loc[15], summary.set_index("param").loc[2]
    assert deep.train_mean > shallow.train_mean and deep.gap > shallow.gap + 0.1


@pytest.mark.parametrize(
    "rows, expected_max, expected_1se",
    [
        ([(1, 0.70, 0.01), (2, 0.79, 0.01), (3, 0.80, 0.02)], 3, 2),
        ([(1, 0.50, 0.01), (2, 0.90, 0.00), (3, 0.89, 0.05)], 2, 2),
        ([(5, 0.80, 0.05), (1, 0.76, 0.01), (3, 0.70, 0.01)], 5, 1),
    ],
)
def test_selection_rules(rows, expected_max, expected_1se):
    summary = pd.DataFrame(rows, columns=["param", "validation_mean", "validation_sem"])
    assert overfitting.best_by_max(summary) == expected_max
    assert overfitting.best_by_one_standard_error(summary) == expected_1se


def test_learning_curve_gap_narrows_with_more_rows(noisy):
    learning = overfitting.summarise_curve(
        overfitting.learning_curve_frame(*noisy, cv=3, estimator=DecisionTreeClassifier(max_depth=8, random_state=0))
    )
    assert learning["param"].is_monotonic_increasing
    assert learning["gap"].iloc[-1] < learning["gap"].iloc[0]


def test_penalty_path_drops_noise_first(noisy):
    X, y = customer_xy(3_000, seed=3)
    coefficients, curve = overfitting.penalty_path(X, y, Cs=[0.003, 1.0], cv=3)
    truth = interpretability.feature_truth(X.columns)
    strong = overfitting.surviving_features(coefficients, 0.003)
    assert strong and all(truth[f] == "cause" for f in strong)
    assert len(overfitting.surviving_features(coefficients, 1.0)) > len(strong)
    assert set(overfitting.summarise_curve(curve)["param"]) == {0.003, 1.0}


def test_cv_spread_shape(noisy):
    spread = overfitting.cv_score_spread(*noisy, cv=3, n_repeats=2)
    assert len(spread) == 6 and spread["score"].between(0, 1).all()
    assert spread["score"].std() > 0, "reshuffled folds give different scores"


def test_at_small_the_validation_curve_shows_a_real_overfitting_gap():
    """Issue bar: at `small`, deep trees overfit (train >> validation) and do worse than the chosen depth."""
    profile = scale.get_profile("small")
    X, y = customer_xy(profile.n_rows, seed=0, label_noise=0.1)
    summary = overfitting.summarise_curve(
        overfitting.complexity_curve(X, y, param_range=[3, 5, 8, 20], cv=profile.cv_folds)
    ).set_index("param")
    chosen = overfitting.best_by_one_standard_error(summary.reset_index())
    assert chosen < 20
    assert summary.loc[20, "gap"] > 0.2
    assert summary.loc[20, "validation_mean"] < summary.loc[chosen, "validation_mean"] - 0.03


def test_held_out_selection_scores_the_winner_on_rows_it_never_saw(noisy):
    runs = overfitting.held_out_selection(*noisy, sample_rows=300, param_range=[1, 4, 12], cv=3, n_repeats=2)
    assert list(runs.columns) == ["repeat", "chosen", "cv_score", "held_out_score", "n_test"]
    assert (runs["n_test"] == 1_500 - 300).all()
    assert set(runs["chosen"]) <= {1, 4, 12}
    assert runs["held_out_score"].between(0, 1).all()


def test_held_out_selection_shows_the_bias_of_many_settings_on_a_small_sample():
    """Best of 20 depths on 600 rows: the winner's CV score exceeds its held-out score on average."""
    X, y = customer_xy(6_000, seed=4, label_noise=0.1)
    runs = overfitting.held_out_selection(X, y, sample_rows=600, param_range=range(1, 21), cv=3, n_repeats=6)
    assert overfitting.selection_bias(runs)["gap"] > 0


def test_held_out_selection_refuses_a_sample_that_leaves_nothing_out(noisy):
    with pytest.raises(overfitting.BadSampleError, match="sample_rows"):
        overfitting.held_out_selection(*noisy, sample_rows=1_500, param_range=[1, 2], cv=3)
    with pytest.raises(overfitting.BadSampleError, match="sample_rows"):
        overfitting.held_out_selection(*noisy, sample_rows=4, param_range=[1, 2], cv=3)


def _runs(cv, held_out, n_test=1_000):
    return pd.DataFrame({"cv_score": cv, "held_out_score": held_out, "n_test": [n_test] * len(cv)})


def test_selection_bias_standard_error_is_at_least_the_binomial_one():
    bias = overfitting.selection_bias(_runs([0.80, 0.80, 0.80], [0.70, 0.70, 0.70], n_test=2_500))
    assert bias["gap"] == pytest.approx(0.10)
    assert bias["se"] == pytest.approx((0.7 * 0.3 / 2_500) ** 0.5), "identical gaps: the binomial floor applies"
    with pytest.raises(overfitting.BadSampleError):
        overfitting.selection_bias(_runs([], []))


@pytest.mark.parametrize(
    "cv, held_out, expected",
    [
        ([0.80, 0.82, 0.81], [0.70, 0.71, 0.72], "overstated accuracy"),
        ([0.70, 0.71, 0.70], [0.70, 0.70, 0.71], "Inconclusive at this profile"),
        ([0.70, 0.70, 0.70], [0.80, 0.81, 0.80], "No selection bias visible"),
    ],
)
def test_conclude_selection_bias_branches(cv, held_out, expected):
    assert expected in overfitting.conclude_selection_bias(_runs(cv, held_out, n_test=5_000), n_candidates=20)


def _summary(gaps, sems, train=None):
    n = len(gaps)
    train = train or [1.0] * n
    return pd.DataFrame(
        {
            "param": list(range(1, n + 1)),
            "train_mean": train,
            "validation_mean": [t - g for t, g in zip(train, gaps, strict=True)],
            "validation_sem": sems,
            "gap": gaps,
        }
    )


def test_conclude_curve_calls_overfitting_only_beyond_noise():
    clear = overfitting.conclude_curve(_summary([0.01, 0.40], [0.01, 0.01]), 1, 1)
    assert "an overfitting gap of 0.400" in clear[1]
    noisy = overfitting.conclude_curve(_summary([0.01, 0.03], [0.01, 0.02]), 1, 1)
    assert "inconclusive at this profile" in noisy[1]
    assert clear[0].startswith("The best cross-validated accuracy is")


@pytest.mark.parametrize(
    "gaps, expected",
    [([0.30, 0.10], "narrowed the gap"), ([0.10, 0.30], "widened"), ([0.20, 0.19], "inconclusive at this profile")],
)
def test_conclude_learning_curve_branches(gaps, expected):
    table = pd.DataFrame({"param": [100, 1_000], "gap": gaps, "validation_sem": [0.02, 0.01]})
    assert expected in overfitting.conclude_learning_curve(table)


def test_conclude_spread_compares_steps_with_the_standard_error_of_a_mean():
    spread = pd.DataFrame(
        {"repeat": [0] * 4 + [1] * 4, "fold": list(range(4)) * 2, "score": [0.70, 0.72, 0.74, 0.72] * 2}
    )
    std = spread["score"].std(ddof=1)
    se = std / 2  # a mean over 4 folds
    steps = [10 * se, 0.5 * se, 0.8 * se, 1.5 * se]  # three below the single-fold std, two below the SE
    summary = pd.DataFrame({"validation_mean": 0.6 + np.cumsum([0.0, *steps])})
    sentence = overfitting.conclude_spread(spread, summary)
    assert f"(std {std:.3f})" in sentence and f"std/√4 = {se:.3f}" in sentence
    assert "2 of the 4 steps" in sentence, "steps are compared with the SE, not with the single-fold std"
    assert "within noise" in sentence


def test_conclude_spread_when_every_step_beats_the_standard_error():
    spread = pd.DataFrame({"fold": [0, 1, 2, 3], "score": [0.70, 0.71, 0.70, 0.71]})
    summary = pd.DataFrame({"validation_mean": [0.60, 0.65, 0.70]})
    sentence = overfitting.conclude_spread(spread, summary)
    assert "every one of the 2 steps" in sentence and "stands out of the noise" in sentence


def test_conclude_spread_is_inconclusive_without_enough_scores():
    spread = pd.DataFrame({"fold": [0], "score": [0.7]})
    summary = pd.DataFrame({"validation_mean": [0.60, 0.65]})
    assert overfitting.conclude_spread(spread, summary).startswith("Inconclusive at this profile")


def test_conclude_penalty_names_kept_noise():
    coefs = pd.DataFrame(
        {"C": [0.1, 0.1, 1.0, 1.0], "feature": ["a", "noise_0", "a", "noise_0"], "coef": [0.5, 0.2, 0.6, 0.3]}
    )
    truth = pd.Series({"a": "cause", "noise_0": "noise"})
    assert "noise feature(s) kept: ['noise_0']" in overfitting.conclude_penalty(coefs, 0.1, truth)
    assert "no noise feature" in overfitting.conclude_penalty(coefs.assign(coef=[0.5, 0, 0.6, 0.3]), 0.1, truth)
