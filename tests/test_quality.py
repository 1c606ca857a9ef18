import pandas as pd
import pandera.pandas as pa
import pytest

from scalingml import datasets
from scalingml.errors import ScalingmlError
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
    texted = frame["monthly_spend"].map(lambda v: isinstance(v, str))
    parsed = int(frame.loc[texted, "monthly_spend"].isin(["45,00"]).sum())
    assert actions["numbers parsed from text"] == parsed > 0, "only text holding a number counts as parsed"
    assert actions["text with no number, blanked"] == texted.sum() - parsed > 0
    assert parsed + actions["text with no number, blanked"] == (injected["problem"] == "wrong_type").sum()
    assert len(clean) == len(frame) - actions["duplicates dropped"] - actions["incomplete rows dropped"]


def test_dirt_cost_degrades_accuracy_with_label_noise():
    cost = quality.dirt_cost("label_noise", [0.0, 0.45], n_rows=4_000)
    for _, group in cost.groupby("model"):
        assert group["accuracy"].iloc[-1] < group["accuracy"].iloc[0]
    with pytest.raises(ScalingmlError, match="label_noise"):
        quality.dirt_cost("typos", [0.1], n_rows=100)


def test_missing_values_hit_the_strongest_driver_and_cost_more_than_in_weak_ones():
    assert "support_tickets" in quality.MISSING_COLUMNS
    every = quality.dirt_cost("missing_rate", [0.0, 0.9], n_rows=4_000)
    weak = quality.dirt_cost("missing_rate", [0.0, 0.9], n_rows=4_000, columns=["monthly_spend"])
    drop = lambda cost: cost.groupby("model")["accuracy"].agg(lambda s: s.iloc[0] - s.iloc[-1])  # noqa: E731
    assert (drop(every) > drop(weak)).all()
    assert every.attrs["n_test"] == 2_000 and 0.5 < every.attrs["majority"] < 1


def test_inject_missing_rate_columns_and_errors():
    frame = datasets.make_customers(2_000, seed=0)
    dirty = quality.inject_missing(frame, 0.3, ["support_tickets", "plan"], seed=1)
    assert 0.25 < dirty["support_tickets"].isna().mean() < 0.35 and 0.25 < dirty["plan"].isna().mean() < 0.35
    assert dirty["tenure_months"].notna().all() and frame["support_tickets"].notna().all(), "a copy, other columns kept"
    with pytest.raises(ScalingmlError, match="between 0 and 1"):
        quality.inject_missing(frame, 1.5)
    with pytest.raises(ScalingmlError, match="no column"):
        quality.inject_missing(frame, 0.1, ["nope"])


def _cost(first, last, *, n_test=1_000, majority=0.6):
    frame = pd.DataFrame({"kind": "label_noise", "rate": [0.0, 0.4], "model": "m", "accuracy": [first, last]})
    frame.attrs.update(n_test=n_test, majority=majority)
    return quality.conclude_dirt_cost(frame)[0]


def test_conclude_dirt_cost_branches():
    assert "beyond the noise" in _cost(0.80, 0.70) and "majority" not in _cost(0.80, 0.70)
    near = _cost(0.80, 0.61)
    assert "not distinguishable from the majority-class rate (0.600, within two standard errors, 0.031)" in near
    assert "no better" not in near
    # 0.690 vs 0.677 on 1,000 rows: above the majority rate, but within two standard errors of one accuracy
    assert "not distinguishable" in _cost(0.80, 0.690, majority=0.677)
    assert "majority" not in _cost(0.80, 0.70, majority=0.64), "clearly above the majority rate: nothing to add"
    assert "below the majority-class rate (0.600)" in _cost(0.80, 0.55)
    assert "inconclusive at this profile" in _cost(0.80, 0.79)
    assert "inconclusive" in _cost(0.80, 0.75, n_test=50), "a small test set is noisier"
    assert "check the run" in _cost(0.70, 0.80)


def _families(lost_a, lost_b, *, n_test=1_000, models=("gradient boosting", "logistic regression")):
    rows = [
        {"kind": "label_noise", "rate": rate, "model": model, "accuracy": 0.8 - lost * (rate > 0)}
        for model, lost in zip(models, (lost_a, lost_b), strict=False)
        for rate in (0.4, 0.0)  # unsorted on purpose
    ]
    return quality.conclude_family_cost(pd.DataFrame(rows), n_test=n_test)[0]


def test_conclude_family_cost_branches():
    differ = _families(0.167, 0.065)
    assert differ.startswith("Label noise 0% -> 40%: gradient boosting lost 0.167 accuracy, logistic regression 0.065")
    assert "gradient boosting suffered more, by 0.102, beyond the noise" in differ
    assert "logistic regression suffered more" in _families(0.02, 0.15)
    alike = _families(0.10, 0.09)
    assert "within the noise" in alike and "inconclusive at this profile" in alike and "suffered more" not in alike
    assert "inconclusive" in _families(0.167, 0.065, n_test=50), "a small test set is noisier"
    assert "only one model family" in _families(0.1, 0.1, models=("gradient boosting",))


def test_validation_classifies_category_failures_by_column_whatever_the_check():
    dirty, _ = quality.make_dirty_customers(1_000, seed=2)
    schema = quality.customer_schema()
    schema = schema.update_columns(
        {
            "plan": {"checks": [pa.Check.str_matches(r"^(basic|standard|premium)$")]},
            "region": {"checks": [pa.Check(lambda s: s.isin(["north", "south", "east", "west"]))]},
            "satisfaction": {"checks": [pa.Check(lambda s: s.between(0, 10))]},
        }
    )
    dirty.loc[3, "region"] = "Nowhere"
    report = quality.validation_report(dirty, schema)
    problems = report.groupby("column")["problem"].agg(set)
    assert problems["plan"] == problems["region"] == {"unknown_category"}
    assert problems["satisfaction"] == {"impossible"}, "a custom check on a number is an impossible value"
    assert set(report["problem"]) == set(quality.PROBLEMS)


def test_conclude_validation_and_cleansing():
    injected = pd.DataFrame({"problem": ["missing", "duplicate"]})
    assert "missed: none" in quality.conclude_validation(pd.DataFrame({"problem": ["missing", "duplicate"]}), injected)
    assert "missed: duplicate" in quality.conclude_validation(pd.DataFrame({"problem": ["missing"]}), injected)
    extra = quality.conclude_validation(pd.DataFrame({"problem": ["missing", "duplicate", "impossible"]}), injected)
    assert "not injected: impossible" in extra
    assert "passes the schema" in quality.conclude_cleansing(10, pd.DataFrame({"a": range(8)}), 0)
    assert "no safe fix" in quality.conclude_cleansing(10, pd.DataFrame({"a": range(8)}), 3)
