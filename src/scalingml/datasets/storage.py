"""Write generated tables to disk in partitions, and read them back one at a time.

Partitions are generated one by one, so a dataset larger than memory can be written
with the memory of a single partition; :func:`read_partitions` streams them back.

>>> from scalingml.scratch import scratch_dir
>>> with scratch_dir("doctest") as folder:
...     paths = write_partitioned(folder, n_rows=10, n_partitions=2)
...     [p.name for p in paths], sum(len(frame) for _, frame in read_partitions(folder))
(['part-00000.parquet', 'part-00001.parquet'], 10)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from scalingml.datasets.errors import DatasetError, DatasetNotFoundError
from scalingml.datasets.generators import make_customers
from scalingml.errors import InvalidParameterError

FORMATS = ("parquet", "csv")


def partition_bounds(n_rows: int, n_partitions: int) -> list[tuple[int, int]]:
    """Split ``n_rows`` into ``n_partitions`` nearly equal ``(start, stop)`` ranges.

    >>> partition_bounds(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    if n_partitions < 1:
        raise InvalidParameterError(f"n_partitions must be at least 1, got {n_partitions}")
    if n_rows < n_partitions:
        raise InvalidParameterError(f"cannot split {n_rows} rows into {n_partitions} non-empty partitions")
    base, extra = divmod(n_rows, n_partitions)
    bounds, start = [], 0
    for i in range(n_partitions):
        stop = start + base + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def write_partitioned(
    folder: str | os.PathLike,
    n_rows: int,
    n_partitions: int,
    *,
    make: Callable[..., pd.DataFrame] = make_customers,
    file_format: str = "parquet",
    seed: int = 0,
    **make_kwargs,
) -> list[Path]:
    """Generate ``n_rows`` rows with ``make`` in ``n_partitions`` files under ``folder``.

    Partition ``i`` is ``make(rows, seed=seed + i, id_offset=start, **make_kwargs)``,
    so the result is deterministic and ids never collide. Existing ``part-*`` files
    in ``folder`` are replaced. Returns the paths written, in order.
    """
    if file_format not in FORMATS:
        raise InvalidParameterError(f"Unknown file_format {file_format!r}; use one of {FORMATS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*"):
        old.unlink()
    paths = []
    for i, (start, stop) in enumerate(partition_bounds(n_rows, n_partitions)):
        frame = make(stop - start, seed=seed + i, id_offset=start, **make_kwargs)
        path = folder / f"part-{i:05d}.{file_format}"
        if file_format == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def list_partitions(folder: str | os.PathLike) -> list[Path]:
    """The ``part-*`` files of ``folder`` in order; a clear error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetNotFoundError(f"No dataset folder at {folder}: write it first with write_partitioned().")
    paths = sorted(p for p in folder.iterdir() if p.name.startswith("part-") and p.suffix[1:] in FORMATS)
    if not paths:
        raise DatasetNotFoundError(f"The folder {folder} holds no part-*.parquet or part-*.csv files.")
    return paths


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one Parquet or CSV file, turning every failure into a :class:`DatasetError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"No such data file: {path}")
    if path.stat().st_size == 0:
        raise DatasetError(f"The data file {path} is empty (0 bytes): regenerate or re-download it.")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, columns=columns)
        elif path.suffix == ".csv":
            frame = pd.read_csv(path, usecols=columns)
        else:
            raise DatasetError(f"Unknown data file type {path.suffix!r} for {path}; expected .parquet or .csv")
    except DatasetError:
        raise
    except (ValueError, KeyError) as exc:
        if columns and "column" in str(exc).lower():
            raise DatasetError(f"{path}: cannot read columns {columns}: {exc}") from exc
        raise DatasetError(f"The data file {path} is corrupt or not a {path.suffix[1:]} file ({exc}).") from exc
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        raise DatasetError(f"The data file {path} is corrupt or unreadable ({type(exc).__name__}: {exc}).") from exc
    return frame


def read_partitions(folder: str | os.PathLike, columns: list[str] | None = None) -> Iterator[tuple[Path, pd.DataFrame]]:
    """Yield ``(path, frame)`` for each partition of ``folder``, one in memory at a time.

    An empty partition (no rows) raises :class:`DatasetError` naming the file: it
    usually means an interrupted write, and silently skipping it would bias a model.
    """
    for path in list_partitions(folder):
        frame = read_table(path, columns=columns)
        if frame.empty:
            raise DatasetError(f"The partition {path} has no rows: rewrite the dataset.")
        yield path, frame
