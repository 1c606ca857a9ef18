"""Maintenance (lesson 03): PSI and KS with their input checks, the drifting stream, retraining policies."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from scalingml.errors import InvalidParameterError, ScalingmlError
from scalingml.experiments import monitoring


def test_identical_samples_have_zero_psi_and_shifted_ones_a_large_one():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=4_000)
    assert monitoring.psi(ref, ref) == 0.0
    assert monitoring.psi(ref, ref + 1.0) > monitoring.PSI_SIGNIFICANT


def test_psi_matches_the_formula_on_quantile_bins():
    ref = np.arange(100.0)
    cur = np.concatenate([np.full(50, 10.0), np.full(50, 90.0)])
    edges = monitoring.quantile_edges(ref, 4)
    expected = np.array([0.25, 0.25, 0.25, 0.25])
    actual = np.array([0.5, 0.0, 0.0, 0.5])
    floor = np.maximum(actual, monitoring.PSI_EPSILON)
    assert len(edges) == 3
    assert monitoring.psi(ref, cur, bins=4) == pytest.approx(np.sum((floor - expected) * np.log(floor / expected)))


def test_empty_bins_give_a_finite_psi():
    ref = np.linspace(0, 1, 1_000)
    value = monitoring.psi(ref, np.full(200, 0.5))
    assert np.isfinite(value) and value > 1


def test_discrete_features_get_fewer_bins_not_an_error():
    ref = np.random.default_rng(1).poisson(1.5, size=2_000)
    assert len(monitoring.quantile_edges(ref.astype(float), 10)) < 9
    assert monitoring.psi(ref, ref) == 0.0


@pytest.mark.parametrize("test", [monitoring.psi, monitoring.ks])
@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        ([], [1.0, 2.0], "reference sample of x is empty"),
        ([1.0, 2.0], [], "current sample of x is empty"),
        ([1.0, np.nan, 2.0], [1.0, 2.0], "reference sample of x has 1 missing"),
        ([1.0, 2.0], [np.nan, np.nan], "current sample of x has 2 missing"),
        ([3.0, 3.0, 3.0], [1.0, 2.0], "reference sample of x is constant"),
    ],
)
def test_bad_columns_are_named(test, reference, current, message):
    with pytest.raises(monitoring.DriftInputError, match=message):
        test(reference, current, name="x")
    assert issubclass(monitoring.DriftInputError, ScalingmlError)


def test_ks_uses_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(2)
    a, b = rng.normal(size=300), rng.normal(0.3, size=300)
    assert monitoring.ks(a, b) == pytest.approx(tuple(ks_2samp(a, b)))


def test_psi_bands():
    assert [monitoring.psi_band(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, 3)] == [
        "stable",
        "stable",
        "moderate",
        "moderate",
        "significant",
        "significant",
    ]


@pytest.fixture(scope="module")
def stream():
    schedule = monitoring.stream_schedule(8, covariate_rate=0.15, concept_start=4, concept_ramp=2)
    reference = monitoring.training_batch(800, schedule)
    return schedule, reference, monitoring.make_stream(800, schedule)


def test_stream_drifts_covariates_steadily_and_concept_later(stream):
    schedule, reference, batches = stream
    assert sorted(batches) == list(range(8))
    assert schedule["covariate_drift"].is_monotonic_increasing
    assert (schedule.loc[schedule.month < 4, "concept_drift"] == 0).all()
    assert schedule.loc[schedule.month == 5, "concept_drift"].item() == 1.0
    assert batches[7]["tenure_months"].mean() > reference["tenure_months"].mean() * 1.3


def test_monitoring_sees_covariate_drift_not_the_noise_feature(stream):
    schedule, reference, batches = stream
    accuracy, drift = monitoring.monitor_stream(LogisticRegression(max_iter=1_000), reference, batches)
    by = drift.pivot(index="month", columns="feature", values="psi")
    assert by.drop(columns="noise_0").iloc[-1].max() > monitoring.PSI_SIGNIFICANT
    assert (by["noise_0"] < monitoring.PSI_MODERATE).all()
    acc = accuracy.set_index("month")["accuracy"]
    assert acc[7] < acc[0] - 0.1  # concept drift hurts
    sentences = monitoring.conclude_monitoring(accuracy, drift, schedule, rows_per_month=800)
    assert any("concept drift starts in month 4" in s for s in sentences)
    assert any("On noise_0" in s for s in sentences)


def test_monitoring_conclusion_when_nothing_happens():
    accuracy = pd.DataFrame({"month": [0, 1, 2], "accuracy": [0.80, 0.79, 0.81]})
    drift = pd.DataFrame(
        {
            "month": [1, 1, 2, 2],
            "feature": ["tenure_months", "noise_0"] * 2,
            "psi": [0.01, 0.01, 0.02, 0.01],
            "ks_p": [0.5, 0.5, 0.6, 0.7],
        }
    )
    schedule = pd.DataFrame({"month": [0, 1, 2], "concept_drift": [0.0, 0.0, 0.0]})
    sentences = monitoring.conclude_monitoring(accuracy, drift, schedule, rows_per_month=1_000)
    assert "no fall beyond noise" in sentences[0]
    assert "within the noise" in sentences[1]
    assert sentences[2] == "PSI never crossed 0.25 on a driver of churn; KS never rejected at p < 0.05."
    assert "0 false alarm(s)" in sentences[3] and "Across all 4 tests" in sentences[3]
    assert not any("before" in s or "early warning" in s for s in sentences)


def test_concept_drift_is_invisible_to_feature_psi(stream):
    _, reference, _ = stream
    check = monitoring.concept_drift_check(LogisticRegression(max_iter=1_000), reference, 1_000)
    assert check["max_feature_psi"] == 0.0
    assert check["accuracy_after"] < check["accuracy_before"]
    assert "invisible to feature monitoring" in monitoring.conclude_concept_drift(check)
    flat = dict(check, accuracy_after=check["accuracy_before"])
    assert "within noise" in monitoring.conclude_concept_drift(flat)


def test_policies_retrain_as_specified(stream):
    _, reference, batches = stream
    runs = monitoring.compare_policies(reference, batches, model=LogisticRegression(max_iter=1_000))
    retrains = runs[runs.retrained].groupby("policy")["month"].apply(list).to_dict()
    assert "never" not in retrains
    assert retrains["every 3 months"] == [3, 6]
    assert retrains["on alarm"], "the drifting stream must raise at least one alarm"
    summary = monitoring.policy_summary(runs).set_index("policy")
    assert summary.loc["never", "retrains"] == 0 and summary.loc["never", "train_cpu_s"] == 0
    assert summary.loc["on alarm", "mean_accuracy"] > summary.loc["never", "mean_accuracy"]


def test_unknown_policy_is_refused(stream):
    _, reference, batches = stream
    with pytest.raises(InvalidParameterError, match="Unknown policy 'sometimes'"):
        monitoring.simulate_policy("sometimes", reference, batches)


def test_policy_conclusion_branches():
    summary = pd.DataFrame(
        {
            "policy": ["never", "every 3 months", "on alarm"],
            "mean_accuracy": [0.60, 0.70, 0.69],
            "worst_accuracy": [0.4, 0.5, 0.5],
            "retrains": [0, 3, 1],
            "train_cpu_s": [0.0, 0.3, 0.1],
        }
    )
    sentences = monitoring.conclude_policies(summary, rows_per_month=2_000)
    assert "retraining paid" in sentences[-1] and "'on alarm' (1)" in sentences[-1]
    assert "an illustration" in sentences[-1]
    close = summary.assign(mean_accuracy=[0.700, 0.705, 0.702])
    assert "did not pay" in monitoring.conclude_policies(close, rows_per_month=500)[-1]


def _story(accuracies, psi_by_month, *, concept_start=3, noise_p=None, noise_ks_p=0.5, rows=10_000):
    """A synthetic stream: monthly accuracies and the drivers' PSI per month (noise_0 unchanged)."""
    months = list(range(len(accuracies)))
    accuracy = pd.DataFrame({"month": months, "accuracy": accuracies})
    rows_ = []
    for m in months[1:]:
        rows_.append({"month": m, "feature": "tenure_months", "psi": psi_by_month.get(m, 0.01), "ks_p": 0.5})
        rows_.append({"month": m, "feature": "noise_0", "psi": 0.01, "ks_p": noise_ks_p})
    schedule = pd.DataFrame({"month": months, "concept_drift": [float(m >= concept_start) for m in months]})
    return monitoring.conclude_monitoring(accuracy, pd.DataFrame(rows_), schedule, rows_per_month=rows, noise_p=noise_p)


