"""Privacy experiments of lesson 05: pseudonyms, k-anonymity, the Laplace mechanism, membership inference."""

import math

import numpy as np
import pandas as pd
import pytest

from scalingml.datasets import PEOPLE_QUASI_IDENTIFIERS, make_people
from scalingml.errors import ScalingmlError
from scalingml.experiments import privacy
from scalingml.experiments.features import people_features


@pytest.fixture(scope="module")
def people():
    return make_people(2_000, seed=0)


# --- the generated people table -----------------------------------------------------------------------


def test_people_are_seeded_and_carry_the_documented_columns(people):
    assert make_people(2_000, seed=0).equals(people)
    assert not make_people(2_000, seed=1).equals(people)
    assert people["member_id"].is_unique
    assert set(PEOPLE_QUASI_IDENTIFIERS) <= set(people.columns)
    assert (people["postcode"].str.len() == 5).all()
    assert (people["district"] == people["postcode"].str[0].astype(int)).all()
    assert set(people["approved"].unique()) == {0, 1}


def test_district_is_a_proxy_for_the_group(people):
    share_b = (people["ethnic_group"] == "B").groupby(people["district"]).mean()
    assert share_b.loc[[7, 8, 9]].min() > 0.5 > share_b.loc[list(range(7))].max()


def test_legitimate_features_do_not_depend_on_the_group():
    people = make_people(20_000, seed=3)
    by_group = people.groupby("ethnic_group", observed=True)[["income", "savings", "debt_ratio", "loan_amount"]]
    medians = by_group.median()
    assert ((medians.loc["A"] - medians.loc["B"]).abs() / medians.loc["A"] < 0.05).all()


def test_planted_bias_lowers_group_b_approval_only_when_planted():
    fair, biased = make_people(20_000, seed=4, bias=0.0), make_people(20_000, seed=4, bias=1.0)
    gap = lambda frame: frame.groupby("ethnic_group", observed=True)["approved"].mean().pipe(lambda r: r["A"] - r["B"])  # noqa: E731
    assert abs(gap(fair)) < 0.03
    assert gap(biased) > 0.12


def test_most_people_are_unique_on_quasi_identifiers_at_every_size():
    for n in (2_000, 20_000):
        assert privacy.unique_share(make_people(n, seed=0), PEOPLE_QUASI_IDENTIFIERS) > 0.6


# --- pseudonymisation ----------------------------------------------------------------------------------


def test_dictionary_attack_reverses_unsalted_hashes_but_not_hmac():
    ids = [f"{i:04d}" for i in (7, 42, 1234, 9999, 5000)]
    curve, seconds = privacy.dictionary_attack_curve(ids, digits=4, key=b"k" * 32, budgets=(0.5, 1.0))
    full = curve[curve.budget == 1.0].set_index("scheme")["reidentified"]
    assert full["unsalted SHA-256"] == 1.0 and full["HMAC with a secret key"] == 0.0
    half = curve[(curve.budget == 0.5) & (curve.scheme == "unsalted SHA-256")]["reidentified"].item()
    assert 0 <= half <= 1 and seconds >= 0
    assert "HMAC" in privacy.conclude_dictionary_attack(curve, seconds)


def test_dictionary_attack_conclusions_cover_each_branch():
    frame = lambda plain, keyed: pd.DataFrame(  # noqa: E731
        {
            "budget": [1.0, 1.0],
            "guesses": [100, 100],
            "scheme": ["unsalted SHA-256", "HMAC with a secret key"],
            "reidentified": [plain, keyed],
        }
    )
    assert "useless" in privacy.conclude_dictionary_attack(frame(1.0, 0.0), 0.1)
    assert "did not cover" in privacy.conclude_dictionary_attack(frame(0.5, 0.0), 0.1)
    assert "no difference" in privacy.conclude_dictionary_attack(frame(0.0, 0.0), 0.1)


def test_hmac_depends_on_the_key():
    assert privacy.hmac_pseudonym("00042", b"a") != privacy.hmac_pseudonym("00042", b"b")
    assert privacy.sha256_pseudonym("00042") == privacy.sha256_pseudonym("00042")


# --- k-anonymity ---------------------------------------------------------------------------------------


def test_k_anonymity_counts_only_the_quasi_identifiers():
    frame = pd.DataFrame({"zip": ["1", "1", "1", "2", "2"], "year": [80, 80, 80, 90, 90], "outcome": [0, 1, 0, 1, 1]})
    assert privacy.k_anonymity(frame, ["zip", "year"]) == 2
    assert privacy.k_anonymity(frame, ["zip", "year", "outcome"]) == 1
    assert privacy.k_anonymity(frame.iloc[::-1], ("zip", "year")) == 2
    assert privacy.unique_share(frame, ["zip", "year", "outcome"]) == pytest.approx(1 / 5)
    assert privacy.k_anonymity(frame.iloc[:0], ["zip"]) == 0


