import pandas as pd
import pytest

from scalingml import datasets, scale
from scalingml.errors import ScalingmlError
from scalingml.experiments import volume
from scalingml.experiments.features import customer_features


def test_write_dataset_uses_fixed_size_partitions(tmp_path):
    paths = volume.write_dataset(tmp_path, 2_500, 1_000)
    assert [len(frame) for _, frame in datasets.read_partitions(tmp_path)] == [834, 833, 833]
    assert len(paths) == 3


def test_chunked_matches_in_memory_accuracy(tmp_path):
    volume.write_dataset(tmp_path, 8_000, 2_000)
    X, y = volume.held_out(tmp_path)
    scores = [
        model.score(scaler.transform(X), y)
        for scaler, model in (volume.fit_in_memory(tmp_path), volume.fit_chunked(tmp_path))
    ]
    assert abs(scores[0] - scores[1]) < 0.05
    assert volume.fit_chunked(tmp_path)[0].n_samples_seen_ == 8_000


def test_dask_does_the_same_job_as_the_chunked_loop(tmp_path):
    volume.write_dataset(tmp_path, 3_000, 1_000)
    (dask_scaler, dask_model), (scaler, model) = volume.fit_dask(tmp_path), volume.fit_chunked(tmp_path)
    assert dask_scaler.n_samples_seen_ == scaler.n_samples_seen_ == 3_000
    assert dask_model.t_ == model.t_ == 3 * 3_000 + 1, "three partial_fit passes over every row"
    assert (dask_model.coef_ == model.coef_).all(), "same partitions in the same order: the same model"


def test_over_budget_in_memory_run_is_skipped_with_its_forecast(tmp_path):
    frame = volume.volume_experiment(
        [1_000, 10_000], 1_000, workdir=tmp_path, approaches=["in-memory"], memory_budget_mb=1.0
    )
    assert frame["status"].iloc[0] == "measured"
    skipped = frame.iloc[-1]
    assert skipped["status"].startswith("skipped") and skipped["peak_mb"] > 1.0


def test_unknown_approach():
    with pytest.raises(ScalingmlError, match="Unknown approach"):
        volume.volume_experiment([100], 100, approaches=["magic"])


