"""Hardware limits: memory footprints of one table in four layouts, and compute threads.

Memory is usually the first wall: the same information can take 8 bytes or 8 kilobytes
per row depending on its layout. :func:`estimate_frame_bytes` predicts a pandas table's
footprint *before* it exists (from its schema), so a job can refuse to load what would not
fit; :func:`layout_footprints` compares dense float64/float32, categorical and sparse
one-hot layouts of a high-cardinality table. Compute is the second: BLAS and OpenMP use
threads that :func:`thread_speedup` caps with ``threadpoolctl``.

Cost lives in :mod:`scalingml.experiments.cost`, serving in
:mod:`scalingml.experiments.serving`, drift monitoring in
:mod:`scalingml.experiments.monitoring` and safe persistence in
:mod:`scalingml.experiments.persistence`.

>>> estimate_frame_bytes(1000, {"a": "float64", "b": "int8"})
17000
>>> estimate_frame_bytes(1000, {"a": "float64"}, index=False)
8000
>>> estimate_frame_bytes(1000, {"s": "str"}, text_length=12, index=False)  # pandas 3's Arrow strings
20000
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_info, threadpool_limits

from scalingml import measure
from scalingml.datasets import make_customers
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import NUMERIC_FEATURES
from scalingml.progress import progress


class BadSchemaError(ScalingmlError, ValueError):
    """A schema names a dtype :func:`estimate_frame_bytes` cannot size."""


#: A megabyte as the course prints it (10^6 bytes, as in the quick checks), not a mebibyte (2^20).
MB = 1_000_000
#: Bytes of the pointer an ``object`` column stores per row.
POINTER_BYTES = 8
#: Bytes of an empty ASCII ``str`` object on this interpreter (49 on 64-bit CPython 3.11+).
EMPTY_STR_BYTES = sys.getsizeof("")
#: Bytes per row of a materialised integer index (a ``RangeIndex`` costs a constant instead).
INDEX_BYTES = 8
#: Bytes per row of an Arrow ``large_string`` offset: pandas 3 stores its default ``str`` dtype this way.
ARROW_OFFSET_BYTES = 8
#: Dtype names pandas 3 stores as Arrow strings (one buffer of characters plus an offset per row).
ARROW_STRING_DTYPES = ("str", "string", "string[pyarrow]", "large_string[pyarrow]")


def string_object_bytes(length: int) -> int:
    """Bytes of one ASCII Python ``str`` of ``length`` characters (header included).

    >>> string_object_bytes(10) == sys.getsizeof("x" * 10)
    True
    """
    return EMPTY_STR_BYTES + int(length)


def arrow_string_bytes(length: int) -> int:
    """Bytes per row of an ASCII string of ``length`` characters in pandas 3's Arrow layout (no missing values).

    >>> arrow_string_bytes(12)
    20
    """
    return ARROW_OFFSET_BYTES + int(length)


def estimate_frame_bytes(n_rows: int, dtypes: Mapping[str, str], *, text_length: float = 0, index: bool = True) -> int:
    """Footprint of a pandas table from its schema, as ``memory_usage(deep=True).sum()`` reports it.

    ``dtypes`` maps column names to NumPy dtype names (``float64``, ``float32``, ``int8``,
    ``bool``, ...) or ``object`` for ASCII strings of ``text_length`` characters: an object
    column costs a pointer *and* a whole Python object per row, not just its characters.
    pandas 3's default string dtype (``str``, also ``string``) is stored by Arrow: the
    characters in one buffer plus an 8-byte offset per row (no missing values assumed; a
    validity bitmap adds one bit per row when there are some).
    ``index=True`` counts a materialised 64-bit index (as after ``set_index`` or a filter);
    a default ``RangeIndex`` costs a constant and is counted as zero.
    """
    per_row = INDEX_BYTES if index else 0
    for column, dtype in dtypes.items():
        name = str(dtype)
        if name == "object":
            per_row += POINTER_BYTES + string_object_bytes(int(round(text_length)))
            continue
        if name in ARROW_STRING_DTYPES:
            per_row += arrow_string_bytes(int(round(text_length)))
            continue
        try:
            width = np.dtype(dtype).itemsize
        except TypeError:
            width = 0
        if width == 0:  # np.dtype("str") and other flexible dtypes have no fixed size
            raise BadSchemaError(
                f"Column {column!r} has dtype {dtype!r}, which has no fixed size: use a NumPy dtype name "
                "(float64, float32, int64, int8, bool, ...), 'object' for Python strings or 'str' for pandas 3's "
                "Arrow strings."
            )
        per_row += width
    return int(n_rows) * per_row


def measured_frame_bytes(frame: pd.DataFrame) -> int:
    """What pandas reports for ``frame``, index and Python objects included."""
    return int(frame.memory_usage(deep=True, index=True).sum())


def conclude_estimate(estimate: int, measured: int, *, label: str, tolerance: float = 0.01) -> str:
    """Estimate against measurement for one layout, saying whether the formula holds.

    >>> conclude_estimate(1_000, 1_000, label="floats")
    'floats: estimated 0.00 MB before building, measured 0.00 MB (+0.0%): the formula holds.'
    >>> conclude_estimate(500, 1_000, label="text").endswith("the formula misses something.")
    True
    """
    error = estimate / measured - 1 if measured else float("inf")
    head = f"{label}: estimated {estimate / MB:.2f} MB before building, measured {measured / MB:.2f} MB ({error:+.1%})"
    if abs(error) <= tolerance:
        return head + ": the formula holds."
    return head + ": the formula misses something."


def text_table(n_rows: int, *, text_length: int = 12, seed: int = 0) -> pd.DataFrame:
    """Customers indexed by ``customer_id``, with a free-text ``comment`` column stored as ``object``.

    The rows are shuffled, so the index is materialised (not a ``RangeIndex``).

    The comment has exactly ``text_length`` ASCII characters, so :func:`estimate_frame_bytes`
    can be checked against the measured footprint.
    """
    frame = make_customers(n_rows, seed=seed, n_noise_features=0)
    # shuffled, as after a sort or a filter: the index is then a real int64 column, not a RangeIndex
    frame = frame.sample(frac=1.0, random_state=seed).set_index("customer_id")
    frame = frame[list(NUMERIC_FEATURES)].astype({"support_tickets": "int64", "satisfaction": "float32"})
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    comments = ["".join(row) for row in rng.choice(letters, size=(n_rows, text_length))]
    frame["comment"] = pd.Series(comments, index=frame.index, dtype=object)
    return frame


def schema_of(frame: pd.DataFrame) -> dict[str, str]:
    """Column name to dtype name, the input of :func:`estimate_frame_bytes`."""
    return {column: str(dtype) for column, dtype in frame.dtypes.items()}


# --------------------------------------------------------------------------------------------
# Four layouts of one high-cardinality table


def high_cardinality_levels(n_rows: int) -> int:
    """Levels of the product column: thousands, growing with the table (a quarter of its rows, at least 1,000).

    >>> high_cardinality_levels(2_000), high_cardinality_levels(20_000)
    (1000, 5000)
    """
    return max(1_000, n_rows // 4)


def high_cardinality_table(n_rows: int, n_levels: int, *, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric customer features plus ``product``: a categorical column with ``n_levels`` levels.

    Product popularity is skewed (a few best-sellers, a long tail), as in real catalogues,
    and the churn label depends a little on the product, so a model can use it.
    """
    frame = make_customers(n_rows, seed=seed, n_noise_features=0)
    rng = np.random.default_rng(seed + 1)
    product = (rng.zipf(1.3, size=n_rows) - 1) % n_levels
    X = frame[list(NUMERIC_FEATURES)].astype("float64")
    X["product"] = pd.Categorical.from_codes(product, categories=[f"p{i:06d}" for i in range(n_levels)])
    return X, frame["churned"]


