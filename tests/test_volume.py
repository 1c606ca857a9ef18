import pytest

from scalingml import datasets, scale
from scalingml.experiments import volume


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


def test_dask_summary_covers_every_plan_and_region(tmp_path):
    volume.write_dataset(tmp_path, 3_000, 1_000)
    summary = volume.dask_summary(tmp_path)
    assert len(summary) == 12 and summary["churned"].between(0, 1).all()


def test_over_budget_in_memory_run_is_skipped_with_its_forecast(tmp_path):
    frame = volume.volume_experiment(
        [1_000, 10_000], 1_000, workdir=tmp_path, approaches=["in-memory"], memory_budget_mb=1.0
    )
    assert frame["status"].iloc[0] == "measured"
    skipped = frame.iloc[-1]
    assert skipped["status"].startswith("skipped") and skipped["peak_mb"] > 1.0


def test_unknown_approach():
    with pytest.raises(ValueError, match="Unknown approach"):
        volume.volume_experiment([100], 100, approaches=["magic"])


def test_corrupt_partition_is_named(tmp_path):
    volume.write_dataset(tmp_path, 2_000, 1_000)
    (tmp_path / "part-00001.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(datasets.DatasetError, match="part-00001.parquet"):
        volume.fit_chunked(tmp_path)


def test_at_small_chunked_memory_is_flat_while_in_memory_grows(tmp_path):
    """Issue bar: 10x rows -> chunked peak within 1.2x, in-memory peak at least 5x (tracemalloc)."""
    profile = scale.get_profile("small")
    frame = volume.volume_experiment(
        [profile.n_rows, 10 * profile.n_rows],
        profile.n_rows // 2,
        workdir=tmp_path,
        approaches=["in-memory", "chunked"],
    )
    growth = volume.memory_growth(frame)
    assert growth["chunked"] <= 1.2, frame
    assert growth["in-memory"] >= 5.0, frame


def test_storage_comparison_and_downcast(tmp_path):
    table = datasets.make_customers(5_000)
    storage = volume.storage_comparison(table, tmp_path, repeat=1).set_index("format")
    assert storage.loc["parquet", "megabytes"] < storage.loc["csv", "megabytes"]
    small, report = volume.downcast(table)
    assert report["after_bytes"].sum() < report["before_bytes"].sum()
    assert (small["support_tickets"] == table["support_tickets"]).all()
    assert str(small["support_tickets"].dtype) == "int8"
