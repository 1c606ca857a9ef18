"""Data volume: in-memory vs chunked (out-of-core) vs Dask training, chunk order, and storage formats.

Peak memory is measured two ways: ``tracemalloc`` (Python and NumPy allocations, exact and
repeatable, but blind to Arrow's memory pool) and the process's resident memory (RSS, which
sees everything but is noisier; freed memory is handed back first, see
:func:`scalingml.measure.release_memory`). Time is measured separately, without tracing.
The dataset is written as fixed-size Parquet partitions, so an out-of-core pass holds one
partition at a time whatever the total size.

Every sentence the lesson prints about these experiments comes from a ``conclude_*`` function
here, which says "inconclusive at this profile" when the numbers do not support a claim.

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
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from scalingml import datasets, measure
from scalingml.errors import InvalidParameterError
from scalingml.experiments.features import CATEGORIES, customer_features, one_hot
from scalingml.progress import progress
from scalingml.scratch import scratch_dir

CLASSES = (0, 1)
APPROACHES = ("in-memory", "chunked", "dask dataframe")
#: The columns a report typically needs: the storage experiment reads only these.
REPORT_COLUMNS = ["tenure_months", "monthly_spend", "support_tickets", "churned"]
#: Rows of the held-out set that scores the streaming models (its binomial standard error is about 0.004).
HELD_OUT_ROWS = 10_000


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
    # averaged SGD: without averaging, 3 epochs of plain SGD land up to 0.05 accuracy apart
    # from one seed to the next, which would hide (or fake) any effect of streaming
    return SGDClassifier(loss="log_loss", alpha=1e-4, average=True, random_state=seed)


def fit_in_memory(folder: str | os.PathLike, *, seed: int = 0, epochs: int = 3) -> tuple[StandardScaler, SGDClassifier]:
    """Load every partition, then fit: memory grows with the whole table."""
    frame = pd.concat([part for _, part in datasets.read_partitions(folder)], ignore_index=True)
    X, y = customer_features(frame)
    scaler = StandardScaler().fit(X)
    model = _sgd(seed).set_params(max_iter=epochs, tol=None).fit(scaler.transform(X), y)
    return scaler, model


def _stream(chunks, *, seed: int, epochs: int) -> tuple[StandardScaler, SGDClassifier]:
    """Two streaming passes over ``chunks()`` (a callable yielding frames): feature statistics, then the model."""
    scaler = StandardScaler()
    for part in chunks():
        scaler.partial_fit(customer_features(part)[0])
    model = _sgd(seed)
    for _ in range(epochs):
        for part in chunks():
            X, y = customer_features(part)
            model.partial_fit(scaler.transform(X), y, classes=list(CLASSES))
    return scaler, model


def fit_chunked(folder: str | os.PathLike, *, seed: int = 0, epochs: int = 3) -> tuple[StandardScaler, SGDClassifier]:
    """Two streaming passes with ``partial_fit``: feature statistics, then the model (``epochs`` times).

    Only one partition is in memory at a time. The one-hot columns come from a fixed category
    list (:func:`~scalingml.experiments.features.customer_features`), so a partition that lacks
    a category still gives the same columns.
    """
    return _stream(lambda: (part for _, part in datasets.read_partitions(folder)), seed=seed, epochs=epochs)


def fit_dask(folder: str | os.PathLike, *, seed: int = 0, epochs: int = 3) -> tuple[StandardScaler, SGDClassifier]:
    """The same two passes, with a Dask dataframe handing over one partition at a time (what dask-ml's
    ``Incremental`` does): Dask reads and prepares each partition, ``partial_fit`` learns from it.

    Runs on Dask's synchronous scheduler so its memory is measured in this process. On a
    cluster the partitions are read by the workers, so the files must be where the workers are.
    """
    import dask.dataframe as dd

    parts = dd.read_parquet(str(folder)).to_delayed()
    return _stream(lambda: (part.compute(scheduler="sync") for part in parts), seed=seed, epochs=epochs)


def _run(approach: str, folder: Path):
    if approach == "in-memory":
        return fit_in_memory(folder)
    if approach == "chunked":
        return fit_chunked(folder)
    if approach == "dask dataframe":
        return fit_dask(folder)
    raise InvalidParameterError(f"Unknown approach {approach!r}; use one of {APPROACHES}")


def volume_experiment(
    sizes: Sequence[int],
    rows_per_partition: int,
    *,
    workdir: str | os.PathLike | None = None,
    approaches: Sequence[str] = APPROACHES,
    repeat: int = 1,
    memory_budget_mb: float | None = None,
) -> pd.DataFrame:
    """Peak memory (tracemalloc and RSS) and median time of each approach for each dataset size.

    Every approach does the same job: fit a scaler and a logistic SGD model on the whole
    dataset. Returns ``[approach, n, seconds, time_spread, peak_mb, rss_mb, rss_spread_mb, status]``:
    ``peak_mb`` is tracemalloc's peak (one run), ``rss_mb`` the median of ``repeat`` RSS peaks (freed
    memory handed back before each) and ``rss_spread_mb`` their range; ``seconds`` is the median
    time of those same runs (tracing would slow them, sampling RSS barely does). Datasets are written under
    ``workdir`` (a temporary folder by default) and reused across approaches. Each approach runs
    once untimed first (imports and caches are not the data's cost). With ``memory_budget_mb``,
    an approach whose peak, extrapolated linearly from its smallest size, would exceed the
    budget is not run: its row holds the forecast and ``status`` says so.
    """
    unknown = sorted(set(approaches) - set(APPROACHES))
    if unknown:
        raise InvalidParameterError(f"Unknown approach {unknown[0]!r}; use one of {APPROACHES}")
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
                        "time_spread": float("nan"),
                        "peak_mb": forecast,
                        "rss_mb": float("nan"),
                        "rss_spread_mb": float("nan"),
                        "status": f"skipped: forecast {forecast:,.0f} MB > budget {memory_budget_mb:,.0f} MB",
                    }
                )
                continue
            peak = measure.peak_memory(_run, approach, folder).peak_mb
            first_peak.setdefault(approach, peak)
            rss, times = [], []
            for _ in range(repeat):  # the kernel keeps the RSS peak (Linux): these runs are timed as well
                measure.release_memory()
                run = measure.peak_memory(_run, approach, folder, method="rss")
                rss.append(run.peak_mb)
                times.append(run.seconds)
            rows.append(
                {
                    "approach": approach,
                    "n": n,
                    "seconds": statistics.median(times),
                    "time_spread": measure.relative_spread(times),
                    "peak_mb": peak,
                    "rss_mb": statistics.median(rss),
                    "rss_spread_mb": max(rss) - min(rss),
                    "status": "measured",
                }
            )
    return pd.DataFrame(rows)


#: How each memory column is named in sentences, and the smallest increase (MB) it can tell from noise.
MEMORY_METHODS = {"peak_mb": ("tracemalloc", 0.5), "rss_mb": ("RSS", 4.0)}


def memory_verdicts(frame: pd.DataFrame, column: str = "rss_mb", *, flat: float = 1.5) -> dict:
    """Per out-of-core approach: ``"flat"``, ``"grows with the data"`` or ``"grows"``, judged against noise.

    Returns ``{"inconclusive": reason}`` when the in-memory fit, the yardstick, did not grow by
    clearly more than the noise floor (:data:`MEMORY_METHODS`, or twice the widest RSS spread
    measured): then the table is too small for this method to tell flat from growing. Otherwise
    ``{"rows_factor": R, "reference": (growth, increase_mb), approach: (verdict, growth, increase_mb)}``.
    An approach is flat when its peak grew by less than the noise floor or by at most ``flat``
    times; it grows with the data when its peak grew at least half as fast as the rows.
    """
    name, floor = MEMORY_METHODS[column]
    if column == "rss_mb" and "rss_spread_mb" in frame:
        floor = max(floor, 2 * float(frame["rss_spread_mb"].max(skipna=True) or 0.0))
    sizes = sorted(frame["n"].unique())
    if len(sizes) < 2:
        return {"inconclusive": "only one dataset size was measured"}
    small, large = sizes[0], sizes[-1]
    rows_factor = large / small
    at = frame.set_index(["approach", "n"])

    def change(approach: str, value_column: str = column) -> tuple[float, float]:
        first, last = at.loc[(approach, small), value_column], at.loc[(approach, large), value_column]
        return last / first, last - first

    result: dict = {"rows_factor": rows_factor, "method": name, "floor": floor}
    if "in-memory" in frame["approach"].values:
        skipped = at.loc[("in-memory", large), "status"] != "measured"
        # a skipped run holds its linear forecast in peak_mb: it would have grown with the data
        reference = change("in-memory", "peak_mb") if skipped else change("in-memory")
        if not skipped and reference[1] < 3 * floor:
            return {
                "inconclusive": (
                    f"the in-memory fit's {name} peak grew only {reference[1]:.1f} MB as rows grew "
                    f"{rows_factor:.0f}x, within three times the noise floor ({floor:.1f} MB): the table is too "
                    f"small for {name} to tell flat from growing"
                )
            }
        result["reference"] = reference
    for approach in frame["approach"].unique():
        if approach == "in-memory":
            continue
        growth, increase = change(approach)
        if increase <= floor or growth <= flat:
            verdict = "flat"
        elif growth >= rows_factor / 2:
            verdict = "grows with the data"
        else:
            verdict = "grows"
        result[approach] = (verdict, growth, increase)
    return result


def conclude_memory(frame: pd.DataFrame, column: str = "rss_mb", *, flat: float = 1.5) -> str:
    """What the memory measurements of :func:`volume_experiment` say, for one method (RSS or tracemalloc).

    >>> frame = pd.DataFrame({"approach": ["in-memory", "chunked"] * 2, "n": [1_000, 1_000, 10_000, 10_000],
    ...                       "rss_mb": [10.0, 10.0, 90.0, 11.0], "rss_spread_mb": 0.0, "status": "measured"})
    >>> conclude_memory(frame)  # doctest: +ELLIPSIS
    'Rows grew 10x. RSS peak: in-memory fit 9.0x (+80.0 MB); chunked 1.1x (+1.0 MB), flat...'
    """
    verdicts = memory_verdicts(frame, column, flat=flat)
    method = MEMORY_METHODS[column][0]
    if "inconclusive" in verdicts:
        return f"{method} peak memory: inconclusive at this profile ({verdicts['inconclusive']})."
    parts = []
    if "reference" in verdicts:
        growth, increase = verdicts["reference"]
        skipped = (frame.loc[frame["approach"] == "in-memory", "status"] != "measured").any()
        parts.append(f"in-memory fit {growth:.1f}x ({'forecast, not run' if skipped else f'+{increase:.1f} MB'})")
    streaming = {a: v for a, v in verdicts.items() if a in APPROACHES and a != "in-memory"}
    for approach, (verdict, growth, increase) in streaming.items():
        parts.append(f"{approach} {growth:.1f}x ({increase:+.1f} MB), {verdict}")
    sentence = f"Rows grew {verdicts['rows_factor']:.0f}x. {method} peak: " + "; ".join(parts) + "."
    flat_ones = [a for a, (v, _, _) in streaming.items() if v == "flat"]
    if flat_ones and len(flat_ones) == len(streaming):
        sentence += (
            f" Flat means within {verdicts['floor']:.1f} MB (the noise floor of {method}) or {flat:g}x: the "
            "out-of-core approaches held one partition at a time, whatever the number of partitions."
        )
    elif streaming:
        grew = ", ".join(a for a in streaming if a not in flat_ones)
        sentence += f" Not flat for {grew}: something in it holds more than one partition at a time."
    return sentence


def memory_keypoint(frame: pd.DataFrame) -> str:
    """The lesson's keypoint on memory, computed from both methods (it claims 'flat' only where both agree)."""
    rss, traced = memory_verdicts(frame, "rss_mb"), memory_verdicts(frame, "peak_mb")
    streaming = [a for a in frame["approach"].unique() if a != "in-memory"]
    rows_factor = frame["n"].max() / frame["n"].min()
    conclusive = [v for v in (rss, traced) if "inconclusive" not in v]
    if not conclusive:
        return (
            "Streaming fixed-size partitions (partial_fit, or Dask partition by partition) should keep peak memory "
            "flat as rows grow; at this profile the table is too small to show it: inconclusive."
        )
    flat_in_all = [a for a in streaming if all(v[a][0] == "flat" for v in conclusive)]
    methods = " and ".join(v["method"] for v in conclusive)
    if flat_in_all == streaming:
        references = [v["reference"][0] for v in conclusive if "reference" in v]
        if not references:
            reference = "."
        elif all(growth >= rows_factor / 2 for growth in references):
            reference = "; the in-memory fit's grew with the data."
        else:
            reference = (
                f"; the in-memory fit's grew too, but only {min(references):.1f}x, less than half as fast as the rows."
            )
        return (
            f"Streaming fixed-size partitions ({', '.join(streaming)}) kept peak memory flat here ({methods}) while "
            f"rows grew {rows_factor:.0f}x{reference}"
        )
    grew = [a for a in streaming if a not in flat_in_all]
    return (
        f"Streaming should keep peak memory flat, but here it grew for {', '.join(grew)} ({methods}) as rows grew "
        f"{rows_factor:.0f}x: find what holds more than one partition."
    )


def conclude_stream_time(frame: pd.DataFrame, *, noise: float = 0.2) -> str:
    """Streaming's time cost at the largest size against the in-memory fit, when beyond the timing noise."""
    measured = frame[frame["status"] == "measured"]
    largest = measured[measured["n"] == measured["n"].max()].set_index("approach")
    if "in-memory" not in largest.index or "chunked" not in largest.index:
        return (
            "The in-memory fit was not run at the largest size (over the memory budget): there, streaming is not "
            "slower or faster, it is the only approach that runs."
        )
    n = int(measured["n"].max())
    ratio = largest.loc["chunked", "seconds"] / largest.loc["in-memory", "seconds"]
    margin = max(noise, float(largest["time_spread"].max()))
    times = f"chunked {largest.loc['chunked', 'seconds'] * 1e3:,.0f} ms, in-memory " + (
        f"{largest.loc['in-memory', 'seconds'] * 1e3:,.0f} ms"
    )
    if ratio > 1 + margin:
        return (
            f"At {n:,} rows streaming took {ratio:.1f}x the time of the in-memory fit ({times}): memory is traded "
            "for reading the data again on every pass."
        )
    if ratio < 1 / (1 + margin):
        return (
            f"At {n:,} rows streaming was faster ({times}): the in-memory fit pays for building one big table "
            "and its copies."
        )
    return f"At {n:,} rows the times differ by less than the timing noise ({margin:.0%}; {times}): inconclusive."


# --------------------------------------------------------------------------------------------
# Chunk order and chunk columns


def write_sorted(source: str | os.PathLike, target: str | os.PathLike, by: str, rows_per_partition: int) -> list[Path]:
    """Rewrite the dataset in ``source`` sorted by ``by`` (as an export ordered by plan or date would be).

    Sorting loads the table here (the lesson's tables are small); the point is the order the
    partitions come out in, not how it was produced.
    """
    frame = pd.concat([part for _, part in datasets.read_partitions(source)], ignore_index=True)
    frame = frame.sort_values(by, kind="stable").reset_index(drop=True)
    return _write_parts(
        target, [frame.iloc[i : i + rows_per_partition] for i in range(0, len(frame), rows_per_partition)]
    )


def _write_parts(folder: str | os.PathLike, frames) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*"):
        old.unlink()
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"part-{i:05d}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    return paths


def shuffle_partitions(source: str | os.PathLike, target: str | os.PathLike, *, seed: int = 0) -> list[Path]:
    """An out-of-core shuffle: every row goes to a random partition, one partition in memory at a time.

    Pass 1 reads each partition and scatters its rows into as many buckets (small files);
    pass 2 gathers each bucket, shuffles it and writes it as one partition. Afterwards every
    partition is a random sample of the whole table, whatever order ``source`` was in.
    """
    sources = datasets.list_partitions(source)
    target = Path(target)
    buckets = target / "buckets"
    buckets.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i, (_, part) in enumerate(datasets.read_partitions(source)):
        assignment = rng.integers(0, len(sources), size=len(part))
        for bucket in range(len(sources)):
            part[assignment == bucket].to_parquet(buckets / f"{bucket:05d}-{i:05d}.parquet", index=False)

    def gathered():
        for bucket in range(len(sources)):
            pieces = sorted(buckets.glob(f"{bucket:05d}-*.parquet"))
            frame = pd.concat([pd.read_parquet(p) for p in pieces], ignore_index=True)
            for p in pieces:
                p.unlink()
            yield frame.sample(frac=1.0, random_state=seed + bucket).reset_index(drop=True)

    paths = _write_parts(target, gathered())
    buckets.rmdir()
    return paths


def one_hot_columns(folder: str | os.PathLike, column: str = "plan") -> pd.DataFrame:
    """Per partition: the ``column`` values present, and the feature columns naive and fixed one-hot encoding give.

    Naive: ``pd.get_dummies`` on the values the partition holds. Fixed: the category list of
    :data:`~scalingml.experiments.features.CATEGORIES`. Returns
    ``[partition, present, naive_columns, fixed_columns]``.
    """
    rows = []
    for path, part in datasets.read_partitions(folder):
        naive = pd.get_dummies(part[list(CATEGORIES)].astype(str), dtype=float)
        rows.append(
            {
                "partition": path.name,
                "present": ", ".join(sorted(part[column].astype(str).unique())),
                "naive_columns": naive.shape[1],
                "fixed_columns": one_hot(part).shape[1],
            }
        )
    return pd.DataFrame(rows)


def conclude_one_hot(frame: pd.DataFrame) -> str:
    """Did naive one-hot encoding give partitions different columns, and did the fixed list?

    >>> conclude_one_hot(pd.DataFrame({"partition": ["a", "b"], "present": ["basic", "basic, premium"],
    ...                                "naive_columns": [5, 6], "fixed_columns": [7, 7]}))  # doctest: +ELLIPSIS
    'Naive one-hot encoding gave the partitions 5 to 6 columns...'
    """
    naive, fixed = frame["naive_columns"], frame["fixed_columns"]
    if naive.nunique() > 1:
        sentence = (
            f"Naive one-hot encoding gave the partitions {naive.min()} to {naive.max()} columns (a partition without "
            f"a category has no column for it, so a model fed chunk by chunk would see its inputs change or fail)"
        )
    else:
        sentence = (
            f"Every partition happened to hold every category, so naive one-hot encoding gave {naive.iloc[0]} columns "
            "each here; a partition that lacks one would get fewer"
        )
    if fixed.nunique() == 1:
        return sentence + f"; the fixed category list gave {fixed.iloc[0]} in every partition."
    return sentence + "; even the fixed list varied: check the category list."


def chunk_order_experiment(
    folder: str | os.PathLike, workdir: str | os.PathLike, *, by: str = "plan", n_partitions: int = 4
) -> pd.DataFrame:
    """Held-out accuracy of the same model trained on the same rows, streamed in different orders.

    ``in-memory`` (the reference), ``chunked, random partitions`` (``folder`` as written: every
    partition a random sample), ``chunked, sorted by BY`` (the table rewritten in ``by`` order) and
    ``chunked, sorted then shuffled`` (the sorted copy after :func:`shuffle_partitions`); the
    sorted copy has ``n_partitions`` partitions.
    Returns ``[pipeline, accuracy]``; ``attrs["n_test"]`` is the held-out size.
    """
    workdir = Path(workdir)
    sorted_folder, shuffled_folder = workdir / f"sorted-by-{by}", workdir / f"sorted-by-{by}-shuffled"
    n_rows = sum(len(part) for _, part in datasets.read_partitions(folder, columns=[by]))
    write_sorted(folder, sorted_folder, by, math.ceil(n_rows / max(1, n_partitions)))
    shuffle_partitions(sorted_folder, shuffled_folder)
    X_test, y_test = held_out(folder, n_rows=HELD_OUT_ROWS)
    runs = {
        "in-memory": lambda: fit_in_memory(folder),
        "chunked, random partitions": lambda: fit_chunked(folder),
        f"chunked, sorted by {by}": lambda: fit_chunked(sorted_folder),
        "chunked, sorted then shuffled": lambda: fit_chunked(shuffled_folder),
    }
    rows = []
    for name, run in progress(runs.items(), desc="chunk orders"):
        scaler, model = run()
        rows.append({"pipeline": name, "accuracy": float(model.score(scaler.transform(X_test), y_test))})
    frame = pd.DataFrame(rows)
    frame.attrs["n_test"] = len(y_test)
    return frame


def _noise(accuracy: float, n_test: int) -> float:
    """Two standard errors of a difference between two accuracies on ``n_test`` rows (a conservative yardstick)."""
    return 2 * math.sqrt(2) * measure.proportion_se(accuracy, n_test)


def conclude_chunk_order(frame: pd.DataFrame) -> str:
    """Chunked vs in-memory, sorted vs random partitions, and whether shuffling recovered, each against noise.

    Each comparison picks its sentence by the direction of the difference: within the noise
    (inconclusive), in the expected direction, or the unexpected one (then it says so).

    >>> frame = pd.DataFrame({"pipeline": ["in-memory", "chunked, random partitions", "chunked, sorted by plan",
    ...                                    "chunked, sorted then shuffled"], "accuracy": [0.76, 0.76, 0.70, 0.76]})
    >>> frame.attrs["n_test"] = 10_000
    >>> print(conclude_chunk_order(frame))  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    On random partitions the chunked model matched the in-memory one within noise (+0.000; ...
    Sorted by plan, the same rows cost 0.060 accuracy: ... One out-of-core shuffle pass recovered the accuracy ...
    """
    n_test = int(frame.attrs.get("n_test", HELD_OUT_ROWS))
    acc = frame.set_index("pipeline")["accuracy"]
    sorted_name = next(name for name in acc.index if name.startswith("chunked, sorted by"))
    ordered = sorted_name.split(", ")[1].capitalize()
    random_, shuffled = acc["chunked, random partitions"], acc["chunked, sorted then shuffled"]
    noise = _noise(float(acc.mean()), n_test)
    sentences = []
    gap = random_ - acc["in-memory"]
    if abs(gap) <= noise:
        sentences.append(
            f"On random partitions the chunked model matched the in-memory one within noise ({gap:+.3f}; noise "
            f"{noise:.3f}, two standard errors on {n_test:,} held-out rows): streaming itself cost no accuracy."
        )
    elif gap < 0:
        sentences.append(
            f"On random partitions the chunked model scored {-gap:.3f} below the in-memory one, beyond the noise of "
            f"{noise:.3f}: here streaming cost accuracy (partial_fit meets the rows in a fixed order, while the "
            "in-memory fit reshuffles them on every pass)."
        )
    else:
        sentences.append(
            f"On random partitions the chunked model scored {gap:.3f} above the in-memory one, beyond the noise of "
            f"{noise:.3f}: unexpected, as both learn from the same rows for the same passes; check the run."
        )
    cost = random_ - acc[sorted_name]
    if cost > noise:
        sentences.append(
            f"{ordered}, the same rows cost {cost:.3f} accuracy: the model drifts towards whatever the last "
            "partitions hold."
        )
        recovered = shuffled - acc[sorted_name]
        if random_ - shuffled <= noise:
            sentences.append("One out-of-core shuffle pass recovered the accuracy of random partitions.")
        elif recovered > noise:
            sentences.append(f"The shuffle pass recovered {recovered:.3f} of the {cost:.3f}, not all.")
        elif recovered >= -noise:
            sentences.append(
                f"The shuffle pass recovered nothing beyond the noise ({recovered:+.3f}): check that it mixed "
                "rows across partitions."
            )
        else:
            sentences.append(
                f"After the shuffle pass the accuracy fell a further {-recovered:.3f}: unexpected; check the shuffle."
            )
    elif cost < -noise:
        sentences.append(
            f"{ordered}, the same rows scored {-cost:.3f} above random partitions, beyond the noise of {noise:.3f}: "
            "unexpected, as an ordered stream should not help; check the run."
        )
    else:
        sentences.append(
            f"{ordered}, the accuracy changed by {-cost:+.3f}, within the noise of {noise:.3f}: inconclusive at this "
            "profile."
        )
    return " ".join(sentences)


# --------------------------------------------------------------------------------------------
# Storage formats


def storage_comparison(
    frame: pd.DataFrame, folder: str | os.PathLike, *, repeat: int = 7, columns: Sequence[str] = REPORT_COLUMNS
) -> pd.DataFrame:
    """Size on disk and read time of the same table as CSV and Parquet, read whole and ``columns`` only.

    Returns ``[format, read, megabytes, best_ms, median_ms]``: the best and the median of
    ``repeat`` reads, after one untimed read. The best is what the format costs (``timeit``'s
    advice: slower repeats measure other programs competing for the core).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for file_format in progress(("csv", "parquet"), desc="storage formats"):
        path = folder / f"table.{file_format}"
        if file_format == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        for read, subset in (("all columns", None), (f"{len(columns)} columns", list(columns))):
            if file_format == "csv":
                reader = functools.partial(pd.read_csv, path, usecols=subset)
            else:
                reader = functools.partial(pd.read_parquet, path, columns=subset)
            reader()  # warm the page cache and the imports
            timing = measure.time_call(reader, repeat=repeat)
            rows.append(
                {
                    "format": file_format,
                    "read": read,
                    "megabytes": path.stat().st_size / 2**20,
                    "best_ms": timing.best * 1e3,
                    "median_ms": timing.median * 1e3,
                }
            )
    result = pd.DataFrame(rows)
    result.attrs["n_rows"] = len(frame)
    return result


def conclude_storage(frame: pd.DataFrame, *, noise: float = 0.25) -> str:
    """Size and read time of Parquet against CSV, for a full read and a column subset, each against the noise.

    A format is called faster when its best read beats the other's by more than ``noise`` and
    its median read is faster too; otherwise the comparison is inconclusive at this profile.

    >>> frame = pd.DataFrame({"format": ["csv", "csv", "parquet", "parquet"], "read": ["all columns", "4 columns"] * 2,
    ...                       "megabytes": [5.0, 5.0, 2.0, 2.0], "best_ms": [40.0, 30.0, 12.0, 25.0],
    ...                       "median_ms": [41.0, 31.0, 13.0, 26.0]})
    >>> print(conclude_storage(frame))  # doctest: +NORMALIZE_WHITESPACE
    Parquet took 40% of CSV's size on disk (2.0 MB against 5.0 MB). All columns (best of the reads): Parquet 12.0 ms,
    CSV 40.0 ms, 3.3x faster. 4 columns: Parquet 25.0 ms, CSV 30.0 ms: within the timing noise (25%), inconclusive at
    this profile.
    """
    table = frame.set_index(["format", "read"])
    csv_mb, pq_mb = table.loc["csv", "megabytes"].iloc[0], table.loc["parquet", "megabytes"].iloc[0]
    size = f"{pq_mb / csv_mb:.0%} of CSV's size on disk ({pq_mb:.1f} MB against {csv_mb:.1f} MB)"
    sentences = [f"Parquet took {size}." if pq_mb < csv_mb else f"Parquet was not smaller here: {size}."]
    for i, read in enumerate(frame["read"].unique()):
        csv, pq = table.loc[("csv", read)], table.loc[("parquet", read)]
        ratio, median_ratio = csv["best_ms"] / pq["best_ms"], csv["median_ms"] / pq["median_ms"]
        label = read.capitalize() + (" (best of the reads)" if i == 0 else "")
        times = f"{label}: Parquet {pq['best_ms']:.1f} ms, CSV {csv['best_ms']:.1f} ms"
        if ratio > 1 + noise and median_ratio > 1:
            verdict = f", {ratio:.1f}x faster"
            if read != "all columns":
                verdict += " (Parquet reads only the columns asked for; CSV must still parse every line)"
        elif ratio < 1 / (1 + noise) and median_ratio < 1:
            verdict = f": CSV was {1 / ratio:.1f}x faster (at this size Parquet's fixed costs dominate)"
        else:
            verdict = f": within the timing noise ({noise:.0%}), inconclusive at this profile"
        sentences.append(times + verdict + ".")
    return " ".join(sentences)


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


def conclude_downcast(report: pd.DataFrame) -> str:
    """How much memory downcasting saved, from :func:`downcast`'s report.

    >>> conclude_downcast(pd.DataFrame({"before_bytes": [800, 800], "after_bytes": [400, 100]}))
    'Downcasting dtypes took the table in memory from 1.6 kB to 0.5 kB (31% of the size).'
    """
    before, after = report["before_bytes"].sum(), report["after_bytes"].sum()
    if after >= before:
        return "Downcasting saved nothing here: every column already had its smallest safe dtype."
    unit, scale = ("MB", 2**20) if before >= 2**20 else ("kB", 2**10)
    return (
        f"Downcasting dtypes took the table in memory from {before / scale:.1f} {unit} to {after / scale:.1f} {unit} "
        f"({after / before:.0%} of the size)."
    )
