"""Hardware limits (lesson 03): footprints, layouts, thread speedups and the sentences printed from them."""

import time

import numpy as np
import pandas as pd
import pytest

from scalingml import datasets, scale
from scalingml.errors import ScalingmlError
from scalingml.experiments import infrastructure as inf


def test_estimate_matches_what_pandas_measures_for_the_text_table():
    frame = inf.text_table(500, text_length=9, seed=1)
    estimate = inf.estimate_frame_bytes(len(frame), inf.schema_of(frame), text_length=9)
    assert estimate == inf.measured_frame_bytes(frame)


def test_estimate_counts_index_and_object_overhead():
    without_index = inf.estimate_frame_bytes(100, {"a": "float64"}, index=False)
    assert inf.estimate_frame_bytes(100, {"a": "float64"}) - without_index == 100 * inf.INDEX_BYTES
    text = inf.estimate_frame_bytes(100, {"s": "object"}, text_length=10, index=False)
    assert text > 100 * 10 + 100 * inf.POINTER_BYTES  # a Python object per value, not just its characters


def test_estimate_rejects_a_dtype_without_a_size():
    with pytest.raises(inf.BadSchemaError, match="'when'.*NumPy dtype"):
        inf.estimate_frame_bytes(10, {"when": "not-a-dtype"})
    with pytest.raises(inf.BadSchemaError, match="'u'.*no fixed size"):
        inf.estimate_frame_bytes(10, {"u": "U"})  # np.dtype("U").itemsize == 0


def test_estimate_sizes_pandas_default_strings_as_arrow():
    frame = pd.DataFrame({"x": np.zeros(1_000), "s": pd.Series(["abcdefghijkl"] * 1_000, dtype="str")})
    schema = inf.schema_of(frame)
    assert schema["s"] in inf.ARROW_STRING_DTYPES
    estimate = inf.estimate_frame_bytes(1_000, schema, text_length=12, index=False)
    measured = int(frame.memory_usage(deep=True, index=False).sum())
    assert abs(estimate / measured - 1) < 0.01
    as_objects = inf.estimate_frame_bytes(1_000, {"x": "float64", "s": "object"}, text_length=12, index=False)
    assert as_objects > estimate
    assert issubclass(inf.BadSchemaError, ScalingmlError)


def test_layout_estimates_equal_measurements_and_sparse_beats_dense():
    X, _ = inf.high_cardinality_table(600, 1_000, seed=0)
    frame = inf.layout_footprints(X, budget_bytes=2**30).set_index("layout")
    dense = list(inf.EXACT_BY_CONSTRUCTION)
    assert (frame.loc[dense, "status"] == "exact by construction").all() and not frame.loc[dense, "built"].any()
    built = frame[frame["built"]]
    assert set(built.index) == {"categorical (codes)", "sparse one-hot (CSR)"}
    assert (built["estimated_bytes"] == built["measured_bytes"]).all()
    assert inf.dense_one_hot(X, np.float32).nbytes == frame.loc["dense float32 one-hot", "estimated_bytes"]
    assert "exact by construction" in inf.conclude_footprints(frame.reset_index())
    per_row = frame["bytes_per_row"]
    assert per_row["sparse one-hot (CSR)"] < per_row["dense float32 one-hot"] < per_row["dense float64 one-hot"]
    assert per_row["categorical (codes)"] < per_row["sparse one-hot (CSR)"]


def test_layouts_over_budget_are_estimated_not_built():
    X, _ = inf.high_cardinality_table(300, 1_000, seed=0)
    frame = inf.layout_footprints(X, budget_bytes=20_000).set_index("layout")  # 1,000 level names: 15,000 bytes
    assert not frame.loc["categorical (codes)", "built"]
    assert frame.loc["categorical (codes)", "status"] == "over the memory budget"
    assert np.isnan(frame.loc["categorical (codes)", "measured_bytes"])
    assert frame.loc["sparse one-hot (CSR)", "built"]
    sentence = inf.conclude_footprints(frame.reset_index())
    assert "Not built, because the estimate alone exceeds the memory budget: categorical (codes)" in sentence


def test_footprint_conclusion_flags_a_bad_estimate():
    frame = pd.DataFrame(
        {
            "layout": ["a", "b"],
            "estimated_bytes": [100, 50],
            "measured_bytes": [100.0, 100.0],
            "built": [True, True],
            "bytes_per_row": [1.0, 1.0],
        }
    )
    assert "b was 50% off" in inf.conclude_footprints(frame)


def test_levels_grow_with_the_profile():
    levels = [inf.high_cardinality_levels(scale.get_profile(n).n_rows) for n in ("ci", "small", "large")]
    assert levels == sorted(levels) and levels[0] >= 1_000


def _fits(sparse_s, dense_s, spread=0.0):
    return pd.DataFrame(
        {"input": ["sparse one-hot (CSR)", "dense float64 one-hot"], "seconds": [sparse_s, dense_s], "spread": spread}
    )


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (_fits(0.1, 0.5), "5.0x faster"),
        (_fits(0.5, 0.1), "dense fit was faster"),
        (_fits(0.1, 0.105), "inconclusive"),
        (_fits(0.1, 0.3, spread=3.0), "inconclusive"),
        (_fits(0.1, np.nan), "not built"),
    ],
)
def test_dense_sparse_conclusion_branches(frame, expected):
    assert expected in inf.conclude_dense_sparse(frame)