def test_k_anonymity_groups_missing_values_together():
    frame = pd.DataFrame({"zip": ["1", None, None], "year": [80, 80, 80]})
    assert privacy.class_sizes(frame, ["zip", "year"]).tolist() == [1, 2, 2]


@pytest.mark.parametrize("quasi_ids", [["postcode", "shoe_size"], [], "shoe_size"])
def test_a_quasi_identifier_that_is_not_a_column_is_a_clear_error(people, quasi_ids):
    with pytest.raises(privacy.ColumnNotFoundError) as raised:
        privacy.k_anonymity(people, quasi_ids)
    assert isinstance(raised.value, ScalingmlError) and isinstance(raised.value, KeyError)
    assert "quasi-identifier" in str(raised.value).lower()


def test_generalisation_ladder_raises_k_and_removes_unique_people(people):
    ladder = privacy.generalisation_ladder(people)
    assert ladder["k"].is_monotonic_increasing
    assert ladder["unique_share"].iloc[0] > 0.5 and ladder["unique_share"].iloc[-1] == 0
    rung = privacy.first_rung_reaching(ladder, 5)
    assert rung is not None and ladder.loc[rung, "k"] >= 5 and (ladder.loc[: rung - 1, "k"] < 5).all()
    assert privacy.first_rung_reaching(ladder, 10**9) is None


def test_generalise_truncates_bands_and_suppresses():
    table = pd.DataFrame({"postcode": ["12345", "12999"], "birth_year": [1987, 1981], "gender": ["female", "male"]})
    released = privacy.generalise(table, privacy.Generalisation(2, 10, False))
    assert released["postcode"].tolist() == ["12***", "12***"]
    assert released["birth_year"].tolist() == [1980, 1980]
    assert privacy.k_anonymity(released, ["postcode", "birth_year", "gender"]) == 2
    assert table["postcode"].tolist() == ["12345", "12999"], "generalise returns a copy"


def test_k_anonymity_conclusions_cover_each_branch():
    ladder = pd.DataFrame({"rung": [0, 1], "release": ["raw", "coarse"], "k": [1, 6], "unique_share": [0.8, 0.0]})
    utility = lambda auc1, se: pd.DataFrame({"rung": [0, 1], "auc": [0.80, auc1], "auc_se": [se, se]})  # noqa: E731
    assert "within the noise" in privacy.conclude_k_anonymity(ladder, utility(0.79, 0.02), k=5)
    assert "lost 0.100" in privacy.conclude_k_anonymity(ladder, utility(0.70, 0.01), k=5)
    assert "gained" in privacy.conclude_k_anonymity(ladder, utility(0.90, 0.01), k=5)
    assert "No rung" in privacy.conclude_k_anonymity(ladder, utility(0.79, 0.02), k=50)
    unmeasured = privacy.conclude_k_anonymity(ladder, utility(0.79, 0.02).iloc[:1], k=5)
    assert unmeasured.endswith("k = 6).") and "AUC" not in unmeasured
    three = pd.concat([ladder, pd.DataFrame({"rung": [2], "release": ["none"], "k": [100], "unique_share": [0.0]})])
    bare = lambda auc2, se: pd.DataFrame({"rung": [0, 1, 2], "auc": [0.80, 0.79, auc2], "auc_se": [se] * 3})  # noqa: E731
    costly = privacy.conclude_k_anonymity(three, bare(0.70, 0.01), k=5)
    assert "within the noise" in costly and "costs 0.100" in costly and "proxy for the group" in costly
    free = privacy.conclude_k_anonymity(three, bare(0.79, 0.02), k=5)
    assert "little signal" in free and "(rung 2)" in free
    paired = bare(0.79, 0.02).assign(auc_change_se=[0.0, 0.002, 0.002])  # same test rows: a smaller noise
    sentence = privacy.conclude_k_anonymity(three, paired, k=5)
    assert "lost 0.010" in sentence and "costs 0.010" in sentence


def test_paired_auc_standard_error_is_smaller_than_the_unpaired_one(people):
    utility = privacy.generalisation_utility(people, [0, 4])
    assert utility["auc_change_se"].iloc[0] == 0.0
    unpaired = math.hypot(*utility["auc_se"])
    assert 0 < utility["auc_change_se"].iloc[1] < unpaired


def test_the_last_rung_suppresses_everything_and_the_model_still_fits(people):
    last = privacy.GENERALISATION_LADDER[-1]
    released = privacy.generalise(people.head(50), last)
    assert set(released["birth_year"]) == {"*"} and set(released["gender"]) == {"*"}
    assert last.describe() == "no postcode, no birth year, no gender"
    utility = privacy.generalisation_utility(people, [0, len(privacy.GENERALISATION_LADDER) - 1])
    assert utility["auc"].between(0.5, 1).all()


