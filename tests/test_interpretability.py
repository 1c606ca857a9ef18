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


def test_feature_truth_labels_noise_and_regions():
    truth = interpretability.feature_truth(["noise_3", "region_west", "tenure_months", "plan_premium"])
    assert truth.to_dict() == {
        "noise_3": "noise",
        "region_west": "noise",
        "tenure_months": "informative",
        "plan_premium": "informative",
    }


def test_permutation_importance_recovers_the_truth_for_both_families(fitted):
    models, X_test, y_test = fitted
    importances = interpretability.importance_frame(models, X_test, y_test, n_repeats=5)
    assert list(importances.columns) == interpretability.IMPORTANCE_COLUMNS
    recovery = interpretability.recovery(importances).set_index("model")
    assert set(recovery.index) == {"logistic regression", "gradient boosting"}
    assert (recovery["noise_flagged"] == 0).all(), "no noise feature may look important"
    assert (recovery["informative_found"] >= 4).all()
    assert recovery["top_informative"].all()


def test_flag_important_uses_std_and_floor():
    import pandas as pd

    frame = pd.DataFrame({"importance_mean": [0.1, 0.004, 0.03], "importance_std": [0.01, 0.0, 0.02]})
    assert interpretability.flag_important(frame).tolist() == [True, False, False]


def test_partial_dependence_rises_with_support_tickets(fitted):
    models, X_test, _ = fitted
    dependence = interpretability.partial_dependence_frame(models, X_test, "support_tickets", grid_resolution=5)
    for _, group in dependence.groupby("model"):
        assert group["average"].between(0, 1).all(), "probabilities for every family"
        assert group["average"].iloc[-1] > group["average"].iloc[0] + 0.3


def test_explanation_cost_measures_each_size_it_can(fitted):
    models, X_test, y_test = fitted
    cost = interpretability.explanation_cost(
        models["logistic regression"], X_test, y_test, [100, 400, 10**9], n_repeats=1
    )
    assert cost["n"].tolist() == [100, 400], "sizes beyond the data are skipped"
    assert (cost["seconds"] > 0).all()
