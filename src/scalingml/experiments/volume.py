"""Data volume: in-memory vs chunked (out-of-core) training vs a Dask dataframe pipeline, and storage formats.

Peak memory is measured with ``tracemalloc`` (Python and NumPy allocations, exact and
repeatable); time is measured separately, without tracing. The dataset is written as
fixed-size Parquet partitions, so an out-of-core pass holds one partition at a time
whatever the total size.

>>> with scratch_dir("doctest") as folder:
...     _ = write_dataset(folder, n_rows=3_000, rows_per_partition=1_000)
...     scaler, model = fit_chunked(folder)
...     float(model.score(scaler.transform(held_out(folder)[0]), held_out(folder)[1])) > 0.5
True
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from scalingml import datasets, measure
from scalingml.experiments.features import customer_features
from scalingml.progress import progress
from scalingml.scratch import scratch_dir

CLASSES = (0, 1)
APPROACHES = ("in-memory", "chunked", "dask dataframe")


def write_dataset(
    folder: str | os.PathLike, n_rows: int, rows_per_partition: int, *, seed: int = 0, file_format: str = "parquet"
) -> list[Path]:
    """Generate ``n_rows`` customers as partitions of ``rows_per_partition`` rows (the last may be smaller)."""
    n_partitions = max(1, math.ceil(n_rows / rows_per_partition))
    return datasets.write_partitioned(folder, n_rows, n_partitions, file_format=file_format, seed=seed)


def held_out(folder: str | os.PathLike, n_rows: int = 2_000, seed: int = 10_000):
    """A test set from the same generator, never written to ``folder`` (features aligned to its columns)."""
    columns = customer_features(next(datasets.read_partitions(folder))[1].head(50))[0].columns
    X, y = customer_features(datasets.make_customers(n_rows, seed=seed))
    return X.reindex(columns=columns, fill_value=0.0), y


def _sgd(seed: int) -> SGDClassifier:
    return SGDClassifier(loss="log_loss", alpha=1e-4, random_state=seed)


def fit_in_memory(folder: str | os.PathLike, *, seed: int = 0, epochs: int = 3) -> tuple[StandardScaler, SGDClassifier]:
    """Load every partition, then fit: memory grows with the whole table."""
    frame = pd.concat([part for _, part in datasets.read_partitions(folder)], ignore_index=True)
    X, y = customer_features(frame)
    scaler = StandardScaler().fit(X)
    model = _sgd(seed).set_params(max_iter=epochs, tol=None).fit(scaler.transform(X), y)
    return scaler, model


def fit_chunked(folder: str | os.PathLike, *, seed: int = 0, epochs: int = 3) -> tuple[StandardScaler, SGDClassifier]:
    """Two streaming passes with ``partial_fit``: feature statistics, then the model (``epochs`` times).

    Only one partition is in memory at a time.
    """
    scaler = StandardScaler()
    for _, part in datasets.read_partitions(folder):
        scaler.partial_fit(customer_features(part)[0])
    model = _sgd(seed)
    for _ in range(epochs):
        for _, part in datasets.read_partitions(folder):
            X, y = customer_features(part)
            model.partial_fit(scaler.transform(X), y, classes=list(CLASSES))
    return scaler, model


def dask_summary(folder: str | os.PathLike) -> pd.DataFrame:
    """A Dask dataframe pipeline over the partitions: churn rate and mean spend per plan and region.

    Runs on Dask's local threaded scheduler so its memory is measured in this process
    (on a cluster, the same graph runs on the workers).
    """
    import dask.dataframe as dd

    frame = dd.read_parquet(str(folder), columns=["plan", "region", "monthly_spend", "churned"])
    summary = frame.groupby(["plan", "region"]).agg({"churned": "mean", "monthly_spend": "mean"})
    return summary.compute(scheduler="threads").sort_index()


def _run(approach: str, folder: Path):
    if approach == "in-memory":
        return fit_in_memory(folder)
    if approach == "chunked":
        return fit_chunked(folder)
    if approach == "dask dataframe":
        return dask_summary(folder)
    raise ValueError(f"Unknown approach {approach!r}; use one of {APPROACHES}")


def volume_experiment(
    sizes: Sequence[int],
    rows_per_partition: int,
    *,
    workdir: str | os.PathLike | None = None,
    approaches: Sequence[str] = APPROACHES,
    repeat: int = 1,
    memory_budget_mb: float | None = None,
) -> pd.DataFrame:
    """Peak memory (tracemalloc) and median time of each approach for each dataset size.

    Returns ``[approach, n, seconds, peak_mb, status]``. Datasets are written under
    ``workdir`` (a temporary folder by default) and reused across approaches. Each
    approach runs once untimed first (imports and caches are not the data's cost).
    With ``memory_budget_mb``, an approach whose peak, extrapolated linearly from its
    smallest size, would exceed the budget is not run: its row holds the forecast and
    ``status`` says so.
    """
    if workdir is None:
        with scratch_dir("volume") as scratch:
            return volume_experiment(
                sizes,
                rows_per_partition,
                workdir=scratch,
                approaches=approaches,
                repeat=repeat,
                memory_budget_mb=memory_budget_mb,
            )
    workdir = Path(workdir)
    sizes = sorted(int(n) for n in sizes)
    rows: list[dict] = []
    first_peak: dict[str, float] = {}
    for n in progress(sizes, desc="dataset sizes"):
        folder = workdir / f"customers-{n}"
        write_dataset(folder, n, rows_per_partition)
        for approach in approaches:
            if approach not in first_peak:
                _run(approach, folder)  # warm-up
            forecast = first_peak.get(approach, 0.0) * n / sizes[0]
            if memory_budget_mb is not None and forecast > memory_budget_mb:
                rows.append(
                    {
                        "approach": approach,
                        "n": n,
                        "seconds": float("nan"),
                        "peak_mb": forecast,
                        "status": f"skipped: forecast {forecast:,.0f} MB > budget {memory_budget_mb:,.0f} MB",
                    }
                )
                continue
            peak = measure.peak_memory(_run, approach, folder).peak_mb
            first_peak.setdefault(approach, peak)
            seconds = measure.time_call(_run, approach, folder, repeat=repeat).median
            rows.append({"approach": approach, "n": n, "seconds": seconds, "peak_mb": peak, "status": "measured"})
    return pd.DataFrame(rows)


def memory_growth(frame: pd.DataFrame) -> pd.Series:
    """Per approach: peak memory at the largest measured size divided by peak memory at the smallest."""
    ordered = frame[frame["status"] == "measured"].sort_values("n")
    return ordered.groupby("approach", sort=False)["peak_mb"].agg(lambda s: s.iloc[-1] / s.iloc[0])


def storage_comparison(frame: pd.DataFrame, folder: str | os.PathLike, *, repeat: int = 3) -> pd.DataFrame:
    """Size on disk and read time of the same table as CSV and as Parquet: ``[format, megabytes, read_seconds]``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for file_format in ("csv", "parquet"):
        path = folder / f"table.{file_format}"
        if file_format == "csv":
            frame.to_csv(path, index=False)
            reader = functools.partial(pd.read_csv, path)
        else:
            frame.to_parquet(path, index=False)
            reader = functools.partial(pd.read_parquet, path)
        rows.append(
            {
                "format": file_format,
                "megabytes": path.stat().st_size / 2**20,
                "read_seconds": measure.time_call(reader, repeat=repeat).median,
            }
        )
    return pd.DataFrame(rows)


def downcast(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Smallest safe dtypes: integers and floats downcast, low-cardinality text to category.

    Returns the new frame and ``[column, before, after, before_bytes, after_bytes]``.
    """
    result = frame.copy()
    for column in result.columns:
        series = result[column]
        if pd.api.types.is_integer_dtype(series):
            result[column] = pd.to_numeric(series, downcast="integer")
        elif pd.api.types.is_float_dtype(series):
            result[column] = pd.to_numeric(series, downcast="float")
        elif (
            pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)
        ) and series.nunique() < 0.5 * len(series):
            result[column] = series.astype("category")
    report = pd.DataFrame(
        {
            "column": frame.columns,
            "before": [str(t) for t in frame.dtypes],
            "after": [str(t) for t in result.dtypes],
            "before_bytes": frame.memory_usage(deep=True, index=False).to_numpy(),
            "after_bytes": result.memory_usage(deep=True, index=False).to_numpy(),
        }
    )
    return result, report
