"""Data volume in an object store: many small files, reading only what you need, and the bill.

The same table is written as 1, 10, 100 and 1,000 Parquet objects (rows from the profile's
``object_store_rows``), each layout published with a manifest (:mod:`scalingml.storage.publish`). For
each layout a fresh client reads the whole table back; its requests and the bytes it read are counted at
the client (:mod:`scalingml.storage.counting`: exact, the same on every machine) and the read is timed. The
time is fitted as ``requests x per-request cost + bytes / throughput`` (non-negative least squares).
Column pruning (Parquet, 4 columns) and partition pruning (hive-partitioned by region) are measured in
requests and bytes too. A price table (:func:`default_prices`: an editable assumption with its source, not a
measurement) turns the counts into a bill.

The conclusions are verdicts (:class:`Verdict`): the ones resting on counts hold at every profile; the one
resting on time says when the fit cannot tell.

>>> from scalingml.storage import embedded
>>> table = datasets.make_customers(1_000, seed=0)
>>> with embedded.start() as store:
...     layouts = object_count_experiment(store, table, counts=(1, 10))
>>> layouts[["objects", "get_requests"]].to_dict("list")
{'objects': [1, 10], 'get_requests': [2, 11]}
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from scipy.optimize import nnls

from scalingml import datasets
from scalingml.errors import InvalidParameterError
from scalingml.experiments.cost import validate_assumptions
from scalingml.experiments.volume import REPORT_COLUMNS
from scalingml.progress import progress
from scalingml.storage import counting, publish
from scalingml.storage.s3 import guarded

OBJECT_COUNTS = (1, 10, 100, 1_000)
PARTITION_COLUMN = "region"

_AWS = "assumed, not measured: AWS S3 Standard list price, us-east-1 (aws.amazon.com/s3/pricing, as published 2024-25)"
#: The price table every bill needs: name -> (default value, unit, where the default comes from).
PRICES: dict[str, tuple[float, str, str]] = {
    "storage_usd_per_gb_month": (0.023, "USD per GB-month stored", _AWS + ", first 50 TB"),
    "get_usd_per_1000": (0.0004, "USD per 1,000 GET/HEAD requests", _AWS),
    "put_usd_per_1000": (0.005, "USD per 1,000 PUT/COPY/POST/LIST requests", _AWS),
    "egress_usd_per_gb": (
        0.09,
        "USD per GB read out to the internet",
        _AWS + ", first 10 TB/month; 0 inside the region",
    ),
}


@dataclass(frozen=True)
class Verdict:
    """A computed conclusion: ``holds`` is True, False, or None when the measurement cannot tell."""

    holds: bool | None
    sentence: str

    def __str__(self) -> str:
        return self.sentence


def default_prices() -> pd.DataFrame:
    """The editable price table: one row per price with ``value``, ``unit`` and ``note`` (its source).

    Put in your provider's prices with ``prices.loc["get_usd_per_1000", "value"] = 0.0005``.
    """
    return pd.DataFrame(
        [{"parameter": k, "value": v, "unit": u, "note": n} for k, (v, u, n) in PRICES.items()]
    ).set_index("parameter")


def validate_prices(prices: pd.DataFrame | Mapping[str, float]) -> dict[str, float]:
    """The prices as plain floats; a missing, negative or non-numeric one raises, naming the row to fix.

    >>> validate_prices({**validate_prices(default_prices()), "egress_usd_per_gb": -1})
    Traceback (most recent call last):
    ...
    scalingml.experiments.cost.BadAssumptionsError: egress_usd_per_gb is -1.0; it must be zero or positive ...
    """
    return validate_assumptions(prices, PRICES, start_from="object_storage.default_prices()")


# --------------------------------------------------------------------------------------------
# Writing and reading layouts


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def write_layout(fs, prefix: str, table: pa.Table, n_objects: int) -> dict:
    """Write ``table`` as ``n_objects`` Parquet objects under ``prefix`` (staged, then published).

    Returns the write's ``requests`` (staging, copy and manifest included) and ``seconds``.
    """
    if not 1 <= n_objects <= table.num_rows:
        raise InvalidParameterError(f"cannot write {table.num_rows} rows as {n_objects} non-empty objects")
    log = counting.attach(fs)
    log.reset()
    started = time.perf_counter()
    with guarded(f"s3://{prefix}", "write"), publish.staged(fs, prefix) as staging:
        blobs = {
            f"{staging}/part-{i:05d}.parquet": _parquet_bytes(table.slice(start, stop - start))
            for i, (start, stop) in enumerate(datasets.partition_bounds(table.num_rows, n_objects))
        }
        fs.pipe(blobs)  # concurrent PUTs, as any bulk uploader sends them
    return {"write_requests": log.requests, "write_seconds": time.perf_counter() - started}


def read_layout(fs, prefix: str) -> tuple[pa.Table, dict]:
    """Read a published layout whole with ``fs`` (a fresh filesystem): manifest, listing, one GET per object.

    Returns the table and the read's exact counts (requests by kind, bytes) and its ``seconds`` (fetching
    only: decoding Parquet is the client's CPU, not the store's cost).
    """
    log = counting.attach(fs)
    log.reset()
    started = time.perf_counter()
    with guarded(f"s3://{prefix}", "read"):
        manifest = publish.check_complete(fs, prefix)
        blobs = fs.cat([f"{prefix}/{name}" for name in sorted(manifest["objects"])])  # concurrent GETs
    seconds = time.perf_counter() - started  # the storage's time; decoding the Parquet follows, untimed
    table = pa.concat_tables(pq.read_table(io.BytesIO(blob)) for blob in blobs.values())
    return table, {**log.snapshot(), "list_requests": log.by_operation["ListObjectsV2"], "seconds": seconds}


def object_count_experiment(
    store, frame: pd.DataFrame, *, counts: Sequence[int] = OBJECT_COUNTS, repeat: int = 1, keep: bool = False
) -> pd.DataFrame:
    """The same table as each of ``counts`` objects: write, then read whole ``repeat`` times (the fastest kept).

    ``store`` is an :class:`~scalingml.storage.embedded.ObjectStore`. Returns one row per layout:
    ``objects, rows_per_object, megabytes, write_requests, write_seconds, requests, get_requests,
    put_requests, list_requests, retries, bytes_read, seconds`` (``requests`` counts operations, the same on
    every machine; ``retries`` the extra attempts a busy store caused). The objects are deleted afterwards
    unless ``keep``.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    root = f"{store.root}/volume-objects-{uuid.uuid4().hex[:8]}"
    rows = []
    try:
        for n_objects in progress(counts, desc="object layouts"):
            prefix = f"{root}/objects-{n_objects}"
            written = write_layout(store.filesystem(), prefix, table, n_objects)
            reads = []
            for _ in range(repeat):
                back, counted = read_layout(store.filesystem(), prefix)
                reads.append(counted)
            if back.num_rows != table.num_rows:
                raise AssertionError(f"read {back.num_rows} rows back from {prefix}, wrote {table.num_rows}")
            counted = min(reads, key=lambda r: r["seconds"])
            stored = publish.check_complete(store.fs, prefix)["bytes"]
            rows.append(
                {
                    "objects": n_objects,
                    "rows_per_object": table.num_rows / n_objects,
                    "megabytes": stored / 2**20,
                    **written,
                    **{k: counted[k] for k in ("requests", "get_requests", "put_requests", "list_requests", "retries")},
                    "bytes_read": counted["bytes_read"],
                    "seconds": counted["seconds"],
                }
            )
    finally:
        if not keep:
            store.fs.rm(root, recursive=True)
    result = pd.DataFrame(rows)
    result.attrs["n_rows"] = table.num_rows
    return result


