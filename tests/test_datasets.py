import io
import warnings

import numpy as np
import pandas as pd
import pytest

from scalingml import datasets
from scalingml.datasets import generators


def test_make_customers_is_deterministic_and_seed_dependent():
    a = datasets.make_customers(200, seed=3)
    pd.testing.assert_frame_equal(a, datasets.make_customers(200, seed=3))
    assert not a.equals(datasets.make_customers(200, seed=4))


def test_make_customers_columns_and_clean_by_default():
    frame = datasets.make_customers(500, seed=0, n_noise_features=2)
    assert frame[datasets.CUSTOMER_TARGET].isin([0, 1]).all()
    assert {"noise_0", "noise_1"} <= set(frame.columns)
    assert set(datasets.CUSTOMER_INFORMATIVE) <= set(frame.columns)
    assert frame.notna().all().all()
    assert frame["customer_id"].is_unique


def test_injected_missing_rate_is_close_to_asked():
    frame = datasets.make_customers(20_000, seed=1, missing_rate=0.1)
    assert frame["tenure_months"].isna().mean() == pytest.approx(0.1, abs=0.01)
    assert frame["support_tickets"].notna().all(), "only the float features get missing values"


def test_label_noise_flips_the_asked_share():
    clean = datasets.make_customers(20_000, seed=2)
    noisy = datasets.make_customers(20_000, seed=2, label_noise=0.2)
    flipped = (clean[datasets.CUSTOMER_TARGET] != noisy[datasets.CUSTOMER_TARGET]).mean()
    assert flipped == pytest.approx(0.2, abs=0.01)


def test_duplicates_add_repeated_customers():
    frame = datasets.make_customers(1_000, seed=0, duplicate_rate=0.05)
    assert len(frame) == 1_050
    assert frame["customer_id"].duplicated().sum() == 50


def test_drift_shifts_the_features():
    base = datasets.make_customers(5_000, seed=0)
    drifted = datasets.make_customers(5_000, seed=0, drift=1.0)
    assert drifted["support_tickets"].mean() > base["support_tickets"].mean() + 0.8
    assert drifted["tenure_months"].mean() > base["tenure_months"].mean()


def test_informative_features_drive_churn_and_noise_does_not():
    frame = datasets.make_customers(20_000, seed=0)
    corr = frame.drop(columns=["region", "plan", "customer_id"]).corr()[datasets.CUSTOMER_TARGET]
    assert corr["support_tickets"] > 0.2
    assert corr["tenure_months"] < -0.2
    for noise in ("noise_0", "noise_1", "noise_2"):
        assert abs(corr[noise]) < 0.03


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_rows": -1}, "n_rows"),
        ({"n_rows": 2.5}, "n_rows"),
        ({"n_rows": 10, "missing_rate": 1.5}, "missing_rate"),
        ({"n_rows": 10, "label_noise": -0.1}, "label_noise"),
    ],
)
def test_generator_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.make_customers(**kwargs)


def test_transactions_reference_existing_customers_in_time_order():
    frame = datasets.make_transactions(2_000, n_customers=50, seed=0)
    assert frame["customer_id"].between(0, 49).all()
    assert frame["timestamp"].is_monotonic_increasing
    assert (frame["amount"] > 0).all()
    with pytest.raises(ValueError, match="n_customers"):
        datasets.make_transactions(10, n_customers=0)


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_write_and_read_partitions_round_trip(tmp_path, file_format):
    paths = datasets.write_partitioned(tmp_path, n_rows=1_003, n_partitions=4, file_format=file_format, seed=7)
    assert len(paths) == 4
    parts = [frame for _, frame in datasets.read_partitions(tmp_path)]
    assert [len(p) for p in parts] == [251, 251, 251, 250]
    whole = pd.concat(parts, ignore_index=True)
    assert whole["customer_id"].tolist() == list(range(1_003))
    # rewriting replaces the old partitions instead of mixing with them
    datasets.write_partitioned(tmp_path, n_rows=10, n_partitions=2, file_format=file_format)
    assert len(datasets.list_partitions(tmp_path)) == 2


def test_partition_bounds_errors():
    with pytest.raises(ValueError, match="non-empty"):
        datasets.partition_bounds(3, 5)
    with pytest.raises(ValueError, match="at least 1"):
        datasets.partition_bounds(3, 0)


def test_missing_folder_and_empty_folder_are_clear(tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError, match="No dataset folder"):
        datasets.list_partitions(tmp_path / "nope")
    with pytest.raises(datasets.DatasetNotFoundError, match="no part-"):
        datasets.list_partitions(tmp_path)