def test_corrupt_partition_is_named(tmp_path):
    volume.write_dataset(tmp_path, 2_000, 1_000)
    (tmp_path / "part-00001.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(datasets.DatasetError, match="part-00001.parquet"):
        volume.fit_chunked(tmp_path)


def test_at_small_streaming_memory_is_flat_while_in_memory_grows(tmp_path):
    """10x rows: chunked and Dask peaks flat by tracemalloc and RSS, the in-memory peak grows with the data."""
    profile = scale.get_profile("small")
    frame = volume.volume_experiment([profile.n_rows, 10 * profile.n_rows], profile.n_rows, workdir=tmp_path, repeat=3)
    traced = volume.memory_verdicts(frame, "peak_mb")
    assert traced["chunked"][1] <= 1.2 and traced["dask dataframe"][1] <= 1.2, frame
    assert traced["reference"][0] >= 5.0, frame
    for column in ("peak_mb", "rss_mb"):
        verdicts = volume.memory_verdicts(frame, column)
        assert verdicts["chunked"][0] == verdicts["dask dataframe"][0] == "flat", (column, frame)
    assert "flat here (RSS and tracemalloc)" in volume.memory_keypoint(frame)


def _memory(in_memory, chunked, *, dask=None, column="rss_mb", spread=0.0, status="measured"):
    rows = [("in-memory", in_memory), ("chunked", chunked)] + ([("dask dataframe", dask)] if dask else [])
    return pd.DataFrame(
        [
            {"approach": a, "n": n, column: v, "peak_mb": v, "rss_spread_mb": spread, "status": "measured"}
            for a, values in rows
            for n, v in zip((1_000, 10_000), values, strict=True)
        ]
    ).assign(status=lambda f: f["status"].where(~((f.approach == "in-memory") & (f.n == 10_000)), status))


def test_conclude_memory_flat_grows_and_inconclusive():
    flat = volume.conclude_memory(_memory((10, 100), (10, 11)))
    assert "chunked 1.1x (+1.0 MB), flat" in flat and "held one partition at a time" in flat
    grows = volume.conclude_memory(_memory((10, 100), (10, 80)))
    assert "grows with the data" in grows and "Not flat for chunked" in grows
    partly = volume.conclude_memory(_memory((10, 100), (10, 30)))
    assert "3.0x (+20.0 MB), grows." in partly
    small = volume.conclude_memory(_memory((1, 6), (1, 1)))
    assert "inconclusive at this profile" in small and "too small" in small
    noisy = volume.conclude_memory(_memory((10, 40), (10, 10), spread=6.0))
    assert "inconclusive" in noisy, "the noise floor follows the measured spread"
    traced = volume.conclude_memory(_memory((1, 6), (1, 1.05), column="peak_mb"), "peak_mb")
    assert "tracemalloc" in traced and "flat" in traced, "tracemalloc's floor is lower"
    assert "or 2x:" in volume.conclude_memory(_memory((10, 100), (10, 19)), flat=2.0), (
        "the sentence names its threshold"
    )


def test_conclude_memory_with_the_in_memory_run_skipped():
    frame = _memory((100, 1_000), (10, 10.5), status="skipped: forecast 1,000 MB > budget 512 MB")
    sentence = volume.conclude_memory(frame)
    assert "forecast, not run" in sentence and "flat" in sentence


def test_memory_keypoint_branches():
    both_flat = _memory((10, 100), (10, 11), dask=(10, 10.5))
    assert "kept peak memory flat here (RSS and tracemalloc)" in volume.memory_keypoint(both_flat)
    assert "it grew for chunked" in volume.memory_keypoint(_memory((10, 100), (10, 90), dask=(10, 10)))
    assert "inconclusive" in volume.memory_keypoint(_memory((0.1, 0.2), (0.1, 0.1)))
    slow = volume.memory_keypoint(_memory((10, 30), (10, 10.5), dask=(10, 10)))
    assert "flat here" in slow and "only 3.0x, less than half as fast as the rows" in slow
    assert "grew with the data" not in slow, "growth with the data is claimed only when measured"


def _timings(chunked, in_memory, spread=0.0, skipped=False):
    frame = pd.DataFrame(
        {
            "approach": ["in-memory", "chunked"],
            "n": 10_000,
            "seconds": [in_memory, chunked],
            "time_spread": spread,
            "status": ["skipped" if skipped else "measured", "measured"],
        }
    )
    return volume.conclude_stream_time(frame)


def test_conclude_stream_time_branches():
    assert "took 3.0x the time" in _timings(0.3, 0.1)
    assert "streaming was faster" in _timings(0.1, 0.3)
    assert "inconclusive" in _timings(0.11, 0.1) and "inconclusive" in _timings(0.3, 0.1, spread=3.0)
    assert "only approach that runs" in _timings(0.3, float("nan"), skipped=True)


def test_storage_comparison_and_downcast(tmp_path):
    table = datasets.make_customers(5_000)
    storage = volume.storage_comparison(table, tmp_path, repeat=1)
    assert set(zip(storage["format"], storage["read"], strict=True)) == {
        (f, r) for f in ("csv", "parquet") for r in ("all columns", "4 columns")
    }
    assert (storage["best_ms"] > 0).all() and (storage["best_ms"] <= storage["median_ms"]).all()
    by_format = storage.groupby("format")["megabytes"].first()
    assert by_format["parquet"] < by_format["csv"]
    assert "Parquet took" in volume.conclude_storage(storage)
    small, report = volume.downcast(table)
    assert report["after_bytes"].sum() < report["before_bytes"].sum()
    assert (small["support_tickets"] == table["support_tickets"]).all()
    assert str(small["support_tickets"].dtype) == "int8"


def _storage(csv_ms, parquet_ms, *, medians=None, megabytes=(5.0, 2.0)):
    medians = medians or (csv_ms, parquet_ms)
    return pd.DataFrame(
        {
            "format": ["csv", "parquet"],
            "read": "all columns",
            "megabytes": megabytes,
            "best_ms": [csv_ms, parquet_ms],
            "median_ms": list(medians),
        }
    )


def test_conclude_storage_branches():
    assert "3.0x faster" in volume.conclude_storage(_storage(30.0, 10.0))
    assert "CSV was 3.0x faster" in volume.conclude_storage(_storage(10.0, 30.0))
    assert "inconclusive at this profile" in volume.conclude_storage(_storage(10.0, 11.0))
    assert "inconclusive" in volume.conclude_storage(_storage(30.0, 10.0, medians=(10.0, 12.0))), "medians disagree"
    assert "not smaller" in volume.conclude_storage(_storage(30.0, 10.0, megabytes=(2.0, 3.0)))
    assert "ms" in volume.conclude_storage(_storage(0.4, 0.2)), "small times in milliseconds, not 0.00 s"


def test_conclude_downcast_branches():
    assert "saved nothing" in volume.conclude_downcast(pd.DataFrame({"before_bytes": [8], "after_bytes": [8]}))
    assert "MB" in volume.conclude_downcast(pd.DataFrame({"before_bytes": [4 * 2**20], "after_bytes": [2**20]}))


def test_partitions_sorted_by_plan_lack_categories_but_features_keep_their_columns(tmp_path):
    volume.write_dataset(tmp_path / "random", 3_000, 1_000)
    volume.write_sorted(tmp_path / "random", tmp_path / "sorted", "plan", 1_000)
    columns = volume.one_hot_columns(tmp_path / "sorted")
    assert columns["naive_columns"].nunique() > 1 and columns["fixed_columns"].nunique() == 1
    widths = {customer_features(part)[0].shape[1] for _, part in datasets.read_partitions(tmp_path / "sorted")}
    assert len(widths) == 1
    assert "fixed category list gave 7 in every partition" in volume.conclude_one_hot(columns)
    same = columns.assign(naive_columns=7)
    assert "happened to hold every category" in volume.conclude_one_hot(same)
    assert "check the category list" in volume.conclude_one_hot(columns.assign(fixed_columns=range(len(columns))))


def test_shuffle_partitions_keeps_every_row_and_mixes_them(tmp_path):
    volume.write_dataset(tmp_path / "random", 4_000, 1_000)
    volume.write_sorted(tmp_path / "random", tmp_path / "sorted", "plan", 1_000)
    volume.shuffle_partitions(tmp_path / "sorted", tmp_path / "shuffled", seed=0)
    parts = [part for _, part in datasets.read_partitions(tmp_path / "shuffled")]
    assert len(parts) == 4 and not list((tmp_path / "shuffled").glob("buckets"))
    ids = pd.concat(parts)["customer_id"]
    assert sorted(ids) == list(range(4_000)), "every row exactly once"
    assert all(part["plan"].nunique() == 3 for part in parts), "each partition a mix of plans"


def test_chunk_order_sorted_partitions_cost_accuracy_and_a_shuffle_recovers_it(tmp_path):
    volume.write_dataset(tmp_path / "random", 8_000, 2_000)
    frame = volume.chunk_order_experiment(tmp_path / "random", tmp_path, by="plan", n_partitions=4)
    acc = frame.set_index("pipeline")["accuracy"]
    assert abs(acc["chunked, random partitions"] - acc["in-memory"]) < 0.01
    assert acc["chunked, sorted by plan"] < acc["chunked, random partitions"] - 0.02
    assert abs(acc["chunked, sorted then shuffled"] - acc["chunked, random partitions"]) < 0.015
    sentence = volume.conclude_chunk_order(frame)
    assert "streaming itself cost no accuracy" in sentence and "recovered" in sentence


def _order(in_memory, random_, sorted_, shuffled, n_test=10_000):
    frame = pd.DataFrame(
        {
            "pipeline": [
                "in-memory",
                "chunked, random partitions",
                "chunked, sorted by plan",
                "chunked, sorted then shuffled",
            ],
            "accuracy": [in_memory, random_, sorted_, shuffled],
        }
    )
    frame.attrs["n_test"] = n_test
    return volume.conclude_chunk_order(frame)


def test_conclude_chunk_order_branches():
    assert "recovered the accuracy" in _order(0.76, 0.76, 0.70, 0.76)
    assert "not all" in _order(0.76, 0.76, 0.70, 0.72)
    assert "inconclusive at this profile" in _order(0.76, 0.76, 0.755, 0.76)
    assert "below the in-memory one" in _order(0.80, 0.76, 0.70, 0.76)
    above = _order(0.72, 0.76, 0.70, 0.76)
    assert "above the in-memory one" in above and "unexpected" in above and "cost accuracy" not in above
    assert "recovered 0.020 of the 0.060, not all" in _order(0.76, 0.76, 0.70, 0.72)
    nothing = _order(0.76, 0.76, 0.70, 0.705)
    assert "recovered nothing beyond the noise (+0.005)" in nothing and "not all" not in nothing
    worse = _order(0.76, 0.76, 0.70, 0.66)
    assert "fell a further 0.040: unexpected" in worse and "recovered -" not in worse
    better = _order(0.76, 0.76, 0.80, 0.76)
    assert "scored 0.040 above random partitions" in better and "unexpected" in better
    assert "inconclusive" not in better and "within the noise" not in better
    assert "inconclusive" in _order(0.76, 0.76, 0.72, 0.76, n_test=100), "a small test set is noisier"


def test_bad_input_errors_are_scalingml_errors(tmp_path):
    with pytest.raises(ScalingmlError, match="Unknown approach"):
        volume._run("magic", tmp_path)
