"""Lesson 01's object-storage experiment, on the embedded moto server (real S3 requests on loopback)."""

import math

import pandas as pd
import pytest

from scalingml import datasets, scale
from scalingml.experiments import object_storage
from scalingml.experiments.cost import BadAssumptionsError
from scalingml.storage import embedded


@pytest.fixture(scope="module")
def measured():
    frame = datasets.make_customers(2_000, seed=0)
    with embedded.start() as store:
        layouts = object_storage.object_count_experiment(store, frame, counts=(1, 10, 100))
        pruning = object_storage.pruning_experiment(store, frame)
        leftovers = store.fs.find(store.root)
    return layouts, pruning, leftovers


def test_counts_are_exact_one_get_per_object_plus_manifest(measured):
    layouts, _, leftovers = measured
    assert layouts["objects"].tolist() == [1, 10, 100]
    # a listing, the manifest, then one GET per object: operations depend on the code only, not the machine
    assert (layouts["requests"] == layouts["objects"] + 2).all()
    assert (layouts["get_requests"] == layouts["objects"] + 1).all()
    assert layouts["bytes_read"].is_monotonic_increasing
    assert leftovers == [], "the experiment deletes what it wrote"


def test_pruning_reads_fewer_bytes(measured):
    _, pruning, _ = measured
    table = pruning.set_index("read")
    assert table.loc["4 columns", "columns"] == 4 and table.loc["4 columns", "rows"] == 2_000
    assert table.loc["4 columns", "bytes_read"] < table.loc["all columns", "bytes_read"]
    one_region = table.index[3]
    assert table.loc[one_region, "bytes_read"] < table.loc["all regions", "bytes_read"]
    assert table.loc[one_region, "rows"] < 2_000
    verdict = object_storage.read_what_you_need_verdict(pruning)
    assert verdict.holds and "Read only what you need" in verdict.sentence


def test_small_files_verdict_rests_on_counts(measured):
    layouts, _, _ = measured
    verdict = object_storage.small_files_verdict(layouts)
    assert verdict.holds and "102 requests against 3" in verdict.sentence
    flat = layouts.assign(requests=[3, 3, 3])
    assert object_storage.small_files_verdict(flat).holds is False


def test_request_model_recovers_known_costs_and_says_when_it_cannot():
    frame = pd.DataFrame({"requests": [3, 12, 102, 1003], "bytes_read": [4e5, 7e5, 1.5e6, 8e6]})
    frame["seconds"] = frame["requests"] * 0.002 + frame["bytes_read"] / 5e8
    fit = object_storage.fit_request_model(frame)
    assert math.isclose(fit["per_request_s"], 0.002, rel_tol=1e-6)
    assert math.isclose(fit["bytes_per_s"], 5e8, rel_tol=1e-4)
    assert object_storage.request_cost_verdict(fit).holds
    noisy = object_storage.fit_request_model(frame.assign(seconds=[0.5, 0.1, 0.4, 0.2]))
    assert object_storage.request_cost_verdict(noisy).holds is None


def test_price_table_is_validated_and_editable():
    prices = object_storage.default_prices()
    assert set(prices.columns) == {"value", "unit", "note"} and prices["note"].str.contains("assumed").all()
    layouts = pd.DataFrame(
        {"objects": [1], "megabytes": [1024.0], "get_requests": [1000], "put_requests": [0], "bytes_read": [0]}
    )
    base = object_storage.bill(layouts, prices, reads_per_month=1)
    prices.loc["get_usd_per_1000", "value"] = 0.004
    assert object_storage.bill(layouts, prices, reads_per_month=1)["requests_usd"].iloc[0] == pytest.approx(
        10 * base["requests_usd"].iloc[0]
    )
    for bad in (None, "cheap", -1.0, float("nan")):
        with pytest.raises(BadAssumptionsError, match="egress_usd_per_gb"):
            object_storage.bill(layouts, {**object_storage.validate_prices(prices), "egress_usd_per_gb": bad})
    with pytest.raises(BadAssumptionsError, match="default_prices"):
        object_storage.validate_prices({"get_usd_per_1000": 1})


def test_every_profile_sizes_the_finest_layout():
    for profile in scale.PROFILES.values():
        assert profile.object_store_rows >= max(object_storage.OBJECT_COUNTS)
