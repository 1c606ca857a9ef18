"""Serving: prediction latency and throughput against batch size, scikit-learn against ONNX Runtime.

A model answers one request at a time in an online service, or millions at once in a
nightly batch. Latency is a distribution: report its median (p50) and its tail (p95),
which is what a user waiting on a slow request sees. scikit-learn's ``predict`` pays a
fixed overhead per call (input validation, joblib); an ONNX export runs the same trees
in a lean C++ runtime.

The export uses ``options={"zipmap": False}``: with the default ZipMap output,
probabilities come back as a list of Python dicts, one per row, a cost per row that makes
batch prediction of a cheap model (a logistic regression) many times slower;
``benchmarks/infrastructure.py`` measures it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from scalingml.errors import ScalingmlError
from scalingml.progress import progress


class ExportError(ScalingmlError, RuntimeError):
    """A model could not be exported to ONNX, or the export disagrees with scikit-learn."""


def batch_sizes(n_rows: int) -> list[int]:
    """1, 10, 100, ... up to ``n_rows`` (included).

    >>> batch_sizes(2_000)
    [1, 10, 100, 1000, 2000]
    """
    sizes = [1]
    while sizes[-1] * 10 < n_rows:
        sizes.append(sizes[-1] * 10)
    if sizes[-1] != n_rows:
        sizes.append(n_rows)
    return sizes


def latency_samples(predict: Callable[[np.ndarray], object], X: np.ndarray, batch: int, calls: int) -> np.ndarray:
    """Wall seconds of ``calls`` calls of ``predict`` on consecutive batches of ``batch`` rows."""
    starts = np.arange(calls) * batch % max(1, len(X) - batch + 1)
    seconds = np.empty(calls)
    for i, start in enumerate(starts):
        chunk = X[start : start + batch]
        began = time.perf_counter()
        predict(chunk)
        seconds[i] = time.perf_counter() - began
    return seconds


#: Fewest timed calls per engine and batch size: a p95 from fewer calls is little more than the maximum.
MIN_CALLS = 20
#: Untimed calls first, so that lazy initialisation and cold caches do not land in the percentiles.
WARMUP_CALLS = 3


def latency_by_batch(
    engines: dict[str, Callable[[np.ndarray], object]],
    X: np.ndarray,
    sizes: Sequence[int],
    *,
    calls: int,
    min_calls: int = MIN_CALLS,
    warmup: int = WARMUP_CALLS,
) -> pd.DataFrame:
    """p50/p95 latency (ms) and throughput (rows per second at p50) per engine and batch size.

    Each engine and batch size first gets ``warmup`` untimed calls. Large batches get fewer
    timed calls (at least ``min_calls``, reported in ``calls``), so the experiment's time stays bounded.
    """
    rows = []
    for engine, batch in progress([(e, b) for e in engines for b in sizes], desc="engines x batch sizes"):
        n_calls = max(min_calls, int(calls * min(1.0, 100 / batch)))
        if warmup:
            latency_samples(engines[engine], X, batch, warmup)
        samples = latency_samples(engines[engine], X, batch, n_calls)
        p50, p95 = np.percentile(samples, [50, 95])
        rows.append(
            {
                "engine": engine,
                "batch": batch,
                "calls": n_calls,
                "p50_ms": p50 * 1000,
                "p95_ms": p95 * 1000,
                "rows_per_s": batch / p50,
            }
        )
    return pd.DataFrame(rows)


def to_onnx_session(model, X_sample: np.ndarray):
    """Export a fitted classifier with skl2onnx (``zipmap`` off) and open an ONNX Runtime session.

    Raises :class:`ExportError` naming the model when skl2onnx has no working converter for it.
    """
    import onnxruntime as ort
    from skl2onnx import to_onnx

    try:
        onx = to_onnx(model, np.asarray(X_sample[:1], dtype=np.float32), options={"zipmap": False})
    except Exception as error:  # skl2onnx raises many types; the message is what helps
        raise ExportError(
            f"skl2onnx could not export {type(model).__name__}: {str(error)[:200]}. "
            "Check skl2onnx's supported models for your scikit-learn version."
        ) from error
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # compare engines on one core, as scikit-learn's tree predict runs
    return ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])


def onnx_predict_proba(session, X: np.ndarray) -> np.ndarray:
    """Class probabilities from the ONNX session (float32 input, as exported)."""
    name = session.get_inputs()[0].name
    _, probabilities = session.run(None, {name: np.asarray(X, dtype=np.float32)})
    return probabilities


def agreement(model, session, X: np.ndarray) -> dict[str, float]:
    """How closely the ONNX export reproduces scikit-learn on ``X`` (both fed float32 values).

    Returns the share of equal predicted labels and the largest probability difference.
    """
    X32 = np.asarray(X, dtype=np.float32)
    expected = model.predict_proba(X32)
    got = onnx_predict_proba(session, X32)
    labels_equal = float((expected.argmax(axis=1) == got.argmax(axis=1)).mean())
    return {"labels_equal": labels_equal, "max_probability_difference": float(np.abs(expected - got).max())}


def conclude_single_row(frame: pd.DataFrame, *, noise: float = 0.2) -> str:
    """Compare the engines' single-row p50 latency; inconclusive when their p95s overlap the other's p50.

    >>> f = pd.DataFrame({"engine": ["scikit-learn", "ONNX Runtime"], "batch": [1, 1],
    ...                   "p50_ms": [2.0, 0.05], "p95_ms": [2.4, 0.08]})
    >>> conclude_single_row(f).split(": ")[-1]
    'ONNX Runtime answers 40x faster.'
    """
    one = frame[frame["batch"] == 1].set_index("engine")
    sk, ox = one.loc["scikit-learn"], one.loc["ONNX Runtime"]
    prefix = (
        f"One row: scikit-learn {sk.p50_ms:.3f} ms at p50 (p95 {sk.p95_ms:.3f} ms), "
        f"ONNX Runtime {ox.p50_ms:.3f} ms (p95 {ox.p95_ms:.3f} ms)"
    )
    if ox.p95_ms * (1 + noise) < sk.p50_ms:
        return f"{prefix}: ONNX Runtime answers {sk.p50_ms / ox.p50_ms:.0f}x faster."
    if sk.p95_ms * (1 + noise) < ox.p50_ms:
        return f"{prefix}: scikit-learn answers {ox.p50_ms / sk.p50_ms:.1f}x faster here."
    return f"{prefix}: the distributions overlap, no clear winner at this profile."


def conclude_batching(frame: pd.DataFrame, engine: str) -> str:
    """What batching bought one engine: throughput at the largest batch against one row at a time."""
    rows = frame[frame["engine"] == engine].sort_values("batch")
    first, last = rows.iloc[0], rows.iloc[-1]
    gain = last.rows_per_s / first.rows_per_s
    if gain > 2:
        return (
            f"{engine}: batches of {int(last.batch):,} rows served {last.rows_per_s:,.0f} rows/s against "
            f"{first.rows_per_s:,.0f} one at a time ({gain:,.0f}x), at the price of {last.p50_ms:.1f} ms per call "
            f"(p50 of {int(last.calls)} timed calls after a warm-up)."
        )
    return (
        f"{engine}: batching changed throughput by only {gain:.1f}x ({first.rows_per_s:,.0f} to "
        f"{last.rows_per_s:,.0f} rows/s): the per-call overhead is already small."
    )
