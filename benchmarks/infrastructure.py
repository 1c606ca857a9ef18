"""Lesson 03 figures: ONNX Runtime against scikit-learn (latency, throughput), and PSI at scale.

    python benchmarks/infrastructure.py                       # defaults below
    python benchmarks/infrastructure.py --rows 1000000 --features 20 --trees 30 --calls 300

Prints, as markdown tables:

* single-row p50/p95 latency of a random forest's ``predict_proba`` in scikit-learn and in
  ONNX Runtime (skl2onnx export, ``zipmap`` off, one intra-op thread), and their ratio;
* batch throughput (rows per second at p50) at a few batch sizes for both engines (each batch size
  after a few untimed warm-up calls, at least ``serving.MIN_CALLS`` timed calls: the ``calls`` column);
* what skl2onnx's default ZipMap output (one Python dict per row) costs on a 10,000-row batch,
  for the forest and for a logistic regression (where the model itself is cheap);
* wall time of :func:`scalingml.experiments.monitoring.psi` over ``--rows`` x ``--features``
  (every feature of a drifted sample against a reference of the same size).

Numbers depend on the machine and on what else runs on it; quote them with the machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from scalingml.experiments import monitoring, serving
from scalingml.experiments.features import customer_xy


def serving_figures(trees: int, calls: int) -> None:
    X, y = customer_xy(20_000, seed=0)
    X = X.to_numpy(np.float32)
    forest = RandomForestClassifier(trees, random_state=0).fit(X[:10_000], y[:10_000])
    session = serving.to_onnx_session(forest, X)
    check = serving.agreement(forest, session, X[10_000:])
    engines = {"scikit-learn": forest.predict_proba, "ONNX Runtime": lambda b: serving.onnx_predict_proba(session, b)}
    frame = serving.latency_by_batch(engines, X[10_000:], [1, 100, 1_000, 10_000], calls=calls)
    one = frame[frame.batch == 1].set_index("engine")
    print(f"random forest, {trees} trees; labels equal on {check['labels_equal']:.2%} of 10,000 rows\n")
    print("| engine | batch | calls | p50 ms | p95 ms | rows/s |")
    print("|---|---|---|---|---|---|")
    for row in frame.itertuples():
        print(
            f"| {row.engine} | {row.batch:,} | {row.calls} | {row.p50_ms:.3f} | {row.p95_ms:.3f} "
            f"| {row.rows_per_s:,.0f} |"
        )
    ratio = one.loc["scikit-learn", "p50_ms"] / one.loc["ONNX Runtime", "p50_ms"]
    print(f"\nsingle-row p50 latency ratio scikit-learn / ONNX Runtime: {ratio:.0f}x\n")
    linear = LogisticRegression(max_iter=1_000).fit(X[:10_000], y[:10_000])
    print("| model | ONNX export | 10,000-row batch, median of 5 (ms) |")
    print("|---|---|---|")
    for name, model in {f"random forest ({trees} trees)": forest, "logistic regression": linear}.items():
        timings = zipmap_timings(model, X[10_000:])
        for label, seconds in timings.items():
            print(f"| {name} | {label} | {seconds * 1000:.2f} |")
        print(f"| {name} | ZipMap / plain | {timings['zipmap on (default)'] / timings['zipmap off']:.1f}x |")
    print()


def zipmap_timings(model, X) -> dict[str, float]:
    """One 10,000-row batch through the export with ``zipmap`` off and with skl2onnx's default ZipMap output."""
    import onnxruntime as ort
    from skl2onnx import to_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    timings = {}
    for label, export_options in {"zipmap off": {"zipmap": False}, "zipmap on (default)": None}.items():
        onx = to_onnx(model, X[:1], options=export_options)
        session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        times = []
        for _ in range(5):
            start = time.perf_counter()
            session.run(None, {name: X})
            times.append(time.perf_counter() - start)
        timings[label] = float(np.median(times))
    return timings


def psi_figures(rows: int, features: int) -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(rows, features))
    current = rng.normal(0.1, 1.1, size=(rows, features))
    start = time.perf_counter()
    values = [monitoring.psi(reference[:, j], current[:, j], name=f"f{j}") for j in range(features)]
    seconds = time.perf_counter() - start
    print("| PSI | rows | features | wall s | per feature s | max PSI |")
    print("|---|---|---|---|---|---|")
    print(
        f"| quantile bins, epsilon | {rows:,} | {features} | {seconds:.2f} | {seconds / features:.3f} "
        f"| {max(values):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per PSI sample")
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--trees", type=int, default=30, help="trees of the served random forest")
    parser.add_argument("--calls", type=int, default=300, help="calls per batch size (fewer for large batches)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at start\n")
    serving_figures(args.trees, args.calls)
    psi_figures(args.rows, args.features)


if __name__ == "__main__":
    main()