def test_corrupt_parquet_names_the_file(tmp_path):
    datasets.write_partitioned(tmp_path, n_rows=20, n_partitions=2)
    bad = tmp_path / "part-00001.parquet"
    bad.write_bytes(b"this is not parquet at all")
    reader = datasets.read_partitions(tmp_path)
    next(reader)
    with pytest.raises(datasets.DatasetError, match="part-00001.parquet.*corrupt"):
        next(reader)


def test_zero_byte_and_empty_partitions_are_errors(tmp_path):
    datasets.write_partitioned(tmp_path, n_rows=20, n_partitions=2)
    (tmp_path / "part-00001.parquet").write_bytes(b"")
    with pytest.raises(datasets.DatasetError, match="empty"):
        list(datasets.read_partitions(tmp_path))
    datasets.make_customers(0).to_parquet(tmp_path / "part-00001.parquet")
    with pytest.raises(datasets.DatasetError, match="part-00001.parquet has no rows"):
        list(datasets.read_partitions(tmp_path))


def test_read_table_missing_column_names_it(tmp_path):
    path = tmp_path / "part-00000.parquet"
    datasets.make_customers(5).to_parquet(path)
    with pytest.raises(datasets.DatasetError, match="no_such_column"):
        datasets.read_table(path, columns=["no_such_column"])


def test_unknown_data_file_type(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(datasets.DatasetError, match="xlsx"):
        datasets.read_table(path)


def test_shipped_datasets_load_through_the_package_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    churn = datasets.load("churn")
    assert churn.shape == (3_000, 11)
    assert datasets.path("transactions").is_file()


@pytest.mark.parametrize("name", list(datasets.SHIPPED))
def test_shipped_files_match_their_recipe(name):
    """The datasheet's recipe really produces the shipped file (provenance)."""
    shipped = datasets.load(name)
    buffer = io.StringIO()
    datasets.SHIPPED[name].build().to_csv(buffer, index=False)
    buffer.seek(0)
    pd.testing.assert_frame_equal(shipped, pd.read_csv(buffer))


def test_every_shipped_dataset_has_a_datasheet_section():
    sheet = (datasets.data_dir() / "README.md").read_text()
    for name, dataset in datasets.SHIPPED.items():
        assert f"## {name} (`{dataset.filename}`)" in sheet
        assert "Known biases" in sheet and "Licence" in sheet


def test_unknown_dataset_lists_the_shipped_ones():
    with pytest.raises(datasets.DatasetNotFoundError, match="churn"):
        datasets.load("sales")


def test_missing_shipped_file_says_how_to_restore(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALINGML_DATASETS", str(tmp_path))
    with pytest.raises(datasets.DatasetNotFoundError, match="--rebuild"):
        datasets.load("churn")


def test_corrupt_shipped_csv_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALINGML_DATASETS", str(tmp_path))
    (tmp_path / "churn.csv").write_bytes(b'"unterminated\n' + bytes(range(256)))
    with pytest.raises(datasets.DatasetError, match="churn.csv"):
        datasets.load("churn")


def test_rebuild_writes_every_file(tmp_path):
    written = datasets.rebuild(tmp_path)
    assert sorted(p.name for p in written) == sorted(d.filename for d in datasets.SHIPPED.values())
    assert np.all([p.stat().st_size > 1000 for p in written])


def test_generators_module_exports_known_categories():
    assert set(datasets.make_customers(300)["plan"].unique()) == set(generators.PLANS)


def test_features_of_a_chunk_missing_categories_keep_every_column():
    from scalingml.experiments.features import customer_features, one_hot

    frame = datasets.make_customers(300, seed=0)
    basic_only = frame[frame["plan"] == "basic"]
    assert list(customer_features(basic_only)[0].columns) == list(customer_features(frame)[0].columns)
    as_text = basic_only.assign(plan=basic_only["plan"].astype(str), region=basic_only["region"].astype(str))
    assert customer_features(as_text)[0].equals(customer_features(basic_only)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation: unknown values are made missing before the Categorical
        unknown = one_hot(pd.DataFrame({"plan": ["gold", "premium"], "region": ["north", None]}))
    assert unknown.filter(like="plan_").sum(axis=1).iloc[0] == 0, "an unknown category gets all zeros"
    assert unknown.loc[1, "plan_premium"] == 1 and unknown.filter(like="region_").sum(axis=1).iloc[1] == 0
