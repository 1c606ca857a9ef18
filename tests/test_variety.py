import pandas as pd
import pytest

from scalingml.experiments import variety


@pytest.fixture(scope="module")
def sources():
    return variety.make_sources(600, seed=0)


def test_sources_disagree_on_keys_units_and_spellings(sources):
    assert set(sources["billing"]["unit"]) == {"EUR", "cents"}
    assert sources["events"]["customer_ref"].str.startswith("CUST-").all()
    assert sources["crm"]["region"].nunique() > 4


def test_region_spellings_normalise():
    assert variety.normalise_region(pd.Series(["North", "north ", "N", "EAST"])).tolist() == [
        "north",
        "north",
        "north",
        "east",
    ]


def test_units_are_converted(sources):
    fixed = variety.billing_per_account(sources["billing"], fix_units=True)
    raw = variety.billing_per_account(sources["billing"], fix_units=False)
    assert fixed["billed"].max() < raw["billed"].max() / 10


def test_fuzzy_join_matches_far_more_than_exact_and_mostly_right(sources):
    accounts = variety.billing_per_account(sources["billing"])
    exact = variety.match_quality(variety.exact_join(sources["crm"], accounts), sources["truth"])
    fuzzy = variety.match_quality(variety.fuzzy_join(sources["crm"], accounts), sources["truth"])
    assert exact["precision"] == 1.0 and exact["match_rate"] < 0.4
    assert fuzzy["match_rate"] > 0.95 and fuzzy["precision"] > 0.8


def test_stricter_threshold_trades_matches_for_precision(sources):
    sweep = variety.threshold_sweep(sources, [0.3, 1.0])
    assert sweep["match_rate"].iloc[0] < sweep["match_rate"].iloc[1]
    assert sweep["precision"].iloc[0] >= sweep["precision"].iloc[1]


def test_integration_fixes_improve_the_downstream_score(sources):
    frame = variety.integration_scores(sources, cv=3).set_index("variant")
    scores = frame["roc_auc"]
    raw, fixed, fuzzy = scores.iloc[0], scores.iloc[1], scores.iloc[2]
    assert raw < fixed < fuzzy
    accounts = variety.billing_per_account(sources["billing"])
    measured = variety.match_quality(variety.fuzzy_join(sources["crm"], accounts), sources["truth"])
    assert frame["billing_precision"].iloc[2] == pytest.approx(measured["precision"]), "the lesson's own measurement"
    assert frame["billing_precision"].iloc[1] == 1.0, "an exact join on names matches only the right account"


def test_too_many_customers_is_a_clear_error():
    with pytest.raises(ValueError, match="distinct companies"):
        variety.make_sources(variety.MAX_CUSTOMERS + 1)


def test_conclude_joins_branches():
    assert "at the price of wrong ones" in variety.conclude_joins(
        {"match_rate": 0.2}, {"match_rate": 1.0, "precision": 0.9}, n_customers=100
    )
    assert "all of them right" in variety.conclude_joins(
        {"match_rate": 0.2}, {"match_rate": 1.0, "precision": 1.0}, n_customers=100
    )
    assert "recovered nothing" in variety.conclude_joins(
        {"match_rate": 0.5}, {"match_rate": 0.5, "precision": 1.0}, n_customers=100
    )


def test_conclude_threshold_branches():
    sweep = pd.DataFrame({"max_dist": [0.2, 0.5, 1.0], "match_rate": [0.4, 0.8, 1.0], "precision": [1.0, 0.995, 0.9]})
    assert variety.conclude_threshold(sweep).startswith("At max_dist 0.5, 80%")
    assert "No threshold tried" in variety.conclude_threshold(sweep.assign(precision=0.5))
    assert variety.conclude_threshold(sweep.assign(precision=1.0)).endswith("precision.")


def test_conclude_integration_branches():
    frame = pd.DataFrame(
        {"roc_auc": [0.56, 0.72, 0.73], "roc_auc_std": [0.02, 0.02, 0.02], "billing_matched": [0.2, 0.2, 1.0]}
    )
    sentence = variety.conclude_integration(frame)
    assert "(+0.160, beyond the folds' spread)" in sentence and "(+0.010, within twice" in sentence
    assert sentence.count("inconclusive") == 1
    assert "(how many of them correctly was not measured)" in sentence, "no precision column: no claim about it"
    wrong = variety.conclude_integration(frame.assign(billing_precision=[1.0, 1.0, 0.81]))
    assert "100% of customers instead of 20%, but only 81% of them their own: the other 19% carry" in wrong
    assert "all of them" in variety.conclude_integration(frame.assign(billing_precision=[1.0, 1.0, 0.9996]))
    assert "not measured" in variety.conclude_integration(frame.assign(billing_precision=float("nan")))
