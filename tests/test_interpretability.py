import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from scalingml import scale
from scalingml.experiments import interpretability
from scalingml.experiments.features import customer_xy, model_families


@pytest.fixture(scope="module")
def fitted():
    X, y = customer_xy(scale.get_profile("small").n_rows, seed=1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return interpretability.fit_all(model_families(), X_train, y_train), X_test, y_test


def test_feature_truth_labels_only_direct_causes_as_causes():
    truth = interpretability.feature_truth(["noise_3", "region_west", "tenure_months", "plan_premium", "plan_basic"])
    assert truth.to_dict() == {
        "noise_3": "noise",
        "region_west": "noise",
        "tenure_months": "cause",
        "plan_premium": "correlated",
        "plan_basic": "cause",
    }


def test_direct_causes_are_the_generators_churn_model():
    """Only the columns the generator's logit uses are causes: changing a correlated one changes nothing."""
    X, _ = customer_xy(200, seed=0)
    truth = interpretability.feature_truth(X.columns)
    assert sorted(truth[truth == "cause"].index) == sorted(interpretability.DIRECT_CAUSES)
    assert set(truth[truth == "correlated"].index) == {"plan_standard", "plan_premium"}


def test_permutation_importance_recovers_the_truth_for_both_families(fitted):
    models, X_test, y_test = fitted
    importances = interpretability.importance_frame(models, X_test, y_test, n_repeats=5)
    assert list(importances.columns) == interpretability.IMPORTANCE_COLUMNS
    recovery = interpretability.recovery(importances).set_index("model")
    assert set(recovery.index) == {"logistic regression", "gradient boosting"}
    assert (recovery["noise_flagged"] == 0).all(), "at small, no noise feature may look important"
    assert (recovery["causes_found"] >= 4).all()
    assert recovery["top_causes"].all()
    for row in interpretability.recovery(importances).itertuples():
        assert "no noise feature does" in interpretability.conclude_recovery(row)


def _recovery_row(**changes):
    row = {
        "model": "m",
        "causes_found": 5,
        "causes_total": 5,
        "noise_flagged": 0,
        "correlated_flagged": 0,
        "flagged_noise": [],
        "flagged_correlated": [],
        "top_causes": True,
    }
    return {**row, **changes}


def test_conclude_recovery_claims_separation_only_without_noise():
    assert interpretability.conclude_recovery(_recovery_row()).endswith("and no noise feature does.")
    leaked = interpretability.conclude_recovery(_recovery_row(noise_flagged=1, flagged_noise=["noise_1"]))
    assert "noise_1" in leaked and "does not separate signal from noise" in leaked
    correlated = interpretability.conclude_recovery(_recovery_row(correlated_flagged=1, flagged_correlated=["plan_x"]))
    assert "plan_x" in correlated and "not what causes churn" in correlated
    nothing = interpretability.conclude_recovery(_recovery_row(causes_found=0))
    assert "inconclusive at this profile" in nothing


def test_recovery_counts_noise_and_correlated_by_name():
    frame = pd.DataFrame(
        {
            "model": ["m"] * 4,
            "feature": ["a", "noise_0", "plan_premium", "noise_1"],
            "importance_mean": [0.2, 0.05, 0.03, 0.0],
            "importance_std": [0.01, 0.01, 0.01, 0.01],
            "truth": ["cause", "noise", "correlated", "noise"],
        }
    )
    row = interpretability.recovery(frame).iloc[0]
    assert row.causes_found == 1 and row.noise_flagged == 1 and row.flagged_noise == ["noise_0"]
    assert row.flagged_correlated == ["plan_premium"]


def test_a_near_copy_takes_importance_from_its_original(fitted):
    models, X_test, y_test = fitted
    X, y = customer_xy(4_000, seed=5)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    frame = interpretability.copy_importance(
        model_families()["gradient boosting"], X_train, y_train, X_test, y_test, "support_tickets", n_repeats=3
    )
    at = frame.set_index(["table", "feature"])["importance_mean"]
    assert at[("with copy", "support_tickets")] < at[("alone", "support_tickets")] / 2
    assert "fell from" in interpretability.conclude_copy_importance(frame)


def _copy_frame(means, stds):
    """A copy_importance frame for feature ``t`` alone and with its copy ``t_copy``."""
    return pd.DataFrame(
        {
            "table": ["alone", "with copy", "with copy"],
            "feature": ["t", "t", "t_copy"],
            "importance_mean": means,
            "importance_std": stds,
        }
    )


def test_conclude_copy_importance_is_inconclusive_within_noise():
    frame = _copy_frame([0.10, 0.09, 0.02], [0.02, 0.02, 0.01])
    sentence = interpretability.conclude_copy_importance(frame)
    assert "inconclusive at this profile" in sentence and "went from 0.100 to 0.090" in sentence


def test_conclude_copy_importance_reports_a_rise_beyond_noise():
    frame = _copy_frame([0.050, 0.090, 0.01], [0.002, 0.002, 0.001])
    sentence = interpretability.conclude_copy_importance(frame)
    assert "rose from 0.050 to 0.090" in sentence and "unexpected" in sentence
    assert "inconclusive" not in sentence and "within" not in sentence and "hides little" not in sentence


def test_conclude_copy_importance_reports_a_fall_beyond_noise():
    frame = _copy_frame([0.20, 0.05, 0.04], [0.01, 0.01, 0.01])
    sentence = interpretability.conclude_copy_importance(frame)
    assert "fell from 0.200 to 0.050" in sentence and "hides little" in sentence


def test_column_importance_is_zero_for_a_column_the_model_ignores(fitted):
    models, X_test, y_test = fitted
    drops = interpretability.column_importance(models["logistic regression"], X_test, y_test, "support_tickets")
    assert drops.mean() > 0.02
    constant = X_test.assign(noise_0=0.0)
    assert (
        interpretability.column_importance(models["logistic regression"], constant, y_test, "noise_0").tolist()
        == [0.0] * 5
    ), "shuffling a constant column changes nothing"


def test_off_data_share_flags_values_whose_partner_range_differs():
    X = pd.DataFrame({"a": [0] * 20 + [1] * 20 + [2] * 3, "b": list(range(20)) + list(range(100, 120)) + [5, 6, 7]})
    support = interpretability.off_data_share(X, "a", "b", [0, 1, 2]).set_index("value")
    assert support.loc[0, "rows_near"] == 20 and support.loc[2, "rows_near"] == 3
    # the 20 rows with a = 1 have b far above, plus the two outermost of a = 0 own rows (the 95% range trims them)
    assert support.loc[0, "off_data"] == pytest.approx(22 / 43)
    assert np.isnan(support.loc[2, "off_data"]), "too few real rows: nothing measured there"
    assert interpretability.extrapolated(support.reset_index()).tolist() == [True, True, True]


def test_conclude_off_data_branches():
    near = pd.DataFrame({"value": [0, 1], "rows_near": [100, 90], "off_data": [0.05, 0.1]})
    sentence = interpretability.conclude_off_data(near, "a", "b")
    assert "stays near real data" in sentence and "at most 10%" in sentence and "too few" not in sentence
    far = pd.DataFrame({"value": [0, 1, 2, 3], "rows_near": [100, 90, 40, 4], "off_data": [0.05, 0.3, 0.6, np.nan]})
    sentence = interpretability.conclude_off_data(far, "a", "b")
    assert "extrapolation at 1, 2:" in sentence and "worst measured: 60% at 2, compared with 40 real" in sentence
    assert "At a = 3 there are too few real customers" in sentence and "(fewer than 10 each: 4)" in sentence
    near_but_sparse = pd.DataFrame({"value": [0, 1, 2], "rows_near": [100, 90, 2], "off_data": [0.05, 0.1, np.nan]})
    sentence = interpretability.conclude_off_data(near_but_sparse, "a", "b")
    assert "stays near real data at every value measured" in sentence and "At a = 2 there are too few" in sentence
    nothing = pd.DataFrame({"value": [0, 1], "rows_near": [3, 2], "off_data": [np.nan, np.nan]})
    assert interpretability.conclude_off_data(nothing, "a", "b").startswith("Inconclusive at this profile")


def test_flag_important_uses_std_and_floor():
    frame = pd.DataFrame({"importance_mean": [0.1, 0.004, 0.03], "importance_std": [0.01, 0.0, 0.02]})
    assert interpretability.flag_important(frame).tolist() == [True, False, False]


def test_partial_dependence_rises_with_support_tickets(fitted):
    models, X_test, _ = fitted
    dependence = interpretability.partial_dependence_frame(models, X_test, "support_tickets", grid_resolution=5)
    for _, group in dependence.groupby("model"):
        assert group["average"].between(0, 1).all(), "probabilities for every family"
        assert group["average"].iloc[-1] > group["average"].iloc[0] + 0.3
    lines = interpretability.describe_partial_dependence(dependence, "support_tickets")
    assert len(lines) == 2 and all("support_tickets = 0" in line for line in lines)


def test_explanation_cost_measures_each_size_it_can(fitted):
    models, X_test, y_test = fitted
    cost = interpretability.explanation_cost(
        models["logistic regression"], X_test, y_test, [100, 400, 10**9], n_repeats=1
    )
    assert cost["n"].tolist() == [100, 100, 100, 400, 400, 400], "sizes beyond the data are skipped; 3 repeats"
    assert (cost["seconds"] > 0).all()


def test_explanation_cost_predicts_on_one_thread_with_the_given_clock(fitted):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []

    class Recording(LogisticRegression):
        def predict(self, X):
            seen.append({pool["user_api"]: pool["num_threads"] for pool in threadpool_info()})
            return super().predict(X)

    _, X_test, y_test = fitted
    model = Recording(max_iter=500).fit(X_test, y_test)
    ticks = iter(range(1_000))
    with threadpool_limits(limits=2):  # the tests run on one native thread: give the pools two, to see them cut
        cost = interpretability.explanation_cost(
            model, X_test, y_test, [100], n_repeats=1, repeat=2, clock=lambda: float(next(ticks))
        )
    assert cost["seconds"].tolist() == [1.0, 1.0], "timed with the clock given"
    assert seen and all("openmp" in threads for threads in seen), "the OpenMP pool of boosted trees is loaded"
    assert all(n == 1 for threads in seen for n in threads.values()), seen