# --------------------------------------------------------------------------------------------
# The time model


def fit_request_model(frame: pd.DataFrame) -> dict:
    """Fit ``seconds = requests x per_request_s + bytes_read / bytes_per_s`` (non-negative least squares).

    Returns ``per_request_s``, ``bytes_per_s`` (``inf`` when bytes explained nothing) and ``r2``.

    >>> frame = pd.DataFrame({"requests": [2, 11, 101], "bytes_read": [1e6, 2e6, 4e6]})
    >>> frame["seconds"] = frame["requests"] * 0.01 + frame["bytes_read"] / 1e8
    >>> fit = fit_request_model(frame)
    >>> round(fit["per_request_s"], 4), round(fit["bytes_per_s"] / 1e6), round(fit["r2"], 3)
    (0.01, 100, 1.0)
    """
    X = frame[["requests", "bytes_read"]].to_numpy(dtype=float)
    y = frame["seconds"].to_numpy(dtype=float)
    scale_ = X.max(axis=0)
    scale_[scale_ == 0] = 1.0
    coef, _ = nnls(X / scale_, y)
    per_request, per_byte = coef / scale_
    residual = y - X @ np.array([per_request, per_byte])
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 0.0
    return {
        "per_request_s": float(per_request),
        "bytes_per_s": float(1.0 / per_byte) if per_byte > 0 else float("inf"),
        "r2": r2,
    }


# --------------------------------------------------------------------------------------------
# Reading only what you need