def test_rare_values_conclusion_names_the_value_that_held_k_down():
    frame = pd.DataFrame(
        {
            "postcode": ["11111", "11112", "11113", "11114", "11115", "22221", "22222", "22223", "22224", "22225"],
            "birth_year": [1980] * 10,
            "gender": ["f", "f", "f", "f", "f", "m", "m", "m", "m", "x"],
        }
    )
    assert privacy.smallest_class(frame, ["gender"]) == {"gender": "x"}
    ladder = privacy.generalisation_ladder(frame)
    sentence = privacy.conclude_rare_values(frame, ladder, k=5)
    assert "gender = x (10.0% of the people)" in sentence and "generalised gender" in sentence
    coarse = privacy.generalisation_ladder(frame.assign(gender="f"))  # then the postcode is what holds k down
    assert "generalised postcode" in privacy.conclude_rare_values(frame.assign(gender="f"), coarse, k=5)
    other = privacy.conclude_rare_values(frame, ladder.assign(k=[1, 1, 1, 5, 5, 10]), k=5)  # rung 3 keeps gender
    assert "by coarsening other columns" in other
    assert "already 5-anonymous" in privacy.conclude_rare_values(frame, ladder.assign(k=10), k=5)
    assert "No rung" in privacy.conclude_rare_values(frame, ladder.assign(k=1), k=5)


# --- differential privacy --------------------------------------------------------------------------------


def test_laplace_noise_has_scale_sensitivity_over_epsilon():
    rng = np.random.default_rng(0)
    draws = privacy.laplace_mechanism(50.0, sensitivity=3.0, epsilon=0.5, rng=rng, size=200_000)
    scale = 3.0 / 0.5
    assert np.mean(draws) == pytest.approx(50.0, abs=0.1)
    assert np.mean(np.abs(draws - 50.0)) == pytest.approx(scale, rel=0.02)
    assert np.median(np.abs(draws - 50.0)) == pytest.approx(scale * math.log(2), rel=0.02)  # Laplace, not normal


@pytest.mark.parametrize("epsilon", [0, -1, float("inf"), float("nan"), "high"])
def test_epsilon_must_be_positive(epsilon):
    with pytest.raises(privacy.InvalidEpsilonError, match="epsilon"):
        privacy.laplace_mechanism(1.0, sensitivity=1.0, epsilon=epsilon)
    with pytest.raises(privacy.InvalidEpsilonError):
        privacy.dp_count([True], epsilon=epsilon)


def test_sensitivity_must_be_positive():
    with pytest.raises(privacy.InvalidEpsilonError, match="sensitivity"):
        privacy.laplace_mechanism(1.0, sensitivity=0, epsilon=1.0)


def test_dp_count_and_mean_are_centred_on_the_truth():
    rng = np.random.default_rng(1)
    counts = privacy.dp_count([True, False, True], epsilon=1.0, rng=rng, size=50_000)
    assert np.mean(counts) == pytest.approx(2.0, abs=0.05)
    values = np.array([10.0, 20.0, 30.0, 1000.0])
    means = privacy.dp_mean(values, lower=0, upper=100, epsilon=1.0, rng=rng, size=50_000)
    assert np.mean(means) == pytest.approx(np.mean([10, 20, 30, 100]), abs=0.5), "values are clipped to the bounds"
    assert np.mean(np.abs(means - 40.0)) == pytest.approx(100 / 4, rel=0.05), "sensitivity (upper - lower) / n"
    with pytest.raises(privacy.InvalidEpsilonError):
        privacy.dp_mean(values, lower=5, upper=5, epsilon=1.0)


def test_privacy_budget_adds_up_and_refuses_overspending():
    budget = privacy.PrivacyBudget(1.0)
    answers = []
    with pytest.raises(privacy.BudgetExceededError, match="left"):
        while True:
            answers.append(budget.answer(privacy.dp_count, [True] * 5, epsilon=0.1, query="count"))
    assert len(answers) == 10 and budget.spent == pytest.approx(1.0) and budget.remaining == 0
    with pytest.raises(privacy.InvalidEpsilonError):
        privacy.PrivacyBudget(0)


def test_laplace_error_curve_follows_theory_and_conclusion_says_so():
    curve = privacy.laplace_error_curve(100.0, sensitivity=2.0, epsilons=[0.1, 1.0], draws=20_000)
    assert curve["mean_abs_error"].iloc[0] > 5 * curve["mean_abs_error"].iloc[1]
    sentence = privacy.conclude_laplace(curve)
    assert "follows" in sentence and "an epsilon 10 times smaller gave" in sentence
    assert "ten times" not in sentence
    broken = curve.assign(mean_abs_error=curve["theory"] * 2)
    assert "departs" in privacy.conclude_laplace(broken)


