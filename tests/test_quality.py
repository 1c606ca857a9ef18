import pytest

from scalingml import datasets
from scalingml.experiments import quality


@pytest.fixture(scope="module")
def dirty():
    return quality.make_dirty_customers(2_000, seed=0, rate=0.02)


def test_every_injected_problem_type_is_reported(dirty):
    frame, injected = dirty
    report = quality.validation_report(frame)
    assert set(report["problem"]) == set(injected["problem"]) == set(quality.PROBLEMS)


def test_impossible_values_are_flagged_on_exactly_the_injected_rows(dirty):
    frame, injected = dirty
    report = quality.validation_report(frame)
    flagged = set(report.loc[report["problem"] == "impossible", "row"].astype(int))
    truth = set(injected.loc[injected["problem"] == "impossible", "row"])
    assert truth <= flagged
    assert {r for r in flagged if r < 2_000} == truth, "no clean original row is flagged"


def test_a_clean_table_passes():
    clean = datasets.make_customers(1_000, seed=3, n_noise_features=0)
    clean[["region", "plan"]] = clean[["region", "plan"]].astype(str)
    assert quality.validation_report(clean).empty


def test_missing_column_is_named():
    clean = datasets.make_customers(50, seed=3, n_noise_features=0).drop(columns=["plan"])
    clean["region"] = clean["region"].astype(str)
    report = quality.validation_report(clean)
    assert "plan" in set(report["value"].astype(str)) | set(report["column"].astype(str))


def test_wrong_dtype_is_reported_with_its_column():
    clean = datasets.make_customers(50, seed=3, n_noise_features=0)
    clean[["region", "plan"]] = clean[["region", "plan"]].astype(str)
    clean["support_tickets"] = clean["support_tickets"].astype(float)
    report = quality.validation_report(clean)
    assert (report["column"] == "support_tickets").any() and "wrong_type" in set(report["problem"])


def test_cleanse_yields_a_valid_table_and_counts_its_actions(dirty):
    frame, injected = dirty
    clean, actions = quality.cleanse(frame)
    assert quality.validation_report(clean).empty
    assert actions["duplicates dropped"] == (injected["problem"] == "duplicate").sum()
    assert actions["numbers coerced from text"] == (injected["problem"] == "wrong_type").sum()
    assert len(clean) == len(frame) - actions["duplicates dropped"] - actions["incomplete rows dropped"]


def test_dirt_cost_degrades_accuracy_with_label_noise():
    cost = quality.dirt_cost("label_noise", [0.0, 0.45], n_rows=4_000)
    for _, group in cost.groupby("model"):
        assert group["accuracy"].iloc[-1] < group["accuracy"].iloc[0]
    with pytest.raises(ValueError, match="label_noise"):
        quality.dirt_cost("typos", [0.1], n_rows=100)