def _counted_read(fs, read) -> dict:
    log = counting.attach(fs)
    log.reset()
    started = time.perf_counter()
    table = read()
    seconds = time.perf_counter() - started
    return {**log.snapshot(), "rows": table.num_rows, "columns": table.num_columns, "seconds": seconds}


def pruning_experiment(
    store, frame: pd.DataFrame, *, columns: Sequence[str] = REPORT_COLUMNS, region: str | None = None
) -> pd.DataFrame:
    """Requests and bytes of reading everything against reading only ``columns``, or only one ``region``.

    Columns: one Parquet object read whole, then only ``columns`` (Parquet keeps each column apart, so the
    reader asks for the byte ranges of those columns only). Partitions: the table hive-partitioned by region
    (``region=north/...``), read whole, then filtered on one region (the reader lists every partition but
    fetches only the matching one's objects). Returns ``[read, requests, get_requests, bytes_read, rows,
    columns, seconds]``; the objects are deleted afterwards.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    region = region or str(frame[PARTITION_COLUMN].iloc[0])
    root = f"{store.root}/volume-pruning-{uuid.uuid4().hex[:8]}"
    single, hive = f"{root}/single", f"{root}/by-{PARTITION_COLUMN}"
    fs = store.filesystem()
    rows = []
    try:
        with guarded(f"s3://{root}", "write"):
            with publish.staged(fs, single) as staging:
                fs.pipe(f"{staging}/part-00000.parquet", _parquet_bytes(table))
            with publish.staged(fs, hive) as staging:
                pq.write_to_dataset(table, staging, partition_cols=[PARTITION_COLUMN], filesystem=fs)
        reads = {
            "all columns": lambda f: pq.read_table(f"{single}/part-00000.parquet", filesystem=f),
            f"{len(columns)} columns": lambda f: pq.read_table(
                f"{single}/part-00000.parquet", filesystem=f, columns=list(columns)
            ),
            "all regions": lambda f: pads.dataset(hive, filesystem=f, format="parquet", partitioning="hive").to_table(),
            f"{PARTITION_COLUMN} = {region}": lambda f: pads.dataset(
                hive, filesystem=f, format="parquet", partitioning="hive"
            ).to_table(filter=pads.field(PARTITION_COLUMN) == region),
        }
        for name, read in progress(reads.items(), desc="pruning"):
            reader = store.filesystem()
            with guarded(f"s3://{root}", "read"):
                rows.append({"read": name, **_counted_read(reader, lambda read=read, reader=reader: read(reader))})
    finally:
        store.fs.rm(root, recursive=True)
    keep = ["read", "requests", "get_requests", "retries", "bytes_read", "rows", "columns", "seconds"]
    return pd.DataFrame(rows)[keep]


# --------------------------------------------------------------------------------------------
# The bill


def bill(
    layouts: pd.DataFrame, prices: pd.DataFrame | Mapping[str, float], *, reads_per_month: int = 1_000
) -> pd.DataFrame:
    """A month's bill per layout: the data stored, and read whole ``reads_per_month`` times from outside the cloud.

    Request counts are the measured ones (GET-class and PUT/LIST-class apart); the prices are the table's
    assumptions. Returns ``[objects, storage_usd, requests_usd, egress_usd, total_usd]``.

    >>> layouts = pd.DataFrame({"objects": [1], "megabytes": [1024.0], "get_requests": [2], "put_requests": [1],
    ...                         "bytes_read": [2**30]})
    >>> bill(layouts, default_prices(), reads_per_month=1000).round(4).iloc[0].to_dict()
    {'objects': 1.0, 'storage_usd': 0.023, 'requests_usd': 0.0058, 'egress_usd': 90.0, 'total_usd': 90.0288}
    """
    p = validate_prices(prices)
    if reads_per_month < 0:
        raise InvalidParameterError(f"reads_per_month must be zero or positive, got {reads_per_month}")
    gb = 2**30  # billed GB are binary (GiB) at AWS
    storage = layouts["megabytes"] * 2**20 / gb * p["storage_usd_per_gb_month"]
    requests = (
        reads_per_month
        * (layouts["get_requests"] * p["get_usd_per_1000"] + layouts["put_requests"] * p["put_usd_per_1000"])
        / 1000
    )
    egress = reads_per_month * layouts["bytes_read"] / gb * p["egress_usd_per_gb"]
    return pd.DataFrame(
        {
            "objects": layouts["objects"],
            "storage_usd": storage,
            "requests_usd": requests,
            "egress_usd": egress,
            "total_usd": storage + requests + egress,
        }
    )


# --------------------------------------------------------------------------------------------
# Conclusions


def small_files_verdict(layouts: pd.DataFrame) -> Verdict:
    """ "Many small files cost more": from the exact counts, so the verdict is the same at every profile.

    It holds when every finer layout needed more requests than the coarser one before it.

    >>> layouts = pd.DataFrame({"objects": [1, 10], "requests": [3, 12], "bytes_read": [1000, 1900]})
    >>> print(small_files_verdict(layouts))  # doctest: +NORMALIZE_WHITESPACE
    Many small files cost more: reading the same table as 10 objects took 12 requests against 3 as one object
    (4.0x), and 1.9x the bytes (each Parquet object repeats its own footer and schema).
    """
    frame = layouts.sort_values("objects")
    first, last = frame.iloc[0], frame.iloc[-1]
    more_requests = bool((frame["requests"].diff().dropna() > 0).all())
    ratio = last["requests"] / first["requests"]
    byte_ratio = last["bytes_read"] / first["bytes_read"]
    bytes_part = (
        f", and {byte_ratio:.1f}x the bytes (each Parquet object repeats its own footer and schema)"
        if byte_ratio > 1.05
        else ", for about the same bytes"
    )
    counts = (
        f"reading the same table as {int(last['objects']):,} objects took {int(last['requests']):,} requests "
        f"against {int(first['requests']):,} as {'one object' if first['objects'] == 1 else int(first['objects'])}"
    )
    if more_requests:
        return Verdict(True, f"Many small files cost more: {counts} ({ratio:.1f}x){bytes_part}.")
    return Verdict(False, f"Not here: {counts}; the request count did not grow with every finer layout.")


def _size(n_bytes: float) -> str:
    """
    >>> _size(17_000), _size(2.5e6)
    ('17 kB', '2.5 MB')
    """
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def request_cost_verdict(fit: Mapping[str, float], *, min_r2: float = 0.9) -> Verdict:
    """What the time fit says: a per-request cost and a throughput, or inconclusive when the fit is poor.

    >>> print(request_cost_verdict({"per_request_s": 0.004, "bytes_per_s": 2e8, "r2": 0.99}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Time fits requests x 4.0 ms + bytes / 200 MB/s (R² 0.99): on this store a request costs as much time as
    reading 800 kB.
    >>> request_cost_verdict({"per_request_s": 0.004, "bytes_per_s": 2e8, "r2": 0.5}).holds is None
    True
    """
    per_request, throughput, r2 = fit["per_request_s"], fit["bytes_per_s"], fit["r2"]
    rate = "no measurable byte cost" if not np.isfinite(throughput) else f"bytes / {throughput / 1e6:,.0f} MB/s"
    model = f"requests x {per_request * 1e3:.1f} ms + {rate} (R² {r2:.2f})"
    if r2 < min_r2 or per_request <= 0:
        return Verdict(None, f"Time fits {model}: too poor a fit to price a request in time, inconclusive here.")
    if np.isfinite(throughput):
        equivalent = f"reading {_size(per_request * throughput)}"
        return Verdict(True, f"Time fits {model}: on this store a request costs as much time as {equivalent}.")
    return Verdict(True, f"Time fits {model}: on this store the time is the requests'.")


def read_what_you_need_verdict(pruning: pd.DataFrame) -> Verdict:
    """ "Read only what you need": from exact bytes and requests, so the verdict is the same at every profile.

    >>> pruning = pd.DataFrame({"read": ["all columns", "4 columns", "all regions", "region = north"],
    ...                         "requests": [3, 4, 9, 4], "bytes_read": [1000, 300, 1200, 320]})
    >>> print(read_what_you_need_verdict(pruning))  # doctest: +NORMALIZE_WHITESPACE
    Read only what you need: 4 columns read 30% of the bytes of all columns (4 requests against 3); region = north
    read 27% of the bytes of all regions (4 requests against 9).
    """
    table = pruning.set_index("read")
    parts, holds = [], True
    for whole, subset in ((table.index[0], table.index[1]), (table.index[2], table.index[3])):
        fraction = table.loc[subset, "bytes_read"] / table.loc[whole, "bytes_read"]
        holds &= bool(fraction < 1)
        parts.append(
            f"{subset} read {fraction:.0%} of the bytes of {whole} "
            f"({int(table.loc[subset, 'requests'])} requests against {int(table.loc[whole, 'requests'])})"
        )
    if holds:
        return Verdict(True, "Read only what you need: " + "; ".join(parts) + ".")
    return Verdict(False, "Pruning saved no bytes here: " + "; ".join(parts) + ".")