def test_dense_sparse_fit_times_use_a_row_subset_that_fits():
    X, y = inf.high_cardinality_table(300, 1_000, seed=0)
    budget = 100 * (X.shape[1] - 1 + 1_000) * 8 * 8  # an eighth of it holds 100 dense rows
    frame = inf.dense_sparse_fit_times(X, y, repeat=1, budget_bytes=budget)
    assert frame["rows"].tolist() == [100, 100] and frame["seconds"].notna().all()
    assert "on the first 100 rows" in inf.conclude_dense_sparse(frame.assign(seconds=[0.1, 0.5]))
    whole = inf.dense_sparse_fit_times(X, y, repeat=1, budget_bytes=2**30)
    assert whole["rows"].tolist() == [300, 300]


def test_thread_counts_end_at_the_core_count():
    assert inf.thread_counts(2) == [1, 2]
    assert inf.thread_counts(8) == [1, 2, 4, 8]
    assert inf.thread_counts(1) == [1]


def test_thread_speedup_frame_is_relative_to_one_thread():
    a = np.ones((50, 50))
    frame = inf.thread_speedup({"product": ("blas", lambda: a @ a)}, [1, 2], repeat=2)
    assert frame["threads"].tolist() == [1, 2]
    assert frame.loc[0, "speedup"] == 1.0
    assert frame.loc[1, "speedup"] == pytest.approx(frame.loc[0, "seconds"] / frame.loc[1, "seconds"])


def _threads(base, fast, spread=0.0):
    return pd.DataFrame(
        {"task": "t", "threads": [1, 2], "seconds": [base, fast], "spread": spread, "speedup": [1.0, base / fast]}
    )


@pytest.mark.parametrize(
    ("frame", "kwargs", "expected"),
    [
        (_threads(1.0, 0.55), {"n_cores": 2}, "2 threads ran 1.82x faster"),
        (_threads(0.01, 0.005), {"n_cores": 2}, "too short"),
        (_threads(1.0, 0.98), {"n_cores": 2, "load": 3.0}, "other programs compete"),
        (_threads(1.0, 1.3), {"n_cores": 2, "load": 0.1}, "a real slowdown"),
        (_threads(1.0, 1.5), {"n_cores": 2, "load": 3.0}, "most likely competition for the cores"),
        (_threads(1.0, 1.5), {"n_cores": 2, "load": 1.2}, "most likely competition for the cores"),
        (_threads(1.0, 1.5), {"n_cores": 4, "load": 1.2}, "waited for each other"),
        (_threads(1.0, 0.45, spread=0.5), {"n_cores": 2}, "more than the thread count allows"),
        (_threads(1.0, 0.8, spread=0.5), {"n_cores": 2}, "no speedup measured"),
        (_threads(1.0, 0.5).iloc[:1], {"n_cores": 1}, "1 core"),
    ],
)
def test_thread_conclusion_branches(frame, kwargs, expected):
    (sentence,) = inf.conclude_thread_speedup(frame, **kwargs)
    assert expected in sentence


def _over(capped, over, spread=0.0):
    return pd.DataFrame(
        {"config": ["2 jobs x 1", "2 jobs x 2"], "total_threads": [2, 4], "seconds": [capped, over], "spread": spread}
    )


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (_over(1.0, 1.5), "cost 50% more time"),
        (_over(1.0, 1.02), "within the timing noise"),
        (_over(1.0, 0.5), "No oversubscription penalty shown"),
        (None, "not shown"),
    ],
)
def test_oversubscription_conclusion_branches(frame, expected):
    assert expected in inf.conclude_oversubscription(frame, n_cores=1 if frame is None else 2)


def test_oversubscription_frame_counts_threads():
    frame = inf.oversubscription_frame(40, n_jobs=2, n_tasks=2, repeat=1)
    assert frame["total_threads"].tolist() == [2, 4]
    assert (frame["seconds"] > 0).all()


def test_concept_drift_knob_changes_labels_only_and_defaults_are_unchanged():
    plain = datasets.make_customers(2_000, seed=5)
    pd.testing.assert_frame_equal(plain, datasets.make_customers(2_000, seed=5, concept_drift=0.0))
    drifted = datasets.make_customers(2_000, seed=5, concept_drift=1.0)
    pd.testing.assert_frame_equal(plain.drop(columns="churned"), drifted.drop(columns="churned"))
    assert (plain["churned"] != drifted["churned"]).mean() > 0.2
    with pytest.raises(ValueError, match="concept_drift"):
        datasets.make_customers(10, concept_drift=2.0)


def test_thread_speedup_stops_repeating_a_runaway_slowdown():
    calls = []

    def task():
        calls.append(1)
        if len(calls) > 3:  # every call after the one-thread repeats is 100x slower
            time.sleep(0.1)
        else:
            time.sleep(0.001)

    frame = inf.thread_speedup({"t": ("blas", task)}, [2, 1], repeat=3, give_up_factor=5.0)
    assert frame["threads"].tolist() == [1, 2], "thread counts are measured in increasing order"
    assert frame["repeats"].tolist() == [3, inf.MIN_REPEATS_TO_GIVE_UP], "a slowdown is timed twice, not once"
    assert frame.loc[1, "speedup"] < 0.2


def test_estimate_conclusion_branches():
    assert inf.conclude_estimate(1_000_000, 1_005_000, label="x").endswith("the formula holds.")
    assert inf.conclude_estimate(800_000, 1_000_000, label="x").endswith("(-20.0%): the formula misses something.")
    assert inf.conclude_estimate(1, 0, label="x").endswith("the formula misses something.")