def test_monitoring_says_accuracy_fell_before_the_first_psi_alarm():
    sentences = _story([0.80, 0.80, 0.81, 0.70, 0.60, 0.60], {5: 0.4})
    assert "no fall beyond noise" in sentences[0]
    assert "first fell beyond noise in month 3" in sentences[1]
    assert "PSI first crossed 0.25 on a driver of churn in month 5" in sentences[2]
    assert "Accuracy had already fallen (month 3) before the first PSI alarm (month 5)" in sentences[3]


def test_monitoring_says_psi_warned_early_or_in_the_same_month():
    early = _story([0.80, 0.80, 0.80, 0.70, 0.60], {2: 0.3})
    assert "came before accuracy fell beyond noise (month 3): an early warning" in early[3]
    same = _story([0.80, 0.80, 0.80, 0.70, 0.60], {3: 0.3})
    assert "same month (3)" in same[3]


def test_monitoring_when_covariate_drift_hurts_or_only_one_signal_fires():
    hurt = _story([0.80, 0.70, 0.65, 0.60], {1: 0.3}, concept_start=3)
    assert "it fell beyond noise, so the moving inputs hurt" in hurt[0]
    silent = _story([0.80, 0.80, 0.80, 0.60], {})
    assert "only labels showed the problem" in silent[3]
    tolerated = _story([0.80, 0.80, 0.80, 0.80], {2: 0.3})
    assert "a shift this model tolerated" in tolerated[3]