#: Characters of each product level's name (``p000042``).
LEVEL_NAME_LENGTH = 7


def _numeric(X: pd.DataFrame) -> np.ndarray:
    numeric = X.drop(columns="product").to_numpy(dtype="float64")
    return (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)


def sparse_one_hot(X: pd.DataFrame, dtype=np.float64) -> sparse.csr_matrix:
    """Standardised numeric columns plus one column per product level, as a CSR matrix."""
    numeric = _numeric(X)
    n_rows, n_levels = len(X), len(X["product"].cat.categories)
    codes = X["product"].cat.codes.to_numpy()
    one_hot = sparse.csr_matrix((np.ones(n_rows), (np.arange(n_rows), codes)), shape=(n_rows, n_levels))
    return sparse.hstack([sparse.csr_matrix(numeric), one_hot], format="csr", dtype=dtype)


def dense_one_hot(X: pd.DataFrame, dtype=np.float64) -> np.ndarray:
    """The same matrix as :func:`sparse_one_hot`, dense."""
    return sparse_one_hot(X, dtype=dtype).toarray()


def estimate_layout_bytes(n_rows: int, n_numeric: int, n_levels: int) -> dict[str, int]:
    """Predicted bytes of each layout, before building any of them.

    Dense: every cell is stored. Categorical: numeric float64 columns, small integer codes
    and the level names once (pandas 3 stores them as Arrow ``large_string``: an 8-byte offset
    plus the characters). Sparse CSR: 8 bytes of value + 4 of column index per stored
    (non-zero) cell, plus one 4-byte row pointer per row.

    >>> estimate_layout_bytes(1_000, 4, 1_000)["dense float64 one-hot"]
    8032000
    """
    width = n_numeric + n_levels
    code_bytes = np.min_scalar_type(-n_levels).itemsize  # pandas picks the smallest signed type
    level_name_bytes = n_levels * (8 + LEVEL_NAME_LENGTH)
    nnz = n_rows * (n_numeric + 1)
    return {
        "dense float64 one-hot": n_rows * width * 8,
        "dense float32 one-hot": n_rows * width * 4,
        "categorical (codes)": n_rows * (n_numeric * 8 + code_bytes) + level_name_bytes,
        "sparse one-hot (CSR)": nnz * (8 + 4) + (n_rows + 1) * 4,
    }


