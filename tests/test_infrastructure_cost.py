"""Cost and serving (lesson 03): assumptions, prices, the Pareto front, budgets, ONNX agreement."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from scalingml import scale
from scalingml.errors import ScalingmlError
from scalingml.experiments import cost, serving
from scalingml.experiments.features import customer_xy


def test_cost_of_one_cpu_hour_follows_the_assumptions():
    table = cost.default_assumptions()
    table.loc["price_per_vcpu_hour", "value"] = 0.10
    table.loc["watts_per_core", "value"] = 20.0
    table.loc["grid_g_co2_per_kwh", "value"] = 500.0
    table.loc["utilisation", "value"] = 1.0
    table.loc["pue", "value"] = 1.0
    result = cost.cost_of(7200.0, table)
    assert result["usd"] == pytest.approx(0.20)
    assert result["kwh"] == pytest.approx(0.04)
    assert result["g_co2"] == pytest.approx(20.0)


def test_idle_provisioned_cores_are_billed_and_the_building_draws_pue_times_the_servers():
    table = cost.default_assumptions()
    table.loc["utilisation", "value"] = 0.25
    table.loc["pue", "value"] = 1.5
    busy = cost.cost_of(3600.0, table)
    table.loc["utilisation", "value"] = 1.0
    table.loc["pue", "value"] = 1.0
    metered = cost.cost_of(3600.0, table)
    assert busy["usd"] == pytest.approx(4 * metered["usd"]) and busy["kwh"] == pytest.approx(1.5 * metered["kwh"])


def test_cost_of_is_vectorised():
    result = cost.cost_of(np.array([0.0, 3600.0]), cost.default_assumptions())
    price, utilisation = cost.ASSUMPTIONS["price_per_vcpu_hour"][0], cost.ASSUMPTIONS["utilisation"][0]
    assert result["usd"].tolist() == pytest.approx([0.0, price / utilisation])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price_per_vcpu_hour": -0.01}, "price_per_vcpu_hour is -0.01; it must be zero or positive"),
        ({"price_per_vcpu_hour": np.nan}, "price_per_vcpu_hour is missing"),
        ({"watts_per_core": "ten"}, "watts_per_core is 'ten', not a number"),
        ({"grid_g_co2_per_kwh": None}, "grid_g_co2_per_kwh is missing"),
        ({"utilisation": 0.0}, "utilisation is 0.0; it must be a share above 0 and at most 1"),
        ({"utilisation": 1.5}, "utilisation is 1.5; it must be a share above 0 and at most 1"),
        ({"pue": 0.9}, "pue is 0.9; it must be at least 1"),
    ],
)
def test_bad_assumptions_name_the_field(change, message):
    values = {k: v for k, (v, _, _) in cost.ASSUMPTIONS.items()} | change
    with pytest.raises(cost.BadAssumptionsError, match=message):
        cost.validate_assumptions(values)


def test_a_missing_row_is_named():
    table = cost.default_assumptions().drop(index="watts_per_core")
    with pytest.raises(cost.BadAssumptionsError, match="no 'watts_per_core' row"):
        cost.price_models(pd.DataFrame({"train_cpu_s": [1.0], "predict_cpu_s_per_row": [1e-6]}), table)
    assert issubclass(cost.BadAssumptionsError, ScalingmlError)


def test_pareto_front_drops_dominated_and_keeps_ties_on_the_front():
    frame = pd.DataFrame(
        {"train_cpu_s": [1.0, 2.0, 3.0, 2.0, 5.0], "accuracy": [0.70, 0.80, 0.75, 0.80, 0.81]},
        index=list("abcde"),
    )
    front = cost.pareto_front(frame)
    assert front.to_dict() == {"a": True, "b": True, "c": False, "d": True, "e": True}
    shuffled = frame.sample(frac=1.0, random_state=1)
    assert cost.pareto_front(shuffled).to_dict() == front.to_dict()


def test_buy_at_budget_picks_the_best_affordable():
    frame = pd.DataFrame({"model": list("abc"), "train_cpu_s": [1.0, 4.0, 9.0], "accuracy": [0.7, 0.8, 0.9]})
    assert cost.buy_at_budget(frame, 5.0).model == "b"
    assert cost.buy_at_budget(frame, 9.0).model == "c"
    assert cost.buy_at_budget(frame, 0.1) is None


def _menu_frame(accuracies, costs=(1.0, 2.0, 4.0), se=0.01):
    return pd.DataFrame(
        {"model": list("abc"), "train_cpu_s": list(costs), "accuracy": list(accuracies), "accuracy_se": se}
    )


def _verdicts(steps):
    return [(step.verdict, step.numbers["model"]) for step in steps]


def test_budget_steps_buy_only_beyond_the_noise():
    steps = cost.budget_steps(_menu_frame([0.70, 0.80, 0.81]))
    assert _verdicts(steps) == [("first", "a"), ("buy", "b"), ("within noise", "b")]
    assert steps[1].numbers["gain"] == pytest.approx(0.10) and steps[1].numbers["se"] == pytest.approx(
        math.hypot(0.01, 0.01)
    )
    assert cost.recommended_model(_menu_frame([0.70, 0.80, 0.81])) == "b"
    real = cost.conclude_budgets(_menu_frame([0.70, 0.80, 0.81]))
    assert real[:3] == [step.sentence for step in steps] and real[2].endswith("keep b.")
    single = cost.conclude_budgets(_menu_frame([0.80, 0.79, 0.78]))
    assert "buy a" in single[0] and "single model" in single[1]
    assert single[-1].startswith("Nominally dominated (something cheaper is at least as accurate, but within noise): b")
    clear = cost.conclude_budgets(_menu_frame([0.80, 0.60, 0.79]))
    assert "Never buy (something cheaper is more accurate beyond noise): b." in clear
    assert any(s.startswith("Nominally dominated") and ": c;" in s for s in clear)


def test_small_steps_add_up_against_the_model_bought_so_far():
    # each step is within noise of the previous one, but c is a real gain over a, the model still bought
    steps = cost.budget_steps(_menu_frame([0.70, 0.72, 0.74]))
    assert _verdicts(steps) == [("first", "a"), ("within noise", "a"), ("buy", "c")]
    assert steps[2].numbers["gain"] == pytest.approx(0.04), "the gain is counted from a, the model still bought"


def _scored(correct_by_model, costs):
    """A cost frame whose models were scored on the same rows (``correct``), as cost_accuracy_frame makes it."""
    rows = []
    for (name, correct), train in zip(correct_by_model.items(), costs, strict=True):
        correct = np.asarray(correct, dtype=bool)
        rows.append(
            {
                "model": name,
                "train_cpu_s": train,
                "accuracy": correct.mean(),
                "accuracy_se": float(np.sqrt(correct.mean() * (1 - correct.mean()) / len(correct))),
                "correct": correct,
            }
        )
    return pd.DataFrame(rows)


def test_models_scored_on_the_same_rows_are_compared_pairwise():
    # b gets right every row a gets right, plus 15 of 1,000: +0.015, beyond the paired noise
    # (se 0.0038) though within the unpaired one (two binomial errors in quadrature, se 0.020)
    a = np.r_[np.ones(700, bool), np.zeros(300, bool)]
    b = a.copy()
    b[700:715] = True
    frame = _scored({"a": a, "b": b}, costs=[1.0, 2.0])
    gain, se = cost.accuracy_difference(frame.iloc[1], frame.iloc[0])
    assert gain == pytest.approx(0.015) and se == pytest.approx(0.00385, abs=1e-4)
    assert _verdicts(cost.budget_steps(frame)) == [("first", "a"), ("buy", "b")]
    unpaired = frame.drop(columns="correct")
    assert _verdicts(cost.budget_steps(unpaired)) == [("first", "a"), ("within noise", "a")]


def test_scaled_budget_scales_the_recommended_model_and_names_ties():
    # hist 200 ties hist 50 on accuracy at 4x the cost: the budget rule keeps hist 50, and so does the scaling line
    frame = _menu_frame([0.70, 0.80, 0.80], costs=(1.0, 2.0, 8.0)).assign(
        model=["lin", "hist 50", "hist 200"], train_usd=[1e-5, 2e-5, 8e-5], train_g_co2=[1e-3, 2e-3, 8e-3]
    )
    sentence = cost.conclude_scaled_budget(frame, rows_factor=1_000, runs=365)
    assert "with hist 50, the model the budget rule recommends" in sentence
    assert sentence.endswith("dearer to train, so not worth scaling: hist 200.")


def test_boosting_conclusion_compares_like_with_like():
    frame = pd.DataFrame(
        {
            "model": ["gradient boosting (50 trees)", "hist gradient boosting (50 iter)"],
            "train_cpu_s": [4.0, 1.0],
            "accuracy": [0.80, 0.80],
            "accuracy_se": [0.01, 0.01],
        }
    )
    assert cost.conclude_boosting(frame) == (
        "At 50 trees classic boosting took 4.0x the CPU-s of histogram boosting, for the same accuracy within noise "
        "(both grow trees of at most 8 leaves)."
    )
    faster_classic = frame.assign(train_cpu_s=[1.0, 2.0], accuracy=[0.80, 0.90])
    assert (
        "histogram boosting took 2.0x the CPU-s of classic boosting, for an accuracy difference of +0.100 ± 0.014"
        in (cost.conclude_boosting(faster_classic))
    )
    noisy = frame.assign(train_spread=[4.0, 0.0])
    assert "the same CPU-s within timing noise (400%)" in cost.conclude_boosting(noisy)


def test_boosting_menu_grows_trees_of_the_same_size():
    menu = cost.model_menu(scale.get_profile("ci"))
    classic = menu["gradient boosting (50 trees)"][1]
    hist = menu["hist gradient boosting (50 iter)"][1]
    assert 2**classic.max_depth == hist.max_leaf_nodes


def _priced(spread=0.0):
    return pd.DataFrame(
        {
            "model": ["lin", "forest"],
            "accuracy": [0.70, 0.80],
            "train_cpu_s": [1.0, 10.0],
            "train_usd": [1e-5, 1e-4],
            "train_g_co2": [1e-3, 1e-2],
            "million_predictions_usd": [1e-4, 6e-4],
            "predict_spread": [spread, 0.0],
        }
    )


def test_serving_cost_sentence_says_batch_and_qualifies_the_ratio():
    clear = cost.conclude_serving_cost(_priced(), batch_rows=600)
    assert clear.startswith("Batch scoring (batches of 600 rows)") and "(6x, beyond the timing spread of 10%)" in clear
    assert "one row per call costs far more" in clear
    assert "inconclusive" in cost.conclude_serving_cost(_priced(spread=6.0), batch_rows=600)


def test_scaled_budget_multiplies_runs_and_rows():
    sentence = cost.conclude_scaled_budget(_priced(), rows_factor=1_000, runs=365)
    assert "36.50 USD (3.65 kg CO2e) with forest, the model the budget rule recommends" in sentence
    assert "3.65 USD with lin" in sentence
    assert sentence.endswith("a budget line.")
    assert cost.conclude_scaled_budget(_priced(), rows_factor=1, runs=1).endswith("still small change.")
    same = _priced().assign(accuracy=[0.9, 0.8])
    assert "with lin, the model the budget rule recommends, and the cheapest to train" in cost.conclude_scaled_budget(
        same
    )


def test_cost_accuracy_frame_and_prices_on_a_tiny_menu():
    X, y = customer_xy(400, seed=0)
    menu = {"lr": ("linear", LogisticRegression(max_iter=500)), "rf": ("forest", RandomForestClassifier(5))}
    frame = cost.cost_accuracy_frame(menu, X[:300], y[:300], X[300:], y[300:])
    assert frame["model"].tolist() == ["lr", "rf"]
    assert frame["accuracy"].between(0, 1).all() and (frame["train_cpu_s"] >= 0).all()
    assert (frame["train_spread"] == 0).all(), "one training timing has no spread"
    assert (frame["predict_spread"] >= 0).all()
    priced = cost.price_models(frame, cost.default_assumptions())
    assert priced["train_usd"].tolist() == pytest.approx(
        (
            frame["train_cpu_s"]
            / 3600
            / cost.ASSUMPTIONS["utilisation"][0]
            * cost.ASSUMPTIONS["price_per_vcpu_hour"][0]
        ).tolist()
    )


def test_menu_follows_the_profile():
    names = list(cost.model_menu(scale.get_profile("ci")))
    assert f"random forest ({scale.get_profile('ci').forest_trees} trees)" in names
    families = {family for family, _ in cost.model_menu(scale.get_profile("ci")).values()}
    assert families == {"linear", "forest", "classic boosting", "histogram boosting"}


@pytest.fixture(scope="module")
def forest_and_session():
    X, y = customer_xy(600, seed=3)
    X = X.to_numpy(np.float32)
    forest = RandomForestClassifier(10, random_state=0).fit(X, y)
    return forest, serving.to_onnx_session(forest, X), X


def test_onnx_predictions_agree_with_scikit_learn(forest_and_session):
    forest, session, X = forest_and_session
    result = serving.agreement(forest, session, X)
    assert result["labels_equal"] == 1.0
    assert result["max_probability_difference"] < 1e-5
    np.testing.assert_array_equal(serving.onnx_predict_proba(session, X).argmax(axis=1), forest.predict(X))


def test_export_without_zipmap_returns_a_plain_array(forest_and_session):
    _, session, X = forest_and_session
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    assert serving.onnx_predict_proba(session, X[:3]).shape == (3, 2)


def test_export_failure_is_a_clear_error():
    with pytest.raises(serving.ExportError, match="could not export"):
        serving.to_onnx_session(object(), np.zeros((1, 2)))


def test_latency_frame_columns_and_throughput(forest_and_session):
    forest, _, X = forest_and_session
    frame = serving.latency_by_batch({"scikit-learn": forest.predict_proba}, X, [1, 100], calls=5)
    assert frame["batch"].tolist() == [1, 100]
    assert frame["calls"].tolist() == [serving.MIN_CALLS, serving.MIN_CALLS], "at least MIN_CALLS timed calls"
    seen = []
    serving.latency_by_batch({"e": lambda b: seen.append(len(b))}, X, [1, 100], calls=40, min_calls=20, warmup=2)
    assert len(seen) == (2 + 40) + (2 + 40 * 1), "warm-up calls, then the timed ones"
    assert (frame["p95_ms"] >= frame["p50_ms"]).all()
    assert frame["rows_per_s"].tolist() == pytest.approx((frame["batch"] / (frame["p50_ms"] / 1000)).tolist())


def _lat(sk, ox):
    return pd.DataFrame(
        {"engine": ["scikit-learn", "ONNX Runtime"], "batch": 1, "p50_ms": [sk[0], ox[0]], "p95_ms": [sk[1], ox[1]]}
    )


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (_lat((1.0, 1.2), (0.01, 0.02)), "ONNX Runtime answers 100x faster"),
        (_lat((0.01, 0.02), (1.0, 1.2)), "scikit-learn answers"),
        (_lat((1.0, 2.0), (0.9, 1.5)), "no clear winner"),
    ],
)
def test_single_row_conclusion_branches(frame, expected):
    assert expected in serving.conclude_single_row(frame)


def test_batching_conclusion_branches():
    gain = pd.DataFrame(
        {"engine": "e", "batch": [1, 1000], "calls": [300, 20], "p50_ms": [1.0, 2.0], "rows_per_s": [1e3, 5e5]}
    )
    assert "(500x)" in serving.conclude_batching(gain, "e") and "p50 of 20 timed calls" in serving.conclude_batching(
        gain, "e"
    )
    flat = gain.assign(rows_per_s=[1e3, 1.5e3])
    assert "only 1.5x" in serving.conclude_batching(flat, "e")


def test_batch_sizes_end_at_the_row_count():
    assert serving.batch_sizes(10) == [1, 10]
    assert serving.batch_sizes(250) == [1, 10, 100, 250]
    assert math.prod(serving.batch_sizes(1)) == 1