def test_composition_averaging_erodes_privacy_and_the_budget_stops_it():
    curve = privacy.composition_curve(100.0, epsilon=0.1, queries=[1, 10, 50], draws=2_000)
    assert curve["budget_spent"].tolist() == pytest.approx([0.1, 1.0, 5.0])
    assert curve["averaged_error"].is_monotonic_decreasing
    sentence = privacy.conclude_composition(curve, budget=1.0)
    assert "at most 10 such queries" in sentence
    ratio = curve["averaged_error"].iloc[-1] / curve["one_query_error"].iloc[-1]
    assert f"erred {ratio:.1f} times less than the average of 50" in sentence and "sqrt(50) = 7.1" in sentence
    assert 5 < ratio < 10, "one query at 50 x epsilon errs about sqrt(50) times less than 50 averaged answers"
    worse_single = curve.assign(one_query_error=curve["averaged_error"] * 2)
    assert "One query" not in privacy.conclude_composition(worse_single, budget=1.0)
    assert "within the budget" in privacy.conclude_composition(curve, budget=10.0)
    flat = curve.assign(averaged_error=10.0)
    assert "did not fall" in privacy.conclude_composition(flat, budget=10.0)


# --- membership inference --------------------------------------------------------------------------------


def test_deeper_trees_leak_membership(people):
    X, y = people_features(people)
    curve = privacy.membership_curve(X, y, [2, 25])
    shallow, deep = curve.iloc[0], curve.iloc[-1]
    assert deep.attack_auc > shallow.attack_auc + 3 * deep.auc_se
    assert deep.gap > shallow.gap
    sentence = privacy.conclude_membership(curve)
    assert "rises" in sentence and "overfitting gap grew" in sentence and "chance (0.5" in sentence


def _membership(auc, gap=(0.0, 0.01), se=0.02, best_auc_first=True):
    return pd.DataFrame(
        {
            "depth": [1, 10],
            "train_accuracy": [0.7, 0.7 + gap[1]],
            "test_accuracy": [0.7, 0.69] if best_auc_first else [0.69, 0.7],
            "gap": list(gap),
            "gap_se": [0.01, 0.01],
            "attack_auc": list(auc),
            "auc_se": [se, se],
        }
    )


def test_membership_conclusions_cover_each_branch():
    rise_without_gap = privacy.conclude_membership(_membership([0.50, 0.70]))
    assert "rises" in rise_without_gap and "overfitting gap" not in rise_without_gap
    assert "overfitting gap grew" in privacy.conclude_membership(_membership([0.50, 0.70], gap=(0.0, 0.3)))
    assert "fell" in privacy.conclude_membership(_membership([0.70, 0.50]))
    assert "indistinguishable from chance" in privacy.conclude_membership(_membership([0.51, 0.70]))
    assert "leaks 0.600, above chance" in privacy.conclude_membership(_membership([0.60, 0.70]))


def test_membership_conclusion_says_when_nothing_is_measurable():
    flat = pd.DataFrame(
        {"depth": [1, 10], "train_accuracy": [0.7, 0.7], "test_accuracy": [0.7, 0.69], "gap": [0.0, 0.01]}
    ).assign(attack_auc=[0.50, 0.51], auc_se=[0.02, 0.02])
    sentence = privacy.conclude_membership(flat)
    assert "within the noise" in sentence and "indistinguishable from chance" in sentence


def test_safest_accurate_depth():
    frame = pd.DataFrame({"depth": [2, 5, 10], "test_accuracy": [0.6, 0.7, 0.72], "attack_auc": [0.5, 0.55, 0.7]})
    assert privacy.safest_accurate_depth(frame, 0.6) == 5
    assert privacy.safest_accurate_depth(frame, 0.4) is None


def test_auc_standard_error_shrinks_with_rows():
    assert privacy.auc_standard_error(0.6, 100, 100) > privacy.auc_standard_error(0.6, 10_000, 10_000)


def test_people_features_have_the_same_columns_on_any_subset(people):
    without_diverse = people[people["gender"] != "diverse"].head(50)
    only_district_0 = people[people["district"] == 0].head(50)
    columns = list(people_features(people)[0].columns)
    assert list(people_features(without_diverse)[0].columns) == columns
    assert list(people_features(only_district_0)[0].columns) == columns
    assert "group_B" not in columns and "group_B" in people_features(people, sensitive=True)[0].columns
    assert not any(c.startswith("district_") for c in people_features(people, proxy=False)[0].columns)