def _measured_layout(name: str, X: pd.DataFrame) -> int:
    if name == "dense float64 one-hot":
        return dense_one_hot(X).nbytes
    if name == "dense float32 one-hot":
        return dense_one_hot(X, np.float32).nbytes
    if name == "categorical (codes)":
        return int(X.memory_usage(deep=True, index=False).sum())
    matrix = sparse_one_hot(X)
    return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes


#: Layouts whose size is rows x columns x width by construction: building them would only confirm arithmetic.
EXACT_BY_CONSTRUCTION = ("dense float64 one-hot", "dense float32 one-hot")


def layout_footprints(X: pd.DataFrame, *, budget_bytes: int) -> pd.DataFrame:
    """Estimated and measured bytes of four layouts of ``X`` (from :func:`high_cardinality_table`).

    Dense layouts are not built: their size is rows x columns x bytes per cell by
    construction (``status`` says so). The categorical and sparse layouts depend on the data
    (code width, level names, non-zero cells), so they are built and measured, unless their
    *estimate* exceeds ``budget_bytes``: estimating first is how a job avoids being killed for memory.
    """
    n_rows, n_levels = len(X), len(X["product"].cat.categories)
    estimates = estimate_layout_bytes(n_rows, X.shape[1] - 1, n_levels)
    rows = []
    for name, estimate in progress(estimates.items(), desc="layouts"):
        if name in EXACT_BY_CONSTRUCTION:
            status = "exact by construction"
        elif estimate > budget_bytes:
            status = "over the memory budget"
        else:
            status = "measured"
        built = status == "measured"
        measured = _measured_layout(name, X) if built else np.nan
        rows.append(
            {
                "layout": name,
                "estimated_bytes": estimate,
                "measured_bytes": measured,
                "built": built,
                "status": status,
            }
        )
    frame = pd.DataFrame(rows)
    frame["bytes_per_row"] = frame["measured_bytes"].fillna(frame["estimated_bytes"]) / n_rows
    return frame