def test_false_alarm_sentences_count_tests_and_name_an_unusual_reference():
    quiet = _story([0.8] * 12, {}, noise_ks_p=0.5, noise_p=0.01)
    assert "Across all 22 tests (2 features x 11 months) about 1.1" in quiet[3]
    assert not any("not independent" in s for s in quiet), "no excess false alarms, no explanation"
    noisy = _story([0.8] * 12, {}, noise_ks_p=0.01, noise_p=0.01)
    assert "KS raised 11 false alarm(s)" in noisy[3] and "leaves 0 on noise_0" in noisy[3]
    assert "not independent" in noisy[4] and "p = 0.010" in noisy[4]
    plain = _story([0.8] * 12, {}, noise_ks_p=0.01, noise_p=0.5)
    assert "not independent" in plain[4] and "p = " not in plain[4]
    assert "KS rejects when the two CDFs differ" in plain[-1]


def test_ks_reject_distance_shrinks_with_rows():
    assert monitoring.ks_reject_distance(4_000, 4_000) == pytest.approx(monitoring.ks_reject_distance(1_000, 1_000) / 2)


def test_reference_noise_p_flags_a_shifted_reference():
    rng = np.random.default_rng(0)
    assert monitoring.reference_noise_p(pd.DataFrame({"noise_0": rng.normal(size=2_000)})) > 0.01
    assert monitoring.reference_noise_p(pd.DataFrame({"noise_0": rng.normal(0.3, size=2_000)})) < 0.01


def test_trigger_sentence_names_each_retrain():
    runs = pd.DataFrame(
        {
            "policy": ["on alarm"] * 4 + ["never"],
            "month": [0, 1, 2, 3, 1],
            "retrained": [False, True, False, True, False],
            "trigger": ["", "accuracy 0.612", "", "PSI 0.31 and accuracy 0.561", ""],
        }
    )
    sentence = monitoring.conclude_triggers(runs)
    assert "month 1 (accuracy 0.612), month 3 (PSI 0.31 and accuracy 0.561)" in sentence
    assert "the PSI trigger fired for 1, the accuracy trigger for 2" in sentence
    assert "never retrained" in monitoring.conclude_triggers(runs, policy="never")


def test_retraining_cost_at_scale_branches():
    summary = pd.DataFrame({"policy": ["never", "on alarm"], "train_cpu_s": [0.0, 2.0], "months": [12, 12]})
    cheap = monitoring.conclude_retraining_cost(
        summary, rows_per_month=1_000, customers_per_month=2_000_000, usd_per_cpu_second=0.05 / 3600
    )
    assert "at most 0.056 USD ('on alarm')" in cheap and "does not separate the policies" in cheap
    dear = monitoring.conclude_retraining_cost(
        summary, rows_per_month=1_000, customers_per_month=2_000_000, usd_per_cpu_second=1.0
    )
    assert "a budget line" in dear
    assert "empty" in monitoring.conclude_retraining_cost(
        summary, rows_per_month=0, customers_per_month=1, usd_per_cpu_second=1.0
    )


def test_psi_without_drift_is_biased_at_small_samples_as_the_formula_says():
    frame = monitoring.psi_without_drift((100, 1_000), draws=300, seed=1)
    small, large = frame.iloc[0], frame.iloc[1]
    assert small.mean_psi > monitoring.PSI_MODERATE > large.mean_psi
    for row in frame.itertuples():  # the first-order formula within 20% of the measured mean
        assert row.mean_psi == pytest.approx(row.expected, rel=0.2)
    assert small.share_moderate > 0.5 and large.share_moderate == 0.0
    with pytest.raises(InvalidParameterError, match="sizes >= bins"):
        monitoring.psi_without_drift((5,), draws=10)


def _null(rows, means, se=0.001, shares=0.0):
    return pd.DataFrame(
        {
            "rows": rows,
            "mean_psi": means,
            "se": se,
            "share_moderate": shares,
            "share_significant": 0.0,
            "expected": [monitoring.psi_expected_without_drift(n, n) for n in rows],
        }
    )


def test_psi_bias_verdict_follows_the_measured_means():
    biased = monitoring.conclude_psi_bias(_null([100, 300, 1_000], [0.19, 0.06, 0.02], shares=[0.8, 0.07, 0.0]))
    assert biased.verdict == "biased at small samples" and biased.numbers["safe_from_rows"] == 300
    assert "at 100 rows per sample and fewer" in str(biased)
    everywhere = monitoring.conclude_psi_bias(_null([50, 80], [0.4, 0.2]))
    assert everywhere.verdict == "biased at small samples" and "safe_from_rows" not in everywhere.numbers
    fine = monitoring.conclude_psi_bias(_null([1_000, 3_000], [0.018, 0.006]))
    assert fine.verdict == "unbiased enough"
    noisy = monitoring.conclude_psi_bias(_null([100, 1_000], [0.11, 0.02], se=0.05))
    assert noisy.verdict == "inconclusive", "a mean within noise of the band is neither biased nor fine"