def conclude_footprints(frame: pd.DataFrame, *, tolerance: float = 0.1) -> str:
    """One sentence on layout sizes and on how good the estimates were.

    >>> f = pd.DataFrame({"layout": ["dense", "sparse"], "estimated_bytes": [800, 100],
    ...                   "measured_bytes": [800.0, 104.0], "built": [True, True], "bytes_per_row": [8.0, 1.04]})
    >>> print(conclude_footprints(f))  # doctest: +NORMALIZE_WHITESPACE
    The largest layout (dense, 8.0 bytes per row) takes 7.7x the smallest (sparse, 1.0 bytes per row).
    The estimates that depend on the data (dense, sparse) were within 10% of the measured size (worst: 4% off).
    """
    largest = frame.loc[frame["bytes_per_row"].idxmax()]
    smallest = frame.loc[frame["bytes_per_row"].idxmin()]
    sentence = (
        f"The largest layout ({largest.layout}, {largest.bytes_per_row:,.1f} bytes per row) takes "
        f"{largest.bytes_per_row / smallest.bytes_per_row:,.1f}x the smallest "
        f"({smallest.layout}, {smallest.bytes_per_row:,.1f} bytes per row)."
    )
    built = frame[frame["built"]]
    status = frame["status"] if "status" in frame else pd.Series("over the memory budget", index=frame.index)
    exact = frame.loc[~frame["built"] & (status == "exact by construction"), "layout"].tolist()
    skipped = frame.loc[~frame["built"] & (status != "exact by construction"), "layout"].tolist()
    if len(built):
        errors = (built["estimated_bytes"] / built["measured_bytes"] - 1).abs()
        names = ", ".join(built["layout"])
        if (errors <= tolerance).all():
            sentence += (
                f" The estimates that depend on the data ({names}) were within {tolerance:.0%} of the measured size "
                f"(worst: {errors.max():.0%} off)."
            )
        else:
            worst = built.loc[errors.idxmax(), "layout"]
            sentence += f" The estimate for {worst} was {errors.max():.0%} off: the formula misses something there."
    if exact:
        sentence += (
            f" {', '.join(exact)}: rows x columns x bytes per cell, exact by construction, so not built "
            "(building them would only confirm the arithmetic)."
        )
    if skipped:
        sentence += (
            f" Not built, because the estimate alone exceeds the memory budget: {', '.join(skipped)} "
            "(their bytes per row are estimates)."
        )
    return sentence


def fit_rows(n_rows: int, width: int, budget_bytes: int, *, share: float = 0.125) -> int:
    """Rows of a dense float64 matrix ``width`` wide that fit in ``share`` of ``budget_bytes`` (all rows at most).

    >>> fit_rows(2_000, 1_004, 256 * 2**20), fit_rows(20_000, 5_004, 512 * 2**20)
    (2000, 1676)
    """
    return int(max(1, min(n_rows, share * budget_bytes // (width * 8))))


def dense_sparse_fit_times(
    X: pd.DataFrame, y, *, repeat: int = 3, budget_bytes: int, max_iter: int = 200
) -> pd.DataFrame:
    """CPU seconds to fit the same logistic regression on the sparse and the dense one-hot matrix.

    Both fits use the same rows: all of them when the dense float64 matrix fits in an eighth of
    ``budget_bytes``, else the first :func:`fit_rows` rows (``rows`` says how many), so a
    comparison survives at every profile. Timed with ``time.process_time`` (CPU seconds of
    this process: other programs on the machine barely change it); BLAS is capped at one
    thread so both fits do the same work.
    """
    from sklearn.linear_model import LogisticRegression

    n_levels = len(X["product"].cat.categories)
    n_rows = len(X)
    rows_used = fit_rows(n_rows, X.shape[1] - 1 + n_levels, budget_bytes)
    X, y = X.iloc[:rows_used], (y.iloc[:rows_used] if hasattr(y, "iloc") else y[:rows_used])
    inputs: dict[str, Callable[[], Any]] = {
        "sparse one-hot (CSR)": lambda: sparse_one_hot(X),
        "dense float64 one-hot": lambda: dense_one_hot(X),
    }
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, build in progress(inputs.items(), desc="dense vs sparse fits"):
            matrix = build()
            model = LogisticRegression(max_iter=max_iter)
            timing = measure.time_call(model.fit, matrix, y, repeat=repeat, clock=time.process_time)
            rows.append(
                {
                    "input": name,
                    "rows": rows_used,
                    "seconds": timing.median,
                    "spread": measure.relative_spread(timing.times),
                }
            )
            del matrix
    frame = pd.DataFrame(rows)
    frame.attrs["n_rows"] = n_rows
    return frame


def conclude_dense_sparse(frame: pd.DataFrame, *, noise: float = 0.1) -> str:
    """Which input fitted faster, when the difference exceeds the timing noise.

    >>> conclude_dense_sparse(pd.DataFrame({"input": ["sparse one-hot (CSR)", "dense float64 one-hot"],
    ...                                     "seconds": [0.1, 0.5], "spread": [0.0, 0.0]}))  # doctest: +ELLIPSIS
    'The sparse fit took 0.100 CPU-s against 0.500 CPU-s dense: 5.0x faster, ...'
    """
    by_input = frame.set_index("input")
    sparse_s = by_input.loc["sparse one-hot (CSR)", "seconds"]
    dense_s = by_input.loc["dense float64 one-hot", "seconds"]
    if pd.isna(dense_s):
        return (
            f"The sparse fit took {sparse_s:.3f} CPU-s; the dense matrix was not built, because it would exceed "
            "the memory budget: at this size the question is not speed, sparse is the only layout that fits."
        )
    margin = max(noise, float(frame["spread"].max()))
    ratio = dense_s / sparse_s
    subset = ""
    if "rows" in frame and "n_rows" in frame.attrs and int(frame["rows"].iloc[0]) < frame.attrs["n_rows"]:
        subset = f" (on the first {int(frame['rows'].iloc[0]):,} rows, so that the dense matrix fits)"
    elif "rows" in frame:
        subset = f" (on {int(frame['rows'].iloc[0]):,} rows)"
    if ratio > 1 + margin:
        return (
            f"The sparse fit took {sparse_s:.3f} CPU-s against {dense_s:.3f} CPU-s dense{subset}: {ratio:.1f}x "
            "faster, because it touches only the non-zero cells."
        )
    if ratio < 1 / (1 + margin):
        return (
            f"Here the dense fit was faster ({dense_s:.3f} against {sparse_s:.3f} CPU-s): at this size the "
            "matrix is small enough for dense BLAS to win; the sparse advantage grows with the number of levels."
        )
    return (
        f"Dense ({dense_s:.3f} CPU-s) and sparse ({sparse_s:.3f} CPU-s) fits differ by less than the timing "
        f"noise ({margin:.0%}): inconclusive at this profile."
    )


# --------------------------------------------------------------------------------------------
# Threads


def cores() -> int:
    """Cores this process may use (the affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def load_average() -> float | None:
    """One-minute load average (runnable processes), or None where the platform has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return None


def thread_counts(n_cores: int | None = None) -> list[int]:
    """1, 2, 4, ... up to the core count, the core count itself included.

    >>> thread_counts(6), thread_counts(1)
    ([1, 2, 4, 6], [1])
    """
    n_cores = n_cores or cores()
    counts = [1]
    while counts[-1] * 2 < n_cores:
        counts.append(counts[-1] * 2)
    if n_cores > 1:
        counts.append(n_cores)
    return counts


def controllable_apis() -> set[str]:
    """Thread pools threadpoolctl can see in this process (``blas``, ``openmp``)."""
    return {pool["user_api"] for pool in threadpool_info()}


def thread_speedup(
    tasks: Mapping[str, tuple[str, Callable[[], Any]]],
    threads: Sequence[int],
    *,
    repeat: int = 3,
    give_up_factor: float = 5.0,
) -> pd.DataFrame:
    """Wall seconds of each task under ``threadpool_limits(limits=t, user_api=api)`` for each ``t``.

    ``tasks`` maps a label to ``(user_api, callable)``, e.g.
    ``{"matrix product": ("blas", lambda: a @ b)}``. Returns one row per task and thread
    count: ``[task, threads, seconds (median), best, spread, speedup]`` with speedup against
    one thread (from medians). Wall time, not CPU time: threads buy wall time.

    Thread counts are measured in increasing order. When two calls with more threads each take
    over ``give_up_factor`` times the one-thread median (threads waiting for cores that other
    programs hold), the remaining repeats are skipped: a slowdown seen twice is far beyond
    noise, and repeating it would only make the experiment slow (``repeats`` says how many ran).
    One slow call alone is never enough: a single timing cannot tell a slowdown from a hiccup.
    """
    rows = []
    baseline: dict[str, float] = {}
    for (label, (api, task)), limit in progress(
        [(item, t) for item in tasks.items() for t in sorted(threads)], desc="thread counts"
    ):
        times = []
        with threadpool_limits(limits=limit, user_api=api):
            for _ in range(repeat):
                times.append(measure.time_call(task, repeat=1).median)
                runaway = label in baseline and min(times) > give_up_factor * baseline[label]
                if runaway and len(times) >= MIN_REPEATS_TO_GIVE_UP:
                    break
        timing = measure.Timing(tuple(times))
        baseline.setdefault(label, timing.median)
        rows.append(
            {
                "task": label,
                "threads": limit,
                "seconds": timing.median,
                "best": timing.best,
                "spread": measure.relative_spread(timing.times),
                "repeats": len(times),
            }
        )
    frame = pd.DataFrame(rows)
    one = frame[frame["threads"] == 1].set_index("task")["seconds"]
    frame["speedup"] = frame["task"].map(one) / frame["seconds"]
    return frame


#: Below this, a task is too short for thread start-up and scheduling noise not to dominate.
MIN_TASK_SECONDS = 0.05

#: Timings a thread count gets before a runaway slowdown may cut its repeats short.
MIN_REPEATS_TO_GIVE_UP = 2


def conclude_thread_speedup(
    frame: pd.DataFrame,
    *,
    n_cores: int,
    load: float | None = None,
    noise: float = 0.1,
    min_seconds: float = MIN_TASK_SECONDS,
) -> list[str]:
    """One sentence per task of :func:`thread_speedup`, stating a speedup only when the numbers support it.

    A speedup counts when it beats 1 by more than the timing noise (``noise`` or the
    measured spread, whichever is larger). Otherwise the sentence gives the likely reason:
    a single core, a task too short at this profile, or other programs competing. Competition
    is named when ``load`` (the one-minute load average, this process included) exceeds
    ``n_cores - 1``: one other busy program is enough to leave fewer free cores than threads,
    and threads that wait for a core at each step wait for the slowest of them.
    """
    sentences = []
    busy = load is not None and load > n_cores - 1
    for task, group in frame.groupby("task", sort=False):
        base = group.loc[group["threads"] == 1, "seconds"].iloc[0]
        best = group.loc[group["speedup"].idxmax()]
        margin = max(noise, float(group["spread"].max()))
        if n_cores < 2 or group["threads"].max() < 2:
            sentences.append(f"{task}: no speedup measurable: this machine gives the process {n_cores} core.")
        elif base < min_seconds:
            sentences.append(
                f"{task}: inconclusive: one thread takes only {base * 1000:.0f} ms at this profile, too short for "
                "thread start-up not to dominate; try a larger profile."
            )
        elif best.speedup > best.threads * (1 + noise):
            sentences.append(
                f"{task}: {int(best.threads)} threads ran {best.speedup:.2f}x faster than one, more than the "
                f"thread count allows: timing noise (spread up to {margin:.0%}) inflated it. Faster, yes; "
                "how much faster, not measurable at this profile."
            )
        elif best.speedup > 1 + margin:
            sentences.append(
                f"{task}: {int(best.threads)} threads ran {best.speedup:.2f}x faster than one "
                f"(efficiency {best.speedup / best.threads:.0%}; timing spread up to {margin:.0%})."
            )
        elif group["speedup"].min() < 1 / (1 + margin):
            slow = group.loc[group["speedup"].idxmin()]
            reason = (
                f"most likely competition for the cores: the load average was {load:.1f} on {n_cores} cores, so "
                "fewer cores were free than threads asked for, and each thread waited for the slowest"
                if busy
                else "the extra threads waited for each other or for cores more than they worked"
            )
            timed = int(group.loc[slow.name, "repeats"]) if "repeats" in group else None
            times = f", timed {timed} times" if timed else ""
            sentences.append(
                f"{task}: {int(slow.threads)} threads ran at {slow.speedup:.2f}x the one-thread speed{times}, a "
                f"real slowdown (beyond the timing spread of {margin:.0%}): {reason}. No speedup could be measured "
                "here; rerun on an idle machine to see what threads buy."
            )
        else:
            widest = group.loc[group["threads"].idxmax()]
            reason = (
                f"other programs compete for the cores (load average {load:.1f} on {n_cores} cores)"
                if busy
                else "the work may not parallelise at this size, or other programs competed while it ran"
            )
            sentences.append(
                f"{task}: no speedup measured ({int(widest.threads)} threads ran at {widest.speedup:.2f}x the "
                f"one-thread speed, timing noise {margin:.0%}): {reason}."
            )
    return sentences


def oversubscription_frame(
    size: int, *, n_jobs: int, n_tasks: int | None = None, repeat: int = 3, seed: int = 0
) -> pd.DataFrame:
    """Wall seconds of ``n_tasks`` matrix products run by ``n_jobs`` parallel threads, BLAS capped or not.

    ``BLAS threads = 1``: ``n_jobs`` threads in all. ``BLAS threads = n_jobs``: each job's
    product spawns its own BLAS threads, ``n_jobs**2`` threads for ``n_jobs`` cores:
    oversubscription. Returns ``[config, total_threads, seconds, spread]``.
    """
    from joblib import Parallel, delayed

    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size))
    n_tasks = n_tasks or n_jobs
    rows = []
    for blas in progress([1, n_jobs], desc="oversubscription"):

        def run(blas=blas):
            with threadpool_limits(limits=blas, user_api="blas"):
                Parallel(n_jobs=n_jobs, backend="threading")(delayed(np.matmul)(a, a) for _ in range(n_tasks))

        timing = measure.time_call(run, repeat=repeat)
        rows.append(
            {
                "config": f"{n_jobs} jobs x {blas} BLAS thread(s)",
                "total_threads": n_jobs * blas,
                "seconds": timing.median,
                "spread": measure.relative_spread(timing.times),
            }
        )
    return pd.DataFrame(rows)


def conclude_oversubscription(frame: pd.DataFrame | None, *, n_cores: int, noise: float = 0.1) -> str:
    """What the oversubscription run showed, or why it was not shown.

    >>> conclude_oversubscription(None, n_cores=1)  # doctest: +ELLIPSIS
    'Oversubscription not shown: this machine gives the process 1 core, so even two threads would be ...'
    """
    if frame is None:
        return (
            f"Oversubscription not shown: this machine gives the process {n_cores} core, so even two threads "
            "would be oversubscribed; read the explanation above instead."
        )
    capped = frame.loc[frame["total_threads"].idxmin()]
    over = frame.loc[frame["total_threads"].idxmax()]
    margin = max(noise, float(frame["spread"].max()))
    ratio = over.seconds / capped.seconds
    prefix = (
        f"{over.config} ({int(over.total_threads)} threads on {n_cores} cores) took {over.seconds:.2f} s, "
        f"{capped.config} {capped.seconds:.2f} s"
    )
    if ratio > 1 + margin:
        return f"{prefix}: oversubscription cost {ratio - 1:.0%} more time."
    if ratio < 1 / (1 + margin):
        return (
            f"{prefix}: here the extra threads were faster; the BLAS library may serialise concurrent calls "
            "or the tasks were uneven. No oversubscription penalty shown."
        )
    return (
        f"{prefix}: the difference ({ratio - 1:+.0%}) is within the timing noise ({margin:.0%}); no penalty "
        f"measured. With {int(capped.total_threads)} jobs on {n_cores} cores only {int(over.total_threads)} threads "
        "compete, so little can show here; the penalty grows with more cores and more jobs."
    )
